import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Reassembler } from '../../src/session/reassembler.js';
import { REASSEMBLY_RETIRED_FRAME_IDS, REASSEMBLY_TIMEOUT_MS } from '../../src/session/constants.js';
import { InvalidArgumentError } from '../../src/errors.js';

/** Hex view for fast equality checks with readable failures (deep-equal on big arrays is slow). */
function hex(bytes: Uint8Array | null | undefined): string | null {
  return bytes == null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function frameBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 17 + (i >>> 8)) & 0xff;
  return out;
}

/** Splits into pieces of `size` bytes (the last one shorter), as a spec 9 sender does. */
function split(frame: Uint8Array, size: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let off = 0; off < frame.length; off += size) parts.push(frame.subarray(off, off + size));
  return parts;
}

describe('Reassembler', () => {
  it('reassembles fragments arriving in order', () => {
    const r = new Reassembler();
    const frame = frameBytes(100_000, 1);
    const parts = split(frame, 1192);
    for (let i = 0; i < parts.length - 1; i++) {
      expect(r.add(7, i, parts.length, parts[i], 1000 + i)).toBeNull();
      expect(r.pendingFrames).toBe(1);
    }
    const whole = r.add(7, parts.length - 1, parts.length, parts[parts.length - 1], 2000);
    expect(hex(whole)).toBe(hex(frame));
    expect(r.pendingFrames).toBe(0);
    expect(r.pendingBytes).toBe(0);
  });

  it('reassembles fragments arriving in any order, concatenated by index', () => {
    const frame = frameBytes(5000, 2);
    const parts = split(frame, 700); // 8 fragments, the last 100 bytes
    for (const order of [
      [7, 6, 5, 4, 3, 2, 1, 0],
      [3, 0, 7, 1, 6, 2, 5, 4],
      [7, 0, 1, 2, 3, 4, 5, 6], // the short last fragment first: the arena must grow later
    ]) {
      const r = new Reassembler();
      let whole: Uint8Array | null = null;
      for (const [n, i] of order.entries()) {
        whole = r.add(9, i, parts.length, parts[i], n);
        if (n < order.length - 1) expect(whole).toBeNull();
      }
      expect(hex(whole)).toBe(hex(frame));
      expect(r.pendingBytes).toBe(0);
    }
  });

  it('reassembles unevenly split frames', () => {
    const frame = frameBytes(3000, 3);
    const cuts = [0, 10, 1500, 1501, 2999, 3000];
    const parts = cuts.slice(1).map((end, i) => frame.subarray(cuts[i], end));
    const r = new Reassembler();
    const order = [2, 4, 0, 3, 1];
    let whole: Uint8Array | null = null;
    for (const i of order) whole = r.add(1, i, parts.length, parts[i], 0);
    expect(hex(whole)).toBe(hex(frame));
  });

  it('copies fragment data (the receive buffer is reused)', () => {
    const r = new Reassembler();
    const buf = new Uint8Array([1, 2, 3]);
    r.add(1, 0, 2, buf, 0);
    buf.fill(9);
    const whole = r.add(1, 1, 2, buf.subarray(0, 2), 0);
    expect(hex(whole)).toBe(hex(new Uint8Array([1, 2, 3, 9, 9])));
    buf.fill(0);
    expect(hex(whole)).toBe(hex(new Uint8Array([1, 2, 3, 9, 9])));
    const single = new Uint8Array([4, 5]);
    const out = r.add(2, 0, 1, single, 0);
    single[0] = 0;
    expect(hex(out)).toBe(hex(new Uint8Array([4, 5])));
  });

  it('accounts memory as arena plus 8 bytes of index per fragment', () => {
    const r = new Reassembler();
    const parts = split(frameBytes(250, 4), 100); // 100, 100, 50
    r.add(5, 0, 3, parts[0], 0);
    // Arena sized for 3 x 100 on the first fragment, index 3 x 8.
    expect(r.pendingBytes).toBe(300 + 24);
    r.add(5, 1, 3, parts[1], 0);
    expect(r.pendingBytes).toBe(324);
    r.add(5, 2, 3, parts[2], 0);
    expect(r.pendingBytes).toBe(0);
  });

  it('ignores and counts duplicate fragments, also after completion', () => {
    const r = new Reassembler();
    const parts = split(frameBytes(30, 5), 10);
    expect(r.add(3, 0, 3, parts[0], 0)).toBeNull();
    expect(r.add(3, 0, 3, parts[1], 0)).toBeNull();
    expect(r.drops.duplicate).toBe(1);
    r.add(3, 1, 3, parts[1], 0);
    expect(hex(r.add(3, 2, 3, parts[2], 0))).toBe(hex(frameBytes(30, 5)));
    // A late copy must not start a new partial frame.
    expect(r.add(3, 1, 3, parts[1], 0)).toBeNull();
    expect(r.pendingFrames).toBe(0);
    expect(r.pendingBytes).toBe(0);
    expect(r.drops.duplicate).toBe(2);
    // A late copy of a one-fragment frame is not delivered twice either.
    expect(hex(r.add(4, 0, 1, parts[0], 0))).toBe(hex(parts[0]));
    expect(r.add(4, 0, 1, parts[0], 0)).toBeNull();
    expect(r.drops.duplicate).toBe(3);
  });

  it('remembers only a bounded number of finished frame ids', () => {
    const r = new Reassembler();
    const piece = new Uint8Array([1]);
    r.add(0, 0, 2, piece, 0);
    r.add(0, 1, 2, piece, 0);
    expect(r.add(0, 0, 2, piece, 0)).toBeNull();
    expect(r.pendingFrames).toBe(0);
    for (let id = 1; id <= REASSEMBLY_RETIRED_FRAME_IDS; id++) r.add(id, 0, 1, piece, 0);
    // Frame 0 has been forgotten: its id can carry a new frame.
    expect(r.add(0, 0, 2, piece, 0)).toBeNull();
    expect(r.pendingFrames).toBe(1);
  });

  it('drops inconsistent fragments', () => {
    const r = new Reassembler();
    const d = new Uint8Array(4);
    r.add(1, 0, 3, d, 0);
    expect(r.add(1, 1, 4, d, 0)).toBeNull(); // frag_count disagrees
    expect(r.add(1, 3, 3, d, 0)).toBeNull(); // index past count
    expect(r.add(2, 0, 0, d, 0)).toBeNull(); // count 0
    expect(r.add(2, 0, 65_536, d, 0)).toBeNull(); // count beyond uint16
    expect(r.add(-1, 0, 2, d, 0)).toBeNull();
    expect(r.add(2 ** 32, 0, 2, d, 0)).toBeNull();
    expect(r.add(2, 0.5, 2, d, 0)).toBeNull();
    expect(r.add(2, -1, 2, d, 0)).toBeNull();
    expect(r.drops.inconsistent).toBe(8);
    expect(r.pendingFrames).toBe(1);
    // The frame itself is unharmed.
    r.add(1, 1, 3, d, 0);
    expect(hex(r.add(1, 2, 3, d, 0))).toBe(hex(new Uint8Array(12)));
  });

  it('buffers at most maxIncompleteFrames partial frames', () => {
    const r = new Reassembler({ maxIncompleteFrames: 2 });
    const d = new Uint8Array(10);
    r.add(1, 0, 2, d, 0);
    r.add(2, 0, 2, d, 0);
    expect(r.add(3, 0, 2, d, 0)).toBeNull();
    expect(r.drops.tooManyFrames).toBe(1);
    expect(r.pendingFrames).toBe(2);
    // Completing a frame makes room for new frames, but frame 3 lost a fragment and stays dropped.
    expect(hex(r.add(1, 1, 2, d, 0))).toBe(hex(new Uint8Array(20)));
    expect(r.add(3, 1, 2, d, 0)).toBeNull();
    expect(r.drops.late).toBe(1);
    expect(r.pendingFrames).toBe(1);
    r.add(4, 0, 2, d, 0);
    expect(hex(r.add(4, 1, 2, d, 0))).toBe(hex(new Uint8Array(20)));
  });

  it('keeps buffered memory within maxBytes and drops a frame that cannot fit', () => {
    const r = new Reassembler({ maxBytes: 10_000 });
    const frame = frameBytes(20_000, 6);
    const parts = split(frame, 1000);
    let whole: Uint8Array | null = null;
    for (let i = 0; i < parts.length; i++) {
      whole = r.add(1, i, parts.length, parts[i], 0);
      expect(r.pendingBytes).toBeLessThanOrEqual(10_000);
    }
    expect(whole).toBeNull();
    // The first refused fragment dooms the frame: its memory is released at once.
    // Index 160 bytes leaves 9840 for data: fragment 9 (bytes 9000..9999) is the first that cannot fit.
    expect(r.drops.tooManyBytes).toBe(1);
    expect(r.drops.late).toBe(10);
    expect(r.pendingBytes).toBe(0);
    expect(r.pendingFrames).toBe(0);
    // A frame that fits still works.
    const small = split(frameBytes(5000, 7), 1000);
    for (let i = 0; i < small.length; i++) whole = r.add(2, i, small.length, small[i], 0);
    expect(hex(whole)).toBe(hex(frameBytes(5000, 7)));
  });

  it('refuses a fragment when other partial frames hold the budget', () => {
    const r = new Reassembler({ maxBytes: 3100 });
    const piece = new Uint8Array(1000).fill(1);
    r.add(1, 0, 2, piece, 0); // reserves 2 x 1000 + 16 of index
    expect(r.pendingBytes).toBe(2016);
    r.add(2, 0, 2, piece, 0); // 2 x 1000 does not fit any more: takes the exact 1000
    expect(r.pendingBytes).toBe(3032);
    expect(r.add(3, 0, 2, piece, 0)).toBeNull(); // 16 + 1000 more cannot fit
    expect(r.drops.tooManyBytes).toBe(1);
    expect(r.pendingBytes).toBe(3032);
    expect(r.pendingFrames).toBe(2);
    expect(hex(r.add(1, 1, 2, piece, 0))).toBe(hex(new Uint8Array(2000).fill(1)));
    expect(r.pendingBytes).toBe(1016);
    // Frame 2 now has room to grow.
    expect(hex(r.add(2, 1, 2, piece, 0))).toBe(hex(new Uint8Array(2000).fill(1)));
    expect(r.pendingBytes).toBe(0);
  });

  it('gc drops partial frames idle for longer than the timeout', () => {
    const r = new Reassembler();
    const d = new Uint8Array(5);
    r.add(1, 0, 2, d, 0);
    r.add(2, 0, 2, d, 5_000);
    expect(r.gc(REASSEMBLY_TIMEOUT_MS)).toBe(0); // exactly the timeout is not longer than it
    expect(r.gc(REASSEMBLY_TIMEOUT_MS + 1)).toBe(1);
    expect(r.drops.expired).toBe(1);
    expect(r.pendingFrames).toBe(1);
    // Activity refreshes a frame.
    r.add(2, 1, 3, d, 20_000); // inconsistent: does not count as activity
    expect(r.gc(25_001)).toBe(1);
    expect(r.pendingFrames).toBe(0);
    expect(r.pendingBytes).toBe(0);
    // A straggler of an expired frame does not start it again.
    expect(r.add(1, 1, 2, d, 30_000)).toBeNull();
    expect(r.pendingFrames).toBe(0);
    expect(r.drops.late).toBe(1);
  });

  it('activity keeps a frame alive', () => {
    const r = new Reassembler({ timeoutMs: 100 });
    const d = new Uint8Array(1);
    r.add(1, 0, 5, d, 0);
    r.add(1, 1, 5, d, 90);
    r.add(1, 2, 5, d, 180);
    expect(r.gc(250)).toBe(0);
    expect(r.gc(281)).toBe(1);
  });

  it('reclaims expired frames when a new frame finds the table full', () => {
    const r = new Reassembler({ maxIncompleteFrames: 1, timeoutMs: 100 });
    const d = new Uint8Array(3);
    r.add(1, 0, 2, d, 0);
    expect(r.add(2, 0, 2, d, 50)).toBeNull();
    expect(r.drops.tooManyFrames).toBe(1);
    r.add(3, 0, 2, d, 101);
    expect(r.drops.expired).toBe(1);
    expect(hex(r.add(3, 1, 2, d, 102))).toBe(hex(new Uint8Array(6)));
  });

  it('rejects bad options', () => {
    expect(() => new Reassembler({ maxIncompleteFrames: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Reassembler({ maxBytes: -1 })).toThrow(InvalidArgumentError);
    expect(() => new Reassembler({ timeoutMs: 1.5 })).toThrow(InvalidArgumentError);
  });

  it('never throws and stays within its bounds on arbitrary input (fast-check)', () => {
    const fragment = fc.record({
      frameId: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -2, max: 2 ** 32 + 2 })),
      fragIndex: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -2, max: 70_000 })),
      fragCount: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -2, max: 70_000 })),
      data: fc.uint8Array({ maxLength: 700 }),
      dtMs: fc.nat(3_000),
      gc: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6_000 }),
        fc.array(fragment, { maxLength: 200 }),
        (maxIncompleteFrames, maxBytes, fragments) => {
          const r = new Reassembler({ maxIncompleteFrames, maxBytes, timeoutMs: 5_000 });
          let now = 0;
          for (const f of fragments) {
            now += f.dtMs;
            const out = r.add(f.frameId, f.fragIndex, f.fragCount, f.data, now);
            if (out !== null) expect(out).toBeInstanceOf(Uint8Array);
            if (f.gc) r.gc(now);
            expect(r.pendingFrames).toBeLessThanOrEqual(maxIncompleteFrames);
            expect(r.pendingBytes).toBeLessThanOrEqual(maxBytes);
            expect(r.pendingBytes).toBeGreaterThanOrEqual(0);
            if (r.pendingFrames === 0) expect(r.pendingBytes).toBe(0);
          }
          r.gc(now + 5_001);
          expect(r.pendingFrames).toBe(0);
          expect(r.pendingBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips interleaved, shuffled, duplicated fragment streams (fast-check)', () => {
    const frameSpec = fc.record({
      length: fc.integer({ min: 1, max: 6_000 }),
      pieceSize: fc.integer({ min: 1, max: 1_500 }),
      seed: fc.nat(255),
      unevenCuts: fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 5_999 }), { maxLength: 8 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(frameSpec, { minLength: 1, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        fc.array(fc.nat(), { maxLength: 30 }),
        (specs, randomness, duplicatePicks) => {
          const frames = specs.map((s) => frameBytes(s.length, s.seed));
          const all: Array<{ id: number; index: number; count: number; data: Uint8Array }> = [];
          specs.forEach((s, id) => {
            const frame = frames[id];
            let parts: Uint8Array[];
            if (s.unevenCuts !== undefined) {
              const cuts = [0, ...s.unevenCuts.filter((c) => c < frame.length).sort((a, b) => a - b), frame.length];
              parts = cuts.slice(1).map((end, i) => frame.subarray(cuts[i], end));
            } else {
              parts = split(frame, s.pieceSize);
            }
            parts.forEach((data, index) => all.push({ id: 1000 + id, index, count: parts.length, data }));
          });
          // Duplicates anywhere, then a seeded Fisher-Yates shuffle.
          for (const pick of duplicatePicks) all.push(all[pick % all.length]);
          const it = randomness[Symbol.iterator]();
          for (let i = all.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [all[i], all[j]] = [all[j], all[i]];
          }
          const r = new Reassembler({ maxIncompleteFrames: 8, maxBytes: 1 << 20 });
          const completed = new Map<number, Uint8Array>();
          for (const f of all) {
            const out = r.add(f.id, f.index, f.count, f.data, 0);
            if (out !== null) {
              expect(completed.has(f.id)).toBe(false);
              completed.set(f.id, out);
            }
          }
          expect(completed.size).toBe(frames.length);
          frames.forEach((frame, id) => expect(hex(completed.get(1000 + id))).toBe(hex(frame)));
          expect(r.pendingFrames).toBe(0);
          expect(r.pendingBytes).toBe(0);
          expect(r.drops.duplicate).toBe(duplicatePicks.length);
          expect(r.drops.tooManyBytes + r.drops.tooManyFrames + r.drops.inconsistent + r.drops.late).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
