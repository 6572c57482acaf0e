/**
 * Protocol Buffers base-128 varints (spec 10: frames are proto wire format).
 *
 * Values are JS numbers in 0..2^53-1. The decoder accepts any encoding a proto decoder accepts up to
 * 10 bytes, including non-minimal ones (trailing 0x80 padding), as long as the value is a safe integer.
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_VARINT_SIZE } from './constants.js';
import type { DecodeError, DecodeResult } from './result.js';

/** Mutable output of `readVarint`; reuse one per parser to decode without allocating. */
export interface VarintCursor {
  value: number;
  next: number;
}

// Shared, frozen error values: returning them allocates nothing on the hot path.
export const ERROR_TRUNCATED_VARINT: DecodeError = Object.freeze({
  code: 'TRUNCATED_VARINT',
  message: 'the buffer ends inside a varint',
});
export const ERROR_VARINT_OVERFLOW: DecodeError = Object.freeze({
  code: 'VARINT_OVERFLOW',
  message: 'the varint is longer than 10 bytes or its value exceeds 2^53-1',
});

const TWO_POW_32 = 0x1_0000_0000;
/** Bits 49..52 of a safe integer live in the low 4 bits of the 8th varint byte. */
const MAX_EIGHTH_BYTE_BITS = 0x0f;

function assertEncodable(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`varint value must be an integer in 0..2^53-1, got ${value}`);
  }
}

/** Number of bytes `encodeVarint` writes for `value`. */
export function varintSize(value: number): number {
  assertEncodable(value);
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  if (value < 0x8_0000_0000) return 5;
  if (value < 0x400_0000_0000) return 6;
  if (value < 0x2_0000_0000_0000) return 7;
  return 8; // 2^53 - 1 < 2^56
}

/**
 * Writes `value` at `out[offset]` and returns the offset after it.
 * Throws InvalidArgumentError for a value outside 0..2^53-1 or when `out` has no room (never silently truncates).
 */
export function encodeVarint(value: number, out: Uint8Array, offset: number): number {
  const size = varintSize(value);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > out.length) {
    throw new InvalidArgumentError(
      `no room for a ${size}-byte varint at offset ${offset} of a ${out.length}-byte buffer`,
    );
  }
  let pos = offset;
  let rest = value;
  // Above 2^32 bitwise operators would truncate: peel 7 bits at a time with exact float arithmetic.
  while (rest >= TWO_POW_32) {
    out[pos++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  while (rest >= 0x80) {
    out[pos++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[pos++] = rest;
  return pos;
}

/**
 * Allocation-free decoder: reads a varint at `offset` (bytes at `end` and beyond are not read), stores the
 * value and the offset after it in `cursor` and returns null, or returns an error (TRUNCATED_VARINT,
 * VARINT_OVERFLOW) leaving `cursor` unspecified.
 */
export function readVarint(
  buf: Uint8Array,
  offset: number,
  cursor: VarintCursor,
  end: number = buf.length,
): DecodeError | null {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < MAX_VARINT_SIZE; i++) {
    const pos = offset + i;
    if (pos >= end) return ERROR_TRUNCATED_VARINT;
    const byte = buf[pos];
    const bits = byte & 0x7f;
    if (i === 7) {
      if (bits > MAX_EIGHTH_BYTE_BITS) return ERROR_VARINT_OVERFLOW;
    } else if (i > 7) {
      // Bytes 9 and 10 may only be padding for a value that is a safe integer.
      if (bits !== 0) return ERROR_VARINT_OVERFLOW;
    }
    // Exact: every partial sum stays below 2^53.
    value += bits * multiplier;
    multiplier *= 0x80;
    if ((byte & 0x80) === 0) {
      cursor.value = value;
      cursor.next = pos + 1;
      return null;
    }
  }
  // The 10th byte still had its continuation bit: at least 11 bytes.
  return ERROR_VARINT_OVERFLOW;
}

/** Decodes a varint at `offset`; never throws on any bytes. */
export function decodeVarint(buf: Uint8Array, offset: number): DecodeResult<{ value: number; next: number }> {
  const cursor: VarintCursor = { value: 0, next: 0 };
  const error = readVarint(buf, offset, cursor);
  if (error !== null) return { ok: false, error };
  return { ok: true, value: cursor };
}
