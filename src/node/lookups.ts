/**
 * Lookups and neighbour answers (nodenet 4, 5; DESIGN "Overlay"):
 * - per edge (control channel): "which contacts do you know closest to T?", answered over the same
 *   edge; with T = our own ID it is the sibling exchange run on every new edge;
 * - routed: a LOOKUP envelope travels toward T and is answered by T or by the closest node the copy
 *   reaches (a local optimum), with a NEIGHBORS envelope routed back. Self-lookups and bucket refresh.
 * Answers are solicited-only (a pending nonce of ours, 30 s) and folded through Learning. Routed
 * answering and folding are charged to the verified originator's bucket.
 */
import { idKey } from '../kad/index.js';
import {
  LOOKUP_NONCE_BYTES,
  MAX_NEIGHBORS,
  MSG_LOOKUP,
  MSG_NEIGHBORS,
  ROUTED_LOOKUP,
  ROUTED_NEIGHBORS,
  decodeLookupPayload,
  decodeNeighbors,
  encodeLookupRequest,
  encodeNeighbors,
  type Neighbors,
  type RoutedEnvelope,
} from '../wire/index.js';
import { LOOKUP_PENDING_MS, MAX_ANSWERS_PER_LOOKUP, MAX_PENDING_LOOKUPS } from './constants.js';
import { recordOfKad } from './contact-forms.js';
import type { NodeContext } from './context.js';
import type { Link } from './link.js';
import { PendingLookups } from './pending-lookups.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class Lookups {
  private readonly ctx: NodeContext;
  readonly pending = new PendingLookups(LOOKUP_PENDING_MS, MAX_ANSWERS_PER_LOOKUP, MAX_PENDING_LOOKUPS);

  constructor(ctx: NodeContext) {
    this.ctx = ctx;
  }

  /** Asks one edge for the contacts it knows closest to this node (nodenet 5: sibling exchange). */
  siblingExchange(link: Link): void {
    this.askEdge(link, this.ctx.self);
  }

  askEdge(link: Link, target: Uint8Array): void {
    const ctx = this.ctx;
    if (link.peer === null) return;
    const nonce = ctx.randomBytes(LOOKUP_NONCE_BYTES);
    this.pending.issue(hex(nonce), link.peer.key, ctx.clock.now());
    ctx.counters.lookupsSent++;
    ctx.edges.sendControl(link, MSG_LOOKUP, encodeLookupRequest({ nonce, target }));
  }

  /** A routed lookup toward `target` (self-lookup, bucket refresh); false when there is no edge. */
  lookup(target: Uint8Array): boolean {
    const ctx = this.ctx;
    const nonce = ctx.randomBytes(LOOKUP_NONCE_BYTES);
    const copies = ctx.router.originate(ROUTED_LOOKUP, target, nonce, { nearest: true });
    if (copies === 0) return false;
    this.pending.issue(hex(nonce), undefined, ctx.clock.now());
    ctx.counters.lookupsSent++;
    return true;
  }

  answerOnEdge(link: Link, nonce: Uint8Array, target: Uint8Array): void {
    const records = this.closestRecords(target, link.peer!.id);
    this.ctx.counters.lookupsAnswered++;
    this.ctx.edges.sendControl(link, MSG_NEIGHBORS, encodeNeighbors({ nonce, records }));
  }

  onEdgeNeighbors(link: Link, answer: Neighbors): void {
    const ctx = this.ctx;
    if (!this.pending.accept(hex(answer.nonce), link.peer!.key, ctx.clock.now())) {
      ctx.drops.unsolicited++;
      return;
    }
    ctx.learning.fromRecords(answer.records, link.peer!.id);
  }

  /** A routed lookup ended here (we are its target or the closest node its copy reached). */
  answerRouted(env: RoutedEnvelope, originId: Uint8Array, originKey: string): void {
    const ctx = this.ctx;
    const nonce = decodeLookupPayload(env.payload);
    if (!nonce.ok) {
      ctx.drops.malformed++;
      return;
    }
    if (!ctx.router.chargeOriginator(originKey)) return;
    const records = this.closestRecords(env.target, originId);
    ctx.counters.lookupsAnswered++;
    ctx.router.originate(ROUTED_NEIGHBORS, originId, encodeNeighbors({ nonce: nonce.value, records }), {});
  }

  onRoutedNeighbors(env: RoutedEnvelope, originId: Uint8Array, originKey: string): void {
    const ctx = this.ctx;
    const answer = decodeNeighbors(env.payload);
    if (!answer.ok) {
      ctx.drops.malformed++;
      return;
    }
    if (!this.pending.accept(hex(answer.value.nonce), originKey, ctx.clock.now())) {
      ctx.drops.unsolicited++;
      return;
    }
    if (!ctx.router.chargeOriginator(originKey)) return;
    ctx.learning.fromRecords(answer.value.records, originId);
  }

  /** Records of the contacts closest to target (not the asker), plus our own: nodenet 4 "closest plus self". */
  private closestRecords(target: Uint8Array, asker: Uint8Array): Uint8Array[] {
    const ctx = this.ctx;
    const askerKey = idKey(asker);
    const records: Uint8Array[] = [ctx.selfRecord()];
    for (const c of ctx.knowledge.closest(target, MAX_NEIGHBORS, (k) => idKey(k.id) !== askerKey)) {
      if (records.length >= MAX_NEIGHBORS) break;
      const record = recordOfKad(c);
      if (record !== null) records.push(record);
    }
    return records;
  }
}
