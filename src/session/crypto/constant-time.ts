/** Constant-time byte comparison for MACs and tags (spec 2.4, 2.5, 6: an attacker must not learn a prefix). */
import { timingSafeEqual } from 'node:crypto';

/**
 * True when `a` and `b` hold the same bytes. The time taken depends only on the lengths (which are public:
 * MAC and tag sizes are fixed by the spec), never on where the first difference is.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
