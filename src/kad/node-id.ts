/**
 * NodeID arithmetic: a NodeID is a 32-byte big-endian 256-bit integer, and "closeness" is the XOR metric
 * (DESIGN "Overlay"; nodenet 2). Everything here is allocation-free except where a new ID is returned.
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import { BUCKET_COUNT, NODE_ID_BITS, NODE_ID_BYTES } from './constants.js';

/** Fills `out` with random bytes; injected where tests need determinism. */
export type RandomFill = (out: Uint8Array) => void;

export const defaultRandomFill: RandomFill = (out) => {
  randomFillSync(out);
};

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function isNodeId(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === NODE_ID_BYTES;
}

function assertNodeId(id: Uint8Array, what: string): void {
  if (!isNodeId(id)) {
    throw new InvalidArgumentError(`${what} must be a ${NODE_ID_BYTES}-byte NodeID; pass a Uint8Array(32)`);
  }
}

export function idsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** a XOR b as a new 32-byte value (or written into `out`). */
export function xorDistance(a: Uint8Array, b: Uint8Array, out: Uint8Array = new Uint8Array(NODE_ID_BYTES)): Uint8Array {
  assertNodeId(a, 'a');
  assertNodeId(b, 'b');
  for (let i = 0; i < NODE_ID_BYTES; i++) out[i] = a[i] ^ b[i];
  return out;
}

/**
 * Orders a and b by XOR distance to target: -1 when a is closer, 1 when b is closer, 0 only when a and b
 * are the same ID (XOR with a fixed target is a bijection). Byte-wise with early exit; no allocation.
 */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  for (let i = 0; i < NODE_ID_BYTES; i++) {
    const t = target[i];
    const da = a[i] ^ t;
    const db = b[i] ^ t;
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
}

/** Number of leading bits a and b share, 0..256 (256 means equal). */
export function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < NODE_ID_BYTES; i++) {
    const x = a[i] ^ b[i];
    // clz32 counts over 32 bits; a byte sits in the low 8, so subtract the 24 always-zero high bits.
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return NODE_ID_BITS;
}

/** Leading zero bits of id, 0..256: the proof-of-work measure (DESIGN "Identity"). */
export function leadingZeroBits(id: Uint8Array): number {
  for (let i = 0; i < NODE_ID_BYTES; i++) {
    const x = id[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return NODE_ID_BITS;
}

/**
 * True when id has at least `difficulty` leading zero bits. difficulty <= 0 is always met and
 * difficulty > 256 never is. Stops at the first byte that decides the answer.
 */
export function satisfiesDifficulty(id: Uint8Array, difficulty: number): boolean {
  if (!(difficulty > 0)) return true;
  if (difficulty > NODE_ID_BITS || id.length !== NODE_ID_BYTES) return false;
  const whole = Math.floor(difficulty / 8);
  for (let i = 0; i < whole; i++) if (id[i] !== 0) return false;
  const rest = Math.ceil(difficulty) - whole * 8;
  if (rest === 0) return true;
  return id[whole] >> (8 - rest) === 0;
}

/** 64-char lowercase hex: the map key for a NodeID. */
export function idKey(id: Uint8Array): string {
  assertNodeId(id, 'id');
  let s = '';
  for (let i = 0; i < NODE_ID_BYTES; i++) s += HEX[id[i]];
  return s;
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** Parses a 64-char hex key (either case) back into a NodeID. */
export function idFromKey(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length !== NODE_ID_BYTES * 2) {
    throw new InvalidArgumentError(`a NodeID key is ${NODE_ID_BYTES * 2} hex characters; got length ${String(hex?.length)}`);
  }
  const out = new Uint8Array(NODE_ID_BYTES);
  for (let i = 0; i < NODE_ID_BYTES; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new InvalidArgumentError(`a NodeID key must be hex; bad character near offset ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * A random ID whose common prefix with self is exactly bucketIndex: the target of a refresh lookup for
 * that bucket (nodenet 2, RefreshTarget). Bits before bucketIndex are self's, bit bucketIndex is flipped,
 * the rest are random.
 */
export function randomIdInBucket(self: Uint8Array, bucketIndex: number, random: RandomFill = defaultRandomFill): Uint8Array {
  assertNodeId(self, 'self');
  if (!Number.isInteger(bucketIndex) || bucketIndex < 0 || bucketIndex >= BUCKET_COUNT) {
    throw new InvalidArgumentError(`bucketIndex must be an integer in 0..${BUCKET_COUNT - 1}; got ${bucketIndex}`);
  }
  const out = new Uint8Array(NODE_ID_BYTES);
  random(out);
  const byte = bucketIndex >> 3;
  const bit = bucketIndex & 7;
  for (let i = 0; i < byte; i++) out[i] = self[i];
  const prefixMask = (0xff00 >> bit) & 0xff; // bits above `bit` in this byte come from self
  const flip = 0x80 >> bit;
  out[byte] = (self[byte] & prefixMask) | (~self[byte] & flip) | (out[byte] & ~(prefixMask | flip) & 0xff);
  return out;
}
