/**
 * Exponential dial backoff per contact (nodenet 5: 1 s doubling to 5 min; a contact is declared dead
 * after 3 or more consecutive failures once it already sits at the ceiling). Keyed by idKey().
 */
import { InvalidArgumentError } from '../errors.js';
import { DIAL_BACKOFF_BASE_MS, DIAL_BACKOFF_MAX_MS, DIAL_FAILURES_BEFORE_DEAD, MAX_BACKOFF_ENTRIES } from './constants.js';

export interface DialBackoffOptions {
  baseMs?: number;
  maxMs?: number;
  failuresBeforeDead?: number;
  maxEntries?: number;
}

export interface DialFailure {
  /** Consecutive failures, this one included. */
  failures: number;
  /** Do not dial this contact before this time. */
  retryAtMs: number;
  /** The ladder is exhausted: mark the contact dead in the knowledge table. */
  exhausted: boolean;
}

interface BackoffState {
  failures: number;
  delayMs: number;
  retryAtMs: number;
}

export class DialBackoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly failuresBeforeDead: number;
  private readonly maxEntries: number;
  private readonly states = new Map<string, BackoffState>();

  constructor(options: DialBackoffOptions = {}) {
    this.baseMs = options.baseMs ?? DIAL_BACKOFF_BASE_MS;
    this.maxMs = options.maxMs ?? DIAL_BACKOFF_MAX_MS;
    this.failuresBeforeDead = options.failuresBeforeDead ?? DIAL_FAILURES_BEFORE_DEAD;
    this.maxEntries = options.maxEntries ?? MAX_BACKOFF_ENTRIES;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) {
      throw new InvalidArgumentError('dial backoff needs 0 < baseMs <= maxMs');
    }
    if (!Number.isInteger(this.failuresBeforeDead) || this.failuresBeforeDead < 1 || !Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new InvalidArgumentError('dial backoff needs integer failuresBeforeDead >= 1 and maxEntries >= 1');
    }
  }

  get size(): number {
    return this.states.size;
  }

  /** Records a failed dial and returns when to try again. */
  fail(key: string, nowMs: number): DialFailure {
    let state = this.states.get(key);
    if (!state) {
      if (this.states.size >= this.maxEntries) this.makeRoom(nowMs);
      state = { failures: 0, delayMs: 0, retryAtMs: nowMs };
      this.states.set(key, state);
    }
    const wasAtCeiling = state.delayMs >= this.maxMs;
    state.failures += 1;
    state.delayMs = state.delayMs === 0 ? this.baseMs : Math.min(this.maxMs, state.delayMs * 2);
    state.retryAtMs = nowMs + state.delayMs;
    return {
      failures: state.failures,
      retryAtMs: state.retryAtMs,
      exhausted: wasAtCeiling && state.failures >= this.failuresBeforeDead,
    };
  }

  /**
   * Do not dial the contact for `holdMs` (it said goodbye or shed our edge), without counting a failure:
   * the hold never makes the contact dead, and an earlier retry time is pushed back, never forward.
   */
  hold(key: string, nowMs: number, holdMs: number): void {
    let state = this.states.get(key);
    if (!state) {
      if (this.states.size >= this.maxEntries) this.makeRoom(nowMs);
      state = { failures: 0, delayMs: 0, retryAtMs: nowMs };
      this.states.set(key, state);
    }
    state.retryAtMs = Math.max(state.retryAtMs, nowMs + holdMs);
  }

  /** A dial succeeded (or the contact was forgotten): start from scratch next time. */
  clear(key: string): void {
    this.states.delete(key);
  }

  /** True while the contact is waiting out its backoff. */
  blocked(key: string, nowMs: number): boolean {
    const state = this.states.get(key);
    return state !== undefined && nowMs < state.retryAtMs;
  }

  /** Forgets contacts whose retry time passed more than one ceiling ago: nobody has retried them. */
  prune(nowMs: number): void {
    for (const [key, state] of this.states) if (nowMs - state.retryAtMs > this.maxMs) this.states.delete(key);
  }

  private makeRoom(nowMs: number): void {
    this.prune(nowMs);
    if (this.states.size < this.maxEntries) return;
    // Still full: forget the entry that would be retried first (it is closest to being allowed anyway).
    let victim: string | undefined;
    let earliest = Infinity;
    for (const [key, state] of this.states) {
      if (state.retryAtMs < earliest) {
        earliest = state.retryAtMs;
        victim = key;
      }
    }
    if (victim !== undefined) this.states.delete(victim);
  }
}
