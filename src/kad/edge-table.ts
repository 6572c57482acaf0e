/**
 * The live-edge table: the Wiresocket sessions this node routes over (DESIGN "Overlay"; nodenet 2,
 * Edges). Only live edges carry routed traffic; the knowledge table merely supplies dial candidates.
 *
 * - siblings are the SIBLINGS (16) live edges closest to self, kept exact on every add and remove; all
 *   other edges are fingers;
 * - only self-maintained (outbound) edges count toward the degree phases, because a peer can drop an
 *   inbound edge at will (nodenet 2: degree accounting);
 * - at most MAX_INBOUND_EDGES peer-initiated edges;
 * - dial choice prefers subnets with fewer than LIVE_SUBNET_CAP live edges, falling back to saturated
 *   subnets rather than starving the floor (a soft preference, nodenet 2: ReplacementFor);
 * - but no subnet ever holds more than MAX_EDGES_PER_SUBNET live edges through inbound edges or dial
 *   choice (a hard cap against eclipse attacks from one /24; beyond nodenet, which caps per source IP);
 * - each edge carries a control and a forward token bucket (edge-budget.ts).
 */
import { InvalidArgumentError } from '../errors.js';
import {
  CANDIDATE_POOL_FACTOR,
  CANDIDATE_POOL_MIN,
  DEFAULT_TARGET_DEGREE,
  DEGREE_FLOOR,
  DIAL_PENDING_EXPIRY_MS,
  DIALS_PER_ROUND,
  FILL_HYSTERESIS,
  LEFT_REDIAL_HOLD_MS,
  LIVE_SUBNET_CAP,
  LOW_WATER_EDGES,
  MAX_EDGES_PER_SUBNET,
  MAX_INBOUND_EDGES,
  NODE_ID_BYTES,
  SIBLING_REPAIR_DIALS_PER_ROUND,
  SIBLINGS,
} from './constants.js';
import type { KadAddress, ReadonlyKadContact } from './contact.js';
import { DialBackoff, type DialBackoffOptions, type DialFailure } from './dial-backoff.js';
import { CONTROL_BUDGET, FORWARD_BUDGET, fullBucket, take, type BudgetKind, type BudgetRate, type TokenBucket } from './edge-budget.js';
import type { KnowledgeTable } from './knowledge-table.js';
import { compareDistance, idKey, idsEqual, isNodeId } from './node-id.js';
import { subnetOfAddresses, type SubnetOf } from './subnet.js';

export type EdgeKind = 'sibling' | 'finger';
export type EdgePhase = 'bootstrap' | 'critical' | 'urgent' | 'fill' | 'normal';
export type EdgeRefusal = 'bad-id' | 'self' | 'duplicate' | 'inbound-full' | 'subnet-full';
export type EdgeAdmission = { accept: true } | { accept: false; reason: EdgeRefusal };

export interface LiveEdge {
  readonly id: Uint8Array;
  readonly key: string;
  kind: EdgeKind;
  /** Peer-initiated: does not count toward the degree phases. */
  readonly inbound: boolean;
  /** /24 or /64 of the address the session actually runs on (authenticated by the handshake). */
  readonly subnet: string | undefined;
  capabilities: number;
  readonly addedMs: number;
  /** Any frame from the peer refreshes this (touch). */
  lastSeenMs: number;
  readonly control: TokenBucket;
  readonly forward: TokenBucket;
}

export type ReadonlyLiveEdge = Readonly<LiveEdge>;

export interface AddEdgeInput {
  id: Uint8Array;
  inbound: boolean;
  /** The peer's address as this node sees the session. */
  address?: KadAddress;
  capabilities?: number;
}

export type AddEdgeResult = { added: true; edge: ReadonlyLiveEdge } | { added: false; reason: EdgeRefusal };

export interface EdgeTableOptions {
  self: Uint8Array;
  /** Outbound edges wanted in steady state (default 24, see DEFAULT_TARGET_DEGREE). */
  targetDegree?: number;
  maxInbound?: number;
  liveSubnetCap?: number;
  /** Hard cap of live edges per subnet (inbound admission and dial choice; default MAX_EDGES_PER_SUBNET). */
  maxPerSubnet?: number;
  subnetOf?: SubnetOf;
  controlBudget?: BudgetRate;
  forwardBudget?: BudgetRate;
  backoff?: DialBackoffOptions;
}

/** Who not to dial, on top of the table's own rules (app admission policy, ongoing probes...). */
export type DialSkip = (id: Uint8Array) => boolean;

export class EdgeTable {
  readonly self: Uint8Array;
  readonly targetDegree: number;
  readonly maxInbound: number;
  readonly liveSubnetCap: number;
  readonly maxPerSubnet: number;
  /**
   * Per-edge token buckets: take(edge, 'control' | 'forward', nowMs) is false when over budget (drop and
   * count). Passing the edge record instead of its ID skips the key lookup on the hot path.
   */
  readonly edgeBudget: {
    take(edge: Uint8Array | ReadonlyLiveEdge, kind: BudgetKind, nowMs: number): boolean;
  };
  private readonly subnetOf: SubnetOf;
  private readonly controlRate: BudgetRate;
  private readonly forwardRate: BudgetRate;
  private readonly lowWater: number;
  private readonly normalFloor: number;
  private readonly byKey = new Map<string, LiveEdge>();
  /** All edges, closest to self first; the first SIBLINGS are the siblings. */
  private readonly byDistance: LiveEdge[] = [];
  private readonly subnetLoads = new Map<string, number>();
  private readonly pendingDials = new Map<string, number>();
  private readonly backoff: DialBackoff;
  private idCache: Uint8Array[] | undefined;
  private outbound = 0;
  private currentPhase: EdgePhase = 'bootstrap';

  constructor(options: EdgeTableOptions) {
    if (!isNodeId(options.self)) throw new InvalidArgumentError(`self must be a ${NODE_ID_BYTES}-byte NodeID`);
    const target = options.targetDegree ?? DEFAULT_TARGET_DEGREE;
    if (!Number.isInteger(target) || target <= DEGREE_FLOOR || target > 4096) {
      throw new InvalidArgumentError(`targetDegree must be an integer in ${DEGREE_FLOOR + 1}..4096; got ${target}`);
    }
    const maxInbound = options.maxInbound ?? MAX_INBOUND_EDGES;
    if (!Number.isInteger(maxInbound) || maxInbound < 0) throw new InvalidArgumentError(`maxInbound must be an integer >= 0; got ${maxInbound}`);
    const liveSubnetCap = options.liveSubnetCap ?? LIVE_SUBNET_CAP;
    if (!Number.isInteger(liveSubnetCap) || liveSubnetCap < 1) throw new InvalidArgumentError(`liveSubnetCap must be an integer >= 1; got ${liveSubnetCap}`);
    const maxPerSubnet = options.maxPerSubnet ?? MAX_EDGES_PER_SUBNET;
    if (!Number.isInteger(maxPerSubnet) || maxPerSubnet < liveSubnetCap) {
      throw new InvalidArgumentError(`maxPerSubnet must be an integer >= liveSubnetCap (${liveSubnetCap}); got ${maxPerSubnet}`);
    }
    this.self = options.self.slice();
    this.targetDegree = target;
    this.maxPerSubnet = maxPerSubnet;
    this.maxInbound = maxInbound;
    this.liveSubnetCap = liveSubnetCap;
    this.subnetOf = options.subnetOf ?? subnetOfAddresses;
    this.controlRate = options.controlBudget ?? CONTROL_BUDGET;
    this.forwardRate = options.forwardBudget ?? FORWARD_BUDGET;
    this.backoff = new DialBackoff(options.backoff);
    // nodenet 2 phase bands, squeezed consistently when the target is small.
    this.lowWater = Math.min(LOW_WATER_EDGES, target - 1);
    this.normalFloor = Math.max(target - FILL_HYSTERESIS, this.lowWater + 1);
    this.edgeBudget = {
      take: (edge, kind, nowMs) => {
        const record = edge instanceof Uint8Array ? (isNodeId(edge) ? this.byKey.get(idKey(edge)) : undefined) : this.byKey.get(edge.key);
        // An unregistered peer gets no budget at all (nodenet 2).
        if (record === undefined || (!(edge instanceof Uint8Array) && record !== edge)) return false;
        return kind === 'control' ? take(record.control, this.controlRate, nowMs) : take(record.forward, this.forwardRate, nowMs);
      },
    };
  }

  get size(): number {
    return this.byDistance.length;
  }

  get outboundCount(): number {
    return this.outbound;
  }

  get inboundCount(): number {
    return this.byDistance.length - this.outbound;
  }

  has(id: Uint8Array): boolean {
    return isNodeId(id) && this.byKey.has(idKey(id));
  }

  get(id: Uint8Array): ReadonlyLiveEdge | undefined {
    return isNodeId(id) ? this.byKey.get(idKey(id)) : undefined;
  }

  /** Live edges counted against a subnet key. */
  liveSubnetLoad(subnet: string): number {
    return this.subnetLoads.get(subnet) ?? 0;
  }

  /** All live edges, closest to self first. */
  all(): ReadonlyLiveEdge[] {
    return this.byDistance.slice();
  }

  siblings(): ReadonlyLiveEdge[] {
    return this.byDistance.slice(0, SIBLINGS);
  }

  fingers(): ReadonlyLiveEdge[] {
    return this.byDistance.slice(SIBLINGS);
  }

  /** The live edge IDs, closest to self first; one cached array until the next add or remove (for decide). */
  ids(): readonly Uint8Array[] {
    this.idCache ??= this.byDistance.map((e) => e.id);
    return this.idCache;
  }

  /**
   * Whether a new session with this peer may become an edge. `address` is where the session comes from
   * (authenticated by the handshake); an inbound edge from a subnet holding maxPerSubnet edges is refused.
   */
  shouldAccept(id: Uint8Array, inbound: boolean, address?: KadAddress): EdgeAdmission {
    if (!isNodeId(id)) return { accept: false, reason: 'bad-id' };
    if (idsEqual(id, this.self)) return { accept: false, reason: 'self' };
    // Simultaneous initiations are resolved by the session layer; here the first edge stays.
    if (this.byKey.has(idKey(id))) return { accept: false, reason: 'duplicate' };
    if (inbound && this.inboundCount >= this.maxInbound) return { accept: false, reason: 'inbound-full' };
    if (inbound && address !== undefined && this.subnetFull(address)) return { accept: false, reason: 'subnet-full' };
    return { accept: true };
  }

  /**
   * True when the subnet of `address` already holds maxPerSubnet live edges (an inbound one would be
   * refused); `pending` adds sessions from that subnet still on their way to becoming edges.
   */
  subnetFull(address: KadAddress, pending = 0): boolean {
    const subnet = this.subnetOf([address]);
    return subnet !== undefined && (this.subnetLoads.get(subnet) ?? 0) + pending >= this.maxPerSubnet;
  }

  /** The subnet key `address` counts against (undefined: no cap applies). */
  subnetKeyOf(address: KadAddress): string | undefined {
    return this.subnetOf([address]);
  }

  add(input: AddEdgeInput, nowMs: number): AddEdgeResult {
    const admission = this.shouldAccept(input.id, input.inbound, input.address);
    if (!admission.accept) return { added: false, reason: admission.reason };
    const key = idKey(input.id);
    const edge: LiveEdge = {
      id: input.id.slice(),
      key,
      kind: 'finger',
      inbound: input.inbound,
      subnet: input.address ? this.subnetOf([input.address]) : undefined,
      capabilities: input.capabilities ?? 0,
      addedMs: nowMs,
      lastSeenMs: nowMs,
      control: fullBucket(this.controlRate, nowMs),
      forward: fullBucket(this.forwardRate, nowMs),
    };
    const at = this.insertionIndex(edge.id);
    this.byDistance.splice(at, 0, edge);
    this.byKey.set(key, edge);
    if (at < SIBLINGS) {
      edge.kind = 'sibling';
      // The edge pushed out of the sibling set becomes a finger.
      if (this.byDistance.length > SIBLINGS) this.byDistance[SIBLINGS].kind = 'finger';
    }
    if (edge.subnet !== undefined) this.subnetLoads.set(edge.subnet, (this.subnetLoads.get(edge.subnet) ?? 0) + 1);
    if (!edge.inbound) this.outbound++;
    this.pendingDials.delete(key);
    this.backoff.clear(key);
    this.idCache = undefined;
    this.updatePhase();
    return { added: true, edge };
  }

  /** Removes a live edge; returns it, or undefined when there was none. */
  remove(id: Uint8Array): ReadonlyLiveEdge | undefined {
    if (!isNodeId(id)) return undefined;
    const edge = this.byKey.get(idKey(id));
    if (!edge) return undefined;
    const at = this.byDistance.indexOf(edge);
    this.byDistance.splice(at, 1);
    this.byKey.delete(edge.key);
    // The closest finger moves up into the freed sibling slot.
    if (at < SIBLINGS && this.byDistance.length >= SIBLINGS) this.byDistance[SIBLINGS - 1].kind = 'sibling';
    if (edge.subnet !== undefined) {
      const load = (this.subnetLoads.get(edge.subnet) ?? 1) - 1;
      if (load <= 0) this.subnetLoads.delete(edge.subnet);
      else this.subnetLoads.set(edge.subnet, load);
    }
    if (!edge.inbound) this.outbound--;
    this.idCache = undefined;
    this.updatePhase();
    return edge;
  }

  /** Any frame from the peer: the edge is alive now. */
  touch(id: Uint8Array, nowMs: number): boolean {
    const edge = this.get(id) as LiveEdge | undefined;
    if (!edge) return false;
    if (nowMs > edge.lastSeenMs) edge.lastSeenMs = nowMs;
    return true;
  }

  /**
   * nodenet 2 phases from the outbound count: 0 bootstrap; <= floor (3) critical; <= low water (8)
   * urgent; >= target normal, and normal is kept down to target - 4 (hysteresis); otherwise fill.
   */
  phase(): EdgePhase {
    return this.currentPhase;
  }

  /** A dial toward this contact is in flight: do not offer it again until it ends or expires. */
  noteDialStarted(id: Uint8Array, nowMs: number): void {
    if (isNodeId(id)) this.pendingDials.set(idKey(id), nowMs);
  }

  /** A dial failed: the contact backs off. `exhausted` means: knowledge.markDead(id). */
  noteDialFailed(id: Uint8Array, nowMs: number): DialFailure {
    const key = idKey(id);
    this.pendingDials.delete(key);
    return this.backoff.fail(key, nowMs);
  }

  /**
   * The peer closed our edge with a Leave (it is leaving, or shedding surplus edges: degree-trim.ts): do
   * not dial it again for LEFT_REDIAL_HOLD_MS, or a trimmed peer would be redialed at once, trimmed
   * again after the grace period, and so on.
   */
  noteLeft(id: Uint8Array, nowMs: number): void {
    if (!isNodeId(id)) return;
    const key = idKey(id);
    this.pendingDials.delete(key);
    this.backoff.hold(key, nowMs, LEFT_REDIAL_HOLD_MS);
  }

  /** In-flight dials that have not expired. */
  pendingDialCount(nowMs: number): number {
    for (const [key, started] of this.pendingDials) if (nowMs - started >= DIAL_PENDING_EXPIRY_MS) this.pendingDials.delete(key);
    return this.pendingDials.size;
  }

  /**
   * Contacts to dial next. Candidates are the dialable contacts closest to self (so the maintained set
   * converges on the siblings, nodenet 2: fill), taking first those whose subnet has fewer than
   * liveSubnetCap live edges, then the rest. How many: the phase's dials per round minus dials in
   * flight; in the 'normal' phase only contacts closer to self than the farthest sibling (a node joined
   * next to us), at most SIBLING_REPAIR_DIALS_PER_ROUND.
   */
  wanted(knowledge: KnowledgeTable, nowMs: number, skip?: DialSkip): ReadonlyKadContact[] {
    this.backoff.prune(nowMs);
    const pending = this.pendingDialCount(nowMs);
    const phase = this.currentPhase;
    const perRound = phase === 'normal' ? SIBLING_REPAIR_DIALS_PER_ROUND : DIALS_PER_ROUND[phase];
    const limit = perRound - pending;
    if (limit <= 0) return [];
    const poolSize = Math.max(CANDIDATE_POOL_FACTOR * perRound, CANDIDATE_POOL_MIN);
    let candidates = knowledge.closest(this.self, poolSize, (c) => this.dialable(c, nowMs, skip));
    if (phase === 'normal') candidates = candidates.filter((c) => this.wouldDisplaceSibling(c.id));
    return this.pickDiverse(candidates, limit);
  }

  /**
   * One contact to dial in place of a dropped edge: the dialable contact closest to the dropped ID (a
   * sibling is replaced by another near-self contact, a finger by one covering the same region),
   * preferring a subnet under the live cap. Call after remove().
   */
  replacementFor(droppedId: Uint8Array, knowledge: KnowledgeTable, nowMs: number, skip?: DialSkip): ReadonlyKadContact | undefined {
    if (!isNodeId(droppedId)) return undefined;
    this.pendingDialCount(nowMs);
    const candidates = knowledge.closest(droppedId, CANDIDATE_POOL_MIN, (c) => !idsEqual(c.id, droppedId) && this.dialable(c, nowMs, skip));
    return this.pickDiverse(candidates, 1)[0];
  }

  // ---- internals ----

  private dialable(c: ReadonlyKadContact, nowMs: number, skip: DialSkip | undefined): boolean {
    if (c.addresses.length === 0) return false;
    const key = idKey(c.id);
    if (this.byKey.has(key) || this.pendingDials.has(key)) return false;
    if (this.backoff.blocked(key, nowMs)) return false;
    return skip === undefined || !skip(c.id);
  }

  /**
   * True when the contact would push a current sibling out of the full sibling set. (With fewer than
   * SIBLINGS edges in the 'normal' phase the operator chose a target below SIBLINGS; we respect it.)
   */
  private wouldDisplaceSibling(id: Uint8Array): boolean {
    if (this.byDistance.length < SIBLINGS) return false;
    return compareDistance(this.self, id, this.byDistance[SIBLINGS - 1].id) < 0;
  }

  /**
   * Up to `limit` candidates in their given order, subnet-diverse ones first (soft cap LIVE_SUBNET_CAP),
   * then from saturated subnets, but never into a subnet at the hard cap (maxPerSubnet).
   */
  private pickDiverse(candidates: readonly ReadonlyKadContact[], limit: number): ReadonlyKadContact[] {
    const picked: ReadonlyKadContact[] = [];
    const chosen = new Set<number>();
    const extraLoad = new Map<string, number>();
    const subnets = candidates.map((c) => this.subnetOf(c.addresses));
    const load = (subnet: string) => (this.subnetLoads.get(subnet) ?? 0) + (extraLoad.get(subnet) ?? 0);
    for (let pass = 0; pass < 2; pass++) {
      // Pass 0: subnets under the soft cap; pass 1: saturated ones rather than leave the degree short.
      const cap = pass === 0 ? this.liveSubnetCap : this.maxPerSubnet;
      for (let i = 0; i < candidates.length && picked.length < limit; i++) {
        if (chosen.has(i)) continue;
        const subnet = subnets[i];
        if (subnet !== undefined) {
          if (load(subnet) >= cap) continue;
          extraLoad.set(subnet, (extraLoad.get(subnet) ?? 0) + 1);
        }
        picked.push(candidates[i]);
        chosen.add(i);
      }
    }
    return picked;
  }

  private insertionIndex(id: Uint8Array): number {
    let lo = 0;
    let hi = this.byDistance.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareDistance(this.self, this.byDistance[mid].id, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private updatePhase(): void {
    const n = this.outbound;
    let next: EdgePhase;
    if (n === 0) next = 'bootstrap';
    else if (n <= DEGREE_FLOOR) next = 'critical';
    else if (n >= this.targetDegree) next = 'normal';
    else if (this.currentPhase === 'normal' && n >= this.normalFloor) next = 'normal';
    else if (n <= this.lowWater) next = 'urgent';
    else next = 'fill';
    this.currentPhase = next;
  }
}
