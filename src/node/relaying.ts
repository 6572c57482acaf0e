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
 * Upgrade (issue 6 item 4): while an edge this node dialed through a relay stays relayed, it looks for a
 * direct path with bounded backoff (UPGRADE_FIRST_DELAY_MS doubling to UPGRADE_MAX_DELAY_MS): a routed
 * rendezvous makes the peer punch toward us (and start its birthday role), we do the same toward its
 * fresh candidates, and the session goes on trial (relay-transport.ts): its packets are also copied
 * straight to the candidates for UPGRADE_TRIAL_MS. When a copy gets through, the peer's session roams to
 * our direct address, its packets come straight back, and ours roams too: the same session (keys,
 * reliable channels and their unacknowledged data) now runs direct, nothing is re-sent or lost beyond
 * what the reliable channel retransmits anyway. A path the birthday strategy finds goes on trial the same way.
 *
 * Frames arrive only on verified links (the relay, and each endpoint, is a checked neighbour). A relay
 * does not check that a DELIVER's claimed source is real: the end-to-end handshake authenticates the peer.
 */
import { CAP_RELAY, type Contact, type ContactAddress } from '../identity/index.js';
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
  punchCandidates,
  type RelayRefusalReason,
} from '../nat/index.js';
import type { ChannelEvent, UdpAddress } from '../session/index.js';
import { FOUND_PATH_RETRY_MS, FOUND_PATH_TTL_MS, UPGRADE_TRIAL_PINGS, RENDEZVOUS_TIMEOUT_MS, UPGRADE_FIRST_DELAY_MS, UPGRADE_MAX_DELAY_MS, UPGRADE_TRIAL_MS } from './constants.js';
import { contactFromKad } from './contact-forms.js';
import type { NodeContext } from './context.js';
import { EdgeRefusedError } from './errors.js';
import type { Link } from './link.js';
import type { RelayRoute, RelayTransport } from './relay-transport.js';

/** The path a session takes to its peer: straight over UDP, or through a relay. */
export type SessionPath = { readonly type: 'direct' } | { readonly type: 'relayed'; readonly relay: Uint8Array };

interface UpgradeState {
  readonly link: Link;
  birthday: boolean;
  timer: unknown;
  delayMs: number;
  readonly step: () => void;
}

export class Relaying {
  private readonly ctx: NodeContext;
  private readonly transport: RelayTransport;
  readonly budget: RelayBudget;
  /** Dials in flight through a relay, by `${relayKey}/${peerKey}`: a refusal aborts them. */
  private readonly pendingDials = new Map<string, AbortController>();
  /** Relayed edges we dialed and are upgrading, by peer key: the link and the next attempt's timer. */
  private readonly upgrades = new Map<string, UpgradeState>();
  /** Trials running, by peer key (timer that ends the trial). */
  private readonly trials = new Map<string, { link: Link; timer: unknown }>();
  /** Birthday paths found while no relayed edge to the peer was up yet (tried when it comes up). */
  private readonly foundPaths = new Map<string, { address: UdpAddress; atMs: number }>();
  /** Timers of onPathFound's retries (cleared on close; each is short-lived). */
  private readonly foundRetryTimers = new Set<unknown>();
  /** Relayed links that moved to a direct path (counted once). */
  private readonly upgraded = new WeakSet<Link>();

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
  async dialVia(relayLink: Link, contact: Contact, timeoutMs: number, signal: AbortSignal, maintained = false): Promise<Link> {
    const relay = relayLink.peer!;
    const peerKey = idKey(contact.nodeId);
    const route = this.transport.route(relay.key, relay.id, peerKey, contact.nodeId);
    const pairKey = `${relay.key}/${peerKey}`;
    const refused = new AbortController();
    this.pendingDials.set(pairKey, refused);
    const onAbort = () => refused.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.ctx.edges.dial({ ...contact, addresses: [route.address] }, { timeoutMs, signal: refused.signal, maintained });
    } catch (err) {
      if (refused.signal.reason instanceof EdgeRefusedError) throw refused.signal.reason;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (this.pendingDials.get(pairKey) === refused) this.pendingDials.delete(pairKey);
    }
  }

  /**
   * Puts the relayed edge to `peerKey` on trial toward `addresses` (see the file comment); false when
   * there is no relayed edge to it or no usable candidate.
   */
  tryDirect(peerKey: string, addresses: readonly ContactAddress[]): boolean {
    const ctx = this.ctx;
    const link = ctx.edges.edgeLinkByKey(peerKey);
    if (link === undefined || !ctx.running) return false;
    const virtual = link.session.remoteAddress;
    if (!this.isRelayed(virtual)) return false;
    const candidates = punchCandidates(addresses, ctx.selfContact().addresses);
    if (candidates.length === 0) return false;
    const previous = this.trials.get(peerKey);
    if (previous !== undefined) ctx.clock.clearTimer(previous.timer);
    this.transport.startTrial(virtual, candidates);
    ctx.counters.upgradeTrials++;
    // An idle session sends nothing for seconds: a few pings make packets (and the peer's pongs) that the
    // trial copies straight to the candidates.
    for (let i = 0; i < UPGRADE_TRIAL_PINGS; i++) {
      this.later(() => {
        if (!link.closed && this.isRelayed(link.session.remoteAddress)) ctx.control.ping(link, UPGRADE_TRIAL_MS).catch(() => {});
      }, (i * UPGRADE_TRIAL_MS) / UPGRADE_TRIAL_PINGS);
    }
    const timer = ctx.clock.setTimer(() => {
      if (this.trials.get(peerKey)?.timer === timer) this.trials.delete(peerKey);
      this.transport.endTrial(virtual);
      this.checkUpgraded(peerKey, link);
    }, UPGRADE_TRIAL_MS);
    this.trials.set(peerKey, { link, timer });
    return true;
  }

  /** A direct path to `peerKey` was found (birthday strategy): try it now, or when the relayed edge is up. */
  onPathFound(peerKey: string, address: UdpAddress): void {
    if (this.tryDirect(peerKey, [address])) return;
    // The relayed edge is still being set up (the peer's dial, or ours, is under way): try again while
    // the path is fresh. startUpgrade() also looks here when our own relayed dial completes.
    const ctx = this.ctx;
    const atMs = ctx.clock.now();
    this.foundPaths.set(peerKey, { address, atMs });
    const retry = () => {
      const found = this.foundPaths.get(peerKey);
      if (found === undefined || found.atMs !== atMs || !ctx.running) return;
      if (this.tryDirect(peerKey, [found.address])) {
        this.foundPaths.delete(peerKey);
        return;
      }
      if (ctx.clock.now() - atMs >= FOUND_PATH_TTL_MS) {
        this.foundPaths.delete(peerKey);
        return;
      }
      this.later(retry, FOUND_PATH_RETRY_MS);
    };
    this.later(retry, FOUND_PATH_RETRY_MS);
  }

  private later(fn: () => void, ms: number): void {
    const timer = this.ctx.clock.setTimer(() => {
      this.foundRetryTimers.delete(timer);
      fn();
    }, ms);
    this.foundRetryTimers.add(timer);
  }

  /** A peer's fresh candidates arrived (its Hello): with a relayed edge to it, try them too. */
  onPeerCandidates(peerKey: string, contact: Contact): void {
    const plan = this.ctx.punching.plan(contact);
    if (plan.punch && plan.birthday === null) this.tryDirect(peerKey, contact.addresses);
  }

  /**
   * Keeps looking for a direct path while the edge `link` to `contact` is relayed (bounded backoff).
   * `birthday`: also ask for the birthday strategy when the NAT pair calls for it (connect() does;
   * maintenance does not). Called again with `birthday` for a running upgrade, it turns it on and
   * tries soon.
   */
  startUpgrade(link: Link, contact: Contact, birthday: boolean): void {
    const ctx = this.ctx;
    const peerKey = idKey(contact.nodeId);
    const running = this.upgrades.get(peerKey);
    if (running !== undefined && running.link === link) {
      if (birthday && !running.birthday) {
        running.birthday = true;
        if (running.timer !== null) ctx.clock.clearTimer(running.timer);
        running.delayMs = UPGRADE_FIRST_DELAY_MS;
        running.timer = ctx.clock.setTimer(running.step, running.delayMs);
        running.delayMs *= 2;
      }
      return;
    }
    if (running !== undefined && running.timer !== null) ctx.clock.clearTimer(running.timer);
    const found = this.foundPaths.get(peerKey);
    this.foundPaths.delete(peerKey);
    if (found !== undefined && ctx.clock.now() - found.atMs <= FOUND_PATH_TTL_MS) this.tryDirect(peerKey, [found.address]);
    const later = () => {
      state.timer = ctx.clock.setTimer(state.step, state.delayMs);
      state.delayMs = Math.min(UPGRADE_MAX_DELAY_MS, state.delayMs * 2);
    };
    const state: UpgradeState = {
      link,
      birthday,
      timer: null,
      delayMs: UPGRADE_FIRST_DELAY_MS,
      step: () => {
        state.timer = null;
        if (!ctx.running || this.upgrades.get(peerKey) !== state) return;
        if (link.closed || ctx.edges.edgeLinkByKey(peerKey) !== link) {
          this.upgrades.delete(peerKey);
          return;
        }
        if (this.checkUpgraded(peerKey, link)) return;
        const latest = ctx.knowledge.get(contact.nodeId);
        const plan = ctx.punching.plan(latest === undefined ? contact : (contactFromKad(latest) ?? contact));
        // Nothing to try this round: two symmetric NATs; a birthday pair without the birthday (a
        // maintained edge), or with it but our budget says not yet. NAT types can change: go on.
        const ask = plan.birthday !== null && state.birthday && ctx.birthday.canStart(peerKey);
        if ((!plan.punch && plan.birthday === null) || (plan.birthday !== null && !ask)) {
          later();
          return;
        }
        ctx.rendezvous.find(contact.nodeId, RENDEZVOUS_TIMEOUT_MS, undefined, ask).then(
          (fresh) => {
            if (!ctx.running || link.closed) return;
            const now = ctx.punching.approach(fresh, ask ? 'ask' : 'none');
            if (now.punch && now.birthday === null) this.tryDirect(peerKey, fresh.addresses);
          },
          () => {},
        );
        later();
      },
    };
    this.upgrades.set(peerKey, state);
    later();
  }

  /** True (and the upgrade is over) when the edge to `peerKey` no longer runs through a relay. */
  private checkUpgraded(peerKey: string, link: Link): boolean {
    if (link.closed || this.isRelayed(link.session.remoteAddress)) return false;
    const state = this.upgrades.get(peerKey);
    if (state?.link === link) {
      if (state.timer !== null) this.ctx.clock.clearTimer(state.timer);
      this.upgrades.delete(peerKey);
    }
    if (!this.upgraded.has(link)) {
      this.upgraded.add(link);
      this.ctx.counters.pathUpgrades++;
    }
    return true;
  }

  close(): void {
    for (const u of this.upgrades.values()) if (u.timer !== null) this.ctx.clock.clearTimer(u.timer);
    this.upgrades.clear();
    for (const t of this.trials.values()) this.ctx.clock.clearTimer(t.timer);
    this.trials.clear();
    this.foundPaths.clear();
    for (const t of this.foundRetryTimers) this.ctx.clock.clearTimer(t);
    this.foundRetryTimers.clear();
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
    this.ctx.birthday.release(peerKey);
    const upgrade = this.upgrades.get(peerKey);
    if (upgrade !== undefined && upgrade.link.closed) {
      if (upgrade.timer !== null) this.ctx.clock.clearTimer(upgrade.timer);
      this.upgrades.delete(peerKey);
    }
    const trial = this.trials.get(peerKey);
    if (trial !== undefined && trial.link.closed) {
      this.ctx.clock.clearTimer(trial.timer);
      this.trials.delete(peerKey);
    }
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
      if (reason === 'no-edge') ctx.counters.relayRefusedNoEdge++;
      else if (reason === 'sessions-full') ctx.counters.relayRefusedSessionsFull++;
      else if (reason === 'rate-limited') ctx.counters.relayRefusedRateLimited++;
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

