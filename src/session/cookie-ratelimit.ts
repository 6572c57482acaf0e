/**
 * Per-source-IP token buckets for the handshake path under load (WireGuard's ratelimiter.c): a flood from a
 * few addresses cannot take every DH computation or every CookieReply, while other sources still get
 * theirs. An optional global bucket bounds the total (sources may be many, or spoofed).
 *
 * Memory is bounded: at most `maxSources` entries; an entry whose bucket would be full again is idle and
 * is dropped when room is needed. When every entry is busy, a new source is refused (counted by the
 * caller) rather than evicting a busy one, as WireGuard refuses when its table is full. Pure: the caller
 * passes the clock.
 */
import { InvalidArgumentError } from '../errors.js';

/** How often a full table may be scanned for idle entries. */
const SWEEP_INTERVAL_MS = 100;

interface Bucket {
  tokens: number;
  lastMs: number;
}

export interface SourceRateLimiterOptions {
  /** Tokens per second and bucket size per source. */
  perSourcePerSec: number;
  perSourceBurst: number;
  /** Optional total over all sources (bucket size = one second of it). */
  totalPerSec?: number;
  maxSources: number;
}

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly totalRate: number;
  private readonly maxSources: number;
  private total: Bucket;
  private lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(o: SourceRateLimiterOptions, nowMs: number) {
    positive('perSourcePerSec', o.perSourcePerSec);
    positive('perSourceBurst', o.perSourceBurst);
    if (o.totalPerSec !== undefined) positive('totalPerSec', o.totalPerSec);
    if (!Number.isInteger(o.maxSources) || o.maxSources < 1) throw new InvalidArgumentError(`maxSources must be a positive whole number, got ${o.maxSources}`);
    this.rate = o.perSourcePerSec;
    this.burst = o.perSourceBurst;
    this.totalRate = o.totalPerSec ?? Number.POSITIVE_INFINITY;
    this.maxSources = o.maxSources;
    this.total = { tokens: this.totalRate, lastMs: nowMs };
  }

  /** Sources tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `source` (and one from the total) if both have one; false means: drop it. */
  allow(source: string, nowMs: number): boolean {
    let b = this.buckets.get(source);
    if (b === undefined) {
      if (this.buckets.size >= this.maxSources && !this.evictIdle(nowMs)) return false;
      b = { tokens: this.burst, lastMs: nowMs };
      this.buckets.set(source, b);
    } else {
      refill(b, nowMs, this.rate, this.burst);
    }
    if (b.tokens < 1) return false;
    if (this.totalRate !== Number.POSITIVE_INFINITY) {
      refill(this.total, nowMs, this.totalRate, this.totalRate);
      if (this.total.tokens < 1) return false;
      this.total.tokens -= 1;
    }
    b.tokens -= 1;
    return true;
  }

  /**
   * Drops the entries that are idle (their buckets full again); true when any was dropped. A full table
   * is swept at most once per SWEEP_INTERVAL_MS, so a flood of new sources costs one scan, not one per packet.
   */
  private evictIdle(nowMs: number): boolean {
    if (nowMs - this.lastSweepMs < SWEEP_INTERVAL_MS && nowMs >= this.lastSweepMs) return false;
    this.lastSweepMs = nowMs;
    const idleAfterMs = (this.burst / this.rate) * 1000;
    let evicted = false;
    for (const [k, b] of this.buckets) {
      if (nowMs - b.lastMs >= idleAfterMs || nowMs < b.lastMs) {
        this.buckets.delete(k);
        evicted = true;
      }
    }
    return evicted;
  }
}

function refill(b: Bucket, nowMs: number, rate: number, cap: number): void {
  const elapsed = nowMs - b.lastMs;
  // A clock that went backwards refills nothing (and restarts from the new time).
  if (elapsed > 0) b.tokens = Math.min(cap, b.tokens + (elapsed * rate) / 1000);
  b.lastMs = nowMs;
}

function positive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got ${v}`);
}
