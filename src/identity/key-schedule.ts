/**
 * The fixed inputs of key derivation, shared by both providers so they cannot drift apart.
 *
 * Derivation (documented in DESIGN "Identity"):
 *   PRK        = HKDF-SHA256-Extract(salt = "wiremesh/v1/identity", IKM = seed)
 *   edSeed     = HKDF-SHA256-Expand(PRK, info = "wiremesh/v1/ed25519", 32)        -> Ed25519 key pair
 *   xPrivate   = clamp(HKDF-SHA256-Expand(PRK, info = "wiremesh/v1/x25519", 32))  -> X25519 key pair
 *   nodeId     = BLAKE2b-256("wiremesh/v1/node-id" || edPublic || xPublic)
 * SHA-256 was chosen for HKDF because it is RFC 5869's reference instance with published test vectors.
 */
import {
  HKDF_ED25519_LABEL,
  HKDF_SALT_LABEL,
  HKDF_X25519_LABEL,
  NODE_ID_LABEL,
  PUBLIC_KEY_BYTES,
} from './constants.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

export const HKDF_SALT: Uint8Array = ascii(HKDF_SALT_LABEL);
export const ED25519_INFO: Uint8Array = ascii(HKDF_ED25519_LABEL);
export const X25519_INFO: Uint8Array = ascii(HKDF_X25519_LABEL);
export const NODE_ID_PREFIX: Uint8Array = ascii(NODE_ID_LABEL);

/** Byte length of the NodeID hash input: label || ed25519 public || x25519 public. */
export const NODE_ID_INPUT_BYTES = NODE_ID_PREFIX.length + 2 * PUBLIC_KEY_BYTES;

/** RFC 7748 section 5 clamping, in place: clear the 3 low bits, clear bit 255, set bit 254. */
export function clampX25519PrivateKey(key: Uint8Array): void {
  key[0] &= 248;
  key[31] &= 127;
  key[31] |= 64;
}

/** A reusable NodeID hash input with the label already written; keys are copied into the two views. */
export function createNodeIdInput(): { input: Uint8Array; ed: Uint8Array; x: Uint8Array } {
  const input = new Uint8Array(NODE_ID_INPUT_BYTES);
  input.set(NODE_ID_PREFIX, 0);
  const edOffset = NODE_ID_PREFIX.length;
  return {
    input,
    ed: input.subarray(edOffset, edOffset + PUBLIC_KEY_BYTES),
    x: input.subarray(edOffset + PUBLIC_KEY_BYTES, edOffset + 2 * PUBLIC_KEY_BYTES),
  };
}
