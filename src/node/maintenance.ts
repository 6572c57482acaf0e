/**
 * The maintenance loop (nodenet 5; DESIGN "Overlay"), one round every tickMs on the injected clock:
 * 1. fill toward the target degree: EdgeTable.wanted() picks subnet-diverse contacts closest to self,
 *    so the maintained set converges on the siblings; failed dials back off exponentially and a
 *    contact whose backoff is exhausted is marked dead in the knowledge table;
 *    fingers: every non-empty bucket of the knowledge table gets one live edge (Kademlia's rule).
 *    Siblings alone leave greedy routing stuck whenever a target differs from this node in a high bit
 *    (no edge is then closer to it); one edge per bucket guarantees progress at every hop;
 * 2. eviction probes: incumbents of full buckets are dialed (at most PROBES_PER_TICK per round);
 * 3. self-lookup (also soon after an edge comes up), sibling exchange with the siblings, refresh lookups
 *    into stale buckets, and lookups into empty buckets above our neighbourhood (once right after
 *    joining, then a few per refresh check): the self-lookup only teaches contacts near us, and without
 *    contacts in the coarse buckets there is nobody to make fingers of;
 * 4. periodic persistence of the knowledge table;
 * 5. degree trimming (src/kad/degree-trim.ts): above `degreeCap` live edges, surplus inbound edges are
 *    closed with a Leave (their peers dial replacements elsewhere), so bootstrap nodes and other popular
 *    nodes do not become hubs whose degree grows with the network.
 * Keepalive and dead-edge reaping are the sessions' own (spec 7.3: keepalive when idle, close after
 * deadAfterMs of silence); a closed edge is replaced at once with the dialable contact closest to it.
 */
import { BUCKET_COUNT, DEFAULT_TRIM_POLICY, SIBLINGS, commonPrefixLength, idsEqual, randomIdInBucket, ranksAmongSiblings, surplusEdges, type ReadonlyKadContact, type TrimPolicy } from '../kad/index.js';
import {
  BUCKET_REFRESHES_PER_CHECK,
  FINGER_DIALS_PER_TICK,
  UNCOVERED_BUCKET_LOOKUP_MS,
  JOIN_EMPTY_BUCKET_LOOKUPS,
  MAX_CONCURRENT_DIALS,
  MIN_SELF_LOOKUP_INTERVAL_MS,
  PROBES_PER_TICK,
} from './constants.js';
import { contactFromKad } from './contact-forms.js';
import type { NodeContext } from './context.js';
import type { MaintenanceOptions } from './options.js';

export class Maintenance {
  private readonly ctx: NodeContext;
  private readonly m: MaintenanceOptions;
  private readonly persist: () => void;
  private timer: unknown = null;
  private dialsInFlight = 0;
  private lastSelfLookupMs = -Infinity;
  private nextSelfLookupMs = 0;
  private nextSiblingExchangeMs: number;
  private nextBucketCheckMs: number;
  private nextPersistMs: number;
  private sweptAfterJoin = false;
  private readonly trimPolicy: TrimPolicy;
  /** Last lookup into a bucket without an edge or a dialable contact, by bucket. */
  private readonly uncoveredLookupMs = new Map<number, number>();
  private readonly dialSkip = (id: Uint8Array): boolean => {
    const policy = this.ctx.options.acceptEdge;
    return policy !== undefined && !policy(id.slice());
  };

  constructor(ctx: NodeContext, options: MaintenanceOptions, persist: () => void) {
    this.ctx = ctx;
    this.m = options;
    this.persist = persist;
    const now = ctx.clock.now();
    this.nextSiblingExchangeMs = now + options.siblingExchangeMs;
    this.nextBucketCheckMs = now + options.bucketRefreshCheckMs;
    this.nextPersistMs = now + options.persistIntervalMs;
    this.trimPolicy = { ...DEFAULT_TRIM_POLICY, degreeCap: ctx.options.degreeCap };
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    if (this.timer !== null) this.ctx.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** A new edge: learn our neighbourhood through it soon (rate-limited self-lookup). */
  onEdgeUp(): void {
    const now = this.ctx.clock.now();
    if (now - this.lastSelfLookupMs >= MIN_SELF_LOOKUP_INTERVAL_MS) this.selfLookup(now);
  }

  /**
   * An edge closed: dial its replacement now rather than at the next round, when `replace` (one of our
   * own edges, or a sibling). An inbound finger was its peer's to maintain: replacing those too turned
   * every lost inbound edge into an extra outbound one, and degrees crept up with churn (the rounds
   * repair fingers anyway).
   */
  onEdgeLost(id: Uint8Array, left: boolean, replace: boolean): void {
    const ctx = this.ctx;
    const now = ctx.clock.now();
    // A node that said goodbye (or shed our edge) is not redialed for a while.
    if (left) ctx.edgeTable.noteLeft(id, now);
    if (!replace) return;
    const replacement = ctx.edgeTable.replacementFor(id, ctx.knowledge, now, this.dialSkip);
    if (replacement !== undefined) this.dial(replacement);
  }

  /** Dials a contact as a maintained (outbound) edge, with backoff bookkeeping. */
  dial(contact: ReadonlyKadContact): void {
    const ctx = this.ctx;
    const target = contactFromKad(contact);
    if (target === null || target.addresses.length === 0 || this.dialsInFlight >= MAX_CONCURRENT_DIALS) return;
    ctx.edgeTable.noteDialStarted(contact.id, ctx.clock.now());
    this.dialsInFlight++;
    ctx.counters.dialsStarted++;
    // The connect cascade (issue 6 item 5): known address, then rendezvous, punch or birthday, relay.
    ctx.cascade.connect(target.nodeId, { timeoutMs: this.m.dialTimeoutMs * 2, knownAddressTimeoutMs: this.m.dialTimeoutMs, maintained: true }).then(
      () => {
        this.dialsInFlight--;
      },
      () => {
        this.dialsInFlight--;
        if (!ctx.running) return;
        ctx.counters.dialsFailed++;
        const failure = ctx.edgeTable.noteDialFailed(contact.id, ctx.clock.now());
        if (failure.exhausted) ctx.knowledge.markDead(contact.id);
      },
    );
  }

  private schedule(delayMs: number): void {
    this.timer = this.ctx.clock.setTimer(() => {
      this.timer = null;
      if (!this.ctx.running) return;
      this.tick();
      this.schedule(this.m.tickMs);
    }, delayMs);
  }

  private tick(): void {
    const ctx = this.ctx;
    const now = ctx.clock.now();
    for (const c of ctx.edgeTable.wanted(ctx.knowledge, now, this.dialSkip)) this.dial(c);
    this.fillFingers(now);
    this.runProbes();
    this.trimSurplus(now);
    if (now >= this.nextSelfLookupMs && ctx.edgeTable.size > 0) this.selfLookup(now);
    if (now >= this.nextSiblingExchangeMs) {
      this.nextSiblingExchangeMs = now + this.m.siblingExchangeMs;
      for (const edge of ctx.edgeTable.siblings()) {
        const link = ctx.edges.edgeLinkByKey(edge.key);
        if (link !== undefined) ctx.lookups.siblingExchange(link);
      }
    }
    if (!this.sweptAfterJoin && ctx.edgeTable.size > 0 && now - this.lastSelfLookupMs >= this.m.tickMs) {
      // The self-lookup's answers are in: now look into the buckets it could not fill.
      this.sweptAfterJoin = true;
      this.lookupEmptyBuckets(JOIN_EMPTY_BUCKET_LOOKUPS);
    }
    if (now >= this.nextBucketCheckMs) {
      this.nextBucketCheckMs = now + this.m.bucketRefreshCheckMs;
      for (const stale of ctx.knowledge.staleBuckets(now, this.m.bucketStaleAfterMs).slice(0, BUCKET_REFRESHES_PER_CHECK)) {
        ctx.lookups.lookup(stale.target);
      }
      this.lookupEmptyBuckets(BUCKET_REFRESHES_PER_CHECK);
    }
    if (now >= this.nextPersistMs) {
      this.nextPersistMs = now + this.m.persistIntervalMs;
      this.persist();
    }
    ctx.router.seen.prune(now);
    ctx.lookups.pending.prune(now);
  }

  /**
   * Lookups toward random IDs in empty buckets coarser than our closest known contact (deeper buckets
   * are empty because few nodes share that long a prefix with us, not for want of asking).
   */
  private lookupEmptyBuckets(max: number): void {
    const ctx = this.ctx;
    const closest = ctx.knowledge.closest(ctx.self, 1)[0];
    if (closest === undefined) return;
    const deepest = commonPrefixLength(ctx.self, closest.id);
    let sent = 0;
    for (let b = 0; b < deepest && sent < max; b++) {
      if (ctx.knowledge.bucketLength(b) > 0) continue;
      if (!ctx.lookups.lookup(randomIdInBucket(ctx.self, b, (out) => out.set(ctx.randomBytes(out.length))))) return;
      sent++;
    }
  }

  /**
   * Dials into knowledge buckets that have contacts but no live edge, coarsest (farthest) first. When
   * nobody in such a bucket is dialable (they trimmed our edge, left or failed: the bucket's few known
   * contacts are often the same old, popular nodes everybody knows), a lookup toward a random ID in it
   * learns others there.
   */
  private fillFingers(now: number): void {
    const ctx = this.ctx;
    const covered = new Uint8Array(BUCKET_COUNT);
    for (const id of ctx.edgeTable.ids()) covered[commonPrefixLength(ctx.self, id)] = 1;
    let dials = 0;
    let lookups = 0;
    for (let b = 0; b < BUCKET_COUNT && dials < FINGER_DIALS_PER_TICK; b++) {
      if (covered[b] === 1 || ctx.knowledge.bucketLength(b) === 0) continue;
      const target = randomIdInBucket(ctx.self, b, (out) => out.set(ctx.randomBytes(out.length)));
      const pick = ctx.edgeTable.replacementFor(target, ctx.knowledge, now, this.dialSkip);
      if (pick === undefined || commonPrefixLength(ctx.self, pick.id) !== b) {
        if (lookups < FINGER_DIALS_PER_TICK && now - (this.uncoveredLookupMs.get(b) ?? -Infinity) >= UNCOVERED_BUCKET_LOOKUP_MS && ctx.lookups.lookup(target)) {
          this.uncoveredLookupMs.set(b, now);
          lookups++;
        }
        continue;
      }
      this.dial(pick);
      dials++;
    }
  }

  /** Closes surplus inbound edges (degree-trim.ts); no replacement is dialed for them. */
  private trimSurplus(now: number): void {
    const ctx = this.ctx;
    if (ctx.edgeTable.size <= this.trimPolicy.degreeCap) return;
    // A peer that has us among its siblings (by what we know of its neighbourhood) keeps its edge.
    const isPeersSibling = (peer: Uint8Array) => ranksAmongSiblings(ctx.self, peer, ctx.knowledge.closest(peer, SIBLINGS, (c) => !idsEqual(c.id, peer)));
    for (const edge of surplusEdges(ctx.self, ctx.edgeTable.all(), now, this.trimPolicy, isPeersSibling)) ctx.edges.trim(edge.id);
  }

  private selfLookup(now: number): void {
    this.lastSelfLookupMs = now;
    this.nextSelfLookupMs = now + this.m.selfLookupMs;
    this.ctx.lookups.lookup(this.ctx.self);
  }

  private runProbes(): void {
    const ctx = this.ctx;
    for (const id of ctx.learning.takeProbes(PROBES_PER_TICK)) {
      const known = ctx.knowledge.get(id);
      const contact = known === undefined ? null : contactFromKad(known);
      if (contact === null || contact.addresses.length === 0) {
        ctx.learning.probeResult(id, false);
        continue;
      }
      ctx.counters.probesStarted++;
      const hadEdge = ctx.edges.edgeLink(id) !== undefined;
      ctx.edges.dial(contact, { timeoutMs: this.m.dialTimeoutMs }).then(
        (link) => {
          if (!ctx.running) return;
          ctx.learning.probeResult(id, true);
          // The probe only asked "are you alive?": an edge it made is not wanted (it would stay forever
          // and degrees would creep up), unless it is a sibling now or maintenance adopted it.
          if (!hadEdge && !link.maintained && ctx.edgeTable.get(id)?.kind === 'finger') ctx.edges.release(id);
        },
        () => ctx.running && ctx.learning.probeResult(id, false),
      );
    }
  }
}
