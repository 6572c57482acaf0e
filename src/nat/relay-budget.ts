/**
 * A relay's caps (DESIGN "NAT traversal": a relay is capped in sessions, bytes/s and packets/s; issue 6
 * item 4 adds an idle timeout). A relayed session is an unordered endpoint pair: both directions share
 * one slot and one pair of token buckets (each holds one second's worth). A pair idle for idleTimeoutMs
 * frees its slot. The endpoint whose FORWARD opened a pair is charged for it: at most maxSessionsPerPeer
 * open pairs per opener (a client cannot take every slot). Pure: every call takes `nowMs`.
 */
import { InvalidArgumentError } from '../errors.js';
import { RELAY_BYTES_PER_S, RELAY_IDLE_TIMEOUT_MS, RELAY_MAX_SESSIONS, RELAY_MAX_SESSIONS_PER_PEER, RELAY_PACKETS_PER_S } from './constants.js';

export interface RelayBudgetOptions {
  maxSessions?: number;
  /** Pairs one endpoint may open (default min(RELAY_MAX_SESSIONS_PER_PEER, maxSessions)). */
  maxSessionsPerPeer?: number;
  bytesPerSecond?: number;
  packetsPerSecond?: number;
  idleTimeoutMs?: number;
}

export type RelayAdmission = 'ok' | 'sessions-full' | 'rate-limited';

interface Pair {
  /** The endpoint whose FORWARD opened the pair (charged for its slot). */
  opener: string;
  bytes: number;
  packets: number;
  refilledMs: number;
  lastUsedMs: number;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`relay ${name} must be a positive number, got ${value}`);
  return value;
}

export class RelayBudget {
  readonly maxSessions: number;
  readonly maxSessionsPerPeer: number;
  readonly bytesPerSecond: number;
  readonly packetsPerSecond: number;
  readonly idleTimeoutMs: number;
  /** Least recently used first (a use re-inserts), so expiry only ever looks at the front. */
  private readonly pairs = new Map<string, Pair>();
  /** Open pairs by opener. */
  private readonly opened = new Map<string, number>();

  constructor(options: RelayBudgetOptions = {}) {
    this.maxSessions = positive('maxSessions', options.maxSessions ?? RELAY_MAX_SESSIONS);
    this.maxSessionsPerPeer = positive('maxSessionsPerPeer', options.maxSessionsPerPeer ?? Math.min(RELAY_MAX_SESSIONS_PER_PEER, this.maxSessions));
    this.bytesPerSecond = positive('bytesPerSecond', options.bytesPerSecond ?? RELAY_BYTES_PER_S);
    this.packetsPerSecond = positive('packetsPerSecond', options.packetsPerSecond ?? RELAY_PACKETS_PER_S);
    this.idleTimeoutMs = positive('idleTimeoutMs', options.idleTimeoutMs ?? RELAY_IDLE_TIMEOUT_MS);
  }

  /** Relayed pairs currently holding a slot (after expiring idle ones at `nowMs`). */
  sessions(nowMs: number): number {
    this.expire(nowMs);
    return this.pairs.size;
  }

  /** May a packet of `bytes` go from `fromKey` to `toKey` now? Charges the pair when it may. */
  admit(fromKey: string, toKey: string, bytes: number, nowMs: number): RelayAdmission {
    this.expire(nowMs);
    const key = fromKey < toKey ? `${fromKey}|${toKey}` : `${toKey}|${fromKey}`;
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      if (this.pairs.size >= this.maxSessions) return 'sessions-full';
      const opened = this.opened.get(fromKey) ?? 0;
      if (opened >= this.maxSessionsPerPeer) return 'sessions-full';
      this.opened.set(fromKey, opened + 1);
      pair = { opener: fromKey, bytes: this.bytesPerSecond, packets: this.packetsPerSecond, refilledMs: nowMs, lastUsedMs: nowMs };
    } else {
      this.pairs.delete(key);
      const elapsedS = Math.max(0, nowMs - pair.refilledMs) / 1000;
      pair.bytes = Math.min(this.bytesPerSecond, pair.bytes + elapsedS * this.bytesPerSecond);
      pair.packets = Math.min(this.packetsPerSecond, pair.packets + elapsedS * this.packetsPerSecond);
      pair.refilledMs = nowMs;
    }
    pair.lastUsedMs = nowMs;
    this.pairs.set(key, pair);
    if (pair.packets < 1 || pair.bytes < bytes) return 'rate-limited';
    pair.packets -= 1;
    pair.bytes -= bytes;
    return 'ok';
  }

  private expire(nowMs: number): void {
    for (const [key, pair] of this.pairs) {
      if (nowMs - pair.lastUsedMs < this.idleTimeoutMs) return;
      this.pairs.delete(key);
      const opened = (this.opened.get(pair.opener) ?? 1) - 1;
      if (opened <= 0) this.opened.delete(pair.opener);
      else this.opened.set(pair.opener, opened);
    }
  }
}
