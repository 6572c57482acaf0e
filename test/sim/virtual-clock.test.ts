/**
 * VirtualClock: deadline order with FIFO ties, cancellation and leak counting, stepping that yields real
 * event-loop turns between steps (so setImmediate work and promise chains run), runUntil, and its guards.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SIM_EPOCH_MS, VirtualClock } from '../../src/node/sim/index.js';

describe('VirtualClock', () => {
  it('starts at the fixed epoch and moves only when driven', async () => {
    const clock = new VirtualClock();
    expect(clock.now()).toBe(SIM_EPOCH_MS);
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.now()).toBe(SIM_EPOCH_MS);
    await clock.advance(1234);
    expect(clock.now()).toBe(SIM_EPOCH_MS + 1234);
    expect(clock.elapsedMs).toBe(1234);
    expect(new VirtualClock({ startMs: 5 }).now()).toBe(5);
  });

  it('fires timers in deadline order, equal deadlines in the order they were set, each at its own instant', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    const fired: Array<[string, number]> = [];
    const at = (name: string, delay: number) => clock.setTimer(() => fired.push([name, clock.now()]), delay);
    at('c', 30);
    at('a1', 10);
    at('b', 20);
    at('a2', 10);
    at('z', 0);
    at('a3', 10);
    at('late', 100);
    expect(clock.pendingTimers).toBe(7);
    await clock.advance(50);
    expect(fired).toEqual([
      ['z', 0],
      ['a1', 10],
      ['a2', 10],
      ['a3', 10],
      ['b', 20],
      ['c', 30],
    ]);
    expect(clock.now()).toBe(50);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextDeadline).toBe(100);
    await clock.runFor(50);
    expect(fired.at(-1)).toEqual(['late', 100]);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextDeadline).toBe(Infinity);
  });

  it('clearTimer cancels; stale, repeated and foreign handles are ignored', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    const other = new VirtualClock({ startMs: 0 });
    const fired: string[] = [];
    const a = clock.setTimer(() => fired.push('a'), 10);
    const b = clock.setTimer(() => fired.push('b'), 10);
    const foreign = other.setTimer(() => fired.push('foreign'), 10);
    clock.clearTimer(a);
    clock.clearTimer(a);
    clock.clearTimer(foreign);
    clock.clearTimer(null);
    clock.clearTimer(42);
    expect(clock.pendingTimers).toBe(1);
    expect(other.pendingTimers).toBe(1);
    await clock.advance(20);
    expect(fired).toEqual(['b']);
    clock.clearTimer(b); // already fired
    expect(clock.pendingTimers).toBe(0);
    await other.advance(20);
    expect(fired).toEqual(['b', 'foreign']);
  });

  it('yields real turns between steps: setImmediate work and promise chains run before time moves on', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    const log: string[] = [];
    clock.setTimer(() => {
      log.push(`timer@${clock.now()}`);
      // What an Endpoint does: coalesced packets leave on setImmediate at the end of the turn.
      setImmediate(() => {
        log.push(`flush@${clock.now()}`);
        clock.setTimer(() => log.push(`after-flush@${clock.now()}`), 5);
      });
    }, 10);
    const waited = new Promise<void>((resolve) => clock.setTimer(resolve, 12));
    void (async () => {
      await waited;
      await Promise.resolve();
      log.push(`continuation@${clock.now()}`);
      clock.setTimer(() => log.push(`chained@${clock.now()}`), 1);
    })();
    await clock.advance(100);
    expect(log).toEqual(['timer@10', 'flush@10', 'continuation@12', 'chained@13', 'after-flush@15']);
  });

  it('runs a zero-delay timer set during a step at the same instant, after the turn yields', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    const log: string[] = [];
    clock.setTimer(() => {
      log.push('first');
      clock.setTimer(() => log.push(`zero@${clock.now()}`), 0);
      setImmediate(() => log.push('immediate'));
    }, 7);
    clock.setTimer(() => log.push('same-instant-sibling'), 7);
    await clock.advance(7);
    expect(log).toEqual(['first', 'same-instant-sibling', 'immediate', 'zero@7']);
  });

  it('lets work queued before the call leave at the current instant', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    let firedAt = -1;
    setImmediate(() => clock.setTimer(() => (firedAt = clock.now()), 3));
    await clock.advance(10);
    expect(firedAt).toBe(3);
  });

  it('runUntil stops as soon as the predicate holds and reports the virtual time it took', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    let count = 0;
    const tick = () => {
      count++;
      clock.setTimer(tick, 100);
    };
    clock.setTimer(tick, 100);
    expect(await clock.runUntil(() => count === 5)).toBe(500);
    expect(clock.now()).toBe(500);
    expect(await clock.runUntil(() => count >= 5)).toBe(0);
  });

  it('runUntil rejects with TIMEOUT after maxMs of virtual time, with the clock at that time', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    clock.setTimer(() => {}, 50);
    const tick = () => clock.setTimer(tick, 300);
    tick();
    await expect(clock.runUntil(() => false, { maxMs: 2_000 })).rejects.toThrow(/^condition still false after 2000 ms of virtual time$/);
    expect(clock.now()).toBe(2_000);
    clock.clearTimer(clock.setTimer(() => {}, 1));
    expect(clock.pendingTimers).toBe(1);
    const idle = new VirtualClock({ startMs: 0 });
    await expect(idle.runUntil(() => false, { maxMs: 500 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/nothing is scheduled/),
    });
    expect(idle.now()).toBe(500);
  });

  it('refuses to be driven twice at once', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    clock.setTimer(() => {}, 10);
    const first = clock.advance(20);
    await expect(clock.advance(5)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await first;
    expect(clock.now()).toBe(20);
  });

  it('reports a timer that re-arms itself with delay 0 forever instead of hanging', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    const spin = () => clock.setTimer(spin, 0);
    clock.setTimer(spin, 1);
    await expect(clock.advance(10)).rejects.toMatchObject({ code: 'SIM_LIVELOCK' });
    expect(clock.now()).toBe(1);
  });

  it('propagates an exception thrown by a timer and can be driven again afterwards', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    clock.setTimer(() => {
      throw new Error('boom');
    }, 5);
    let later = false;
    clock.setTimer(() => (later = true), 6);
    await expect(clock.advance(10)).rejects.toThrow('boom');
    await clock.advance(10);
    expect(later).toBe(true);
  });

  it('rejects delays that setTimeout would silently turn into 1 ms, and treats negative delays as 0', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    expect(() => clock.setTimer(() => {}, Number.NaN)).toThrow(/finite/);
    expect(() => clock.setTimer(() => {}, Infinity)).toThrow(/finite/);
    expect(clock.pendingTimers).toBe(0);
    let at = -1;
    clock.setTimer(() => (at = clock.now()), -50);
    await clock.advance(0);
    expect(at).toBe(0);
    await expect(clock.advance(-1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('property: any schedule with cancellations fires in (deadline, set-order) order and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 25 }),
        async (plan) => {
          const clock = new VirtualClock({ startMs: 0 });
          const fired: number[] = [];
          const handles = plan.map((p, i) => clock.setTimer(() => fired.push(i), p.delay));
          plan.forEach((p, i) => p.cancel && clock.clearTimer(handles[i]));
          const expected = plan
            .map((p, i) => ({ i, p }))
            .filter(({ p }) => !p.cancel)
            .sort((x, y) => x.p.delay - y.p.delay || x.i - y.i)
            .map(({ i }) => i);
          expect(clock.pendingTimers).toBe(expected.length);
          await clock.advance(60);
          expect(fired).toEqual(expected);
          expect(clock.pendingTimers).toBe(0);
          expect(clock.pendingEvents).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
