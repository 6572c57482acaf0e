/**
 * Worker-thread entry for `mintIdentity`: grinds until it finds a seed or the main thread raises the
 * shared stop flag. The attempt count goes to its own slot of a shared counter array (read by the main
 * thread for progress), so no message is sent per batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { keyProviderByName, type KeyProviderName } from './key-provider.js';
import { SeedGrinder } from './seed-grinder.js';

export interface MintWorkerData {
  provider: KeyProviderName;
  difficulty: number;
  /** Int32Array view: [0] != 0 means stop. */
  stop: SharedArrayBuffer;
  /** BigInt64Array view: one attempt counter per worker. */
  counters: SharedArrayBuffer;
  slot: number;
}

export interface MintWorkerFound {
  type: 'found';
  seed: Uint8Array;
}

function run(data: MintWorkerData): void {
  const stop = new Int32Array(data.stop);
  const counters = new BigInt64Array(data.counters);
  const grinder = new SeedGrinder(keyProviderByName(data.provider).createSeedHasher(), data.difficulty);
  try {
    while (Atomics.load(stop, 0) === 0) {
      const seed = grinder.tryBatch();
      Atomics.store(counters, data.slot, BigInt(grinder.attempts));
      if (seed) {
        const found: MintWorkerFound = { type: 'found', seed };
        parentPort?.postMessage(found);
        seed.fill(0);
        // Stay alive until the main thread terminates us, so 'found' always arrives before 'exit'.
        parentPort?.once('message', () => undefined);
        return;
      }
    }
  } finally {
    grinder.wipe();
  }
}

run(workerData as MintWorkerData);
