/**
 * TAI64N timestamps of HandshakeInit (spec 4.1, editor's note 6): uint64 BE seconds = 2^62 + unix seconds
 * (no leap-second adjustment), then uint32 BE nanoseconds. Big-endian makes byte order = time order.
 */
import { InvalidArgumentError } from '../errors.js';
import { TAI64_EPOCH_HIGH_WORD, TAI64N_SIZE } from './crypto/constants.js';

const TWO_POW_32 = 0x1_0000_0000;
const NANOS_PER_MS = 1_000_000;
const NANOS_PER_SECOND = 1_000_000_000;

/**
 * The TAI64N label of `nowMs` (unix milliseconds; sub-millisecond fractions are kept to the nanosecond).
 * Writes into `out` (at least 12 bytes) when given and returns the 12-byte view.
 */
export function tai64n(nowMs: number, out?: Uint8Array): Uint8Array {
  if (!Number.isFinite(nowMs)) throw new InvalidArgumentError(`tai64n needs a finite time in ms, got ${nowMs}`);
  if (out !== undefined && out.length < TAI64N_SIZE) {
    throw new InvalidArgumentError(`a TAI64N label needs 12 bytes, got ${out.length}`);
  }
  const buf = out === undefined ? new Uint8Array(TAI64N_SIZE) : out.subarray(0, TAI64N_SIZE);
  const seconds = Math.floor(nowMs / 1000);
  const nanos = Math.min(NANOS_PER_SECOND - 1, Math.floor((nowMs - seconds * 1000) * NANOS_PER_MS));
  // Floor division keeps this right for times before 1970 too.
  const high = Math.floor(seconds / TWO_POW_32);
  writeUint32Be(buf, 0, TAI64_EPOCH_HIGH_WORD + high);
  writeUint32Be(buf, 4, seconds - high * TWO_POW_32);
  writeUint32Be(buf, 8, nanos);
  return buf;
}

/**
 * Unix milliseconds of a TAI64N label (nanoseconds truncated to ms), or NaN when `ts` is not 12 bytes or
 * its nanosecond field is 10^9 or more (not a TAI64N label). Never throws: the label comes from a peer.
 */
export function tai64nToMs(ts: Uint8Array): number {
  if (ts.length !== TAI64N_SIZE) return Number.NaN;
  const nanos = readUint32Be(ts, 8);
  if (nanos >= NANOS_PER_SECOND) return Number.NaN;
  const seconds = (readUint32Be(ts, 0) - TAI64_EPOCH_HIGH_WORD) * TWO_POW_32 + readUint32Be(ts, 4);
  return seconds * 1000 + Math.floor(nanos / NANOS_PER_MS);
}

/** Orders two labels by time: negative when `a` is earlier, 0 when equal, positive when later. */
export function compareTai64n(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function writeUint32Be(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >>> 24) & 0xff;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

function readUint32Be(buf: Uint8Array, offset: number): number {
  return ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
}
