/**
 * Sliding replay window over transport counters (spec 8).
 *
 * The window covers [head - 4095, head]. A counter above `head` is new; one below the window is too
 * old; inside the window, a bitmap says whether it was already seen. Bit `counter mod 4096` of the
 * ring stands for `counter`, so the window is exactly 4096 wide (no word-granularity slack).
 *
 * Usage (spec 8: the window changes only after AEAD succeeds):
 *   if (!win.check(counter)) drop;          // cheap pre-filter, before decryption
 *   decrypt... on failure drop;
 *   if (!win.accept(counter)) drop;          // marks it; false if a racing copy got there first
 *
 * Counters are JS numbers. Wire counters are uint64, but a session rekeys after 2^60 messages
 * (spec 7.3) and in practice never gets near 2^53; a counter that is not a safe non-negative integer
 * is rejected rather than silently rounded.
 */
import { REPLAY_WINDOW_SIZE, REPLAY_WINDOW_WORDS } from './constants.js';

const RING_MASK = REPLAY_WINDOW_SIZE - 1;

export class ReplayWindow {
  // spec 8: [64]uint64, held as 128 uint32 words so every bit operation stays in int32 arithmetic.
  private readonly bits = new Uint32Array(REPLAY_WINDOW_WORDS * 2);
  // Highest accepted counter; -1 before the first one, so counter 0 is a valid first counter.
  private top = -1;

  /** Highest accepted counter, or -1 when none was accepted since construction or reset(). */
  get head(): number {
    return this.top;
  }

  /** Whether `accept(counter)` would succeed now. Does not change the window. */
  check(counter: number): boolean {
    if (!Number.isSafeInteger(counter) || counter < 0) return false;
    if (counter > this.top) return true;
    // spec 8: below head - 4095 is too old.
    if (counter <= this.top - REPLAY_WINDOW_SIZE) return false;
    const pos = counter & RING_MASK;
    return (this.bits[pos >>> 5] & (1 << (pos & 31))) === 0;
  }

  /** Marks `counter` as seen (call after AEAD success). False when it is a duplicate or too old. */
  accept(counter: number): boolean {
    if (!Number.isSafeInteger(counter) || counter < 0) return false;
    const top = this.top;
    if (counter > top) {
      const advance = counter - top;
      if (advance >= REPLAY_WINDOW_SIZE) {
        // Every slot now belongs to a counter below the new window.
        this.bits.fill(0);
      } else {
        // Slots (top+1 .. counter) mod 4096 held counters that just left the window.
        this.clearRing((top + 1) & RING_MASK, advance);
      }
      this.top = counter;
      const pos = counter & RING_MASK;
      this.bits[pos >>> 5] |= 1 << (pos & 31);
      return true;
    }
    if (counter <= top - REPLAY_WINDOW_SIZE) return false;
    const pos = counter & RING_MASK;
    const word = pos >>> 5;
    const mask = 1 << (pos & 31);
    if ((this.bits[word] & mask) !== 0) return false;
    this.bits[word] |= mask;
    return true;
  }

  /** Forgets everything: the next counter, whatever it is, is accepted. */
  reset(): void {
    this.bits.fill(0);
    this.top = -1;
  }

  // Clears `count` (< 4096) consecutive ring bits starting at `start`, wrapping at the end, a word at a time.
  private clearRing(start: number, count: number): void {
    let pos = start;
    let left = count;
    while (left > 0) {
      const bit = pos & 31;
      const n = Math.min(32 - bit, left);
      const mask = n === 32 ? 0xffffffff : ((1 << n) - 1) << bit;
      this.bits[pos >>> 5] &= ~mask;
      left -= n;
      pos = (pos + n) & RING_MASK;
    }
  }
}
