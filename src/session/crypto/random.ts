/** Cryptographically secure random bytes (key generation, cookie secrets and nonces, spec 2 and 6). */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../../errors.js';

/** `n` bytes from the operating system's CSPRNG, as a plain Uint8Array (not a pooled Buffer slice). */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`randomBytes needs a non-negative integer length, got ${n}`);
  }
  return randomFillSync(new Uint8Array(n));
}
