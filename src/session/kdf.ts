/**
 * BLAKE2s hash, keyed-BLAKE2s MAC and the spec's HKDF-like KDF (spec 2, 2.1; editor's notes 2 and 5).
 * One implementation (our unrolled BLAKE2s, checked against @noble and OpenSSL) for both crypto providers.
 */
import { blake2s256 } from './blake2s.js';
import { InvalidArgumentError } from '../errors.js';
import { HASH_SIZE } from './crypto/constants.js';

/** spec 2: HASH = BLAKE2s-256 of the concatenation of `parts`. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  return blake2s256(null, parts);
}

/**
 * spec 2: MAC = keyed BLAKE2s-256 (`BLAKE2s(key=K, data=D)`, not HMAC) over the concatenation of `parts`;
 * always 32 bytes. Truncated MACs (MAC1, MAC2, cookie) take the first 16 bytes of this (editor's note 2).
 * The key is 1..32 bytes.
 */
export function mac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  if (key.length === 0 || key.length > HASH_SIZE) {
    throw new InvalidArgumentError(`a BLAKE2s MAC key is 1..${HASH_SIZE} bytes, got ${key.length}`);
  }
  return blake2s256(key, parts);
}

const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);
const THREE = Uint8Array.of(3);

/**
 * spec 2.1: `prk = MAC(ck, input)`, `T1 = MAC(prk, 0x01)`, `T2 = MAC(prk, T1 || 0x02)`. An empty input is
 * allowed (SPLIT, editor's note 5). The intermediate `prk` is zeroed.
 */
export function kdf2(ck: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  const prk = mac(ck, input);
  const t1 = mac(prk, ONE);
  const t2 = mac(prk, t1, TWO);
  prk.fill(0);
  return [t1, t2];
}

/** spec 2.1: as kdf2, plus `T3 = MAC(prk, T2 || 0x03)`. */
export function kdf3(ck: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const prk = mac(ck, input);
  const t1 = mac(prk, ONE);
  const t2 = mac(prk, t1, TWO);
  const t3 = mac(prk, t2, THREE);
  prk.fill(0);
  return [t1, t2, t3];
}
