import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MAX_SAFE_COUNTER,
  PACKET_DATA,
  PACKET_DATA_FRAGMENT,
  PACKET_DISCONNECT,
  PACKET_KEEPALIVE,
  decodeFragment,
  readCounter,
  readFragmentCount,
  readFragmentFrameId,
  readFragmentIndex,
  readReceiverIndex,
  validateFragment,
  validateTransportPacket,
  writeFragmentHeader,
  writeTransportHeader,
} from '../../src/wire/index.js';
import { InvalidArgumentError } from '../../src/errors.js';

function packet(type: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  b[0] = type;
  return b;
}

function codeOf(buf: Uint8Array): string {
  return validateTransportPacket(buf)?.code ?? 'ok';
}

describe('transport header (spec 4.4-4.7)', () => {
  it('reads receiver_index at 4 and counter at 8, both little-endian', () => {
    const b = packet(PACKET_DATA, 32);
    b.set([0x01, 0x02, 0x03, 0x04], 4);
    b.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x07, 0x00], 8);
    expect(readReceiverIndex(b)).toBe(0x04030201);
    expect(readCounter(b)).toBe(0x07_6655_4433_2211);
    expect(codeOf(b)).toBe('ok');
  });

  it('writes type, zero reserved bytes, receiver_index and counter', () => {
    const out = new Uint8Array(20).fill(0xee);
    writeTransportHeader(out, PACKET_KEEPALIVE, 0xdeadbeef, 2 ** 40 + 5);
    expect(Array.from(out.subarray(0, 16))).toEqual([
      6, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, 5, 0, 0, 0, 0, 1, 0, 0,
    ]);
    expect(Array.from(out.subarray(16))).toEqual([0xee, 0xee, 0xee, 0xee]);
    writeTransportHeader(out, PACKET_DATA, 7, MAX_SAFE_COUNTER);
    expect(readCounter(out)).toBe(MAX_SAFE_COUNTER);
    expect(Array.from(out.subarray(8, 16))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00]);
  });

  it('writeTransportHeader rejects programmer errors', () => {
    const out = new Uint8Array(16);
    expect(() => writeTransportHeader(out, 3, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => writeTransportHeader(out, 8, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => writeTransportHeader(out, 4, 2 ** 32, 0)).toThrow(InvalidArgumentError);
    expect(() => writeTransportHeader(out, 4, 0, -1)).toThrow(InvalidArgumentError);
    expect(() => writeTransportHeader(out, 4, 0, 2 ** 53)).toThrow(InvalidArgumentError);
    expect(() => writeTransportHeader(new Uint8Array(15), 4, 0, 0)).toThrow(InvalidArgumentError);
  });
});

describe('validateTransportPacket', () => {
  it('enforces the minimum and exact sizes per type', () => {
    expect(codeOf(packet(PACKET_DATA, 31))).toBe('TOO_SHORT');
    expect(codeOf(packet(PACKET_DATA, 32))).toBe('ok');
    expect(codeOf(packet(PACKET_DATA, 1232))).toBe('ok');
    for (const type of [PACKET_DISCONNECT, PACKET_KEEPALIVE]) {
      expect(codeOf(packet(type, 31))).toBe('TOO_SHORT');
      expect(codeOf(packet(type, 32))).toBe('ok');
      expect(codeOf(packet(type, 33))).toBe('BAD_SIZE');
    }
    expect(codeOf(packet(PACKET_DATA_FRAGMENT, 39))).toBe('TOO_SHORT');
    expect(codeOf(packet(PACKET_DATA_FRAGMENT, 40))).toBe('ok');
    expect(codeOf(packet(PACKET_DATA, 15))).toBe('TOO_SHORT');
    expect(codeOf(new Uint8Array(0))).toBe('TOO_SHORT');
  });

  it('rejects other type tags: handshakes as WRONG_TYPE, punch probes and unknown tags as UNKNOWN_TYPE', () => {
    for (const type of [1, 2, 3]) expect(codeOf(packet(type, 64))).toBe('WRONG_TYPE');
    for (const type of [0, 8, 100, 255]) expect(codeOf(packet(type, 64))).toBe('UNKNOWN_TYPE');
  });

  it('rejects non-zero reserved bytes', () => {
    for (const i of [1, 2, 3]) {
      const b = packet(PACKET_DATA, 40);
      b[i] = 0x01;
      expect(codeOf(b)).toBe('RESERVED_NONZERO');
    }
  });

  it('rejects counters above 2^53-1', () => {
    const b = packet(PACKET_DATA, 40);
    writeTransportHeader(b, PACKET_DATA, 1, MAX_SAFE_COUNTER);
    expect(codeOf(b)).toBe('ok');
    b[14] = 0x20; // 2^53
    expect(codeOf(b)).toBe('BAD_FIELD');
    b.fill(0xff, 8, 16); // 2^64-1
    expect(codeOf(b)).toBe('BAD_FIELD');
  });

  it('never throws and agrees with the spec rules on arbitrary bytes; header round-trips', () => {
    const headerish = fc
      .tuple(fc.integer({ min: 0, max: 9 }), fc.uint8Array({ minLength: 0, maxLength: 60 }), fc.boolean())
      .map(([type, rest, zeroReserved]) => {
        const b = new Uint8Array(rest.length + 1);
        b[0] = type;
        b.set(rest, 1);
        if (zeroReserved) b.fill(0, 1, Math.min(4, b.length));
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), headerish), (b) => {
        const error = validateTransportPacket(b);
        const type = b.length > 0 ? b[0] : -1;
        const minimum = type === 4 ? 32 : type === 7 ? 40 : 32;
        const sizeOk = type === 5 || type === 6 ? b.length === 32 : b.length >= minimum;
        const valid =
          type >= 4 &&
          type <= 7 &&
          sizeOk &&
          b[1] === 0 &&
          b[2] === 0 &&
          b[3] === 0 &&
          b[14] < 0x20 &&
          b[15] === 0;
        expect(error === null).toBe(valid);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 7 }),
        fc.nat({ max: 0xffff_ffff }),
        fc.maxSafeNat(),
        (type, receiverIndex, counter) => {
          const b = new Uint8Array(40);
          writeTransportHeader(b, type, receiverIndex, counter);
          const size = type === 5 || type === 6 ? 32 : 40;
          expect(validateTransportPacket(b.subarray(0, size))).toBeNull();
          expect(readReceiverIndex(b)).toBe(receiverIndex);
          expect(readCounter(b)).toBe(counter);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('fragment sub-header (spec 4.7)', () => {
  it('reads frame_id, frag_index, frag_count little-endian and views the data', () => {
    const plain = Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x00, 0x00, 0x01, 0xaa, 0xbb);
    const r = decodeFragment(plain);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.frameId).toBe(0x04030201);
    expect(r.value.fragIndex).toBe(5);
    expect(r.value.fragCount).toBe(256);
    expect(Array.from(r.value.data)).toEqual([0xaa, 0xbb]);
    expect(r.value.data.buffer).toBe(plain.buffer);
    expect(readFragmentFrameId(plain)).toBe(0x04030201);
    expect(readFragmentIndex(plain)).toBe(5);
    expect(readFragmentCount(plain)).toBe(256);
  });

  it('writes the header at an offset', () => {
    const out = new Uint8Array(26).fill(0xee);
    writeFragmentHeader(out, 16, 0xa1b2c3d4, 0x0102, 0xfffe);
    expect(Array.from(out.subarray(16, 24))).toEqual([0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x01, 0xfe, 0xff]);
    expect(out[15]).toBe(0xee);
    expect(out[24]).toBe(0xee);
  });

  it('rejects short plaintexts, frag_count 0 and frag_index >= frag_count', () => {
    expect(validateFragment(new Uint8Array(7))?.code).toBe('TOO_SHORT');
    expect(validateFragment(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0))?.code).toBe('BAD_FIELD');
    expect(validateFragment(Uint8Array.of(0, 0, 0, 0, 3, 0, 3, 0))?.code).toBe('BAD_FIELD');
    expect(validateFragment(Uint8Array.of(0, 0, 0, 0, 2, 0, 3, 0))).toBeNull();
    const r = decodeFragment(Uint8Array.of(0, 0, 0, 0, 3, 0, 3, 0));
    expect(r.ok ? 'ok' : r.error.code).toBe('BAD_FIELD');
    // An empty fragment body is well formed: the frame may end exactly at a fragment boundary.
    expect(decodeFragment(Uint8Array.of(9, 0, 0, 0, 0, 0, 1, 0))).toMatchObject({ ok: true, value: { frameId: 9 } });
  });

  it('writeFragmentHeader rejects invalid values and missing room', () => {
    const out = new Uint8Array(8);
    expect(() => writeFragmentHeader(out, 0, 1, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => writeFragmentHeader(out, 0, 1, 2, 2)).toThrow(InvalidArgumentError);
    expect(() => writeFragmentHeader(out, 0, 1, 0, 65536)).toThrow(InvalidArgumentError);
    expect(() => writeFragmentHeader(out, 0, 2 ** 32, 0, 1)).toThrow(InvalidArgumentError);
    expect(() => writeFragmentHeader(out, 1, 1, 0, 1)).toThrow(InvalidArgumentError);
  });

  it('never throws on arbitrary bytes and round-trips valid headers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (plain) => {
        const r = decodeFragment(plain);
        const index = plain[4] | (plain[5] << 8);
        const count = plain[6] | (plain[7] << 8);
        const valid = plain.length >= 8 && count > 0 && index < count;
        expect(r.ok).toBe(valid);
        expect(validateFragment(plain) === null).toBe(valid);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.integer({ min: 1, max: 65535 }).chain((count) => fc.tuple(fc.constant(count), fc.nat({ max: count - 1 }))),
        fc.uint8Array({ maxLength: 32 }),
        (frameId, [fragCount, fragIndex], data) => {
          const plain = new Uint8Array(8 + data.length);
          writeFragmentHeader(plain, 0, frameId, fragIndex, fragCount);
          plain.set(data, 8);
          expect(decodeFragment(plain)).toEqual({ ok: true, value: { frameId, fragIndex, fragCount, data } });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
