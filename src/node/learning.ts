/**
 * What the node learns about other nodes and how much it believes (DESIGN "Overlay"; nodenet 2, 8):
 * - a node's own signed statement (Identify, Hello, Reply, an answerer's own record) may move its address;
 * - third-party gossip (neighbour answers) teaches new contacts, but never changes the address of a
 *   contact already known, so an attacker cannot redirect a good contact by repeating its keys with
 *   its own address; keyless or mismatched records never get this far (records are self-certifying);
 * - a full bucket never evicts blindly: the incumbent is probed (a live edge counts as alive at once,
 *   others are dialed by maintenance, at most MAX_PROBES waiting).
 */
import { decodeContactRecord, type Contact } from '../identity/index.js';
import { idKey, type KadContact, type ObserveResult } from '../kad/index.js';
import { MAX_CONTACT_RECORD_BYTES } from '../wire/index.js';
import { MAX_PROBES } from './constants.js';
import { kadFromContact } from './contact-forms.js';
import type { NodeContext } from './context.js';

export class Learning {
  private readonly ctx: NodeContext;
  private readonly probes = new Map<string, Uint8Array>();

  constructor(ctx: NodeContext) {
    this.ctx = ctx;
  }

  get pendingProbes(): number {
    return this.probes.size;
  }

  /** The contact's own signed statement about itself. */
  firstHand(contact: Contact): void {
    this.observe(kadFromContact(contact));
  }

  /** A contact someone else told us about. */
  gossip(contact: Contact): void {
    const kad = kadFromContact(contact);
    if (this.ctx.knowledge.has(kad.id)) kad.addresses = [];
    this.observe(kad);
  }

  /** Folds the records of a neighbours answer; the answerer's own record counts as first-hand. */
  fromRecords(records: readonly Uint8Array[], answererId: Uint8Array): void {
    const answerer = idKey(answererId);
    for (const bytes of records) {
      if (bytes.length > MAX_CONTACT_RECORD_BYTES) {
        this.ctx.drops.badContact++;
        continue;
      }
      const decoded = decodeContactRecord(bytes);
      if (!decoded.ok) {
        this.ctx.drops.badContact++;
        continue;
      }
      const contact = decoded.value.contact;
      if (idKey(contact.nodeId) === answerer) this.firstHand(contact);
      else this.gossip(contact);
    }
  }

  /** Up to n incumbents to probe by dialing, removed from the queue. */
  takeProbes(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const [key, id] of this.probes) {
      if (out.length >= n) break;
      this.probes.delete(key);
      out.push(id);
    }
    return out;
  }

  probeResult(id: Uint8Array, alive: boolean): void {
    const result = this.ctx.knowledge.confirm(id, alive, this.ctx.clock.now());
    if (result.promoted !== undefined) this.ctx.counters.contactsLearned++;
  }

  private observe(contact: KadContact): void {
    const ctx = this.ctx;
    const result: ObserveResult = ctx.knowledge.observe(contact, ctx.clock.now());
    if (result.status === 'added') ctx.counters.contactsLearned++;
    else if (result.status === 'rejected') {
      if (result.reason === 'pow' || result.reason === 'keyless') ctx.drops.subPow++;
      else if (result.reason === 'subnet-full') ctx.drops.knowledgeSubnetFull++;
      else if (result.reason !== 'self') ctx.drops.badContact++;
    } else if (result.status === 'pending' && result.probe !== undefined) {
      this.queueProbe(result.probe);
    }
  }

  private queueProbe(incumbent: Uint8Array): void {
    if (this.ctx.edges.edgeLink(incumbent) !== undefined) {
      // nodenet 2: an incumbent with a live edge is alive, no probe needed.
      this.ctx.knowledge.confirm(incumbent, true, this.ctx.clock.now());
      return;
    }
    const key = idKey(incumbent);
    if (this.probes.has(key) || this.probes.size >= MAX_PROBES) return;
    this.probes.set(key, incumbent);
  }
}
