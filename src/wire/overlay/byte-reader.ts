/**
 * A bounds-checked cursor over untrusted bytes for the overlay decoders. Every read checks the length
 * first and records the first error instead of throwing, so a decoder reads its fields in order and
 * checks `error` once at the end (or early, before allocating for a count it read).
 */
import { readVarint, type VarintCursor } from '../varint.js';
import type { DecodeError, DecodeErrorCode } from '../result.js';

export class ByteReader {
  readonly bytes: Uint8Array;
  offset: number;
  error: DecodeError | null = null;
  private readonly cursor: VarintCursor = { value: 0, next: 0 };

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Records an error (the first one wins) and makes every later read fail. */
  fail(code: DecodeErrorCode, message: string): void {
    if (this.error === null) this.error = { code, message };
    this.offset = this.bytes.length;
  }

  u8(what: string): number {
    if (this.error !== null) return 0;
    if (this.offset + 1 > this.bytes.length) {
      this.fail('TOO_SHORT', `the message ends before ${what}`);
      return 0;
    }
    return this.bytes[this.offset++];
  }

  u16(what: string): number {
    if (this.error !== null) return 0;
    if (this.offset + 2 > this.bytes.length) {
      this.fail('TOO_SHORT', `the message ends before ${what}`);
      return 0;
    }
    const b = this.bytes;
    const v = (b[this.offset] << 8) | b[this.offset + 1];
    this.offset += 2;
    return v;
  }

  /** Unsigned 64-bit big-endian as a number; values above 2^53-1 are refused (no real time is that big). */
  u64(what: string): number {
    if (this.error !== null) return 0;
    if (this.offset + 8 > this.bytes.length) {
      this.fail('TOO_SHORT', `the message ends before ${what}`);
      return 0;
    }
    const b = this.bytes;
    const o = this.offset;
    const hi = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    const lo = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
    if (hi > 0x1f_ffff) {
      this.fail('BAD_FIELD', `${what} exceeds 2^53-1`);
      return 0;
    }
    this.offset += 8;
    return hi * 0x1_0000_0000 + lo;
  }

  varint(what: string): number {
    if (this.error !== null) return 0;
    const err = readVarint(this.bytes, this.offset, this.cursor);
    if (err !== null) {
      this.fail(err.code, `${what}: ${err.message}`);
      return 0;
    }
    this.offset = this.cursor.next;
    return this.cursor.value;
  }

  /** A view (no copy) of the next `length` bytes. */
  view(length: number, what: string): Uint8Array {
    if (this.error !== null) return EMPTY;
    if (this.offset + length > this.bytes.length) {
      this.fail('LENGTH_PAST_END', `${what} runs past the end of the message`);
      return EMPTY;
    }
    const v = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return v;
  }

  /** Fails with TRAILING_BYTES unless every byte was read: one canonical encoding per message. */
  end(what: string): void {
    if (this.error === null && this.offset !== this.bytes.length) {
      this.fail('TRAILING_BYTES', `${this.bytes.length - this.offset} unexpected bytes after the ${what}`);
    }
  }
}

const EMPTY = new Uint8Array(0);
