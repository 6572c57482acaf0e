/**
 * Live timers of a soak process, counted by watching the global setTimeout/setInterval (the node and the
 * session layer's system clock call them at each use). A second opinion next to the 'Timeout' entries of
 * process.getActiveResourcesInfo(), which come from a ref counter and are known to undercount in some
 * hosts (test/support/resources.ts trackTimers explains the vitest case).
 */

interface NodeTimeout {
  _destroyed?: boolean;
  hasRef(): boolean;
}

const SWEEP_FLOOR = 4_096;

/** Installs the watch; returns a function counting timers made since that are pending and ref'd. */
export function watchTimers(): () => number {
  const made = new Set<NodeTimeout>();
  let sweepAt = SWEEP_FLOOR;
  const remember = (t: NodeTimeout) => {
    made.add(t);
    if (made.size > sweepAt) {
      // Forget fired and cleared timers so a process making millions of them stays small.
      for (const old of made) if (old._destroyed === true) made.delete(old);
      sweepAt = Math.max(SWEEP_FLOOR, made.size * 2);
    }
  };
  const wrap = <F extends (...args: never[]) => unknown>(original: F): F => {
    const wrapped = function (this: unknown, ...args: Parameters<F>) {
      const t = original.apply(this, args) as NodeTimeout;
      remember(t);
      return t;
    } as unknown as F;
    // util.promisify(setTimeout) and timers/promises keep working.
    for (const key of Reflect.ownKeys(original)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue;
      Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(original, key)!);
    }
    return wrapped;
  };
  globalThis.setTimeout = wrap(globalThis.setTimeout);
  globalThis.setInterval = wrap(globalThis.setInterval);
  return () => {
    let live = 0;
    for (const t of made) {
      if (t._destroyed === true) made.delete(t);
      else if (t.hasRef()) live++;
    }
    return live;
  };
}
