/**
 * Heap in use after a full garbage collection, for memory-per-node figures. Works without starting node
 * with --expose-gc: the flag is set at run time and `gc` fetched from a fresh context (V8 exposes it to
 * contexts created after the flag is set).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = null;

function collector(): () => void {
  if (gc === null) {
    const global = globalThis as { gc?: () => void };
    if (typeof global.gc === 'function') {
      gc = global.gc;
    } else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  return gc;
}

/** process.memoryUsage().heapUsed after two full collections (the second frees what finalizers released). */
export function heapAfterGc(): number {
  const collect = collector();
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}
