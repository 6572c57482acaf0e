/**
 * Token bucket (spec 13: the session send-rate cap; also the overlay's per-edge message budgets).
 *
 * Tokens refill continuously at `ratePerSec` up to `burst`; the bucket starts full. The session send
 * limiter uses `burst = SEND_RATE_BURST_FACTOR x bytes/s` (spec 13: burst is 2x the rate).
 *
 * Requests larger than the burst: a request is granted when the bucket holds `min(amount, burst)`
 * tokens, and the whole `amount` is then taken, so the balance may go negative (debt). A frame bigger
 * than the burst therefore goes out as soon as the bucket is full instead of waiting forever, and the
 * debt delays whatever follows, so the long-run rate still never exceeds `ratePerSec`.
 *
 * Pure: the caller passes the clock. A clock that goes backwards refills nothing.
 */
import { InvalidArgumentError } from '../errors.js';

// Balances are kept in thousandths of a token: with integer rates, amounts and ms every refill is an
// integer, so the arithmetic is exact and waiting exactly the returned delay always suffices.
const MILLI = 1000;

export class TokenBucket {
  private readonly rate: number;
  private readonly capacityMilli: number;
  private milliTokens: number;
  private lastMs: number;

  constructor(ratePerSec: number, burst: number, nowMs: number) {
    if (!Number.isFinite(ratePerSec) || ratePerSec <= 0) {
      throw new InvalidArgumentError(`rate must be a positive finite number per second, got ${ratePerSec}`);
    }
    if (!Number.isFinite(burst) || burst <= 0) {
      throw new InvalidArgumentError(`burst must be a positive finite number, got ${burst}`);
    }
    if (!Number.isFinite(nowMs)) throw new InvalidArgumentError(`nowMs must be a finite number, got ${nowMs}`);
    this.rate = ratePerSec;
    this.capacityMilli = burst * MILLI;
    this.milliTokens = this.capacityMilli;
    this.lastMs = nowMs;
  }

  /** Refill rate, tokens per second. */
  get ratePerSec(): number {
    return this.rate;
  }

  /** Bucket capacity, tokens. */
  get burst(): number {
    return this.capacityMilli / MILLI;
  }

  /**
   * Takes `amount` tokens if the bucket allows it now and returns 0; otherwise takes nothing and
   * returns how many ms to wait (at least 1) until the same request would succeed. While the bucket
   * is in debt even `take(0)` waits, so it can be used to wait for the debt to clear.
   */
  take(amount: number, nowMs: number): number {
    if (!Number.isFinite(amount) || amount < 0) {
      throw new InvalidArgumentError(`amount must be a non-negative finite number, got ${amount}`);
    }
    this.refill(nowMs);
    const needed = Math.min(amount * MILLI, this.capacityMilli);
    if (this.milliTokens >= needed) {
      this.milliTokens -= amount * MILLI;
      return 0;
    }
    // One ms refills `rate` thousandths of a token.
    return Math.max(1, Math.ceil((needed - this.milliTokens) / this.rate));
  }

  /** Tokens available now; negative while a request larger than the burst is being paid off. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.milliTokens / MILLI;
  }

  private refill(nowMs: number): void {
    const elapsed = nowMs - this.lastMs;
    if (!(elapsed > 0)) return;
    this.lastMs = nowMs;
    const next = this.milliTokens + elapsed * this.rate;
    this.milliTokens = next > this.capacityMilli ? this.capacityMilli : next;
  }
}
