/**
 * The crypto provider contract (spec 2). Two providers implement it, `native` (sodium-native) and `pure`
 * (@noble); for the same inputs both return byte-identical outputs, which the tests check.
 */
import { InvalidArgumentError } from '../../errors.js';
import { KEY_SIZE } from './constants.js';

/** An X25519 key pair (spec 2). The private key is clamped (RFC 7748 section 5). */
export interface KeyPair {
  /** 32 bytes */
  publicKey: Uint8Array;
  /** 32 bytes, clamped */
  privateKey: Uint8Array;
}

/**
 * One direction of a session's transport AEAD (spec 2: "one AEAD instance per direction, cached per
 * session"). ChaCha20-Poly1305, nonce = 4 zero bytes || counter uint64 LE (spec 2.3), empty AAD (spec 4.4).
 * Neither method allocates per call beyond (at most) two subarray views of `buf`.
 */
export interface TransportCipher {
  /**
   * Encrypts `buf[offset, offset + length)` in place and writes the 16-byte tag right after it; the caller
   * guarantees `buf` has room for it. Throws InvalidArgumentError on a bad counter or region, and
   * WiremeshError `CIPHER_DESTROYED` after `destroy()` (both are programming errors).
   */
  sealInPlace(counter: number, buf: Uint8Array, offset: number, length: number): void;
  /**
   * Takes `length` bytes of ciphertext + tag at `offset`, writes the plaintext in place and returns its
   * length (`length - 16`), or -1 when authentication fails or the arguments cannot describe a valid
   * ciphertext (also after `destroy()`). Never throws. On failure the plaintext region is zeroed (both
   * providers behave alike: no unauthenticated bytes are left readable as "plaintext").
   */
  openInPlace(counter: number, buf: Uint8Array, offset: number, length: number): number;
  /** Zeroes the key; the cipher is unusable afterwards. */
  destroy(): void;
}

export type SuiteName = 'native' | 'pure';

export interface CryptoSuite {
  readonly name: SuiteName;
  /** A fresh X25519 key pair with a clamped private key. */
  generateKeyPair(): KeyPair;
  /** X25519 public key of a (clamped or not: the scalar is clamped before use) private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * X25519 shared secret, or null when it would be all zero: the public key is a low-order point (spec 2,
   * "low-order-point rejection enforced"). Throws InvalidArgumentError when a key is not 32 bytes.
   */
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  /** ChaCha20-Poly1305 with the spec 2.3 nonce for `counter`; returns ciphertext || tag. */
  aeadSeal(key: Uint8Array, counter: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Inverse of aeadSeal; null when authentication fails or the input is shorter than a tag. */
  aeadOpen(key: Uint8Array, counter: number, ciphertextWithTag: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** A transport cipher over a private copy of `key` (the caller may zero its own copy right away). */
  transportCipher(key: Uint8Array): TransportCipher;
}

/** Throws InvalidArgumentError unless `key` is a 32-byte array (a key, private or public, spec 2). */
export function assertKeySize(key: Uint8Array, name: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_SIZE) {
    throw new InvalidArgumentError(`${name} must be a ${KEY_SIZE}-byte Uint8Array`);
  }
}

/** RFC 7748 section 5 clamping, in place: clear the 3 low bits, clear bit 255, set bit 254. */
export function clampPrivateKey(privateKey: Uint8Array): Uint8Array {
  assertKeySize(privateKey, 'privateKey');
  privateKey[0] &= 248;
  privateKey[31] &= 127;
  privateKey[31] |= 64;
  return privateKey;
}
