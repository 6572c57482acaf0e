/**
 * Routing on channel 1 (DESIGN "Overlay"; nodenet 4):
 *
 * Per hop, in order: the link's peer is verified; the link's forward bucket has a token; the envelope
 * decodes; the originator (hash of its two keys) meets the proof of work; the send time is within +-30 s;
 * then kad's greedy decide(). Forwarders patch the TTL byte in place and hand the same bytes to the next
 * hop, trying the next candidate when one is gone or congested (local repair, never blocking).
 *
 * Decision (documented in index.ts): forwarders do NOT verify the Ed25519 signature. It costs ~70 us,
 * which would cap a forwarder near 14k messages/s per core, and a forwarder acts on nothing the
 * signature protects. The destination (and a node answering a lookup) verifies before acting, dedupes
 * by (originator, message id), and charges amplifying work to the originator's bucket.
 *
 * Origination: one signature, up to 3 copies on disjoint first hops, each copy's avoid-set naming the
 * other first hops. Lookups start on the nearest edges whatever their distance and avoid this node, so
 * they never route home. `send(..., { ack: true })` resends with the same message id (fresh time and
 * signature) until the target's signed ACK comes back or the deadline passes.
 */
import { AbortedError, TimeoutError } from '../errors.js';
import { Identity, nodeIdFromKeys, satisfies } from '../identity/index.js';
import { DISJOINT_PATHS, decide, disjointFirstHops, idKey, nearestEdges, take } from '../kad/index.js';
import type { ChannelEvent } from '../session/index.js';
import {
  FLAG_ACK_REQUESTED,
  MAX_AVOID,
  MAX_ROUTED_PAYLOAD_BYTES,
  MAX_TTL,
  MESSAGE_ID_BYTES,
  MSG_DIRECT,
  MSG_ROUTED,
  ROUTED_ACK,
  ROUTED_DATA,
  ROUTED_HELLO,
  ROUTED_LOOKUP,
  ROUTED_NEIGHBORS,
  ROUTED_PING,
  ROUTED_PONG,
  ROUTED_REPLY,
  copyBytes,
  decodeAckPayload,
  decodeEnvelope,
  encodeEnvelope,
  encodeSignedPart,
  setEnvelopeTtl,
  type RoutedEnvelope,
} from '../wire/index.js';
import {
  DEDUPE_CAPACITY,
  DEDUPE_RETENTION_MS,
  ENVELOPE_DOMAIN,
  ENVELOPE_FRESHNESS_MS,
  FORWARD_QUEUE_LIMIT,
  MAX_ORIGINATOR_BUCKETS,
  REACK_MIN_INTERVAL_MS,
  SUSPECT_HOP_RETRIES,
} from './constants.js';
import type { NodeContext } from './context.js';
import { UnroutableError } from './errors.js';
import { sameBytes } from './identify-check.js';
import type { Link } from './link.js';
import { OriginatorBudgets } from './originator-budgets.js';
import { RoutedPings } from './routed-pings.js';
import { RoutedRetry } from './routed-retry.js';
import { SeenMessages } from './seen-messages.js';

export interface OriginateOptions {
  flags?: number;
  messageId?: Uint8Array;
  /** Lookup semantics: start on the nearest edges (closer or not) and avoid this node. */
  nearest?: boolean;
  /** Only strictly closer first hops, no nearest-edge fallback (the caller sends nearest copies itself). */
  greedyOnly?: boolean;
}

export interface SendOptions {
  ack?: boolean;
  signal?: AbortSignal;
  timeoutMs: number;
}

interface PendingAck {
  targetKey: string;
  resolve: () => void;
  reject: (err: Error) => void;
  deadlineTimer: unknown;
  cleanup: () => void;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class Router {
  private readonly ctx: NodeContext;
  /** Reused for the per-hop originator hash: no allocation on the forwarding path. */
  private readonly scratchId = new Uint8Array(32);
  readonly seen = new SeenMessages(DEDUPE_CAPACITY);
  readonly originators: OriginatorBudgets;
  private readonly pendingAcks = new Map<string, PendingAck>();
  /** Routed ping/pong (routed-pings.ts): answered here, never delivered to the application. */
  readonly pings: RoutedPings;

  constructor(ctx: NodeContext) {
    this.ctx = ctx;
    this.originators = new OriginatorBudgets(ctx.options.originatorBudget, MAX_ORIGINATOR_BUCKETS);
    this.pings = new RoutedPings(ctx, (type, target, payload) => this.originate(type, target, payload, {}));
  }

  // ---- receive path ----

  onEvent(link: Link, ev: ChannelEvent): void {
    const ctx = this.ctx;
    if (link.peer === null) {
      ctx.drops.unverifiedLink++;
      return;
    }
    const now = ctx.clock.now();
    if (!take(link.forwardBudget, ctx.options.forwardBudget, now)) {
      ctx.drops.edgeRateLimited++;
      return;
    }
    if (ev.type === MSG_ROUTED) this.onEnvelope(link, ev.payload, now);
    else if (ev.type === MSG_DIRECT) {
      if (ev.payload.length > MAX_ROUTED_PAYLOAD_BYTES) {
        ctx.drops.malformed++;
        return;
      }
      ctx.counters.delivered++;
      ctx.deliver(link.peer.id.slice(), copyBytes(ev.payload), true, 1);
    } else ctx.drops.unknownType++;
  }

  private onEnvelope(link: Link, bytes: Uint8Array, now: number): void {
    const ctx = this.ctx;
    const decoded = decodeEnvelope(bytes);
    if (!decoded.ok) {
      ctx.drops.malformed++;
      return;
    }
    const env = decoded.value;
    const originId = nodeIdFromKeys(env.originEd, env.originX, this.scratchId);
    if (!satisfies(originId, ctx.options.difficulty)) {
      ctx.drops.subPow++;
      return;
    }
    // Written as two comparisons so nothing overflows; +-30 s both ways (nodenet 3).
    if (env.sentMs > now + ENVELOPE_FRESHNESS_MS || env.sentMs < now - ENVELOPE_FRESHNESS_MS) {
      ctx.drops.stale++;
      return;
    }
    if (sameBytes(originId, ctx.self)) {
      ctx.drops.ownMessage++;
      return;
    }
    const decision = decide(ctx.self, env, ctx.edgeTable.ids(), link.peer!.id);
    if (decision.action === 'deliver') {
      this.terminal(env, originId.slice(), true);
    } else if (decision.action === 'forward') {
      setEnvelopeTtl(bytes, decision.ttl);
      if (this.forward(decision.hops, bytes)) ctx.counters.forwarded++;
      else if (env.payloadType === ROUTED_LOOKUP) this.terminal(env, originId.slice(), false);
      else ctx.drops.nextHopFailed++;
    } else if (env.payloadType === ROUTED_LOOKUP) {
      // nodenet 4: a lookup is answered where it stops, so the closest node reached answers.
      this.terminal(env, originId.slice(), false);
    } else {
      ctx.drops[decision.reason === 'ttl' ? 'ttlExpired' : 'noRoute']++;
    }
  }

  /**
   * Hands the envelope to the first healthy next hop, closest first (local repair); when every live
   * candidate is only congested or suspect, to the closest of those rather than dropping it (a busy
   * node sees all its links lag at once). False when no candidate is usable at all.
   */
  private forward(hops: readonly Uint8Array[], bytes: Uint8Array): boolean {
    let fallback: Link | undefined;
    for (const hop of hops) {
      const link = this.ctx.edges.edgeLink(hop);
      if (link === undefined) continue;
      const health = this.health(link);
      if (health === 'healthy') return this.queue(link, bytes);
      if (health === 'degraded' && fallback === undefined) fallback = link;
    }
    return fallback !== undefined && this.queue(fallback, bytes);
  }

  /** Queues bytes on a link unless it is gone or congested past its hard limit. */
  private sendOn(link: Link, bytes: Uint8Array): boolean {
    return this.health(link) !== 'unusable' && this.queue(link, bytes);
  }

  /**
   * healthy: send; degraded: its routed channel is congested (FORWARD_QUEUE_LIMIT) or has retransmitted
   * without any acknowledgement (spec 11.6) often enough to be presumed dead before its session times
   * out; unusable: closed, or queued past the reliable channel's own send buffer.
   */
  private health(link: Link): 'healthy' | 'degraded' | 'unusable' {
    const ch = link.routed;
    if (link.closed || ch.closed) return 'unusable';
    const rel = ch.rel;
    if (rel === null) return 'healthy';
    if (rel.queuedEvents >= rel.sendBufferEvents) return 'unusable';
    if (rel.queuedEvents >= FORWARD_QUEUE_LIMIT || rel.sender.retries >= SUSPECT_HOP_RETRIES) return 'degraded';
    return 'healthy';
  }

  private queue(link: Link, bytes: Uint8Array): boolean {
    // The reliable channel copies the bytes, so a reused or patched buffer is safe.
    link.routed.send(MSG_ROUTED, bytes).catch(() => {
      // The session closed after we queued; per-hop reliability ends there (end-to-end acks cover it).
    });
    return true;
  }

  /** This node is the destination (or, for a lookup, where the copy stopped). */
  private terminal(env: RoutedEnvelope, originId: Uint8Array, isTarget: boolean): void {
    const ctx = this.ctx;
    if (!Identity.verify(ENVELOPE_DOMAIN, env.signedPart, env.signature, env.originEd)) {
      ctx.drops.badSignature++;
      return;
    }
    const originKey = idKey(originId);
    const now = ctx.clock.now();
    const dupKey = originKey + hex(env.messageId);
    const seen = this.seen.record(dupKey, now, now + DEDUPE_RETENTION_MS);
    if (seen !== undefined) {
      ctx.drops.duplicate++;
      if (env.payloadType === ROUTED_DATA && (env.flags & FLAG_ACK_REQUESTED) !== 0 && now - seen.lastAckMs >= REACK_MIN_INTERVAL_MS) {
        // The sender is retransmitting: our earlier ack was probably lost.
        seen.lastAckMs = now;
        this.sendAck(originId, env.messageId);
      }
      return;
    }
    switch (env.payloadType) {
      case ROUTED_DATA:
        if (!isTarget) break;
        ctx.counters.delivered++;
        // Links traversed: the originator sends with MAX_TTL and every forwarder decrements it.
        ctx.deliver(originId, copyBytes(env.payload), false, MAX_TTL + 1 - Math.min(env.ttl, MAX_TTL));
        if ((env.flags & FLAG_ACK_REQUESTED) !== 0) {
          this.seen.get(dupKey)!.lastAckMs = now;
          this.sendAck(originId, env.messageId);
        }
        return;
      case ROUTED_ACK:
        if (isTarget) this.onAck(env, originKey);
        return;
      case ROUTED_LOOKUP:
        ctx.lookups.answerRouted(env, originId, originKey);
        return;
      case ROUTED_NEIGHBORS:
        if (isTarget) ctx.lookups.onRoutedNeighbors(env, originId, originKey);
        return;
      case ROUTED_HELLO:
        if (isTarget) ctx.rendezvous.onHello(env, originId, originKey);
        return;
      case ROUTED_REPLY:
        if (isTarget) ctx.rendezvous.onReply(env, originId, originKey);
        return;
      case ROUTED_PING:
        if (isTarget) this.pings.onPing(env, originId, originKey);
        return;
      case ROUTED_PONG:
        if (isTarget) this.pings.onPong(env, originKey);
        return;
      default:
        ctx.drops.unknownType++;
        return;
    }
    ctx.drops.noRoute++;
  }

  private sendAck(target: Uint8Array, messageId: Uint8Array): void {
    if (this.originate(ROUTED_ACK, target, copyBytes(messageId), {}) > 0) this.ctx.counters.acksSent++;
  }

  private onAck(env: RoutedEnvelope, originKey: string): void {
    const ctx = this.ctx;
    const id = decodeAckPayload(env.payload);
    if (!id.ok) {
      ctx.drops.malformed++;
      return;
    }
    const pending = this.pendingAcks.get(hex(id.value));
    if (pending === undefined) {
      ctx.drops.unsolicited++;
      return;
    }
    if (pending.targetKey !== originKey) {
      // Only the target can sign its ack: anyone else naming this message id is forging.
      ctx.drops.forgedReply++;
      return;
    }
    ctx.counters.acksReceived++;
    pending.cleanup();
    pending.resolve();
  }

  /**
   * Charges one answer (or one answer accepted) to a verified originator's bucket (nodenet 8: a message that
   * makes this node originate another is throttled per originator); false, counted, when it is spent.
   */
  chargeOriginator(originKey: string): boolean {
    if (this.originators.take(originKey, this.ctx.clock.now())) return true;
    this.ctx.drops.originatorRateLimited++;
    return false;
  }

  // ---- send path ----

  /**
   * Signs one envelope and sends a copy to each of up to 3 first hops: the edges strictly closer to the
   * target, or when there are none the nearest edges (avoiding this node). Returns the number of copies
   * queued (0: no usable edge).
   */
  originate(payloadType: number, target: Uint8Array, payload: Uint8Array, options: OriginateOptions): number {
    const ctx = this.ctx;
    const ids = ctx.edgeTable.ids();
    let nearest = options.nearest === true;
    let hops = nearest ? nearestEdges(target, ids, DISJOINT_PATHS) : disjointFirstHops(ctx.self, target, ids, DISJOINT_PATHS);
    if (hops.length === 0 && !nearest && options.greedyOnly !== true) {
      // This node is a local optimum for the target without an edge to it (the overlay is still converging
      // around a new node, or the edge is being set up). As nodenet originates, and as lookups start here:
      // the nearest edges, closer or not, with this node in the avoid-set so no copy routes back home.
      nearest = true;
      hops = nearestEdges(target, ids, DISJOINT_PATHS);
    }
    if (hops.length === 0) return 0;
    // An edge to the target itself: one copy, straight there (per-hop reliable). Never put the target in
    // another copy's avoid-set, or that copy could not be delivered.
    if (hops.length > 1 && sameBytes(hops[0], target)) hops = hops.slice(0, 1);
    const identity = ctx.identity;
    const signed = encodeSignedPart({
      payloadType,
      flags: options.flags ?? 0,
      target,
      originEd: identity.edPublicKey,
      originX: identity.xPublicKey,
      sentMs: Math.floor(ctx.clock.now()),
      messageId: options.messageId ?? ctx.randomBytes(MESSAGE_ID_BYTES),
      payload,
    });
    const signature = identity.sign(ENVELOPE_DOMAIN, signed);
    let sent = 0;
    for (let i = 0; i < hops.length; i++) {
      const link = ctx.edges.edgeLink(hops[i]);
      if (link === undefined) continue;
      const avoid = hops.filter((_, j) => j !== i);
      if (nearest) avoid.push(ctx.self);
      const envelope = encodeEnvelope(MAX_TTL, avoid.slice(0, MAX_AVOID), signed, signature);
      if (this.sendOn(link, envelope)) sent++;
    }
    ctx.counters.originated += sent;
    return sent;
  }

  /** Routed DATA to `target`; with `ack`, resolves when the target's signed ack arrives. */
  send(target: Uint8Array, data: Uint8Array, options: SendOptions): Promise<void> {
    const ctx = this.ctx;
    if (sameBytes(target, ctx.self)) {
      ctx.counters.delivered++;
      ctx.deliver(ctx.self.slice(), copyBytes(data), false, 0);
      return Promise.resolve();
    }
    const messageId = ctx.randomBytes(MESSAGE_ID_BYTES);
    const flags = options.ack === true ? FLAG_ACK_REQUESTED : 0;
    let sentOnce = this.originate(ROUTED_DATA, target, data, { flags, messageId }) > 0;
    // Without a usable edge, an unacknowledged send fails at once. An acknowledged one has a deadline: while
    // the node holds sessions or dials (an edge being set up, or a duplicate-session swap), it retries soon.
    if (!sentOnce && (options.ack !== true || !ctx.edges.connecting)) {
      return Promise.reject(new UnroutableError('no live edge leads toward the target: wait until the node has joined the overlay'));
    }
    if (options.ack !== true) return Promise.resolve();
    const payload = copyBytes(data);
    const key = hex(messageId);
    const signal = options.signal;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        pending.cleanup();
        reject(new AbortedError('send aborted', { cause: signal?.reason }));
      };
      // Same message id on every copy: the target delivers once and acknowledges again.
      const retry = new RoutedRetry(ctx.clock, () => this.originate(ROUTED_DATA, target, payload, { flags, messageId }) > 0, sentOnce, () => ctx.running);
      const pending: PendingAck = {
        targetKey: idKey(target),
        resolve,
        reject,
        deadlineTimer: null,
        cleanup: () => {
          if (this.pendingAcks.get(key) === pending) this.pendingAcks.delete(key);
          retry.cancel();
          if (pending.deadlineTimer !== null) ctx.clock.clearTimer(pending.deadlineTimer);
          pending.deadlineTimer = null;
          signal?.removeEventListener('abort', onAbort);
        },
      };
      pending.deadlineTimer = ctx.clock.setTimer(() => {
        pending.deadlineTimer = null;
        pending.cleanup();
        reject(
          retry.sentOnce
            ? new TimeoutError(`no acknowledgement from the target within ${options.timeoutMs} ms`)
            : new UnroutableError(`no live edge led toward the target within ${options.timeoutMs} ms: wait until the node has joined the overlay`),
        );
      }, options.timeoutMs);
      this.pendingAcks.set(key, pending);
      if (signal !== undefined) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  /** Sends application bytes to a live edge's peer itself (no envelope: the session authenticates). */
  sendDirect(link: Link, data: Uint8Array): Promise<void> {
    return link.routed.send(MSG_DIRECT, data);
  }

  /** Fails every pending acknowledgement (node stopping). */
  close(err: Error): void {
    this.pings.close(err);
    for (const pending of [...this.pendingAcks.values()]) {
      pending.cleanup();
      pending.reject(err);
    }
  }
}
