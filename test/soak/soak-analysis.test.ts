/**
 * The soak's judging logic on made-up inputs: the growth criterion, delivery accounting, self-checking
 * payloads and the command line. These decide whether a multi-minute run passes, so they are checked
 * on cases where the answer is known.
 */
import { describe, expect, it } from 'vitest';
import { judgeGrowth, slopePerMinute, spread, thirds, type Point } from '../../bench/soak/growth.js';
import { deliveryProblems, tallyDeliveries, type SendRecord } from '../../bench/soak/ledger.js';
import { channelEvent, channelEventKey, fillerMatches, parseRouted, routedPayload } from '../../bench/soak/payload.js';
import { parseSoakArgs, SoakUsageError } from '../../bench/soak/options.js';
import type { ReceiverLedger } from '../../bench/soak/protocol.js';

const series = (n: number, f: (i: number) => number, stepMs = 1_000): Point[] => Array.from({ length: n }, (_, i) => ({ t: i * stepMs, v: f(i) }));
const LIMIT = { fraction: 0.15, slack: 100 };

describe('growth criterion', () => {
  it('splits the phase into three equal time windows and ignores samples outside it', () => {
    const [a, b, c] = thirds(series(12, (i) => i), 0, 9_000);
    expect(a.map((p) => p.v)).toEqual([0, 1, 2]);
    expect(b.map((p) => p.v)).toEqual([3, 4, 5]);
    expect(c.map((p) => p.v)).toEqual([6, 7, 8, 9]);
  });

  it('passes a flat noisy series and a warm-up ramp that levels off', () => {
    const noisy = series(30, (i) => 10_000 + ((i * 7919) % 13) * 10);
    expect(judgeGrowth(noisy, 0, 29_000, LIMIT, 2).ok).toBe(true);
    const warm = series(30, (i) => (i < 10 ? 1_000 * i : 10_000));
    const v = judgeGrowth(warm, 0, 29_000, LIMIT, 2);
    expect(v.ok).toBe(true);
    expect(v.slopePerMin).toBe(0);
  });

  it('fails a steady leak and reports its slope per minute', () => {
    // 1,000 units per second: the last third's max is far above the second third's.
    const leak = series(30, (i) => 10_000 + 1_000 * i);
    const v = judgeGrowth(leak, 0, 29_000, LIMIT, 2);
    expect(v.ok).toBe(false);
    expect(v.lastMax).toBe(39_000);
    expect(v.secondMax).toBe(29_000);
    expect(v.limit).toBeCloseTo(29_000 * 1.15 + 100);
    expect(slopePerMinute(leak)).toBeCloseTo(60_000);
  });

  it('refuses to judge thirds with too few samples', () => {
    const v = judgeGrowth(series(3, () => 1), 0, 2_000, LIMIT, 2);
    expect(v.enough).toBe(false);
    expect(v.ok).toBe(false);
  });

  it('spread gives min, median and max', () => {
    expect(spread([5, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 5 });
    expect(spread([])).toMatchObject({ min: NaN });
  });
});

describe('delivery accounting', () => {
  const ledger = (counts: Array<[number, number]>, extra: Partial<ReceiverLedger> = {}): ReceiverLedger => ({ counts, corrupt: 0, wrongSender: 0, wrongTarget: 0, ...extra });
  const send = (msgNo: number, from: number, to: number, acked: boolean, error: string | null = null): SendRecord => ({ msgNo, from, to, acked, error });

  it('counts acknowledged sends delivered once, unacknowledged ones by error, and finds no problem', () => {
    const sends = [send(0, 0, 1, true), send(1, 1, 2, true), send(2, 2, 1, false, 'TIMEOUT')];
    const t = tallyDeliveries(sends, [ledger([]), ledger([[0, 1], [2, 1]]), ledger([[1, 1]])]);
    expect(t).toMatchObject({ sends: 3, acked: 2, ackedDeliveredOnce: 2, lost: 0, duplicates: 0, unackedDelivered: 1, failedByError: { TIMEOUT: 1 } });
    expect(deliveryProblems(t)).toEqual([]);
  });

  it('flags a lost acknowledged send, a duplicate, a delivery at the wrong node and an unreported target', () => {
    const sends = [send(0, 0, 1, true), send(1, 0, 2, true), send(2, 1, 0, false, 'TIMEOUT'), send(3, 2, 3, true)];
    const t = tallyDeliveries(sends, [ledger([[2, 2]]), ledger([[1, 1]]), ledger([[1, 1]]), null]);
    expect(t.lost).toBe(1); // 0 never reached node 1
    expect(t.duplicates).toBe(1); // 2 delivered twice at node 0
    expect(t.misdelivered).toBe(1); // 1 also delivered at node 1
    expect(t.unverifiable).toBe(1); // node 3 never reported
    expect(deliveryProblems(t)).toHaveLength(4);
  });

  it('flags an acknowledged send delivered twice at its target', () => {
    const t = tallyDeliveries([send(0, 0, 1, true)], [ledger([]), ledger([[0, 2]])]);
    expect(t.ackedDeliveredOnce).toBe(0);
    expect(deliveryProblems(t).join(' ')).toMatch(/more than once/);
  });
});

describe('self-checking payloads', () => {
  it('a routed payload names its number, sender and target, and detects a flipped filler byte', () => {
    const p = routedPayload(42, 'aa', 'bb', 300);
    expect(p.length).toBe(300);
    expect(parseRouted(p)).toEqual({ msgNo: 42, from: 'aa', to: 'bb', intact: true });
    p[250] ^= 1;
    expect(parseRouted(p)?.intact).toBe(false);
    expect(parseRouted(new TextEncoder().encode('hello'))).toBeNull();
    expect(parseRouted(new TextEncoder().encode('soak x aa bb\n'))).toBeNull();
  });

  it('channel events differ between operations and positions, and compare byte for byte', () => {
    const e = channelEvent(7, 3, 64);
    expect(fillerMatches(e, channelEventKey(7, 3))).toBe(true);
    expect(fillerMatches(e, channelEventKey(7, 4))).toBe(false);
    expect(fillerMatches(e, channelEventKey(8, 3))).toBe(false);
  });
});

describe('npm run soak command line', () => {
  it('defaults to 50 nodes for 300 s and reads the flags', () => {
    expect(parseSoakArgs([])).toMatchObject({ nodes: 50, seconds: 300, seed: 1, json: false, write: false, sampleMs: 5_000, maintenance: 'default' });
    expect(parseSoakArgs(['--nodes', '10', '--seconds', '20', '--seed', '5', '--json', '--write'])).toMatchObject({ nodes: 10, seconds: 20, seed: 5, json: true, write: true, sampleMs: 666 });
  });

  it('rejects bad values with one sentence naming the flag', () => {
    expect(() => parseSoakArgs(['--nodes', '2'])).toThrow(SoakUsageError);
    expect(() => parseSoakArgs(['--nodes', '2'])).toThrow(/--nodes '2' is not valid/);
    expect(() => parseSoakArgs(['--seconds', 'abc'])).toThrow(/--seconds/);
    expect(() => parseSoakArgs(['--seconds', '10', '--sample-ms', '5000'])).toThrow(/too coarse/);
    expect(() => parseSoakArgs(['--bogus'])).toThrow(SoakUsageError);
  });
});
