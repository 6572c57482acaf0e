/**
 * NAT-traversal strategy by the pair of NAT types, and the birthday strategy's pure parts (issue 6 items
 * 3 and 5; hyperdht's holepuncher). Pure: randomness and time come from the caller.
 *
 * - Both symmetric: no punch can work (each side's mapping toward the other is new and unknown, and both
 *   filter): go straight to a relay (hyperdht refuses the pair outright).
 * - Exactly one symmetric, the other cone: the birthday strategy. The symmetric side opens
 *   BIRTHDAY_SOCKETS extra sockets, each probing the cone side's one reflexive address, so its NAT holds
 *   that many mappings toward it at random ports; the cone side sprays BIRTHDAY_SPRAY_PORTS random ports
 *   of the symmetric side's public host from its one socket, which opens its filter toward those ports.
 *   Any sprayed port that is also a mapped port is a path both ways: the spray reaches that extra socket,
 *   and that socket's next probe passes the cone side's filter.
 * - Otherwise: the ordinary punch burst (both sides fire at each other's candidates).
 */
import { InvalidArgumentError } from '../errors.js';
import {
  BIRTHDAY_MIN_INTERVAL_MS,
  BIRTHDAY_PACKETS_PER_S,
  BIRTHDAY_PORT_MAX,
  BIRTHDAY_PORT_MIN,
  MAX_BIRTHDAY_PEERS,
  MAX_CONCURRENT_BIRTHDAY_ATTEMPTS,
} from './constants.js';
import type { NatType } from './nat-status.js';

/** What this side does toward a peer: 'spray' (we are the cone side), 'sockets' (we are symmetric), or nothing. */
export type BirthdayRole = 'spray' | 'sockets' | null;

export interface TraversalPlan {
  /** Fire the ordinary punch burst and try a direct dial. */
  readonly punch: boolean;
  readonly birthday: BirthdayRole;
  /** No direct path is possible or likely soon: take a relay first (the birthday, if any, upgrades later). */
  readonly relayFirst: boolean;
}

export function traversalPlan(own: NatType, peer: NatType): TraversalPlan {
  if (own === 'symmetric' && peer === 'symmetric') return { punch: false, birthday: null, relayFirst: true };
  if (own === 'symmetric' && peer === 'cone') return { punch: true, birthday: 'sockets', relayFirst: true };
  if (own === 'cone' && peer === 'symmetric') return { punch: true, birthday: 'spray', relayFirst: true };
  return { punch: true, birthday: null, relayFirst: false };
}

/**
 * `count` distinct ports drawn uniformly from [portMin, portMax] (without `exclude`), in random order;
 * `randomUint32` returns a uniform 32-bit unsigned integer.
 */
export function sprayPorts(count: number, randomUint32: () => number, exclude: readonly number[] = [], portMin = BIRTHDAY_PORT_MIN, portMax = BIRTHDAY_PORT_MAX): number[] {
  const range = portMax - portMin + 1;
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`spray count must be a whole number >= 0, got ${count}`);
  if (!Number.isInteger(range) || range < 1 || portMin < 1 || portMax > 65535) throw new InvalidArgumentError(`bad port range ${portMin}-${portMax}`);
  const taken = new Set(exclude.filter((p) => p >= portMin && p <= portMax));
  const n = Math.min(count, range - taken.size);
  const out: number[] = [];
  // Rejection sampling while the range is sparse; a partial Fisher-Yates would need the whole range.
  while (out.length < n) {
    const port = portMin + (randomUint32() % range);
    if (taken.has(port)) continue;
    taken.add(port);
    out.push(port);
  }
  return out;
}

/**
 * Probability that at least one of `sprayed` distinct uniformly random ports is one of `mapped` distinct
 * uniformly random mapped ports, all in a range of `rangeSize` ports: 1 - C(R-K, N) / C(R, N).
 */
export function birthdayHitProbability(mapped: number, sprayed: number, rangeSize = BIRTHDAY_PORT_MAX - BIRTHDAY_PORT_MIN + 1): number {
  if (mapped <= 0 || sprayed <= 0) return 0;
  if (mapped + sprayed > rangeSize) return 1;
  let logMiss = 0;
  for (let i = 0; i < sprayed; i++) logMiss += Math.log((rangeSize - mapped - i) / (rangeSize - i));
  return 1 - Math.exp(logMiss);
}

/**
 * The birthday budget of one node: a token bucket of datagrams per second (holding one second's worth)
 * shared by every attempt (spray and probes), at most maxAttempts attempts at once, and attempts toward
 * one peer started at least minIntervalMs apart (half of it when `answering`: see
 * BIRTHDAY_MIN_INTERVAL_MS). Pure: every call takes `nowMs`.
 */
export class BirthdayBudget {
  readonly packetsPerSecond: number;
  readonly minIntervalMs: number;
  readonly maxAttempts: number;
  private tokens: number;
  private refilledMs = -Infinity;
  private active = 0;
  /** Peer key -> when its last attempt started; insertion order = oldest first. */
  private readonly lastStartMs = new Map<string, number>();

  constructor(options: { packetsPerSecond?: number; minIntervalMs?: number; maxAttempts?: number } = {}) {
    this.packetsPerSecond = options.packetsPerSecond ?? BIRTHDAY_PACKETS_PER_S;
    this.minIntervalMs = options.minIntervalMs ?? BIRTHDAY_MIN_INTERVAL_MS;
    this.maxAttempts = options.maxAttempts ?? MAX_CONCURRENT_BIRTHDAY_ATTEMPTS;
    if (!(this.packetsPerSecond > 0) || !(this.minIntervalMs >= 0) || !(this.maxAttempts >= 1)) throw new InvalidArgumentError('birthday budget values must be positive');
    this.tokens = this.packetsPerSecond;
  }

  /** Attempts running now. */
  get attempts(): number {
    return this.active;
  }

  /** Would an attempt toward `peerKey` be allowed now? */
  canStart(peerKey: string, nowMs: number, answering = false): boolean {
    if (this.active >= this.maxAttempts) return false;
    const last = this.lastStartMs.get(peerKey);
    return last === undefined || nowMs - last >= (answering ? this.minIntervalMs / 2 : this.minIntervalMs);
  }

  /** May an attempt toward `peerKey` start now? Counts it as started when it may. */
  startAttempt(peerKey: string, nowMs: number, answering = false): boolean {
    if (!this.canStart(peerKey, nowMs, answering)) return false;
    this.active++;
    this.lastStartMs.delete(peerKey);
    if (this.lastStartMs.size >= MAX_BIRTHDAY_PEERS) {
      const oldest = this.lastStartMs.keys().next();
      if (!oldest.done) this.lastStartMs.delete(oldest.value);
    }
    this.lastStartMs.set(peerKey, nowMs);
    return true;
  }

  endAttempt(): void {
    if (this.active > 0) this.active--;
  }

  /** Takes up to `wanted` datagram tokens; returns how many were granted. */
  take(wanted: number, nowMs: number): number {
    if (this.refilledMs === -Infinity) this.refilledMs = nowMs;
    const elapsedS = Math.max(0, nowMs - this.refilledMs) / 1000;
    this.tokens = Math.min(this.packetsPerSecond, this.tokens + elapsedS * this.packetsPerSecond);
    this.refilledMs = nowMs;
    const granted = Math.max(0, Math.min(wanted, Math.floor(this.tokens)));
    this.tokens -= granted;
    return granted;
  }
}
