import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RelayBudget } from '../../src/nat/index.js';

describe('RelayBudget', () => {
  it('caps relayed pairs; both directions share one slot', () => {
    const b = new RelayBudget({ maxSessions: 2 });
    expect(b.admit('a', 'b', 100, 0)).toBe('ok');
    expect(b.admit('b', 'a', 100, 0)).toBe('ok');
    expect(b.admit('a', 'c', 100, 0)).toBe('ok');
    expect(b.admit('d', 'e', 100, 0)).toBe('sessions-full');
    expect(b.sessions(0)).toBe(2);
  });

  it('frees a slot after the idle timeout, counted from the last packet', () => {
    const b = new RelayBudget({ maxSessions: 1, idleTimeoutMs: 1_000 });
    expect(b.admit('a', 'b', 10, 0)).toBe('ok');
    expect(b.admit('a', 'b', 10, 900)).toBe('ok');
    expect(b.admit('c', 'd', 10, 1_800)).toBe('sessions-full');
    expect(b.admit('c', 'd', 10, 1_900)).toBe('ok');
    expect(b.sessions(1_900)).toBe(1);
    expect(b.sessions(2_900)).toBe(0);
  });

  it('limits bytes per second per pair and refills with time', () => {
    const b = new RelayBudget({ bytesPerSecond: 1_000, packetsPerSecond: 1_000 });
    expect(b.admit('a', 'b', 600, 0)).toBe('ok');
    expect(b.admit('a', 'b', 600, 0)).toBe('rate-limited');
    // Another pair has its own bucket.
    expect(b.admit('a', 'c', 600, 0)).toBe('ok');
    expect(b.admit('a', 'b', 600, 200)).toBe('ok'); // 400 + 200 refilled
    expect(b.admit('a', 'b', 300, 200)).toBe('rate-limited');
  });

  it('limits packets per second per pair', () => {
    const b = new RelayBudget({ packetsPerSecond: 3 });
    for (let i = 0; i < 3; i++) expect(b.admit('a', 'b', 1, 0)).toBe('ok');
    expect(b.admit('a', 'b', 1, 0)).toBe('rate-limited');
    expect(b.admit('a', 'b', 1, 334)).toBe('ok');
  });

  it('rejects bad limits', () => {
    expect(() => new RelayBudget({ maxSessions: 0 })).toThrow(/maxSessions/);
    expect(() => new RelayBudget({ bytesPerSecond: Number.NaN })).toThrow(/bytesPerSecond/);
  });

  it('never relays more than its rate allows over any run', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 400 })), { maxLength: 200 }), (steps) => {
        const b = new RelayBudget({ bytesPerSecond: 1_000, packetsPerSecond: 20, maxSessions: 1 });
        let now = 0;
        let bytes = 0;
        let packets = 0;
        for (const [dt, size] of steps) {
          now += dt;
          if (b.admit('x', 'y', size, now) === 'ok') {
            bytes += size;
            packets++;
          }
        }
        // One second's burst plus the refill over the elapsed time.
        expect(bytes).toBeLessThanOrEqual(1_000 + now);
        expect(packets).toBeLessThanOrEqual(20 + (now * 20) / 1000 + 1e-9);
      }),
    );
  });
});
