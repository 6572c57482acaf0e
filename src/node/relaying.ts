/**
 * Relaying on channel 2 (DESIGN "NAT traversal"; issue 6 item 4), both roles:
 *
 * - As a relay (option `relay: true`, advertised as CAP_RELAY): a FORWARD from a verified neighbour A
 *   naming B goes out as DELIVER (source A) on our edge to B, within the caps of src/nat's RelayBudget.
 *   Without an edge to B, beyond a cap, or when we do not relay, A gets REFUSED with the reason. The
 *   relay moves whole Wiresocket packets of the A-B session: it never holds those session keys.
 * - As an endpoint: a DELIVER from a relay is injected into our Endpoint from the virtual address of
 *   (relay, source) (relay-transport.ts); packets our Endpoint sends to such an address leave as FORWARD.
 *   dialVia() dials a peer through one relay; a REFUSED from that relay fails the dial at once.
 *
 * Frames arrive only on verified links (the relay, and each endpoint, is a checked neighbour). A relay
 * does not check that a DELIVER's claimed source is real: the end-to-end handshake authenticates the peer.
 */
import { CAP_RELAY, type Contact } from '../identity/index.js';
import { idKey } from '../kad/index.js';
import {
  RELAY_DELIVER,
  RELAY_FORWARD,
  RELAY_REFUSED,
  RelayBudget,
  decodeRelayPacket,
  decodeRelayRefusal,
  encodeRelayPacket,
  encodeRelayRefusal,
  type RelayRefusalReason,
} from '../nat/index.js';
import type { ChannelEvent } from '../session/index.js';
import type { NodeContext } from './context.js';
import { EdgeRefusedError } from './errors.js';
import type { Link } from './link.js';
import type { RelayRoute, RelayTransport } from './relay-transport.js';

/** The path a session takes to its peer: straight over UDP, or through a relay. */
export type SessionPath = { readonly type: 'direct' } | { readonly type: 'relayed'; readonly relay: Uint8Array };

export class Relaying {
  private readonly ctx: NodeContext;
  private readonly transport: RelayTransport;
  readonly budget: RelayBudget;
  /** Dials in flight through a relay, by `${relayKey}/${peerKey}`: a refusal aborts them. */
  private readonly pendingDials = new Map<string, AbortController>();

  constructor(ctx: NodeContext, transport: RelayTransport) {
    this.ctx = ctx;
    this.transport = transport;
    const o = ctx.options.relayLimits;
    this.budget = new RelayBudget(o);
    transport.setSender((route, packet, length) => this.sendForward(route, packet, length));
  }

  /** Where packets for a session at `address` go. */
  pathOf(address: { host: string; port: number }): SessionPath {
    const route = this.transport.routeAt(address);
    return route === undefined ? { type: 'direct' } : { type: 'relayed', relay: route.relayId.slice() };
  }

  /** The NodeID key a relayed session's virtual address was made for (undefined for direct sessions). */
  relayedPeerKey(address: { host: string; port: number }): string | undefined {
    return this.transport.routeAt(address)?.peerKey;
  }

  isRelayed(address: { host: string; port: number }): boolean {
    return this.transport.routeAt(address) !== undefined;
  }

  /** Relay-capable neighbours other than `exclude`, to try in order. */
  relayCandidates(excludeKey: string): Link[] {
    return this.ctx.edges
      .edgeLinks()
      .filter((l) => l.peer !== null && l.peer.key !== excludeKey && ((l.peer.contact.capabilities ?? 0) & CAP_RELAY) !== 0 && !this.isRelayed(l.session.remoteAddress));
  }

  /** An edge to `contact` through the relay on `relayLink`; rejects with the relay's refusal or the dial's error. */
  async dialVia(relayLink: Link, contact: Contact, timeoutMs: number, signal: AbortSignal): Promise<Link> {
    const relay = relayLink.peer!;
    const peerKey = idKey(contact.nodeId);
    const route = this.transport.route(relay.key, relay.id, peerKey, contact.nodeId);
    const pairKey = `${relay.key}/${peerKey}`;
    const refused = new AbortController();
    this.pendingDials.set(pairKey, refused);
    const onAbort = () => refused.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.ctx.edges.dial({ ...contact, addresses: [route.address] }, { timeoutMs, signal: refused.signal });
    } catch (err) {
      if (refused.signal.reason instanceof EdgeRefusedError) throw refused.signal.reason;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (this.pendingDials.get(pairKey) === refused) this.pendingDials.delete(pairKey);
    }
  }

  /** Channel-2 event on a link. */
  onEvent(link: Link, ev: ChannelEvent): void {
    const ctx = this.ctx;
    if (link.peer === null) {
      ctx.drops.unverifiedLink++;
      return;
    }
    switch (ev.type) {
      case RELAY_FORWARD:
        this.onForward(link, ev.payload);
        return;
      case RELAY_DELIVER:
        this.onDeliver(link, ev.payload);
        return;
      case RELAY_REFUSED:
        this.onRefused(link, ev.payload);
        return;
      default:
        ctx.drops.unknownType++;
    }
  }

  /** The link to `relayKey` closed: routes through it lead nowhere now. */
  onLinkClosed(peerKey: string): void {
    this.transport.dropRelay(peerKey);
  }

  private sendForward(route: RelayRoute, packet: Uint8Array, length: number): void {
    const link = this.ctx.edges.edgeLinkByKey(route.relayKey);
    if (link === undefined) return;
    this.ctx.edges.sendOn(link.relay, RELAY_FORWARD, encodeRelayPacket(route.peerId, packet, length));
  }

  private onForward(from: Link, payload: Uint8Array): void {
    const ctx = this.ctx;
    const frame = decodeRelayPacket(payload);
    if (!frame.ok) {
      ctx.drops.malformed++;
      return;
    }
    const source = from.peer!;
    const refuse = (reason: RelayRefusalReason) => {
      ctx.counters.relayRefused++;
      ctx.edges.sendOn(from.relay, RELAY_REFUSED, encodeRelayRefusal(frame.value.peer, reason));
    };
    if (!ctx.options.relay) return refuse('disabled');
    const targetKey = idKey(frame.value.peer);
    const target = ctx.edges.edgeLinkByKey(targetKey);
    // Never relay onto a relayed link: one relay hop, or loops and amplification become possible.
    if (target === undefined || target === from || this.isRelayed(target.session.remoteAddress)) return refuse('no-edge');
    const admitted = this.budget.admit(source.key, targetKey, frame.value.packet.length, ctx.clock.now());
    if (admitted !== 'ok') return refuse(admitted);
    ctx.counters.relayedPackets++;
    ctx.counters.relayedBytes += frame.value.packet.length;
    ctx.edges.sendOn(target.relay, RELAY_DELIVER, encodeRelayPacket(source.id, frame.value.packet));
  }

  private onDeliver(from: Link, payload: Uint8Array): void {
    const frame = decodeRelayPacket(payload);
    if (!frame.ok) {
      this.ctx.drops.malformed++;
      return;
    }
    const relay = from.peer!;
    const peerId = frame.value.peer;
    const route = this.transport.route(relay.key, relay.id, idKey(peerId), peerId);
    this.transport.inject(route, frame.value.packet);
  }

  private onRefused(from: Link, payload: Uint8Array): void {
    const frame = decodeRelayRefusal(payload);
    if (!frame.ok) {
      this.ctx.drops.malformed++;
      return;
    }
    const pending = this.pendingDials.get(`${from.peer!.key}/${idKey(frame.value.peer)}`);
    if (pending === undefined) {
      this.ctx.drops.unsolicited++;
      return;
    }
    pending.abort(new EdgeRefusedError(`the relay refused to forward: ${frame.value.reason}`));
  }
}

