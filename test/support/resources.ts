/**
 * Leak checks: what the event loop still holds (sockets, timers, immediates) after a test closed everything.
 */
import { openNativeTransports } from '../../src/session/native-transport.js';

export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  // The native UDP transport's socket is a libuv poll handle of an addon, which Node does not list.
  const native = openNativeTransports();
  if (native > 0) counts.set('NativeUdpTransport', native);
  return counts;
}

/** Resource kinds whose count grew between `before` and now (e.g. `UDPWRAP: +1`). */
export function leakedSince(before: Map<string, number>): string[] {
  const now = activeResources();
  const leaks: string[] = [];
  for (const [kind, n] of now) {
    const was = before.get(kind) ?? 0;
    if (n > was) leaks.push(`${kind}: +${n - was}`);
  }
  return leaks;
}

/** Waits until `leakedSince(before)` is empty or `timeoutMs` passes (closing handles takes a turn or two). */
export async function waitForNoLeaks(before: Map<string, number>, timeoutMs = 2000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let leaks = leakedSince(before);
  while (leaks.length > 0 && Date.now() < deadline) {
    // The timer of this wait has fired by the time we look again, so it is never counted.
    await new Promise((r) => setTimeout(r, 20));
    leaks = leakedSince(before);
  }
  return leaks;
}

/** Polls `cond` every 5 ms until true; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A timer still pending and keeping the event loop alive, as `trackTimers` saw it being made. */
export interface LiveTimer {
  kind: 'timeout' | 'interval';
  delayMs: number;
  /** Where it was made (only with WIREMESH_LEAK_STACKS=1: a stack per timer costs microseconds). */
  stack?: string;
}

export interface TimerTracker {
  /** Timers made since install that are neither fired (one-shot), cleared nor unref'd. */
  live(): LiveTimer[];
  uninstall(): void;
}

interface NodeTimeout {
  _destroyed?: boolean;
  _idleTimeout?: number;
  _repeat?: number | null;
  hasRef(): boolean;
}

const timerStacks = new WeakMap<object, string>();

/**
 * Counts timers by watching the global setTimeout/setInterval (which the session layer's systemClock and
 * the node call at each use). process.getActiveResourcesInfo() cannot be trusted for timers under
 * vitest on Node 20: its 'Timeout' entries come from a ref counter that vitest's own timer handling
 * drives below the truth (a running interval stops being listed after its first tick), so a leaked
 * interval would go unnoticed.
 */
export function trackTimers(): TimerTracker {
  const g = globalThis as unknown as Record<string, unknown>;
  const originalTimeout = globalThis.setTimeout;
  const originalInterval = globalThis.setInterval;
  const withStacks = process.env.WIREMESH_LEAK_STACKS === '1';
  const made = new Set<NodeTimeout>();
  let sweepAt = 4096;
  const active = (t: NodeTimeout) => t._destroyed !== true && t.hasRef();
  const remember = (t: NodeTimeout) => {
    made.add(t);
    if (withStacks) timerStacks.set(t, new Error('timer made here').stack ?? '');
    if (made.size > sweepAt) {
      // Forget fired and cleared timers so a file making millions of them stays small.
      for (const old of made) if (old._destroyed === true) made.delete(old);
      sweepAt = Math.max(4096, made.size * 2);
    }
  };
  const wrap = <F extends (...args: never[]) => unknown>(original: F): F => {
    const wrapped = function (this: unknown, ...args: Parameters<F>) {
      const t = original.apply(this, args) as NodeTimeout;
      remember(t);
      return t;
    } as unknown as F;
    // util.promisify(setTimeout) and friends keep working.
    for (const key of Reflect.ownKeys(original)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue;
      Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(original, key)!);
    }
    return wrapped;
  };
  g.setTimeout = wrap(originalTimeout);
  g.setInterval = wrap(originalInterval);
  return {
    live: () => {
      const out: LiveTimer[] = [];
      for (const t of made) {
        if (!active(t)) continue;
        const stack = timerStacks.get(t);
        out.push({ kind: t._repeat ? 'interval' : 'timeout', delayMs: t._idleTimeout ?? -1, ...(stack ? { stack } : {}) });
      }
      return out;
    },
    uninstall: () => {
      g.setTimeout = originalTimeout;
      g.setInterval = originalInterval;
    },
  };
}
