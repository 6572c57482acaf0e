/**
 * The relay hook (issue 6 item 4) without touching the session layer: the Endpoint's datagram transport
 * is wrapped, and every relayed peer gets a virtual UDP address. The Endpoint sends to that address like
 * to any other; this wrapper turns the datagram into a channel-2 FORWARD frame to the relay instead of a
 * UDP send. A DELIVER frame from the relay is handed to the Endpoint as a datagram from the same virtual
 * address. Sessions, handshakes, keepalives and reliable channels run unchanged end to end, and a
 * session roams off the virtual address as soon as an authenticated packet arrives directly (spec:
 * sessions follow the source of authenticated packets), which is the upgrade to a direct path.
 *
 * Virtual addresses are taken from 100::/64, the IPv6 discard-only prefix (RFC 6666): never routed, so
 * one can never collide with a real peer, and the NAT layer refuses to count it as a reflexive address.
 * Host `100::<relay slot>` with port = 1 + the route number inside it keeps the text short.
 *
 * Two more hooks serve the move to a direct path (issue 6 items 3 and 4):
 * - Trial: while a route is on trial toward some direct candidate addresses, every packet the Endpoint
 *   sends to the virtual address ALSO goes straight to those candidates. The peer's session roams to
 *   our direct address when a direct copy arrives first (the later relayed copy is a replay and dropped),
 *   it then sends straight to us, and our session roams off the virtual address: the same session, keys
 *   and reliable channels, now direct. A candidate that does not get through costs nothing but the copy;
 *   when the trial ends, packets go through the relay alone and the peer roams back to it.
 * - Pins (birthday strategy, symmetric side): an extra socket whose NAT mapping reached the peer is pinned
 *   to the peer's address. Datagrams from the peer on that socket are handed to the Endpoint as if they
 *   came in on the main socket, and every packet the Endpoint sends to that address leaves from the
 *   pinned socket, so the session runs over the mapping that was found. The pin (and its socket) goes
 *   when the edge to that peer closes.
 * - Punch observer: PACKET_PUNCH datagrams are reported (host, port) before the Endpoint drops them, so
 *   the cone side of a birthday attempt learns which of its sprayed ports was answered.
 */
import { PACKET_PUNCH } from '../wire/index.js';
import type { DatagramHandler, DatagramTransport, UdpAddress } from '../session/index.js';

/** Where a virtual address leads: the other endpoint, through which relay. */
export interface RelayRoute {
  readonly address: UdpAddress;
  readonly relayKey: string;
  readonly relayId: Uint8Array;
  readonly peerKey: string;
  readonly peerId: Uint8Array;
}

/** Sends one Wiresocket packet (bytes valid only during the call) to `route.peerId` through its relay. */
export type RelaySender = (route: RelayRoute, packet: Uint8Array, length: number) => void;

/** Told of every PACKET_PUNCH datagram that reaches one of our sockets. */
export type PunchObserver = (host: string, port: number) => void;

const IGNORE_SEND_RESULT = (): void => {};

function addressKey(host: string, port: number): string {
  return `${host} ${port}`;
}

const VIRTUAL_PREFIX = '100::';
const ROUTES_PER_HOST = 65_535;

export function isVirtualRelayHost(host: string): boolean {
  return host.startsWith(VIRTUAL_PREFIX);
}

export class RelayTransport implements DatagramTransport {
  private readonly inner: DatagramTransport;
  private handler: DatagramHandler | null = null;
  private batchEnd: (() => void) | null = null;
  private sender: RelaySender | null = null;
  private readonly byAddress = new Map<string, RelayRoute>();
  private readonly byPair = new Map<string, RelayRoute>();
  private nextRoute = 0;
  /** Virtual address key -> direct candidates that get a copy of every packet (a trial). */
  private readonly trials = new Map<string, readonly UdpAddress[]>();
  /** Peer address key -> the extra socket the session to that address runs on. */
  private readonly pins = new Map<string, DatagramTransport>();
  private punchObserver: PunchObserver | null = null;

  constructor(inner: DatagramTransport) {
    this.inner = inner;
    inner.onDatagram((buf, host, port) => this.receive(buf, host, port));
    inner.onReceiveBatchEnd?.(() => this.batchEnd?.());
  }

  private receive(buf: Uint8Array, host: string, port: number): void {
    if (buf.length > 0 && buf[0] === PACKET_PUNCH) this.punchObserver?.(host, port);
    this.handler?.(buf, host, port);
  }

  /** A datagram that came in on a socket of ours other than the main one (a pinned extra socket). */
  receiveReal(buf: Uint8Array, host: string, port: number): void {
    this.receive(buf, host, port);
  }

  setPunchObserver(observer: PunchObserver | null): void {
    this.punchObserver = observer;
  }

  /** Copies of packets to `virtual` also go straight to `directs` until endTrial() (see the file comment). */
  startTrial(virtual: UdpAddress, directs: readonly UdpAddress[]): void {
    if (this.routeAt(virtual) === undefined || directs.length === 0) return;
    this.trials.set(addressKey(virtual.host, virtual.port), directs.map((d) => ({ host: d.host, port: d.port })));
  }

  endTrial(virtual: UdpAddress): void {
    this.trials.delete(addressKey(virtual.host, virtual.port));
  }

  /**
   * The session to `peer` runs over `socket` from now on (birthday strategy): datagrams from `peer` on it
   * reach the Endpoint, packets to `peer` leave from it. The transport owns the socket until unpin().
   * False (and nothing changes) when `peer` is pinned already.
   */
  pin(peer: UdpAddress, socket: DatagramTransport): boolean {
    const key = addressKey(peer.host, peer.port);
    if (this.pins.has(key)) return false;
    this.pins.set(key, socket);
    socket.onDatagram((buf, host, port) => {
      if (host !== peer.host || port !== peer.port || this.pins.get(key) !== socket) return;
      this.receive(buf, host, port);
    });
    return true;
  }

  isPinned(peer: UdpAddress): boolean {
    return this.pins.has(addressKey(peer.host, peer.port));
  }

  /** Pinned peer addresses (for the node to release pins whose edge is gone). */
  pinnedAddresses(): UdpAddress[] {
    return [...this.pins.keys()].map((k) => {
      const i = k.lastIndexOf(' ');
      return { host: k.slice(0, i), port: Number(k.slice(i + 1)) };
    });
  }

  /** Releases the pin of `peer` and closes its socket. */
  unpin(peer: UdpAddress): void {
    const key = addressKey(peer.host, peer.port);
    const socket = this.pins.get(key);
    if (socket === undefined) return;
    this.pins.delete(key);
    void socket.close().catch(() => {});
  }

  /** A real (non-virtual) send: from the pinned socket when the address has one, else the main socket. */
  private sendReal(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    const pinned = this.pins.size === 0 ? undefined : this.pins.get(addressKey(host, port));
    (pinned ?? this.inner).send(buf, length, host, port, done);
  }

  /** Installs the function that puts packets on channel 2 (the node's relay part). */
  setSender(sender: RelaySender): void {
    this.sender = sender;
  }

  /** The route (and its virtual address) to `peerId` through `relayId`; made on first use. */
  route(relayKey: string, relayId: Uint8Array, peerKey: string, peerId: Uint8Array): RelayRoute {
    const pair = `${relayKey}/${peerKey}`;
    let route = this.byPair.get(pair);
    if (route === undefined) {
      const n = this.nextRoute++;
      const address = { host: `${VIRTUAL_PREFIX}${(Math.floor(n / ROUTES_PER_HOST) + 1).toString(16)}`, port: (n % ROUTES_PER_HOST) + 1 };
      route = { address, relayKey, relayId: relayId.slice(), peerKey, peerId: peerId.slice() };
      this.byPair.set(pair, route);
      this.byAddress.set(`${address.host} ${address.port}`, route);
    }
    return route;
  }

  /** The route behind a virtual address, if it is one. */
  routeAt(address: UdpAddress): RelayRoute | undefined {
    if (!isVirtualRelayHost(address.host)) return undefined;
    return this.byAddress.get(`${address.host} ${address.port}`);
  }

  /** Forgets every route through `relayKey` (its edge died): sessions on them stop sending anywhere. */
  dropRelay(relayKey: string): void {
    for (const [pair, route] of this.byPair) {
      if (route.relayKey !== relayKey) continue;
      this.byPair.delete(pair);
      this.byAddress.delete(`${route.address.host} ${route.address.port}`);
      this.trials.delete(`${route.address.host} ${route.address.port}`);
    }
  }

  /** A packet the relay delivered: into the Endpoint as if it came from the route's virtual address. */
  inject(route: RelayRoute, packet: Uint8Array): void {
    this.handler?.(packet, route.address.host, route.address.port);
  }

  /** The inner socket's receive batches (pinned extra sockets deliver one datagram at a time). */
  onReceiveBatchEnd(handler: () => void): void {
    this.batchEnd = handler;
  }

  /** End of the Endpoint's flush: batched transports (the native one) send what this turn queued. */
  flush(): void {
    this.inner.flush?.();
    if (this.pins.size > 0) for (const socket of this.pins.values()) socket.flush?.();
  }

  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    if (!isVirtualRelayHost(host)) {
      this.sendReal(buf, length, host, port, done);
      return;
    }
    const key = addressKey(host, port);
    const route = this.byAddress.get(key);
    // A route whose relay is gone behaves like an unreachable address: the datagram is lost.
    // The relay sender copies the bytes into its frame at once.
    if (route !== undefined && this.sender !== null) this.sender(route, buf, length);
    const trial = this.trials.size === 0 ? undefined : this.trials.get(key);
    if (route === undefined || trial === undefined) {
      done(null);
      return;
    }
    // The copies get their own bytes (the Endpoint may reuse `buf` once `done` ran) and their send
    // errors are ignored (a candidate may be unreachable from here): the relayed copy is the packet.
    for (const direct of trial) {
      const copy = new Uint8Array(length);
      copy.set(buf.subarray(0, length));
      this.sendReal(copy, length, direct.host, direct.port, IGNORE_SEND_RESULT);
    }
    done(null);
  }

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  address(): UdpAddress {
    return this.inner.address();
  }

  close(): Promise<void> {
    for (const socket of this.pins.values()) void socket.close().catch(() => {});
    this.pins.clear();
    this.trials.clear();
    return this.inner.close();
  }
}
