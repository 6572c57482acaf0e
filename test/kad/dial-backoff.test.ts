import { describe, it, expect } from 'vitest';
import { DIAL_BACKOFF_MAX_MS, DialBackoff } from '../../src/kad/index.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('DialBackoff', () => {
  it('doubles from 1 s to the 5 min ceiling', () => {
    const b = new DialBackoff();
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 11; i++) {
      const f = b.fail('k', now);
      delays.push(f.retryAtMs - now);
      now = f.retryAtMs;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000]);
  });

  it('is exhausted only after >= 3 consecutive failures while already at the ceiling', () => {
    const b = new DialBackoff({ baseMs: 1000, maxMs: 4000 });
    const results = [0, 1, 2, 3, 4].map((i) => b.fail('k', i * 10_000));
    // delays 1 s, 2 s, 4 s (ceiling reached on the 3rd failure), then at the ceiling.
    expect(results.map((r) => r.exhausted)).toEqual([false, false, false, true, true]);
    expect(results[3].failures).toBe(4);
    const quick = new DialBackoff({ baseMs: 1000, maxMs: 1000 });
    expect([0, 1, 2].map((i) => quick.fail('q', i).exhausted)).toEqual([false, false, true]);
  });

  it('blocks until the retry time, and clear starts over', () => {
    const b = new DialBackoff();
    b.fail('k', 0);
    expect(b.blocked('k', 999)).toBe(true);
    expect(b.blocked('k', 1000)).toBe(false);
    expect(b.blocked('other', 0)).toBe(false);
    b.fail('k', 1000);
    b.clear('k');
    expect(b.blocked('k', 1001)).toBe(false);
    expect(b.fail('k', 2000).retryAtMs).toBe(3000);
  });

  it('prunes entries nobody retried and stays within maxEntries', () => {
    const b = new DialBackoff({ maxEntries: 3 });
    b.fail('a', 0);
    b.prune(1000 + DIAL_BACKOFF_MAX_MS);
    expect(b.size).toBe(1);
    b.prune(1001 + DIAL_BACKOFF_MAX_MS);
    expect(b.size).toBe(0);
    b.fail('a', 0);
    b.fail('b', 10);
    b.fail('c', 20);
    b.fail('d', 30);
    expect(b.size).toBe(3);
    expect(b.blocked('a', 31)).toBe(false); // the earliest retry was dropped
    expect(b.blocked('d', 31)).toBe(true);
  });

  it('refuses nonsense options', () => {
    expect(() => new DialBackoff({ baseMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new DialBackoff({ baseMs: 10, maxMs: 5 })).toThrow(InvalidArgumentError);
    expect(() => new DialBackoff({ maxEntries: 0 })).toThrow(InvalidArgumentError);
  });
});
