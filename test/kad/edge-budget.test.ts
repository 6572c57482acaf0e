import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CONTROL_BUDGET, FORWARD_BUDGET, fullBucket, refill, take } from '../../src/kad/index.js';

describe('edge token buckets', () => {
  it('a control bucket passes its burst of 32 at one instant, then refills at 16/s', () => {
    const b = fullBucket(CONTROL_BUDGET, 1000);
    let passed = 0;
    for (let i = 0; i < 200; i++) if (take(b, CONTROL_BUDGET, 1000)) passed++;
    expect(passed).toBe(32);
    expect(take(b, CONTROL_BUDGET, 1062)).toBe(false); // 0.99 tokens earned
    expect(take(b, CONTROL_BUDGET, 1063)).toBe(true); // 1.008
    expect(take(b, CONTROL_BUDGET, 1063)).toBe(false);
  });

  it('a forward bucket passes exactly 1024 at one instant', () => {
    const b = fullBucket(FORWARD_BUDGET, 0);
    let passed = 0;
    for (let i = 0; i < 2000; i++) if (take(b, FORWARD_BUDGET, 0)) passed++;
    expect(passed).toBe(1024);
    expect(take(b, FORWARD_BUDGET, 1000)).toBe(true);
    expect(b.tokens).toBeCloseTo(511, 6);
  });

  it('refill caps at the burst and ignores a clock stepping backwards', () => {
    const b = { tokens: 0, lastRefillMs: 10_000 };
    refill(b, CONTROL_BUDGET, 5_000);
    expect(b).toEqual({ tokens: 0, lastRefillMs: 10_000 });
    refill(b, CONTROL_BUDGET, 11_000);
    expect(b.tokens).toBeCloseTo(16, 9);
    refill(b, CONTROL_BUDGET, 100_000);
    expect(b.tokens).toBe(32);
  });

  it('never admits more than burst + rate x elapsed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 300, size: 'max' }), (gaps) => {
        const b = fullBucket(CONTROL_BUDGET, 0);
        let now = 0;
        let passed = 0;
        for (const gap of gaps) {
          now += gap;
          if (take(b, CONTROL_BUDGET, now)) passed++;
          if (b.tokens < 0 || b.tokens > CONTROL_BUDGET.burst) throw new Error(`tokens out of range: ${b.tokens} at ${now}`);
        }
        expect(passed).toBeLessThanOrEqual(CONTROL_BUDGET.burst + Math.floor((now * CONTROL_BUDGET.ratePerSecond) / 1000));
      }),
    );
  });
});
