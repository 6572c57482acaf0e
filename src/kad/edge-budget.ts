/**
 * Per-edge token buckets (nodenet 2 and 8: control 32 burst at 16/s, forward 1024 burst at 512/s).
 * The state is two plain numbers kept in the edge record and updated in place: no clock, no timer, no
 * allocation per packet.
 */
import { CONTROL_BURST, CONTROL_RATE_PER_S, FORWARD_BURST, FORWARD_RATE_PER_S } from './constants.js';

export type BudgetKind = 'control' | 'forward';

export interface TokenBucket {
  tokens: number;
  lastRefillMs: number;
}

export interface BudgetRate {
  readonly burst: number;
  readonly ratePerSecond: number;
}

export const CONTROL_BUDGET: BudgetRate = { burst: CONTROL_BURST, ratePerSecond: CONTROL_RATE_PER_S };
export const FORWARD_BUDGET: BudgetRate = { burst: FORWARD_BURST, ratePerSecond: FORWARD_RATE_PER_S };

/** A bucket that starts full, so a new edge may burst at once. */
export function fullBucket(rate: BudgetRate, nowMs: number): TokenBucket {
  return { tokens: rate.burst, lastRefillMs: nowMs };
}

/**
 * Adds the tokens earned since lastRefillMs, capped at the burst. A clock that steps backwards earns
 * nothing and does not move lastRefillMs back (which would credit the same interval twice later).
 */
export function refill(bucket: TokenBucket, rate: BudgetRate, nowMs: number): void {
  const elapsedMs = nowMs - bucket.lastRefillMs;
  if (!(elapsedMs > 0)) return;
  bucket.tokens = Math.min(rate.burst, bucket.tokens + (elapsedMs * rate.ratePerSecond) / 1000);
  bucket.lastRefillMs = nowMs;
}

/** Refills, then spends `cost` tokens if available. False means "over budget: drop and count it". */
export function take(bucket: TokenBucket, rate: BudgetRate, nowMs: number, cost = 1): boolean {
  refill(bucket, rate, nowMs);
  if (bucket.tokens < cost) return false;
  bucket.tokens -= cost;
  return true;
}
