/**
 * Issue 8 item 4, scaled down for `npm test`: random and mutated datagrams (bit flips of captured valid
 * packets of every type, truncations, oversized datagrams, wrong receiver indices, type swaps, extreme
 * counters, forged fragment headers, replays), plus authenticated garbage from rogue sessions (huge
 * fragment counts, indices beyond the count, oversized LEN records, channel sprays) from a flooder process against a real node whose session with
 * a peer node (another process) carries a reliable stream and routed sends with acks. The full-size run
 * (60 s) is bench/flood.ts (`npx tsx bench/flood.ts`).
 */
import { describe, expect, it } from 'vitest';
import { runGarbageFlood } from '../../bench/flood/garbage-flood.js';
import { formatGarbageFlood } from '../../bench/flood/report.js';
import { makeGarbagePackets, GARBAGE_KINDS } from '../../bench/flood/garbage-packets.js';

const RATE_PER_SEC = 10_000;
const MiB = 1024 * 1024;

describe('garbage packet generation', () => {
  it('is reproducible from its seed and covers every kind', () => {
    const captured = [new Uint8Array([4, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, ...new Array(40).fill(7)]), new Uint8Array(148).fill(1)];
    const a = makeGarbagePackets({ captured, count: 90, seed: 3 });
    const b = makeGarbagePackets({ captured, count: 90, seed: 3 });
    expect(a.packets.map((p) => Buffer.from(p).toString('hex'))).toEqual(b.packets.map((p) => Buffer.from(p).toString('hex')));
    expect(new Set(a.kinds)).toEqual(new Set(GARBAGE_KINDS));
    // The captured packets themselves are never modified (mutations work on copies).
    expect(captured[1]!.every((x) => x === 1)).toBe(true);
  });
});

describe('garbage flood against a node with a busy session (real UDP, three processes)', () => {
  it(`no crash, no memory growth, the session keeps streaming and every acked send arrives during ${RATE_PER_SEC} datagrams/s`, async () => {
    const r = await runGarbageFlood({
      ratePerSec: RATE_PER_SEC,
      durations: { baselineMs: 1_500, floodMs: 5_000, floodWarmupMs: 500 },
      sockets: 64,
      distinctPackets: 4096,
    });
    console.log(formatGarbageFlood(r));
    expect(r.targetRunning).toBe(true);
    expect(r.blast.sent).toBeGreaterThan(RATE_PER_SEC);
    // Every packet type was captured, so every type was mutated.
    expect(Object.keys(r.capturedByType).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    // The session is unaffected: same session, channel open, the stream kept going, acked sends all arrived.
    expect(r.sessionUnchanged).toBe(true);
    expect(r.streamChannelOpen).toBe(true);
    expect(r.flood.stream.bytes).toBeGreaterThan(0);
    expect(r.routed.acked).toBeGreaterThan(0);
    expect(r.routed.failed).toBe(0);
    expect(r.routed.ackedNotDelivered).toBe(0);
    // Drops are counted by reason: the cheap header checks and the cryptographic ones all saw traffic.
    const c = r.flood.counters;
    for (const reason of ['malformed', 'unknown_index', 'unknown_type', 'replay', 'decrypt']) {
      expect(c[`drops.${reason}`] ?? 0, reason).toBeGreaterThan(0);
    }
    // Authenticated garbage from rogue sessions reached the fragment and frame checks behind the AEAD.
    expect(r.blast.rogue?.sessions ?? 0).toBeGreaterThanOrEqual(1);
    for (const reason of ['fragment_malformed', 'frame_malformed']) {
      expect(c[`drops.${reason}`] ?? 0, reason).toBeGreaterThan(0);
    }
    expect(c['drops.internal_error'] ?? 0).toBe(0);
    // The event loop stayed responsive (a loaded CI machine adds scheduling delay, hence the loose bound).
    expect(r.flood.target.eldP99Ms).toBeLessThan(1_000);
    // No memory growth beyond what the flood's buffers explain (bounded, not proportional to packets).
    expect(r.flood.target.heapEndBytes - r.flood.target.heapStartBytes).toBeLessThan(32 * MiB);
    expect(r.flood.target.rssMaxBytes - r.flood.target.rssStartBytes).toBeLessThan(256 * MiB);
  }, 40_000);
});
