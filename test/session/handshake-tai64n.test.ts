/** TAI64N labels of HandshakeInit (spec 4.1, editor's note 6) and the initiation replay guard (note 8). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InitiationReplayGuard } from '../../src/session/initiation-replay.js';
import { compareTai64n, tai64n, tai64nToMs } from '../../src/session/tai64n.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('tai64n', () => {
  it('writes 2^62 + unix seconds (BE) then nanoseconds (BE), no leap seconds (note 6)', () => {
    expect(hex(tai64n(0))).toBe('400000000000000000000000');
    // 2023-11-14T22:13:20.123Z = 1_700_000_000 s + 123 ms
    expect(hex(tai64n(1_700_000_000_123))).toBe('400000006553f100' + '0754d4c0');
    expect(hex(tai64n(1500))).toBe('4000000000000001' + '1dcd6500');
    // before 1970: one second earlier than the epoch label, plus 0.5 s
    expect(hex(tai64n(-500))).toBe('3fffffffffffffff' + '1dcd6500');
    // sub-millisecond fractions keep their nanoseconds
    expect(hex(tai64n(0.25))).toBe('4000000000000000' + '0003d090');
  });

  it('writes into a caller buffer and returns the 12-byte view', () => {
    const out = new Uint8Array(20).fill(0xff);
    const view = tai64n(1000, out);
    expect(view.length).toBe(12);
    expect(view.buffer).toBe(out.buffer);
    expect(hex(out)).toBe('400000000000000100000000' + 'ffffffffffffffff');
    expect(() => tai64n(0, new Uint8Array(11))).toThrow(/12 bytes/);
    expect(() => tai64n(Number.NaN)).toThrow(/finite/);
  });

  it('round-trips milliseconds and orders labels like the times they encode', () => {
    const times = fc.integer({ min: -1e13, max: 1e13 });
    fc.assert(
      fc.property(times, times, (a, b) => {
        expect(tai64nToMs(tai64n(a))).toBe(a);
        expect(Math.sign(compareTai64n(tai64n(a), tai64n(b)))).toBe(Math.sign(a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('tai64nToMs never throws: NaN for a wrong length or nanoseconds >= 10^9', () => {
    expect(tai64nToMs(new Uint8Array(11))).toBeNaN();
    const bad = tai64n(0);
    bad.set([0x3b, 0x9a, 0xca, 0x00], 8); // exactly 10^9 ns
    expect(tai64nToMs(bad)).toBeNaN();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        const ms = tai64nToMs(bytes);
        expect(typeof ms).toBe('number');
        if (bytes.length !== 12) expect(ms).toBeNaN();
      }),
      { numRuns: 300 },
    );
  });
});

describe('InitiationReplayGuard (editor\'s note 8)', () => {
  const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

  it('accepts only strictly newer timestamps per initiator key', () => {
    const guard = new InitiationReplayGuard();
    expect(guard.accept(key(1), tai64n(10_000))).toBe(true);
    expect(guard.accept(key(1), tai64n(10_000))).toBe(false); // exact replay
    expect(guard.accept(key(1), tai64n(9_999))).toBe(false); // older
    expect(guard.accept(key(2), tai64n(9_999))).toBe(true); // other keys are independent
    expect(guard.accept(key(1), tai64n(10_001))).toBe(true);
    expect(guard.accept(key(1), tai64n(10_000))).toBe(false);
  });

  it('keeps its own copy of the timestamp', () => {
    const guard = new InitiationReplayGuard();
    const ts = tai64n(5_000);
    expect(guard.accept(key(1), ts)).toBe(true);
    ts.fill(0); // the caller reusing its buffer must not lower the remembered value
    expect(guard.accept(key(1), tai64n(4_000))).toBe(false);
  });

  it('bounds memory by forgetting the least recently accepted key', () => {
    const guard = new InitiationReplayGuard(3);
    guard.accept(key(1), tai64n(100));
    guard.accept(key(2), tai64n(100));
    guard.accept(key(3), tai64n(100));
    guard.accept(key(1), tai64n(200)); // key 1 is now the most recent
    guard.accept(key(4), tai64n(100)); // evicts key 2
    expect(guard.size).toBe(3);
    expect(guard.accept(key(1), tai64n(200))).toBe(false);
    expect(guard.accept(key(3), tai64n(100))).toBe(false);
    expect(guard.accept(key(2), tai64n(100))).toBe(true); // forgotten, so judged by the time window alone
  });

  it('refuses malformed arguments instead of throwing, and a bad capacity at construction', () => {
    const guard = new InitiationReplayGuard();
    expect(guard.accept(new Uint8Array(31), tai64n(1))).toBe(false);
    expect(guard.accept(key(1), new Uint8Array(11))).toBe(false);
    expect(guard.size).toBe(0);
    expect(() => new InitiationReplayGuard(0)).toThrow(/positive integer/);
  });
});
