/**
 * One Wiresocket session of this node and what the overlay knows about it (DESIGN "Edges"): its control
 * and routed channels, the Identify exchange state, per-link token buckets and, once the peer proved
 * who it is, the verified peer. A link becomes an edge when both sides' Identify checked out.
 *
 * `ready` settles once: with the link that became the edge (this one, or the one that superseded it
 * after simultaneous dials), or with the reason the session ended first.
 */
import { fullBucket, type BudgetRate, type TokenBucket } from '../kad/index.js';
import type { Channel, Session } from '../session/index.js';
import { CONTROL_CHANNEL, RELAY_CHANNEL, ROUTED_CHANNEL } from '../wire/index.js';
import type { VerifiedPeer } from './identify-check.js';

export class Link {
  readonly session: Session;
  /** This node initiated the session. */
  readonly outbound: boolean;
  /** The NodeID this node dialed, when it dialed. */
  readonly expectedId: Uint8Array | null;
  readonly control: Channel;
  readonly routed: Channel;
  readonly relay: Channel;
  readonly controlBudget: TokenBucket;
  readonly forwardBudget: TokenBucket;
  readonly createdMs: number;
  readonly ready: Promise<Link>;
  peer: VerifiedPeer | null = null;
  /** The peer acknowledged our Identify. */
  identifyAcked = false;
  /** Counted in the edge table. */
  registered = false;
  closed = false;
  /** Dialed by maintenance or bootstrap: learn through it once it is up (sibling exchange). */
  maintained = false;
  /** The peer announced a graceful leave. */
  left = false;
  /** This node closed the edge on purpose (degree trimming, a finished eviction probe): no replacement is dialed. */
  trimmed = false;
  /** Why this node refused the link (reported to dialers). */
  refusal: Error | null = null;
  /** The link that won a simultaneous-dial tie-break against this one. */
  supersededBy: Link | null = null;
  /** Smoothed round trip time of this edge in ms (RFC 6298 SRTT over control-channel pings); null before the first pong. */
  rttMs: number | null = null;
  /** When this link was last pinged by the periodic edge ping (node clock ms). */
  lastPingMs = -Infinity;
  /** Our encoded Identify, resent until acknowledged. */
  identifyBytes: Uint8Array | null = null;
  identifyRetryTimer: unknown = null;
  identifyDeadlineTimer: unknown = null;
  /** Application channels the peer opened before its Identify checked out. */
  readonly heldChannels: Channel[] = [];
  private settle: { resolve: (l: Link) => void; reject: (e: Error) => void } | null;

  constructor(session: Session, outbound: boolean, expectedId: Uint8Array | null, budgets: { control: BudgetRate; forward: BudgetRate }, nowMs: number) {
    this.session = session;
    this.outbound = outbound;
    this.expectedId = expectedId;
    this.createdMs = nowMs;
    this.controlBudget = fullBucket(budgets.control, nowMs);
    this.forwardBudget = fullBucket(budgets.forward, nowMs);
    // Both channels exist before any traffic: the routed one must be reliable on both ends before its
    // first event (spec 11), and a peer-opened 0 or 1 must never surface as an application channel.
    this.control = session.channel(CONTROL_CHANNEL);
    this.routed = session.channel(ROUTED_CHANNEL).setReliable();
    // Channel 2 carries relay frames (whole Wiresocket packets): unreliable, the inner session retransmits.
    this.relay = session.channel(RELAY_CHANNEL);
    let settle!: { resolve: (l: Link) => void; reject: (e: Error) => void };
    this.ready = new Promise<Link>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Nobody may be waiting; a refusal is still reported through stats and events.
    this.ready.catch(() => {});
    this.settle = settle;
  }

  /** The peer's NodeID once verified. */
  get peerId(): Uint8Array | null {
    return this.peer?.id ?? null;
  }

  resolveReady(link: Link): void {
    const s = this.settle;
    this.settle = null;
    s?.resolve(link);
  }

  rejectReady(err: Error): void {
    const s = this.settle;
    this.settle = null;
    s?.reject(err);
  }
}
