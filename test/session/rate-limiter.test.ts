import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { TokenBucket } from '../../src/session/rate-limiter.js';
import { SEND_RATE_BURST_FACTOR } from '../../src/session/constants.js';
import { InvalidArgumentError } from '../../src/errors.js';

/** Sends `packet`-sized requests as fast as the bucket allows for `durationMs`; returns bytes released. */
function drain(bucket: TokenBucket, packet: number, startMs: number, durationMs: number): number {
  let now = startMs;
  let released = 0;
  // Bounded: each step either releases a packet or advances the clock by at least 1 ms.
  for (let steps = 0; steps < 10_000_000; steps++) {
    const wait = bucket.take(packet, now);
    if (wait === 0) {
      released += packet;
      continue;
    }
    if (now + wait > startMs + durationMs) break;
    now += wait;
  }
  return released;
}

describe('TokenBucket', () => {
  it('starts full and reports the wait for what is missing', () => {
    const b = new TokenBucket(1000, 2000, 0);
    expect(b.available(0)).toBe(2000);
    expect(b.take(2000, 0)).toBe(0);
    expect(b.available(0)).toBe(0);
    // 1 token at 1000/s takes 1 ms; 500 tokens take 500 ms.
    expect(b.take(1, 0)).toBe(1);
    expect(b.take(500, 0)).toBe(500);
    expect(b.available(0)).toBe(0); // a refused take takes nothing
    expect(b.take(500, 499)).toBe(1);
    expect(b.take(500, 500)).toBe(0);
    expect(b.available(500)).toBe(0);
  });

  it('refills continuously and caps at the burst', () => {
    const b = new TokenBucket(100, 50, 1_000);
    b.take(50, 1_000);
    expect(b.available(1_100)).toBeCloseTo(10, 9);
    expect(b.available(1_250)).toBeCloseTo(25, 9);
    expect(b.available(1_000_000)).toBe(50);
  });

  it('a clock that goes backwards refills nothing', () => {
    const b = new TokenBucket(1000, 1000, 5_000);
    b.take(1000, 5_000);
    expect(b.available(4_000)).toBe(0);
    expect(b.available(5_010)).toBeCloseTo(10, 9);
  });

  it('releases rate x 10 s + burst bytes over a simulated 10 s (within one packet)', () => {
    for (const [rate, packet] of [
      [125_000, 1232],
      [1_000_000, 1232],
      [10_000, 100],
      [3_333, 1],
    ] as const) {
      const b = new TokenBucket(rate, SEND_RATE_BURST_FACTOR * rate, 0);
      const released = drain(b, packet, 0, 10_000);
      const expected = rate * 10 + SEND_RATE_BURST_FACTOR * rate;
      expect(Math.abs(released - expected)).toBeLessThanOrEqual(packet);
    }
  });

  it('lets a request larger than the burst through once full, then makes later requests wait off the debt', () => {
    const b = new TokenBucket(1000, 2000, 0);
    expect(b.take(5000, 0)).toBe(0);
    expect(b.available(0)).toBe(-3000);
    // 3000 of debt plus 100 tokens at 1 token/ms.
    expect(b.take(100, 0)).toBe(3100);
    expect(b.take(100, 3099)).toBe(1);
    expect(b.take(100, 3100)).toBe(0);
  });

  it('an oversized request waits for a full bucket, not forever', () => {
    const b = new TokenBucket(1000, 2000, 0);
    expect(b.take(1500, 0)).toBe(0); // 500 left
    expect(b.take(10_000, 0)).toBe(1500); // needs the bucket full: 1500 more tokens
    expect(b.take(10_000, 1500)).toBe(0);
    expect(b.available(1500)).toBe(-8000);
  });

  it('oversized requests still respect the long-run rate', () => {
    const rate = 10_000;
    const burst = SEND_RATE_BURST_FACTOR * rate;
    const frame = 3 * burst;
    const b = new TokenBucket(rate, burst, 0);
    const released = drain(b, frame, 0, 60_000);
    // Debt means at most one frame beyond rate x time + burst.
    expect(released).toBeLessThanOrEqual(rate * 60 + burst + frame);
    expect(released).toBeGreaterThanOrEqual(rate * 60 - frame);
  });

  it('waiting exactly the returned delay is always enough (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.array(fc.record({ amount: fc.integer({ min: 0, max: 20_000_000 }), gapMs: fc.nat(5_000) }), {
          minLength: 1,
          maxLength: 40,
        }),
        (rate, burst, requests) => {
          const b = new TokenBucket(rate, burst, 0);
          let now = 0;
          for (const { amount, gapMs } of requests) {
            now += gapMs;
            const wait = b.take(amount, now);
            if (wait > 0) {
              expect(wait).toBeGreaterThanOrEqual(1);
              if (wait > 1) expect(b.take(amount, now + wait - 1)).toBeGreaterThan(0);
              now += wait;
              expect(b.take(amount, now)).toBe(0);
            }
            expect(b.available(now)).toBeLessThanOrEqual(burst);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('take(0) succeeds unless in debt; bad arguments throw typed errors', () => {
    const b = new TokenBucket(10, 10, 0);
    b.take(10, 0);
    expect(b.take(0, 0)).toBe(0);
    const indebted = new TokenBucket(10, 10, 0);
    indebted.take(25, 0);
    expect(indebted.take(0, 0)).toBe(1500);
    expect(indebted.take(0, 1500)).toBe(0);
    expect(() => b.take(-1, 0)).toThrow(InvalidArgumentError);
    expect(() => b.take(Number.NaN, 0)).toThrow(InvalidArgumentError);
    expect(() => new TokenBucket(0, 10, 0)).toThrow(InvalidArgumentError);
    expect(() => new TokenBucket(10, -1, 0)).toThrow(InvalidArgumentError);
    expect(() => new TokenBucket(Number.POSITIVE_INFINITY, 10, 0)).toThrow(InvalidArgumentError);
    expect(() => new TokenBucket(10, 10, Number.NaN)).toThrow(InvalidArgumentError);
    expect(b.ratePerSec).toBe(10);
    expect(b.burst).toBe(10);
  });
});
