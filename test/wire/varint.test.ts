import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  decodeVarint,
  encodeVarint,
  readVarint,
  varintSize,
  type VarintCursor,
} from '../../src/wire/index.js';
import { InvalidArgumentError } from '../../src/errors.js';

function encode(value: number): number[] {
  const out = new Uint8Array(10);
  const end = encodeVarint(value, out, 0);
  return Array.from(out.subarray(0, end));
}

describe('varint encoding', () => {
  it('writes protobuf base-128 little-endian groups', () => {
    expect(encode(0)).toEqual([0x00]);
    expect(encode(1)).toEqual([0x01]);
    expect(encode(127)).toEqual([0x7f]);
    expect(encode(128)).toEqual([0x80, 0x01]);
    expect(encode(300)).toEqual([0xac, 0x02]);
    expect(encode(16383)).toEqual([0xff, 0x7f]);
    expect(encode(16384)).toEqual([0x80, 0x80, 0x01]);
    expect(encode(0xffff_ffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(encode(2 ** 32)).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(encode(Number.MAX_SAFE_INTEGER)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('sizes every boundary between byte counts', () => {
    for (let bytes = 1; bytes <= 7; bytes++) {
      const last = 2 ** (7 * bytes) - 1;
      expect(varintSize(last)).toBe(bytes);
      expect(varintSize(last + 1)).toBe(bytes + 1);
      expect(encode(last)).toHaveLength(bytes);
      expect(encode(last + 1)).toHaveLength(bytes + 1);
    }
    expect(varintSize(Number.MAX_SAFE_INTEGER)).toBe(8);
  });

  it('returns the offset after the written bytes and writes at the offset', () => {
    const out = new Uint8Array([9, 9, 9, 9, 9]);
    expect(encodeVarint(300, out, 2)).toBe(4);
    expect(Array.from(out)).toEqual([9, 9, 0xac, 0x02, 9]);
  });

  it('rejects values outside 0..2^53-1 and buffers without room', () => {
    const out = new Uint8Array(10);
    expect(() => encodeVarint(-1, out, 0)).toThrow(InvalidArgumentError);
    expect(() => encodeVarint(1.5, out, 0)).toThrow(InvalidArgumentError);
    expect(() => encodeVarint(2 ** 53, out, 0)).toThrow(InvalidArgumentError);
    expect(() => varintSize(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => encodeVarint(300, new Uint8Array(1), 0)).toThrow(InvalidArgumentError);
    expect(() => encodeVarint(1, new Uint8Array(3), 3)).toThrow(InvalidArgumentError);
  });
});

describe('varint decoding', () => {
  it('decodes values and the next offset', () => {
    const r = decodeVarint(Uint8Array.of(0xff, 0xac, 0x02, 0x05), 1);
    expect(r).toEqual({ ok: true, value: { value: 300, next: 3 } });
    const max = decodeVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f), 0);
    expect(max).toEqual({ ok: true, value: { value: Number.MAX_SAFE_INTEGER, next: 8 } });
  });

  it('accepts non-minimal encodings up to 10 bytes, as proto decoders do', () => {
    expect(decodeVarint(Uint8Array.of(0x81, 0x80, 0x00), 0)).toEqual({ ok: true, value: { value: 1, next: 3 } });
    const ten = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    expect(decodeVarint(ten, 0)).toEqual({ ok: true, value: { value: 0, next: 10 } });
  });

  it('reports truncation', () => {
    const empty = decodeVarint(new Uint8Array(0), 0);
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.error.code).toBe('TRUNCATED_VARINT');
    const cut = decodeVarint(Uint8Array.of(0x80, 0x80), 0);
    expect(cut.ok).toBe(false);
    if (!cut.ok) expect(cut.error.code).toBe('TRUNCATED_VARINT');
    const pastEnd = decodeVarint(Uint8Array.of(0x01), 1);
    expect(pastEnd.ok).toBe(false);
    if (!pastEnd.ok) expect(pastEnd.error.code).toBe('TRUNCATED_VARINT');
  });

  it('reports more than 10 bytes and values above 2^53-1 as overflow', () => {
    const eleven = new Uint8Array(11).fill(0x80);
    eleven[10] = 0x00;
    const r1 = decodeVarint(eleven, 0);
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.error.code).toBe('VARINT_OVERFLOW');
    // 2^53 exactly: bit 53 is bit 4 of the 8th byte.
    const r2 = decodeVarint(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10), 0);
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error.code).toBe('VARINT_OVERFLOW');
    // 2^64 - 1, a valid uint64 but not a safe integer.
    const u64 = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    const r3 = decodeVarint(u64, 0);
    expect(r3.ok).toBe(false);
    if (!r3.ok) expect(r3.error.code).toBe('VARINT_OVERFLOW');
  });

  it('readVarint stops at the given end', () => {
    const cursor: VarintCursor = { value: -1, next: -1 };
    const buf = Uint8Array.of(0xac, 0x02);
    expect(readVarint(buf, 0, cursor, 1)?.code).toBe('TRUNCATED_VARINT');
    expect(readVarint(buf, 0, cursor, 2)).toBeNull();
    expect(cursor).toEqual({ value: 300, next: 2 });
  });
});

describe('varint properties', () => {
  it('round-trips every safe integer and matches varintSize', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat(4), (value, offset) => {
        const out = new Uint8Array(offset + 10);
        const end = encodeVarint(value, out, offset);
        expect(end - offset).toBe(varintSize(value));
        const r = decodeVarint(out.subarray(0, end), offset);
        expect(r).toEqual({ ok: true, value: { value, next: end } });
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bytes and agrees with a BigInt reference decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 14 }), (bytes) => {
        const r = decodeVarint(bytes, 0);
        // Reference: accumulate as BigInt, stop at the first byte without the continuation bit.
        let value = 0n;
        let end = -1;
        for (let i = 0; i < bytes.length && i < 10; i++) {
          value |= BigInt(bytes[i] & 0x7f) << BigInt(7 * i);
          if ((bytes[i] & 0x80) === 0) {
            end = i + 1;
            break;
          }
        }
        if (end === -1) {
          // Unterminated: overflow once the bits read so far can no longer be a safe integer, else truncation.
          const overflow = bytes.length >= 10 || value > BigInt(Number.MAX_SAFE_INTEGER);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.code).toBe(overflow ? 'VARINT_OVERFLOW' : 'TRUNCATED_VARINT');
        } else if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.code).toBe('VARINT_OVERFLOW');
        } else {
          expect(r).toEqual({ ok: true, value: { value: Number(value), next: end } });
        }
      }),
      { numRuns: 3000 },
    );
  });
});
