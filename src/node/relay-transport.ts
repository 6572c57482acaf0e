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
 */
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

const VIRTUAL_PREFIX = '100::';
const ROUTES_PER_HOST = 65_535;

export function isVirtualRelayHost(host: string): boolean {
  return host.startsWith(VIRTUAL_PREFIX);
}

export class RelayTransport implements DatagramTransport {
  private readonly inner: DatagramTransport;
  private handler: DatagramHandler | null = null;
  private sender: RelaySender | null = null;
  private readonly byAddress = new Map<string, RelayRoute>();
  private readonly byPair = new Map<string, RelayRoute>();
  private nextRoute = 0;

  constructor(inner: DatagramTransport) {
    this.inner = inner;
    inner.onDatagram((buf, host, port) => this.handler?.(buf, host, port));
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
    }
  }

  /** A packet the relay delivered: into the Endpoint as if it came from the route's virtual address. */
  inject(route: RelayRoute, packet: Uint8Array): void {
    this.handler?.(packet, route.address.host, route.address.port);
  }

  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    if (!isVirtualRelayHost(host)) {
      this.inner.send(buf, length, host, port, done);
      return;
    }
    const route = this.byAddress.get(`${host} ${port}`);
    // A route whose relay is gone behaves like an unreachable address: the datagram is lost.
    if (route !== undefined && this.sender !== null) this.sender(route, buf, length);
    done(null);
  }

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  address(): UdpAddress {
    return this.inner.address();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
