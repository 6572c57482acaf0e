import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CHANNEL_CLOSE_EVENT_TYPE,
  FrameReader,
  decodeFrame,
  encodeFrame,
  eventRecordSize,
  frameSize,
  type DecodeResult,
  type Frame,
  type FrameFields,
} from '../../src/wire/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { parseProto, protoVarint } from './proto-reference.js';

function codeOf<T>(r: DecodeResult<T>): string {
  return r.ok ? 'ok' : r.error.code;
}

function decoded(bytes: number[]): Frame {
  const r = decodeFrame(Uint8Array.from(bytes));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function plain(frame: Frame) {
  return { ...frame, events: frame.events.map((e) => ({ type: e.type, payload: Array.from(e.payload) })) };
}

describe('frame layout (spec 10)', () => {
  it('encodes channel byte, field-1 LEN event records and the reliability fields in order 2..5', () => {
    const bytes = encodeFrame({
      channel: 7,
      events: [
        { type: 3, payload: Uint8Array.of(0xaa, 0xbb) },
        { type: 9, payload: new Uint8Array(0) },
      ],
      seq: 1,
      ackSeq: 300,
      ackBitmap: 0x0102030405060708n,
      windowSize: 256,
    });
    expect(Array.from(bytes)).toEqual([
      0x07, // channel
      0x0a, 0x03, 0x03, 0xaa, 0xbb, // event: tag, length 3, type 3, payload
      0x0a, 0x01, 0x09, // event with empty payload: body is just the type byte
      0x10, 0x01, // Seq 1
      0x18, 0xac, 0x02, // AckSeq 300
      0x21, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // AckBitmap, I64 little-endian
      0x28, 0x80, 0x02, // WindowSize 256
    ]);
  });

  it('omits zero reliability fields', () => {
    expect(Array.from(encodeFrame({ channel: 0, events: [{ type: 1, payload: Uint8Array.of(5) }] }))).toEqual([
      0x00, 0x0a, 0x02, 0x01, 0x05,
    ]);
    const allZero = encodeFrame({ channel: 0, events: [], seq: 0, ackSeq: 0, ackBitmap: 0n, windowSize: 0 });
    expect(Array.from(allZero)).toEqual([0x00]);
  });

  it('encodes and decodes a standalone ACK (no events, Seq 0)', () => {
    const bytes = encodeFrame({ channel: 1, events: [], ackSeq: 5, ackBitmap: 0b101n, windowSize: 16 });
    expect(Array.from(bytes)).toEqual([0x01, 0x18, 0x05, 0x21, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x28, 0x10]);
    expect(decodeFrame(bytes)).toEqual({
      ok: true,
      value: { channel: 1, events: [], seq: 0, ackSeq: 5, ackBitmap: 0b101n, windowSize: 16 },
    });
  });

  it('uses a two-byte length for a 200-byte payload', () => {
    const payload = Uint8Array.from({ length: 200 }, (_, i) => i);
    const bytes = encodeFrame({ channel: 2, events: [{ type: CHANNEL_CLOSE_EVENT_TYPE, payload }] });
    expect(Array.from(bytes.subarray(0, 5))).toEqual([0x02, 0x0a, 0xc9, 0x01, 0xff]); // length 201
    expect(bytes.length).toBe(1 + eventRecordSize(200));
    expect(eventRecordSize(200)).toBe(1 + 2 + 1 + 200);
    expect(eventRecordSize(0)).toBe(3);
    expect(eventRecordSize(126)).toBe(1 + 1 + 1 + 126);
    expect(eventRecordSize(127)).toBe(1 + 2 + 1 + 127);
  });

  it('writes into a caller buffer at an offset and returns the view', () => {
    const out = new Uint8Array(32).fill(0xee);
    const frame: FrameFields = { channel: 4, events: [{ type: 1, payload: Uint8Array.of(2) }], seq: 9 };
    const view = encodeFrame(frame, out, 16);
    expect(view.buffer).toBe(out.buffer);
    expect(view.byteOffset).toBe(16);
    expect(Array.from(view)).toEqual([0x04, 0x0a, 0x02, 0x01, 0x02, 0x10, 0x09]);
    expect(out[15]).toBe(0xee);
    expect(out[23]).toBe(0xee);
    expect(frameSize(frame)).toBe(7);
    expect(() => encodeFrame(frame, out, 26)).toThrow(InvalidArgumentError);
  });

  it('rejects out-of-range fields when encoding', () => {
    const e = [{ type: 1, payload: new Uint8Array(0) }];
    expect(() => encodeFrame({ channel: 256, events: e })).toThrow(InvalidArgumentError);
    expect(() => encodeFrame({ channel: 0, events: [{ type: -1, payload: new Uint8Array(0) }] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => encodeFrame({ channel: 0, events: e, seq: 2 ** 32 })).toThrow(InvalidArgumentError);
    expect(() => encodeFrame({ channel: 0, events: e, windowSize: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => encodeFrame({ channel: 0, events: e, ackBitmap: 1n << 64n })).toThrow(InvalidArgumentError);
    expect(() => encodeFrame({ channel: 0, events: e, ackBitmap: -1n })).toThrow(InvalidArgumentError);
  });
});

describe('decodeFrame', () => {
  it('decodes a hand-built frame with views into the input', () => {
    const buf = Uint8Array.of(0x05, 0x0a, 0x03, 0x07, 0xaa, 0xbb, 0x10, 0x2a);
    const r = decodeFrame(buf);
    if (!r.ok) throw new Error(r.error.message);
    expect(plain(r.value)).toEqual({
      channel: 5,
      events: [{ type: 7, payload: [0xaa, 0xbb] }],
      seq: 42,
      ackSeq: 0,
      ackBitmap: 0n,
      windowSize: 0,
    });
    expect(r.value.events[0].payload.buffer).toBe(buf.buffer);
    expect(r.value.events[0].payload.byteOffset).toBe(4);
  });

  it('accepts reliability fields in any order, between events, last one wins', () => {
    const f = decoded([0x09, 0x28, 0x03, 0x10, 0x05, 0x0a, 0x02, 0x01, 0xee, 0x18, 0x07, 0x10, 0x06, 0x0a, 0x01, 0x02]);
    expect(plain(f)).toEqual({
      channel: 9,
      events: [
        { type: 1, payload: [0xee] },
        { type: 2, payload: [] },
      ],
      seq: 6,
      ackSeq: 7,
      ackBitmap: 0n,
      windowSize: 3,
    });
    expect(decoded([0x00, 0x10, 0x05, 0x10, 0x00]).seq).toBe(0);
    expect(decoded([0x00, 0x21, 1, 0, 0, 0, 0, 0, 0, 0x80, 0x21, 2, 0, 0, 0, 0, 0, 0, 0]).ackBitmap).toBe(2n);
    expect(decoded([0x00, 0x21, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).ackBitmap).toBe(2n ** 64n - 1n);
  });

  it('accepts non-minimal varints for tags and lengths, as a proto decoder does', () => {
    const f = decoded([0x03, 0x8a, 0x00, 0x82, 0x00, 0x09, 0xee, 0x90, 0x80, 0x00, 0x85, 0x00]);
    expect(plain(f)).toMatchObject({ channel: 3, events: [{ type: 9, payload: [0xee] }], seq: 5 });
  });

  it('accepts the uint32 maximum and rejects one more', () => {
    expect(decoded([0x00, 0x10, 0xff, 0xff, 0xff, 0xff, 0x0f]).seq).toBe(0xffff_ffff);
    expect(codeOf(decodeFrame(Uint8Array.of(0x00, 0x10, 0x80, 0x80, 0x80, 0x80, 0x10)))).toBe('BAD_FIELD');
    expect(codeOf(decodeFrame(Uint8Array.of(0x00, 0x18, 0x80, 0x80, 0x80, 0x80, 0x10)))).toBe('BAD_FIELD');
    expect(codeOf(decodeFrame(Uint8Array.of(0x00, 0x28, 0x80, 0x80, 0x80, 0x80, 0x10)))).toBe('BAD_FIELD');
  });

  it('reports each malformation with its code', () => {
    const cases: Array<[number[], string]> = [
      [[], 'TOO_SHORT'],
      [[0x00, 0x0a, 0x00], 'EMPTY_EVENT'],
      [[0x00, 0x0a, 0x05, 0x01, 0x02], 'LENGTH_PAST_END'],
      [[0x00, 0x0a], 'TRUNCATED_VARINT'],
      [[0x00, 0x0a, 0x80], 'TRUNCATED_VARINT'],
      [[0x00, 0x10], 'TRUNCATED_VARINT'],
      [[0x00, 0x8a], 'TRUNCATED_VARINT'],
      [[0x00, 0x21, 1, 2, 3, 4, 5, 6, 7], 'LENGTH_PAST_END'],
      [[0x00, 0x10, ...new Array(10).fill(0xff), 0x01], 'VARINT_OVERFLOW'],
      [[0x00, 0x00], 'BAD_TAG'], // field 0
      [[0x00, 0x08, 0x01], 'BAD_TAG'], // field 1 as varint
      [[0x00, 0x12, 0x01, 0x00], 'BAD_TAG'], // field 2 as LEN
      [[0x00, 0x20, 0x01], 'BAD_TAG'], // field 4 as varint
      [[0x00, 0x29, 0, 0, 0, 0, 0, 0, 0, 0], 'BAD_TAG'], // field 5 as I64
      [[0x00, 0x30, 0x01], 'BAD_TAG'], // field 6
      [[0x00, 0x0d, 0, 0, 0, 0], 'BAD_TAG'], // field 1 as I32
      [[0x00, 0x0a, 0x01, 0x01, 0x7f], 'BAD_TAG'], // a stray byte after a valid event
    ];
    for (const [bytes, code] of cases) {
      expect([bytes, codeOf(decodeFrame(Uint8Array.from(bytes)))]).toEqual([bytes, code]);
    }
  });
});

describe('FrameReader', () => {
  it('parses a range of a larger buffer without copying and reports offsets', () => {
    const frame = encodeFrame({
      channel: 12,
      events: [
        { type: 1, payload: Uint8Array.of(1, 2, 3) },
        { type: 2, payload: new Uint8Array(0) },
      ],
      ackSeq: 4,
      ackBitmap: 0x8000_0000_0000_0001n,
      windowSize: 9,
    });
    const packet = new Uint8Array(16 + frame.length + 16).fill(0x0a);
    packet.set(frame, 16);
    const reader = new FrameReader();
    expect(reader.read(packet, 16, 16 + frame.length)).toBeNull();
    expect(reader.buffer).toBe(packet);
    expect(reader.channel).toBe(12);
    expect(reader.eventCount).toBe(2);
    expect(reader.eventType(0)).toBe(1);
    expect(reader.eventPayloadOffset(0)).toBe(16 + 4);
    expect(reader.eventPayloadLength(0)).toBe(3);
    expect(Array.from(reader.eventPayload(0))).toEqual([1, 2, 3]);
    expect(reader.eventType(1)).toBe(2);
    expect(reader.eventPayloadLength(1)).toBe(0);
    expect(reader.seq).toBe(0);
    expect(reader.ackSeq).toBe(4);
    expect(reader.ackBitmapLow).toBe(1);
    expect(reader.ackBitmapHigh).toBe(0x8000_0000);
    expect(reader.ackBitmap).toBe(0x8000_0000_0000_0001n);
    expect(reader.windowSize).toBe(9);
    // The bytes after `end` (0x0a filler) are not part of the frame.
    expect(reader.read(packet, 16, 16 + frame.length + 1)?.code).toBe('TRUNCATED_VARINT');
    expect(() => reader.read(packet, 10, 5)).toThrow(InvalidArgumentError);
  });

  it('is reusable: grows past its initial slots and resets fields between reads', () => {
    const reader = new FrameReader();
    const many = encodeFrame({
      channel: 1,
      events: Array.from({ length: 300 }, (_, i) => ({ type: i & 0xff, payload: Uint8Array.of(i >> 8, i & 0xff) })),
      seq: 77,
    });
    expect(reader.read(many)).toBeNull();
    expect(reader.eventCount).toBe(300);
    for (let i = 0; i < 300; i++) {
      expect(reader.eventType(i)).toBe(i & 0xff);
      expect(Array.from(reader.eventPayload(i))).toEqual([i >> 8, i & 0xff]);
    }
    expect(reader.read(Uint8Array.of(3))).toBeNull();
    expect([reader.channel, reader.eventCount, reader.seq]).toEqual([3, 0, 0]);
    reader.clear();
    expect(reader.buffer.length).toBe(0);
    expect(reader.eventCount).toBe(0);
  });

  it('caps the number of events with TOO_MANY', () => {
    const reader = new FrameReader(2);
    const e = { type: 1, payload: new Uint8Array(0) };
    expect(reader.read(encodeFrame({ channel: 0, events: [e, e] }))).toBeNull();
    expect(reader.read(encodeFrame({ channel: 0, events: [e, e, e] }))?.code).toBe('TOO_MANY');
  });
});

const uint32 = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 }), fc.nat({ max: 0xffff_ffff }));
const eventArb = fc.record({ type: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 300 }) });
const frameArb: fc.Arbitrary<Required<FrameFields>> = fc.record({
  channel: fc.integer({ min: 0, max: 255 }),
  events: fc.array(eventArb, { maxLength: 6 }),
  seq: uint32,
  ackSeq: uint32,
  ackBitmap: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  windowSize: uint32,
});

/** Byte strings shaped like frames (valid records, wrong lengths, stray tags, truncation) to reach deep paths. */
const frameLikeBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.array(
      fc.oneof(
        fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.integer({ min: -2, max: 2 })).map(([body, skew]) => [
          0x0a,
          ...protoVarint(Math.max(0, body.length + skew)),
          ...body,
        ]),
        fc.tuple(fc.constantFrom(0x10, 0x18, 0x28), fc.bigInt({ min: 0n, max: (1n << 70n) - 1n })).map(([tag, v]) => [
          tag,
          ...protoVarint(v),
        ]),
        fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => [0x21, ...b]),
        fc.uint8Array({ maxLength: 3 }).map((b) => Array.from(b)),
      ),
      { maxLength: 6 },
    ),
    fc.nat(3),
  )
  .map(([channel, pieces, cut]) => {
    const bytes = [channel, ...pieces.flat()];
    return Uint8Array.from(bytes.slice(0, Math.max(0, bytes.length - (cut === 3 ? 1 : 0))));
  });

const anyFrameBytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), frameLikeBytes);

/** What spec 10 says a frame holds, computed from the generic proto parse; null when it is not a valid frame. */
function frameFromProto(buf: Uint8Array): Frame | null {
  if (buf.length === 0) return null;
  const fields = parseProto(buf.subarray(1));
  if (fields === null) return null;
  const frame: Frame = { channel: buf[0], events: [], seq: 0, ackSeq: 0, ackBitmap: 0n, windowSize: 0 };
  for (const f of fields) {
    if (f.field === 1 && f.wireType === 2) {
      if (f.bytes.length === 0) return null;
      frame.events.push({ type: f.bytes[0], payload: f.bytes.subarray(1) });
    } else if ((f.field === 2 || f.field === 3 || f.field === 5) && f.wireType === 0) {
      if (f.value > 0xffff_ffffn) return null;
      const v = Number(f.value);
      if (f.field === 2) frame.seq = v;
      else if (f.field === 3) frame.ackSeq = v;
      else frame.windowSize = v;
    } else if (f.field === 4 && f.wireType === 1) {
      frame.ackBitmap = f.value;
    } else {
      return null;
    }
  }
  return frame;
}

describe('frame properties', () => {
  it('decodeFrame never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(anyFrameBytes, (buf) => {
        const r = decodeFrame(buf);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(typeof r.error.code).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with a generic protobuf parse on arbitrary bytes: the format is proto wire format', () => {
    fc.assert(
      fc.property(anyFrameBytes, (buf) => {
        const expected = frameFromProto(buf);
        const r = decodeFrame(buf);
        if (expected === null) {
          expect(r.ok).toBe(false);
        } else {
          expect(r.ok).toBe(true);
          if (r.ok) expect(plain(r.value)).toEqual(plain(expected));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips valid frames: encode -> decode -> equal, frameSize is exact', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const bytes = encodeFrame(frame);
        expect(bytes.length).toBe(frameSize(frame));
        const r = decodeFrame(bytes);
        expect(r.ok).toBe(true);
        if (r.ok) expect(plain(r.value)).toEqual(plain({ ...frame, events: [...frame.events] }));
      }),
      { numRuns: 1000 },
    );
  });

  it('encoded frames parse generically as field-1 records then fields 2, 3, 4, 5 in order', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const bytes = encodeFrame(frame);
        expect(bytes[0]).toBe(frame.channel);
        const fields = parseProto(bytes.subarray(1));
        expect(fields).not.toBeNull();
        if (fields === null) return;
        const events = fields.filter((f) => f.field === 1);
        expect(events.length).toBe(frame.events.length);
        events.forEach((f, i) => {
          expect(f.wireType).toBe(2);
          if (f.wireType === 2) expect(Array.from(f.bytes)).toEqual([frame.events[i].type, ...frame.events[i].payload]);
        });
        const trailer = fields.slice(events.length).map((f) => [f.field, f.wireType, 'value' in f ? f.value : -1n]);
        const expected: Array<[number, number, bigint]> = [];
        if (frame.seq !== 0) expected.push([2, 0, BigInt(frame.seq)]);
        if (frame.ackSeq !== 0) expected.push([3, 0, BigInt(frame.ackSeq)]);
        if (frame.ackBitmap !== 0n) expected.push([4, 1, frame.ackBitmap]);
        if (frame.windowSize !== 0) expected.push([5, 0, BigInt(frame.windowSize)]);
        expect(trailer).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('any frame it accepts re-encodes to a frame that decodes to the same value', () => {
    fc.assert(
      fc.property(anyFrameBytes, (buf) => {
        const r = decodeFrame(buf);
        if (!r.ok) return;
        const again = decodeFrame(encodeFrame(r.value));
        expect(again.ok).toBe(true);
        if (again.ok) expect(plain(again.value)).toEqual(plain(r.value));
      }),
      { numRuns: 2000 },
    );
  });
});
