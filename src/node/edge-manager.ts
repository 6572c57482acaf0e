/**
 * Edges (DESIGN "Edges are Wiresocket sessions"): every session on the node's one socket becomes a link;
 * both sides send a signed Identify, acknowledge the other's once it checks out, and the link counts as
 * an edge when both directions are confirmed. Identify is resent until acknowledged (the control channel
 * is unreliable) and a link that does not finish within IDENTIFY_TIMEOUT_MS is closed.
 *
 * Simultaneous dials: when two verified links reach the same peer, both ends keep the session initiated
 * by the smaller NodeID (session-preference.ts) and close the other, so exactly one edge survives. A
 * different boot id on the newer link means the peer restarted: the old session is dead and goes.
 */
import { AbortedError, TimeoutError, throwIfAborted } from '../errors.js';
import { type Contact } from '../identity/index.js';
import { idKey } from '../kad/index.js';
import type { Channel, ChannelEvent, Session, UdpAddress } from '../session/index.js';
import {
  FIRST_APP_CHANNEL,
  LAST_APP_CHANNEL,
  MSG_IDENTIFY,
  MSG_IDENTIFY_ACK,
  MSG_LEAVE,
  type WireAddress,
} from '../wire/index.js';
import { formatHostPort, fromWireAddress, toWireAddress } from './address-forms.js';
import { IDENTIFY_RETRY_MS, IDENTIFY_TIMEOUT_MS, MAX_OBSERVED_REPORTS } from './constants.js';
import type { NodeContext } from './context.js';
import { EdgeRefusedError, NotRunningError, PowUnmetError } from './errors.js';
import { buildIdentify, checkIdentify, sameBytes } from './identify-check.js';
import { Link } from './link.js';
import { ObservedAddresses, type ObservedAddress } from './observed-addresses.js';
import type { SessionPath } from './relaying.js';
import { preferSession } from './session-preference.js';

const EMPTY = new Uint8Array(0);

export interface DialOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * A maintained edge: once up, ask the peer for our neighbourhood (sibling exchange) and look
   * ourselves up. Edges the application asked for (connect) skip that work.
   */
  maintained?: boolean;
}

export interface EdgeInfo {
  id: Uint8Array;
  inbound: boolean;
  kind: 'sibling' | 'finger';
  address: UdpAddress;
  /** 'direct', or 'relayed' through the relay named (issue 6). */
  path: SessionPath;
  /** Smoothed round trip time in ms from the node's own control-channel pings; null before the first pong. */
  rttMs: number | null;
  /** When the last authenticated packet arrived on the edge's session (node clock ms: epoch ms by default). */
  lastSeenMs: number;
}

/** Resolves with `promise`, or rejects with AbortedError once `signal` fires. */
export function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError(undefined, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export class EdgeManager {
  private readonly ctx: NodeContext;
  private readonly links = new Set<Link>();
  /** The one link per verified peer (the tie-break winner); an edge once registered. */
  private readonly byPeer = new Map<string, Link>();
  private readonly dialing = new Map<string, Promise<Link>>();
  readonly observed = new ObservedAddresses(MAX_OBSERVED_REPORTS);
  private inboundOpen = 0;
  /**
   * Inbound sessions not (yet) edges, by subnet: they count toward the subnet's cap at the handshake,
   * so one /24 cannot squat every inbound slot with sessions that never identify (each lives up to
   * IDENTIFY_TIMEOUT_MS).
   */
  private readonly unverifiedInbound = new Map<string, number>();
  private readonly unverifiedSubnet = new WeakMap<Link, string>();

  constructor(ctx: NodeContext) {
    this.ctx = ctx;
  }

  get sessionCount(): number {
    return this.links.size;
  }

  /** True while a session exists or a dial is under way: an edge may appear soon. */
  get connecting(): boolean {
    return this.links.size > 0 || this.dialing.size > 0;
  }

  /**
   * Endpoint hook: refuse handshakes beyond the inbound cap, or from a subnet that already holds its
   * share of our edges (eclipse defence, kad MAX_EDGES_PER_SUBNET), before any session state exists.
   */
  readonly acceptPeer = (_key?: Uint8Array, address?: UdpAddress): boolean => {
    if (!this.ctx.running) return false;
    if (this.inboundOpen >= this.ctx.options.maxInboundEdges) {
      this.ctx.drops.inboundFull++;
      return false;
    }
    if (address !== undefined && !this.ctx.relaying.isRelayed(address) && this.ctx.edgeTable.subnetFull(address, this.unverifiedFrom(address))) {
      this.ctx.drops.subnetFull++;
      return false;
    }
    return true;
  };

  readonly onInboundSession = (session: Session): void => {
    this.attach(session, false, null);
  };

  /** The live edge to `id`, if any. */
  edgeLink(id: Uint8Array): Link | undefined {
    const link = this.byPeer.get(idKey(id));
    return link !== undefined && link.registered ? link : undefined;
  }

  edgeLinkByKey(key: string): Link | undefined {
    const link = this.byPeer.get(key);
    return link !== undefined && link.registered ? link : undefined;
  }

  edgeLinks(): Link[] {
    const out: Link[] = [];
    for (const link of this.byPeer.values()) if (link.registered) out.push(link);
    return out;
  }

  edges(): EdgeInfo[] {
    return this.ctx.edgeTable.all().map((e) => {
      const link = this.byPeer.get(e.key)!;
      const address = link.session.remoteAddress;
      return {
        id: e.id.slice(),
        inbound: e.inbound,
        kind: e.kind,
        address,
        path: this.ctx.relaying.pathOf(address),
        rttMs: link.rttMs,
        lastSeenMs: link.session.lastReceivedAtMs,
      };
    });
  }

  observedAddresses(): ObservedAddress[] {
    return this.observed.tally();
  }

  /** Wraps a fresh session in a link and starts the Identify exchange. */
  attach(session: Session, outbound: boolean, expectedId: Uint8Array | null, maintained = false): Link | null {
    const ctx = this.ctx;
    if (!ctx.running || session.state === 'closed') {
      session.close();
      return null;
    }
    const remoteAddress = session.remoteAddress;
    // Many handshakes can be in flight at once, and the handshake-time checks (acceptPeer) see none of
    // their sessions yet: both inbound caps are enforced again as each session arrives.
    if (!outbound && this.inboundOpen >= ctx.options.maxInboundEdges) {
      ctx.drops.inboundFull++;
      session.close();
      return null;
    }
    if (!outbound && !ctx.relaying.isRelayed(remoteAddress) && ctx.edgeTable.subnetFull(remoteAddress, this.unverifiedFrom(remoteAddress))) {
      ctx.drops.subnetFull++;
      session.close();
      return null;
    }
    const o = ctx.options;
    const link = new Link(session, outbound, expectedId, { control: o.controlBudget, forward: o.forwardBudget }, ctx.clock.now());
    link.maintained = maintained;
    this.links.add(link);
    if (!outbound) {
      this.inboundOpen++;
      const remote = session.remoteAddress;
      const subnet = ctx.relaying.isRelayed(remote) ? undefined : ctx.edgeTable.subnetKeyOf(remote);
      if (subnet !== undefined) {
        this.unverifiedSubnet.set(link, subnet);
        this.unverifiedInbound.set(subnet, (this.unverifiedInbound.get(subnet) ?? 0) + 1);
      }
    }
    session.on('close', () => this.onClose(link));
    session.on('channel', (ch: Channel) => this.onPeerChannel(link, ch));
    void pump(link, link.control, (ev) => ctx.control.onEvent(link, ev), ctx);
    void pump(link, link.routed, (ev) => ctx.router.onEvent(link, ev), ctx);
    void pump(link, link.relay, (ev) => ctx.relaying.onEvent(link, ev), ctx);
    const remote = session.remoteAddress;
    link.identifyBytes = buildIdentify(ctx.identity, session.handshakeHash, {
      bootId: ctx.bootId,
      record: ctx.selfRecord(),
      // A relayed session's address is virtual: it says nothing about where the peer sees us.
      observed: ctx.relaying.isRelayed(remote) ? null : toWireAddress(remote.host, remote.port),
    });
    this.sendIdentify(link);
    link.identifyDeadlineTimer = ctx.clock.setTimer(() => {
      link.identifyDeadlineTimer = null;
      if (!link.registered && !link.closed) {
        this.refuse(link, new TimeoutError(`the peer at ${formatHostPort(remote)} did not complete the identify exchange within ${IDENTIFY_TIMEOUT_MS} ms`), false);
      }
    }, IDENTIFY_TIMEOUT_MS);
    return link;
  }

  /**
   * An edge to `contact`: the live one, the one being set up, or a new dial to its addresses in order.
   * Rejects with the last failure (TIMEOUT, EDGE_REFUSED, POW_UNMET, ABORTED).
   */
  dial(contact: Contact, options: DialOptions): Promise<Link> {
    const key = idKey(contact.nodeId);
    const live = this.byPeer.get(key);
    if (live !== undefined && !live.closed) return withSignal(live.ready, options.signal);
    // Dials to the same addresses share one attempt; a dial by another path (through a relay, or to
    // fresh rendezvous addresses) runs alongside, or it would wait on an attempt it cannot help
    // (issue 6 cascade). Two sessions that both succeed are resolved like any duplicate.
    const dialKey = `${key}|${contact.addresses.map((a) => `${a.host} ${a.port}`).join(',')}`;
    const inflight = this.dialing.get(dialKey);
    if (inflight !== undefined) return withSignal(inflight, options.signal);
    const attempt = this.dialAddresses(contact, options);
    this.dialing.set(dialKey, attempt);
    const forget = () => {
      if (this.dialing.get(dialKey) === attempt) this.dialing.delete(dialKey);
    };
    attempt.then(forget, forget);
    return attempt;
  }

  private async dialAddresses(contact: Contact, options: DialOptions): Promise<Link> {
    const ctx = this.ctx;
    let lastError: Error = new EdgeRefusedError('the contact lists no address to dial');
    for (const address of contact.addresses) {
      throwIfAborted(options.signal);
      if (!ctx.running) throw new NotRunningError();
      let session: Session;
      try {
        session = await ctx.endpoint.dial(address, contact.xPublicKey, { timeoutMs: options.timeoutMs, signal: options.signal });
      } catch (err) {
        lastError = err as Error;
        if (lastError instanceof AbortedError) throw lastError;
        continue;
      }
      const link = this.attach(session, true, contact.nodeId, options.maintained === true);
      if (link === null) throw new NotRunningError();
      try {
        return await withSignal(link.ready, options.signal);
      } catch (err) {
        lastError = err as Error;
        // The peer answered the handshake but is not (or refuses to be) the node we want: other
        // addresses of the same contact would only repeat that.
        if (lastError instanceof AbortedError || lastError instanceof EdgeRefusedError || lastError instanceof PowUnmetError) throw lastError;
      }
    }
    throw lastError;
  }

  /** Graceful shutdown: Leave on every edge, then close every session. */
  closeAll(): void {
    for (const link of [...this.links]) {
      if (link.registered) this.sendControl(link, MSG_LEAVE, EMPTY);
      link.session.close();
    }
  }

  /**
   * Closes a surplus edge (degree trimming) with a Leave, so the peer dials a replacement elsewhere;
   * this node dials none for it. True when there was such an edge.
   */
  trim(id: Uint8Array): boolean {
    if (!this.release(id)) return false;
    this.ctx.counters.edgesTrimmed++;
    return true;
  }

  /** Closes an edge this node no longer wants (trimmed, or a finished eviction probe) with a Leave; no replacement. */
  release(id: Uint8Array): boolean {
    const link = this.edgeLink(id);
    if (link === undefined) return false;
    link.trimmed = true;
    this.sendControl(link, MSG_LEAVE, EMPTY);
    link.session.close();
    return true;
  }

  private unverifiedFrom(address: UdpAddress): number {
    const subnet = this.ctx.edgeTable.subnetKeyOf(address);
    return subnet === undefined ? 0 : (this.unverifiedInbound.get(subnet) ?? 0);
  }

  /** The link became an edge or closed: it no longer counts as an unverified inbound session. */
  private forgetUnverified(link: Link): void {
    const subnet = this.unverifiedSubnet.get(link);
    if (subnet === undefined) return;
    this.unverifiedSubnet.delete(link);
    const n = (this.unverifiedInbound.get(subnet) ?? 1) - 1;
    if (n <= 0) this.unverifiedInbound.delete(subnet);
    else this.unverifiedInbound.set(subnet, n);
  }

  /** Closes the edge to `id` (e.g. after a failed send); true when there was one. */
  drop(id: Uint8Array): boolean {
    const link = this.edgeLink(id);
    if (link === undefined) return false;
    link.session.close();
    return true;
  }

  /** Sends on one of a link's unreliable channels; a closed session is cleaned up by its close handler. */
  sendOn(channel: Channel, type: number, payload: Uint8Array): void {
    if (channel.closed) return;
    channel.send(type, payload).catch(() => {});
  }

  sendControl(link: Link, type: number, payload: Uint8Array): void {
    if (link.closed) return;
    link.control.send(type, payload).catch(() => {
      // The session closed under us; its close handler cleans up.
    });
  }

  /** A verified neighbour's report of where it sees us (Identify, Pong): raw tally and NAT consensus. */
  reportObserved(link: Link, observed: WireAddress): void {
    const peer = link.peer;
    // A report still queued on a link that closed must not outlive the edge (its report was removed).
    if (peer === null || link.closed || this.ctx.relaying.isRelayed(link.session.remoteAddress)) return;
    const address = fromWireAddress(observed);
    this.observed.report(peer.key, formatHostPort(address));
    this.ctx.nat.report(peer.key, link.session.remoteAddress, address);
  }

  // ---- Identify ----

  onIdentify(link: Link, payload: Uint8Array): void {
    const ctx = this.ctx;
    if (link.peer !== null) {
      // A resend: our ack was lost. Acknowledge again; never re-verify or change the peer.
      this.sendControl(link, MSG_IDENTIFY_ACK, EMPTY);
      return;
    }
    const check = checkIdentify(payload, link.session.handshakeHash, link.session.remoteStaticKey, ctx.options.difficulty);
    if (!check.ok) {
      ctx.drops[check.reason]++;
      this.refuse(link, check.reason === 'subPow' ? new PowUnmetError(check.message) : new EdgeRefusedError(check.message), true);
      return;
    }
    const peer = check.peer;
    if (sameBytes(peer.id, ctx.self)) {
      ctx.drops.edgeRefused++;
      this.refuse(link, new EdgeRefusedError('the peer is this node itself'), true);
      return;
    }
    if (link.expectedId !== null && !sameBytes(peer.id, link.expectedId)) {
      ctx.drops.edgeRefused++;
      this.refuse(link, new EdgeRefusedError('the node at that address identified as a different NodeID than the one dialed'), true);
      return;
    }
    const relayedFor = ctx.relaying.relayedPeerKey(link.session.remoteAddress);
    if (relayedFor !== undefined && relayedFor !== peer.key) {
      // A relay named one source and another node answered: the relay lied about who it forwards for.
      ctx.drops.edgeRefused++;
      this.refuse(link, new EdgeRefusedError('the relayed peer is not the node the relay named'), true);
      return;
    }
    if (ctx.options.acceptEdge !== undefined && !ctx.options.acceptEdge(peer.id.slice())) {
      ctx.drops.edgeRefused++;
      this.refuse(link, new EdgeRefusedError('the application refused this peer'), true);
      return;
    }
    link.peer = peer;
    this.sendControl(link, MSG_IDENTIFY_ACK, EMPTY);
    if (peer.observed !== null) this.reportObserved(link, peer.observed);
    this.resolveDuplicate(link);
    this.maybeRegister(link);
  }

  onIdentifyAck(link: Link): void {
    if (link.identifyAcked) return;
    link.identifyAcked = true;
    if (link.identifyRetryTimer !== null) {
      this.ctx.clock.clearTimer(link.identifyRetryTimer);
      link.identifyRetryTimer = null;
    }
    this.maybeRegister(link);
  }

  /** The peer is leaving (or refused us before identifying). */
  onLeave(link: Link): void {
    link.left = true;
    if (!link.registered && link.refusal === null) link.refusal = new EdgeRefusedError('the peer refused the edge (it may be full or leaving)');
    link.session.close();
  }

  private sendIdentify(link: Link): void {
    if (link.closed || link.identifyAcked || link.identifyBytes === null) return;
    this.sendControl(link, MSG_IDENTIFY, link.identifyBytes);
    link.identifyRetryTimer = this.ctx.clock.setTimer(() => {
      link.identifyRetryTimer = null;
      this.sendIdentify(link);
    }, IDENTIFY_RETRY_MS);
  }

  private refuse(link: Link, reason: Error, tellPeer: boolean): void {
    if (link.closed) return;
    link.refusal = reason;
    link.rejectReady(reason);
    if (tellPeer) this.sendControl(link, MSG_LEAVE, EMPTY);
    link.session.close();
  }

  /** Two links to one peer: keep one (see the file comment), close the other. */
  private resolveDuplicate(link: Link): void {
    const peer = link.peer!;
    const current = this.byPeer.get(peer.key);
    if (current === undefined || current === link || current.closed) {
      this.byPeer.set(peer.key, link);
      return;
    }
    let winner: Link;
    let loser: Link;
    if (!sameBytes(current.peer!.bootId, peer.bootId)) {
      winner = link;
      loser = current;
    } else {
      const order = preferSession(this.facts(current), this.facts(link));
      winner = order <= 0 ? current : link;
      loser = winner === current ? link : current;
    }
    this.byPeer.set(peer.key, winner);
    loser.supersededBy = winner;
    if (loser.registered) {
      // Swap quietly: the peer stays reachable, so this is no edge loss (no replacement dial).
      this.ctx.edgeTable.remove(loser.peer!.id);
      loser.registered = false;
    }
    loser.session.close();
  }

  private facts(link: Link): { initiatorId: Uint8Array; handshakeHash: Uint8Array } {
    return { initiatorId: link.outbound ? this.ctx.self : link.peer!.id, handshakeHash: link.session.handshakeHash };
  }

  private maybeRegister(link: Link): void {
    const ctx = this.ctx;
    const peer = link.peer;
    if (link.registered || link.closed || peer === null || !link.identifyAcked) return;
    if (this.byPeer.get(peer.key) !== link) return;
    const now = ctx.clock.now();
    // A relayed session's address is virtual (100::/64 for every relayed peer): it says nothing of the
    // peer's subnet, so relayed edges are not counted against one.
    const remote = ctx.relaying.isRelayed(link.session.remoteAddress) ? undefined : link.session.remoteAddress;
    const added = ctx.edgeTable.add({ id: peer.id, inbound: !link.outbound, address: remote, capabilities: peer.contact.capabilities }, now);
    if (!added.added) {
      if (added.reason === 'inbound-full') ctx.drops.inboundFull++;
      else if (added.reason === 'subnet-full') ctx.drops.subnetFull++;
      else ctx.drops.edgeRefused++;
      this.refuse(link, new EdgeRefusedError(`the edge was refused: ${added.reason}`), true);
      return;
    }
    link.registered = true;
    this.forgetUnverified(link);
    this.clearIdentifyTimers(link);
    ctx.counters.edgesEstablished++;
    const contact = peer.contact;
    if (contact.addresses.length === 0) {
      // A node that does not advertise an address is still reachable where its session comes from
      // (unless that is a relay's virtual address, which means nothing to anyone else).
      const remote = link.session.remoteAddress;
      const usable = toWireAddress(remote.host, remote.port) !== null && !ctx.relaying.isRelayed(remote);
      ctx.learning.firstHand({ ...contact, addresses: usable ? [{ host: remote.host, port: remote.port }] : [] });
    } else {
      ctx.learning.firstHand(contact);
    }
    // A channel the peer opened, filled and closed before we verified it still holds data it was promised
    // (its reliable frames were acknowledged): hand it over until its buffer is read.
    for (const ch of link.heldChannels.splice(0)) if (!ch.closed || ch.buffered > 0) ctx.incomingChannel(peer.id, link.session, ch);
    link.resolveReady(link);
    ctx.control.onEdgeUp(link);
    ctx.emit('edge', { id: peer.id.slice(), inbound: !link.outbound });
    // Learn through new edges (sibling exchange), except those the application asked for: connect()
    // wants a session to one peer, not our neighbourhood, and must not wait behind that work.
    if (link.maintained || !link.outbound) ctx.lookups.siblingExchange(link);
    if (link.maintained) ctx.maintenance?.onEdgeUp();
  }

  private clearIdentifyTimers(link: Link): void {
    const clock = this.ctx.clock;
    if (link.identifyRetryTimer !== null) clock.clearTimer(link.identifyRetryTimer);
    if (link.identifyDeadlineTimer !== null) clock.clearTimer(link.identifyDeadlineTimer);
    link.identifyRetryTimer = null;
    link.identifyDeadlineTimer = null;
  }

  private onPeerChannel(link: Link, ch: Channel): void {
    const ctx = this.ctx;
    if (ch.id < FIRST_APP_CHANNEL || ch.id > LAST_APP_CHANNEL) {
      ctx.drops.reservedChannel++;
      ch.close();
      return;
    }
    // Both ends must agree before the first event is processed (spec 11); the policy decides by number.
    if (ctx.options.channelReliability(ch.id)) ch.setReliable();
    if (link.registered && link.peer !== null) ctx.incomingChannel(link.peer.id, link.session, ch);
    else link.heldChannels.push(ch);
  }

  private onClose(link: Link): void {
    const ctx = this.ctx;
    if (link.closed) return;
    link.closed = true;
    this.links.delete(link);
    if (!link.outbound) this.inboundOpen--;
    this.forgetUnverified(link);
    this.clearIdentifyTimers(link);
    link.heldChannels.length = 0;
    const peer = link.peer;
    const current = peer !== null && this.byPeer.get(peer.key) === link;
    if (current) this.byPeer.delete(peer.key);
    if (link.supersededBy !== null) {
      const winner = link.supersededBy;
      winner.ready.then(
        (w) => link.resolveReady(w),
        (e: Error) => link.rejectReady(e),
      );
    } else if (!link.registered) {
      link.rejectReady(link.refusal ?? new EdgeRefusedError('the session closed before the identify exchange completed'));
    }
    if (!link.registered) return;
    link.registered = false;
    const removed = ctx.edgeTable.remove(peer!.id);
    this.observed.remove(peer!.key);
    ctx.nat.remove(peer!.key);
    ctx.relaying.onLinkClosed(peer!.key);
    ctx.counters.edgesClosed++;
    // A Disconnect (spec 4.5) is the peer closing on purpose, like Leave; the two usually arrive in one
    // burst and the Disconnect can win the race to close the session.
    const left = link.left || link.session.closeReason === 'remote';
    ctx.emit('edge-closed', { id: peer!.id.slice(), reason: left ? 'leave' : (link.session.closeReason ?? 'local') });
    // Replaced at once: our own edges, and siblings whoever dialed them (the neighbourhood routes).
    if (ctx.running && !link.trimmed) ctx.maintenance?.onEdgeLost(peer!.id, left, link.outbound || removed?.kind === 'sibling');
  }
}

/**
 * Reads one of a link's overlay channels until it ends, handing each event to `handle`; a throwing
 * handler is counted, not fatal. When the channel ends while the session lives on (the peer closed it,
 * or the reliable channel gave up after its retransmissions, spec 11.6), the link is useless: close it.
 */
async function pump(link: Link, channel: Channel, handle: (ev: ChannelEvent) => void, ctx: NodeContext): Promise<void> {
  for (;;) {
    let ev: ChannelEvent | null;
    try {
      ev = await channel.recv();
    } catch {
      ev = null;
    }
    if (ev === null) {
      if (!link.closed) link.session.close();
      return;
    }
    try {
      handle(ev);
    } catch {
      ctx.drops.internalError++;
    }
  }
}
