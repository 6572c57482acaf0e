import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ReplayWindow } from '../../src/session/replay-window.js';
import { REPLAY_WINDOW_SIZE } from '../../src/session/constants.js';

/** Reference model straight from spec 8, with a Set instead of a bitmap. */
class NaiveReplayWindow {
  head = -1;
  readonly seen = new Set<number>();

  check(counter: number): boolean {
    if (!Number.isSafeInteger(counter) || counter < 0) return false;
    if (counter > this.head) return true;
    if (counter < this.head - (REPLAY_WINDOW_SIZE - 1)) return false;
    return !this.seen.has(counter);
  }

  accept(counter: number): boolean {
    if (!this.check(counter)) return false;
    this.seen.add(counter);
    if (counter > this.head) this.head = counter;
    return true;
  }
}

describe('ReplayWindow', () => {
  it('accepts counter 0 first, then rejects it as a duplicate', () => {
    const w = new ReplayWindow();
    expect(w.head).toBe(-1);
    expect(w.check(0)).toBe(true);
    expect(w.accept(0)).toBe(true);
    expect(w.head).toBe(0);
    expect(w.check(0)).toBe(false);
    expect(w.accept(0)).toBe(false);
    expect(w.accept(1)).toBe(true);
  });

  it('check() never changes the window', () => {
    const w = new ReplayWindow();
    for (let i = 0; i < 10; i++) expect(w.check(i * 1000)).toBe(true);
    expect(w.head).toBe(-1);
    w.accept(5);
    expect(w.check(5)).toBe(false);
    expect(w.check(4)).toBe(true);
    expect(w.check(4)).toBe(true);
    expect(w.head).toBe(5);
  });

  it('covers exactly [head - 4095, head]', () => {
    const w = new ReplayWindow();
    expect(w.accept(5000)).toBe(true);
    expect(w.check(5000 - 4095)).toBe(true);
    expect(w.check(5000 - 4096)).toBe(false);
    expect(w.accept(5000 - 4096)).toBe(false);
    expect(w.accept(5000 - 4095)).toBe(true);
    expect(w.accept(5000 - 4095)).toBe(false);
    // Moving head by one pushes the oldest counter out.
    expect(w.accept(5001)).toBe(true);
    expect(w.check(5001 - 4096)).toBe(false);
  });

  it('accepts each out-of-order counter in the window once', () => {
    const w = new ReplayWindow();
    expect(w.accept(100)).toBe(true);
    for (let c = 99; c >= 0; c -= 3) expect(w.accept(c)).toBe(true);
    for (let c = 99; c >= 0; c -= 3) expect(w.accept(c)).toBe(false);
    for (let c = 98; c >= 0; c -= 3) expect(w.accept(c)).toBe(true);
  });

  it('an advance of exactly 4096 forgets every earlier counter', () => {
    const w = new ReplayWindow();
    for (let c = 0; c < 4096; c++) expect(w.accept(c)).toBe(true);
    expect(w.accept(4095 + 4096)).toBe(true);
    // Every slot is free again: all of 4096..8190 are new, and everything below is too old.
    for (let c = 4096; c < 8191; c++) expect(w.check(c)).toBe(true);
    for (let c = 0; c < 4096; c++) expect(w.check(c)).toBe(false);
  });

  it('a partial advance frees exactly the slots it passes over', () => {
    const w = new ReplayWindow();
    for (let c = 0; c < 4096; c++) w.accept(c);
    expect(w.accept(4100)).toBe(true);
    for (let c = 4096; c < 4100; c++) expect(w.check(c)).toBe(true);
    for (let c = 5; c < 4096; c++) expect(w.check(c)).toBe(false);
    expect(w.check(4)).toBe(false);
    expect(w.check(4100)).toBe(false);
  });

  it('clears across the ring end and word boundaries', () => {
    const w = new ReplayWindow();
    // Fill slots 4000..4095 and 0..100 of the ring, then advance over the wrap point.
    for (let c = 4000; c <= 4196; c++) w.accept(c);
    expect(w.accept(4000 + 4096 + 50)).toBe(true); // head 8146, window [4051, 8146]
    for (let c = 4051; c <= 4196; c++) expect(w.check(c)).toBe(false);
    for (let c = 4197; c < 8146; c++) expect(w.check(c)).toBe(true);
    for (let c = 4000; c < 4051; c++) expect(w.check(c)).toBe(false);
  });

  it('works with counters near 2^53', () => {
    const w = new ReplayWindow();
    const big = Number.MAX_SAFE_INTEGER - 10;
    expect(w.accept(big)).toBe(true);
    expect(w.accept(big - 1)).toBe(true);
    expect(w.accept(big - 1)).toBe(false);
    expect(w.accept(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(w.check(big)).toBe(false);
    expect(w.check(Number.MAX_SAFE_INTEGER - 4095)).toBe(true);
    expect(w.check(Number.MAX_SAFE_INTEGER - 4096)).toBe(false);
  });

  it('rejects counters that are not safe non-negative integers', () => {
    const w = new ReplayWindow();
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 2 ** 64]) {
      expect(w.check(bad)).toBe(false);
      expect(w.accept(bad)).toBe(false);
    }
    expect(w.head).toBe(-1);
  });

  it('reset() forgets everything', () => {
    const w = new ReplayWindow();
    w.accept(10_000);
    w.accept(9_999);
    expect(w.accept(9_999)).toBe(false);
    expect(w.check(3)).toBe(false);
    w.reset();
    expect(w.head).toBe(-1);
    // Both the former duplicate and the formerly too-old counter are new again.
    expect(w.accept(9_999)).toBe(true);
    expect(w.accept(9_999)).toBe(false);
    w.reset();
    expect(w.accept(3)).toBe(true);
    expect(w.accept(10_000)).toBe(true);
  });

  it('agrees with the reference for every counter around many heads (exhaustive sweep)', () => {
    for (const head of [0, 1, 31, 32, 63, 64, 4095, 4096, 4097, 10_000, 123_456]) {
      const w = new ReplayWindow();
      const model = new NaiveReplayWindow();
      // Sprinkle accepted counters below head with a pattern, then sweep every counter near the window.
      for (let c = Math.max(0, head - 4200); c <= head; c += 7) {
        expect(w.accept(c)).toBe(model.accept(c));
      }
      w.accept(head);
      model.accept(head);
      for (let c = Math.max(0, head - 4200); c <= head + 70; c++) {
        expect(w.check(c)).toBe(model.check(c));
      }
    }
  });

  it('matches the Set-based model on random operation sequences (fast-check)', () => {
    const op = fc.oneof(
      // Near the head: the common case, in and just below the window.
      fc.record({ kind: fc.constantFrom('accept', 'check'), rel: fc.integer({ min: -4200, max: 80 }) }),
      // Jumps around and beyond a full window.
      fc.record({ kind: fc.constant('accept'), rel: fc.integer({ min: 4000, max: 9000 }) }),
      // Absolute values, including invalid ones.
      fc.record({
        kind: fc.constantFrom('accept', 'check'),
        abs: fc.oneof(fc.nat(200), fc.integer({ min: -3, max: 3 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.double()),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 400 }), (ops) => {
        const w = new ReplayWindow();
        const model = new NaiveReplayWindow();
        for (const o of ops) {
          const counter = 'abs' in o ? o.abs : Math.max(0, model.head + o.rel);
          if (o.kind === 'check') expect(w.check(counter)).toBe(model.check(counter));
          else expect(w.accept(counter)).toBe(model.accept(counter));
          expect(w.head).toBe(model.head);
        }
      }),
      { numRuns: 300 },
    );
  });
});
