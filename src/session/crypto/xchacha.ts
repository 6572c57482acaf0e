/**
 * XChaCha20-Poly1305 for cookie replies (spec 4.3, 6.2): 32-byte key, 24-byte random nonce, empty AAD.
 * One implementation (@noble) serves both suites: cookie replies are off the hot path.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { InvalidArgumentError } from '../../errors.js';
import { AEAD_TAG_SIZE, KEY_SIZE, XAEAD_NONCE_SIZE } from './constants.js';

function assertArgs(key: Uint8Array, nonce24: Uint8Array): void {
  if (key.length !== KEY_SIZE) throw new InvalidArgumentError(`the XChaCha20 key must be ${KEY_SIZE} bytes`);
  if (nonce24.length !== XAEAD_NONCE_SIZE) {
    throw new InvalidArgumentError(`the XChaCha20 nonce must be ${XAEAD_NONCE_SIZE} bytes`);
  }
}

/** Returns ciphertext || 16-byte tag. */
export function xSeal(key: Uint8Array, nonce24: Uint8Array, plain: Uint8Array): Uint8Array {
  assertArgs(key, nonce24);
  return xchacha20poly1305(key, nonce24).encrypt(plain);
}

/** Returns the plaintext, or null when the tag does not authenticate (or the input is shorter than one). */
export function xOpen(key: Uint8Array, nonce24: Uint8Array, cipher: Uint8Array): Uint8Array | null {
  assertArgs(key, nonce24);
  if (cipher.length < AEAD_TAG_SIZE) return null;
  try {
    return xchacha20poly1305(key, nonce24).decrypt(cipher);
  } catch {
    return null;
  }
}
