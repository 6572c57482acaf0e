import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_MAX_PACKET_SIZE,
  FRAME_TRAILER_MAX_SIZE,
  FrameWriter,
  SIZE_AEAD_TAG,
  SIZE_DATA_HEADER,
  decodeFrame,
  encodeFrame,
  eventRecordSize,
} from '../../src/wire/index.js';
import { InvalidArgumentError, WiremeshError } from '../../src/errors.js';

const MAX_PLAIN = DEFAULT_MAX_PACKET_SIZE - SIZE_DATA_HEADER - SIZE_AEAD_TAG;

describe('FrameWriter', () => {
  it('FRAME_TRAILER_MAX_SIZE is the largest possible trailer (27 bytes)', () => {
    expect(FRAME_TRAILER_MAX_SIZE).toBe(27);
    const w = new FrameWriter(new Uint8Array(64), 0, 64);
    w.begin(0);
    const total = w.finish(0xffff_ffff, 0xffff_ffff, (1n << 64n) - 1n, 0xffff_ffff);
    expect(total).toBe(1 + FRAME_TRAILER_MAX_SIZE);
  });

  it('writes exactly what encodeFrame writes, at the offset', () => {
    const buf = new Uint8Array(100).fill(0xee);
    const w = new FrameWriter(buf, 16, 60);
    w.begin(5);
    expect(w.length).toBe(1);
    expect(w.tryAddEvent(1, Uint8Array.of(9, 8))).toBe(true);
    expect(w.tryAddEvent(2, new Uint8Array(0))).toBe(true);
    expect(w.eventCount).toBe(2);
    expect(w.length).toBe(1 + 5 + 3);
    const total = w.finish(3, 4, 5n, 6);
    const expected = encodeFrame({
      channel: 5,
      events: [
        { type: 1, payload: Uint8Array.of(9, 8) },
        { type: 2, payload: new Uint8Array(0) },
      ],
      seq: 3,
      ackSeq: 4,
      ackBitmap: 5n,
      windowSize: 6,
    });
    expect(total).toBe(expected.length);
    expect(w.length).toBe(total);
    expect(buf.subarray(16, 16 + total)).toEqual(expected);
    expect(buf[15]).toBe(0xee);
    expect(buf[16 + total]).toBe(0xee);
  });

  it('coalesces until full: every accepted event decodes in order and capacity is never exceeded', () => {
    const capacity = MAX_PLAIN;
    const buf = new Uint8Array(SIZE_DATA_HEADER + capacity + 64).fill(0xcc);
    const w = new FrameWriter(buf, SIZE_DATA_HEADER, capacity);
    w.begin(1);
    const added: Array<{ type: number; payload: number[] }> = [];
    let i = 0;
    for (;;) {
      const payload = Uint8Array.from({ length: (i * 37) % 90 }, (_, j) => (i + j) & 0xff);
      const before = w.length;
      if (!w.tryAddEvent(i % 255, payload)) {
        expect(w.length).toBe(before); // nothing written on refusal
        expect(before + eventRecordSize(payload.length) + FRAME_TRAILER_MAX_SIZE).toBeGreaterThan(capacity);
        break;
      }
      added.push({ type: i % 255, payload: Array.from(payload) });
      i++;
    }
    expect(added.length).toBeGreaterThan(10);
    const total = w.finish(0xffff_ffff, 0xffff_ffff, (1n << 64n) - 1n, 0xffff_ffff);
    expect(total).toBeLessThanOrEqual(capacity);
    // Bytes past the capacity are untouched.
    expect(Array.from(buf.subarray(SIZE_DATA_HEADER + capacity))).toEqual(new Array(64).fill(0xcc));
    const r = decodeFrame(buf.subarray(SIZE_DATA_HEADER, SIZE_DATA_HEADER + total));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.channel).toBe(1);
    expect(r.value.events.map((e) => ({ type: e.type, payload: Array.from(e.payload) }))).toEqual(added);
    expect(r.value.seq).toBe(0xffff_ffff);
  });

  it('accepts an event that leaves exactly FRAME_TRAILER_MAX_SIZE bytes free, refuses one byte more', () => {
    const capacity = 1 + eventRecordSize(50) + FRAME_TRAILER_MAX_SIZE;
    const w = new FrameWriter(new Uint8Array(capacity), 0, capacity);
    w.begin(0);
    expect(w.maxPayloadLength).toBe(50);
    expect(w.tryAddEvent(0, new Uint8Array(51))).toBe(false);
    expect(w.tryAddEvent(0, new Uint8Array(50))).toBe(true);
    expect(w.maxPayloadLength).toBe(-1);
    expect(w.tryAddEvent(0, new Uint8Array(0))).toBe(false);
  });

  it('maxPayloadLength is the largest payload tryAddEvent accepts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 28, max: 20_000 }), fc.nat({ max: 300 }), (capacity, first) => {
        const w = new FrameWriter(new Uint8Array(capacity), 0, capacity);
        w.begin(0);
        if (w.maxPayloadLength >= first) expect(w.tryAddEvent(1, new Uint8Array(first))).toBe(true);
        const max = w.maxPayloadLength;
        if (max >= 0) {
          expect(w.tryAddEvent(1, new Uint8Array(max + 1))).toBe(false);
          expect(w.tryAddEvent(1, new Uint8Array(max))).toBe(true);
        } else {
          expect(w.tryAddEvent(1, new Uint8Array(0))).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('encodes a standalone ACK', () => {
    const buf = new Uint8Array(40);
    const w = new FrameWriter(buf, 0, 40);
    w.begin(3);
    const total = w.finish(0, 10, 0n, 256);
    expect(Array.from(buf.subarray(0, total))).toEqual([3, 0x18, 0x0a, 0x28, 0x80, 0x02]);
    expect(decodeFrame(buf.subarray(0, total))).toEqual({
      ok: true,
      value: { channel: 3, events: [], seq: 0, ackSeq: 10, ackBitmap: 0n, windowSize: 256 },
    });
  });

  it('is reusable: begin restarts, reset moves to another buffer', () => {
    const a = new Uint8Array(64);
    const w = new FrameWriter(a, 0, 64);
    w.begin(1);
    w.tryAddEvent(1, Uint8Array.of(1, 1, 1));
    w.finish(7);
    w.begin(2);
    expect(w.eventCount).toBe(0);
    expect(w.length).toBe(1);
    w.tryAddEvent(2, Uint8Array.of(2));
    const n = w.finish();
    expect(Array.from(a.subarray(0, n))).toEqual([2, 0x0a, 0x02, 0x02, 0x02]);
    const b = new Uint8Array(80);
    w.reset(b, 10, 50);
    w.begin(4);
    const m = w.finish(1);
    expect(Array.from(b.subarray(10, 10 + m))).toEqual([4, 0x10, 0x01]);
  });

  it('allows an empty placeholder until begin, then checks state and arguments', () => {
    const w = new FrameWriter(new Uint8Array(0), 0, 0);
    expect(w.maxPayloadLength).toBe(-1);
    expect(() => w.begin(0)).toThrow(InvalidArgumentError);
    expect(() => w.tryAddEvent(0, new Uint8Array(0))).toThrow(WiremeshError);
    expect(() => w.finish()).toThrow(WiremeshError);
    expect(() => w.reset(new Uint8Array(10), 5, 6)).toThrow(InvalidArgumentError);
    w.reset(new Uint8Array(28), 0, 28);
    expect(() => w.begin(256)).toThrow(InvalidArgumentError);
    w.begin(0);
    expect(() => w.tryAddEvent(256, new Uint8Array(0))).toThrow(InvalidArgumentError);
    expect(() => w.finish(-1)).toThrow(InvalidArgumentError);
    expect(() => w.finish(0, 0, 1n << 64n)).toThrow(InvalidArgumentError);
    expect(w.finish()).toBe(1);
    expect(() => w.finish()).toThrow(WiremeshError);
    expect(() => w.tryAddEvent(0, new Uint8Array(0))).toThrow(WiremeshError);
  });

  it('round-trips arbitrary event batches through the writer', () => {
    const events = fc.array(
      fc.record({ type: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 200 }) }),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 28, max: 2000 }),
        events,
        fc.nat({ max: 0xffff_ffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (capacity, batch, seq, bitmap) => {
          const buf = new Uint8Array(capacity + 8);
          const w = new FrameWriter(buf, 8, capacity);
          w.begin(9);
          const accepted = [];
          for (const e of batch) {
            if (w.tryAddEvent(e.type, e.payload)) accepted.push(e);
          }
          const total = w.finish(seq, seq, bitmap, seq);
          expect(total).toBeLessThanOrEqual(capacity);
          const r = decodeFrame(buf.subarray(8, 8 + total));
          expect(r).toEqual({
            ok: true,
            value: { channel: 9, events: accepted, seq, ackSeq: seq, ackBitmap: bitmap, windowSize: seq },
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FrameWriter records and tryAppendRecords (reliable re-send)', () => {
  it('re-sends the same events under fresh reliability fields', () => {
    const buf = new Uint8Array(1200);
    const w = new FrameWriter(buf, 16, 1184);
    w.begin(7);
    expect(w.tryAddEvent(1, new Uint8Array([1, 2, 3]))).toBe(true);
    expect(w.tryAddEvent(2, new Uint8Array(0))).toBe(true);
    const records = w.records.slice();
    w.finish(5, 3, 0n, 100);
    expect(Array.from(w.records)).toEqual(Array.from(records));

    const out = new Uint8Array(600);
    const w2 = new FrameWriter(out, 0, 600);
    w2.begin(7);
    expect(w2.tryAppendRecords(records, 2)).toBe(true);
    expect(w2.eventCount).toBe(2);
    const len = w2.finish(5, 9, 1n, 42);
    const f = decodeFrame(out.subarray(0, len));
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.value.channel).toBe(7);
    expect(f.value.events.map((e) => [e.type, Array.from(e.payload)])).toEqual([
      [1, [1, 2, 3]],
      [2, []],
    ]);
    expect([f.value.seq, f.value.ackSeq, f.value.ackBitmap, f.value.windowSize]).toEqual([5, 9, 1n, 42]);
  });

  it('refuses records that leave no room for the trailer and writes nothing', () => {
    const out = new Uint8Array(64);
    const w = new FrameWriter(out, 0, 64);
    w.begin(1);
    expect(w.tryAppendRecords(new Uint8Array(64 - 1 - FRAME_TRAILER_MAX_SIZE + 1), 1)).toBe(false);
    expect(w.length).toBe(1);
    expect(w.tryAppendRecords(new Uint8Array(64 - 1 - FRAME_TRAILER_MAX_SIZE), 1)).toBe(true);
  });
});
