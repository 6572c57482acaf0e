/** Cryptographically secure random bytes (key generation, cookie secrets and nonces, spec 2 and 6). */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../../errors.js';

// Small requests are served from a pool refilled 4 KiB at a time: one getrandom(2) call per ~100 handshakes
// instead of several per handshake. Served bytes are zeroed in the pool at once (they may become keys).
const POOL_BYTES = 4096;
const POOLED_MAX = 256;
const pool = new Uint8Array(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** `n` bytes from the operating system's CSPRNG, as a plain Uint8Array (not a pooled Buffer slice). */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`randomBytes needs a non-negative integer length, got ${n}`);
  }
  if (n > POOLED_MAX) return randomFillSync(new Uint8Array(n));
  if (poolOffset + n > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + n);
  pool.fill(0, poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}
