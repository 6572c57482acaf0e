/**
 * The control channel (DESIGN "Edges": channel 0, unreliable): Identify and its ack, ping/pong with the
 * observed address, per-edge lookups and neighbour answers, and leave. Every message costs a token of the
 * link's control bucket (nodenet 8); before the peer's Identify checked out only Identify, its ack and
 * Leave are accepted.
 *
 * Edge RTT (issue 7, `wiremesh peers`): every edge is pinged once when it comes up and then every
 * EDGE_PING_INTERVAL_MS; each pong (of these pings or of node.ping()) updates the link's smoothed RTT
 * (RFC 6298: srtt = 7/8 srtt + 1/8 sample). One timer serves all edges.
 */
import { TimeoutError } from '../errors.js';
import { take } from '../kad/index.js';
import type { ChannelEvent } from '../session/index.js';
import {
  LOOKUP_NONCE_BYTES,
  MSG_IDENTIFY,
  MSG_IDENTIFY_ACK,
  MSG_LEAVE,
  MSG_LOOKUP,
  MSG_NEIGHBORS,
  MSG_PING,
  MSG_PONG,
  decodeEmpty,
  decodeLookupRequest,
  decodeNeighbors,
  decodePing,
  decodePong,
  encodePing,
  encodePong,
} from '../wire/index.js';
import { toWireAddress } from './address-forms.js';
import { EDGE_PING_INTERVAL_MS, EDGE_PING_TIMEOUT_MS, RTT_SMOOTHING } from './constants.js';
import type { NodeContext } from './context.js';
import { withSignal } from './edge-manager.js';
import type { Link } from './link.js';

interface PendingPing {
  link: Link;
  sentMs: number;
  resolve: (rttMs: number) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class ControlProtocol {
  private readonly ctx: NodeContext;
  private readonly pings = new Map<string, PendingPing>();
  private edgePingTimer: unknown = null;

  constructor(ctx: NodeContext) {
    this.ctx = ctx;
  }

  /** A new edge: measure its RTT now, and keep measuring every edge from then on. */
  onEdgeUp(link: Link): void {
    this.probe(link, this.ctx.clock.now());
    if (this.edgePingTimer === null && this.ctx.running) {
      this.edgePingTimer = this.ctx.clock.setTimer(() => this.pingEdges(), EDGE_PING_INTERVAL_MS);
    }
  }

  private pingEdges(): void {
    const ctx = this.ctx;
    this.edgePingTimer = null;
    if (!ctx.running) return;
    const now = ctx.clock.now();
    const links = ctx.edges.edgeLinks();
    for (const link of links) if (now - link.lastPingMs >= EDGE_PING_INTERVAL_MS / 2) this.probe(link, now);
    if (links.length > 0) this.edgePingTimer = ctx.clock.setTimer(() => this.pingEdges(), EDGE_PING_INTERVAL_MS);
  }

  private probe(link: Link, now: number): void {
    link.lastPingMs = now;
    // A lost ping or pong only skips one sample.
    this.ping(link, EDGE_PING_TIMEOUT_MS).catch(() => {});
  }

  onEvent(link: Link, ev: ChannelEvent): void {
    const ctx = this.ctx;
    if (!take(link.controlBudget, ctx.options.controlBudget, ctx.clock.now())) {
      ctx.drops.edgeRateLimited++;
      return;
    }
    switch (ev.type) {
      case MSG_IDENTIFY:
        ctx.edges.onIdentify(link, ev.payload);
        return;
      case MSG_IDENTIFY_ACK:
        if (!decodeEmpty(ev.payload, 'identify ack').ok) ctx.drops.malformed++;
        else ctx.edges.onIdentifyAck(link);
        return;
      case MSG_LEAVE:
        if (!decodeEmpty(ev.payload, 'leave').ok) ctx.drops.malformed++;
        else ctx.edges.onLeave(link);
        return;
    }
    if (link.peer === null) {
      ctx.drops.unverifiedLink++;
      return;
    }
    switch (ev.type) {
      case MSG_PING:
        this.onPing(link, ev.payload);
        return;
      case MSG_PONG:
        this.onPong(link, ev.payload);
        return;
      case MSG_LOOKUP: {
        const req = decodeLookupRequest(ev.payload);
        if (!req.ok) ctx.drops.malformed++;
        else ctx.lookups.answerOnEdge(link, req.value.nonce, req.value.target);
        return;
      }
      case MSG_NEIGHBORS: {
        const answer = decodeNeighbors(ev.payload);
        if (!answer.ok) ctx.drops.malformed++;
        else ctx.lookups.onEdgeNeighbors(link, answer.value);
        return;
      }
      default:
        ctx.drops.unknownType++;
    }
  }

  /** Round-trip time to a live edge, in ms of the node's clock. */
  ping(link: Link, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const ctx = this.ctx;
    const nonce = ctx.randomBytes(LOOKUP_NONCE_BYTES);
    const key = hex(nonce);
    const result = new Promise<number>((resolve, reject) => {
      const pending: PendingPing = { link, sentMs: ctx.clock.now(), resolve, reject, timer: null };
      pending.timer = ctx.clock.setTimer(() => {
        this.pings.delete(key);
        reject(new TimeoutError(`no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(key, pending);
    });
    ctx.edges.sendControl(link, MSG_PING, encodePing({ nonce }));
    return withSignal(result, signal).finally(() => this.forget(key));
  }

  /** Fails every outstanding ping (node stopping). */
  close(err: Error): void {
    if (this.edgePingTimer !== null) this.ctx.clock.clearTimer(this.edgePingTimer);
    this.edgePingTimer = null;
    for (const [key, p] of this.pings) {
      this.ctx.clock.clearTimer(p.timer);
      this.pings.delete(key);
      p.reject(err);
    }
  }

  private forget(key: string): void {
    const p = this.pings.get(key);
    if (p === undefined) return;
    this.ctx.clock.clearTimer(p.timer);
    this.pings.delete(key);
  }

  private onPing(link: Link, payload: Uint8Array): void {
    const ping = decodePing(payload);
    if (!ping.ok) {
      this.ctx.drops.malformed++;
      return;
    }
    const remote = link.session.remoteAddress;
    const observed = this.ctx.relaying.isRelayed(remote) ? null : toWireAddress(remote.host, remote.port);
    this.ctx.edges.sendControl(link, MSG_PONG, encodePong({ nonce: ping.value.nonce, observed }));
  }

  private onPong(link: Link, payload: Uint8Array): void {
    const ctx = this.ctx;
    const pong = decodePong(payload);
    if (!pong.ok) {
      ctx.drops.malformed++;
      return;
    }
    const key = hex(pong.value.nonce);
    const pending = this.pings.get(key);
    if (pending === undefined || pending.link !== link) {
      ctx.drops.unsolicited++;
      return;
    }
    this.forget(key);
    if (pong.value.observed !== null) ctx.edges.reportObserved(link, pong.value.observed);
    const rtt = ctx.clock.now() - pending.sentMs;
    link.rttMs = link.rttMs === null ? rtt : link.rttMs + RTT_SMOOTHING * (rtt - link.rttMs);
    pending.resolve(rtt);
  }
}
