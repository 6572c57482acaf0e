/**
 * Hole punching (DESIGN "NAT traversal"; issue 6 item 2). The routed rendezvous is the signed
 * Connect/ConnectAck: the Hello carries the caller's contact record and a nonce, the Reply the target's,
 * and each record lists the node's candidate addresses (its local addresses and, once the neighbours
 * confirmed one, its reflexive address: node.ts adds it). On a Hello the target fires PUNCH_ROUNDS
 * rounds of PACKET_PUNCH probes, PUNCH_INTERVAL_MS apart, at the caller's candidates; on the Reply the
 * caller does the same at the target's and dials at once. The probes leave from the node's one socket,
 * so they open exactly the NAT mapping and filter entry the handshake then uses; receivers drop them
 * (editor's note 9). Bursts running at once are capped (MAX_CONCURRENT_PUNCH_BURSTS); a node whose
 * neighbours see it at its own address (public) has nothing to open and does not punch.
 *
 * approach() picks by the pair of NAT types (ours classified, the peer's from its contact's capability
 * bits; src/nat traversalPlan): both symmetric -> no punch at all (a relay carries the pair); exactly one
 * symmetric -> the birthday strategy's role (birthday.ts) besides the ordinary burst; else the burst.
 */
import { idKey } from '../kad/index.js';
import type { Contact, ContactAddress } from '../identity/index.js';
import {
  MAX_CONCURRENT_PUNCH_BURSTS,
  PUNCH_INTERVAL_MS,
  PUNCH_PACKET,
  PUNCH_ROUNDS,
  natTypeOfCapabilities,
  punchCandidates,
  traversalPlan,
  type TraversalPlan,
} from '../nat/index.js';
import type { DatagramTransport } from '../session/index.js';
import type { NodeContext } from './context.js';

const IGNORE_SEND_RESULT = (): void => {};

export class Punching {
  private readonly ctx: NodeContext;
  private readonly socket: DatagramTransport;
  private readonly timers = new Set<unknown>();
  /** Candidate sets being punched now: a second Hello copy does not start a second identical burst. */
  private readonly inFlight = new Set<string>();

  constructor(ctx: NodeContext, socket: DatagramTransport) {
    this.ctx = ctx;
    this.socket = socket;
  }

  /** What the NAT pair calls for toward `peer`. */
  plan(peer: Contact): TraversalPlan {
    return traversalPlan(this.ctx.nat.status().type, natTypeOfCapabilities(peer.capabilities));
  }

  /**
   * Opens our side toward `peer` (a verified contact) as its NAT type and ours call for; returns the plan.
   * `birthday`: 'ask' (we asked: connect() or an upgrade), 'answer' (its Hello asked us), or 'none'.
   */
  approach(peer: Contact, birthday: 'ask' | 'answer' | 'none'): TraversalPlan {
    const plan = this.plan(peer);
    if (plan.punch) this.burst(peer.addresses);
    if (plan.birthday !== null && birthday !== 'none') this.ctx.birthday.start(plan.birthday, idKey(peer.nodeId), peer.addresses, birthday === 'answer');
    return plan;
  }

  /** Starts one burst at `addresses` (capped); false when skipped (public node, cap, no candidate). */
  burst(addresses: readonly ContactAddress[]): boolean {
    const ctx = this.ctx;
    if (!ctx.running || ctx.nat.status().type === 'public') return false;
    const targets = punchCandidates(addresses, ctx.selfContact().addresses);
    if (targets.length === 0) return false;
    const key = targets.map((t) => `${t.host} ${t.port}`).join(',');
    if (this.inFlight.has(key)) return false;
    if (this.inFlight.size >= MAX_CONCURRENT_PUNCH_BURSTS) {
      ctx.counters.punchBurstsSkipped++;
      return false;
    }
    this.inFlight.add(key);
    ctx.counters.punchBursts++;
    let round = 0;
    const fire = () => {
      for (const t of targets) this.socket.send(PUNCH_PACKET, PUNCH_PACKET.length, t.host, t.port, IGNORE_SEND_RESULT);
      round++;
      if (round >= PUNCH_ROUNDS || !ctx.running) {
        this.inFlight.delete(key);
        return;
      }
      const timer = ctx.clock.setTimer(() => {
        this.timers.delete(timer);
        fire();
      }, PUNCH_INTERVAL_MS);
      this.timers.add(timer);
    };
    fire();
    return true;
  }

  close(): void {
    for (const t of this.timers) this.ctx.clock.clearTimer(t);
    this.timers.clear();
    this.inFlight.clear();
  }
}
