/**
 * Per-originator token buckets (nodenet 8): work a routed message makes a node do on its sender's behalf
 * (answering a lookup, folding a neighbours answer, answering a hello) is charged to the originator,
 * keyed on its verified NodeID, so a flood spread across many edges is still throttled. Charge only
 * after the signature checked out: otherwise anyone could drain a victim's bucket.
 *
 * Bounded table: when full, a bucket that has refilled to its burst is forgotten first (it carries no
 * information), else the fullest one; a throttled (empty) bucket is kept so eviction cannot reset it.
 */
import { fullBucket, take, type BudgetRate, type TokenBucket } from '../kad/index.js';

export class OriginatorBudgets {
  private readonly rate: BudgetRate;
  private readonly capacity: number;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(rate: BudgetRate, capacity: number) {
    this.rate = rate;
    this.capacity = capacity;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Spends one token of `originatorKey`'s bucket; false means over budget (drop and count). */
  take(originatorKey: string, nowMs: number): boolean {
    let bucket = this.buckets.get(originatorKey);
    if (bucket === undefined) {
      if (this.buckets.size >= this.capacity) this.evict(nowMs);
      bucket = fullBucket(this.rate, nowMs);
      this.buckets.set(originatorKey, bucket);
    }
    return take(bucket, this.rate, nowMs);
  }

  private evict(nowMs: number): void {
    let fullest: string | undefined;
    let most = -1;
    for (const [key, bucket] of this.buckets) {
      const tokens = Math.min(this.rate.burst, bucket.tokens + ((nowMs - bucket.lastRefillMs) * this.rate.ratePerSecond) / 1000);
      if (tokens >= this.rate.burst) {
        this.buckets.delete(key);
        return;
      }
      if (tokens > most) {
        most = tokens;
        fullest = key;
      }
    }
    if (fullest !== undefined) this.buckets.delete(fullest);
  }
}
