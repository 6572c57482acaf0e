/** The 12-byte ChaCha20-Poly1305 nonce of spec 2.3, used for transport and (editor's note 4) handshake. */
import { AEAD_NONCE_COUNTER_OFFSET } from './constants.js';

const TWO_POW_32 = 0x1_0000_0000;

/** True for a counter a JS number holds exactly: an integer in 0..2^53-1 (spec 7.2 rekeys long before). */
export function isValidCounter(counter: number): boolean {
  return Number.isSafeInteger(counter) && counter >= 0;
}

/**
 * Writes `0x00000000 || counter (uint64 LE)` into the 12-byte `nonce` (spec 2.3). The caller has checked
 * the counter with `isValidCounter`. Allocates nothing.
 */
export function writeAeadNonce(nonce: Uint8Array, counter: number): void {
  const low = counter % TWO_POW_32;
  const high = (counter - low) / TWO_POW_32;
  nonce[0] = 0;
  nonce[1] = 0;
  nonce[2] = 0;
  nonce[3] = 0;
  let at = AEAD_NONCE_COUNTER_OFFSET;
  nonce[at++] = low & 0xff;
  nonce[at++] = (low >>> 8) & 0xff;
  nonce[at++] = (low >>> 16) & 0xff;
  nonce[at++] = (low >>> 24) & 0xff;
  nonce[at++] = high & 0xff;
  nonce[at++] = (high >>> 8) & 0xff;
  nonce[at++] = (high >>> 16) & 0xff;
  nonce[at] = (high >>> 24) & 0xff;
}
