/**
 * The pure parts of the handshake-flood defences (issue 8 item 3): load detection with its hold time
 * (spec 6 "under load"; WireGuard's UNDER_LOAD_AFTER_TIME) and the per-source rate limiters
 * (WireGuard's ratelimiter), driven by an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { HandshakeLoad } from '../../src/session/cookie-load.js';
import { SourceRateLimiter } from '../../src/session/cookie-ratelimit.js';

describe('HandshakeLoad', () => {
  it('is not under load up to the threshold in one second, and is from the next arrival on', () => {
    const load = new HandshakeLoad(3, 1000);
    const t = 10_000;
    expect([load.arrive(t), load.arrive(t + 1), load.arrive(t + 2)]).toEqual([false, false, false]);
    expect(load.arrive(t + 3)).toBe(true);
    expect(load.episodes).toBe(1);
    expect(load.arrive(t + 500)).toBe(true);
    expect(load.episodes).toBe(1);
  });

  it('stays under load for the hold time after the overloaded window, so a flood gets no DH at the start of each second', () => {
    const load = new HandshakeLoad(3, 1000);
    const t = 0;
    for (let i = 0; i < 10; i++) load.arrive(t + i);
    // The next window (1000..1999) starts with a fresh count, but the hold keeps the responder under load.
    expect(load.arrive(1000)).toBe(true);
    expect(load.underLoad(1999)).toBe(true);
    // Overloaded window 0..999 + 1000 ms hold: until 2000; an arrival at 1000 began a new window (count 1),
    // so nothing renewed the hold.
    expect(load.underLoad(2000)).toBe(false);
    expect(load.arrive(2000)).toBe(false);
    expect(load.episodes).toBe(1);
  });

  it('a flood that goes on renews the hold every window, and a new flood is a new episode', () => {
    const load = new HandshakeLoad(2, 1000);
    for (let s = 0; s < 5; s++) for (let i = 0; i < 5; i++) expect(load.arrive(s * 1000 + i) || i < 2).toBe(true);
    expect(load.underLoad(5999)).toBe(true);
    expect(load.episodes).toBe(1);
    // Quiet for a while, then a second flood.
    for (let i = 0; i < 5; i++) load.arrive(20_000 + i);
    expect(load.episodes).toBe(2);
  });

  it('a clock that steps backwards starts a new window instead of counting into the old one', () => {
    const load = new HandshakeLoad(2, 0);
    load.arrive(5000);
    load.arrive(5001);
    expect(load.arrive(4000)).toBe(false);
    expect(load.arrive(4001)).toBe(false);
    expect(load.arrive(4002)).toBe(true);
  });

  it('DH work over the time budget in one window puts the responder under load, well below the count threshold', () => {
    const load = new HandshakeLoad(2000, 1000, 50);
    expect(load.arrive(0)).toBe(false);
    load.charge(0, 30);
    expect(load.arrive(10)).toBe(false);
    load.charge(10, 30);
    // 60 ms of work in this second > 50 ms: under load for the rest of the window and the hold.
    expect(load.underLoad(11)).toBe(true);
    expect(load.arrive(11)).toBe(true);
    expect(load.episodes).toBe(1);
    expect(load.underLoad(1999)).toBe(true);
    expect(load.underLoad(2000)).toBe(false);
    // A new window starts with no cost: 40 ms is within the budget.
    load.charge(5000, 40);
    expect(load.arrive(5001)).toBe(false);
  });

  it('rejects a threshold that is not a whole number', () => {
    expect(() => new HandshakeLoad(1.5)).toThrow(/whole number/);
    expect(() => new HandshakeLoad(-1)).toThrow(/whole number/);
    expect(() => new HandshakeLoad(10, 1000, 0)).toThrow(/budget/);
  });
});

describe('SourceRateLimiter', () => {
  it('gives each source its burst, then its rate; other sources are not affected', () => {
    const rl = new SourceRateLimiter({ perSourcePerSec: 20, perSourceBurst: 5, maxSources: 100 }, 0);
    const a = Array.from({ length: 8 }, () => rl.allow('10.0.0.1', 0));
    expect(a.filter(Boolean).length).toBe(5);
    expect(rl.allow('10.0.0.2', 0)).toBe(true);
    // 20/s: one token per 50 ms.
    expect(rl.allow('10.0.0.1', 49)).toBe(false);
    expect(rl.allow('10.0.0.1', 50)).toBe(true);
    // Over 10 s at full pressure: burst + rate x time, never more.
    let granted = 0;
    for (let ms = 51; ms <= 10_050; ms++) if (rl.allow('10.0.0.3', ms)) granted++;
    expect(granted).toBeGreaterThanOrEqual(5 + 199);
    expect(granted).toBeLessThanOrEqual(5 + 200);
  });

  it('the total cap bounds all sources together', () => {
    const rl = new SourceRateLimiter({ perSourcePerSec: 1000, perSourceBurst: 1000, totalPerSec: 100, maxSources: 10_000 }, 0);
    let granted = 0;
    for (let i = 0; i < 1000; i++) if (rl.allow(`10.0.${i >> 8}.${i & 255}`, 0)) granted++;
    expect(granted).toBe(100);
    // One second later the total bucket is full again.
    granted = 0;
    for (let i = 0; i < 1000; i++) if (rl.allow(`10.1.${i >> 8}.${i & 255}`, 1000)) granted++;
    expect(granted).toBe(100);
  });

  it('holds at most maxSources entries; idle ones make room, busy ones are never evicted', () => {
    const rl = new SourceRateLimiter({ perSourcePerSec: 10, perSourceBurst: 2, maxSources: 3 }, 0);
    expect(['a', 'b', 'c'].map((s) => rl.allow(s, 0))).toEqual([true, true, true]);
    // Full and nobody idle: a new source is refused, the table does not grow.
    expect(rl.allow('d', 10)).toBe(false);
    expect(rl.size).toBe(3);
    // After burst/rate = 200 ms every entry is idle (its bucket full again): room for new sources.
    expect(rl.allow('d', 400)).toBe(true);
    expect(rl.size).toBeLessThanOrEqual(3);
    // A refused source keeps being refused while the table is full of busy entries (no per-packet scans).
    expect(rl.allow('e', 401)).toBe(rl.size < 3);
  });

  it('a clock that steps backwards refills nothing', () => {
    const rl = new SourceRateLimiter({ perSourcePerSec: 10, perSourceBurst: 1, maxSources: 10 }, 1000);
    expect(rl.allow('x', 1000)).toBe(true);
    expect(rl.allow('x', 500)).toBe(false);
    expect(rl.allow('x', 550)).toBe(false);
    expect(rl.allow('x', 600)).toBe(true);
  });

  it('rejects nonsense options with one clear sentence', () => {
    expect(() => new SourceRateLimiter({ perSourcePerSec: 0, perSourceBurst: 1, maxSources: 1 }, 0)).toThrow(/perSourcePerSec/);
    expect(() => new SourceRateLimiter({ perSourcePerSec: 1, perSourceBurst: 1, maxSources: 0 }, 0)).toThrow(/maxSources/);
  });
});
