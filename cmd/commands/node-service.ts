/**
 * What a running node answers on its control socket (issue 7 item 3): status, peers, stats, send, ping and
 * connect (pipe and listen are node-streams.ts). Each handler is a thin call into the node; the results are
 * plain JSON the client commands print as text or pass through with --json. Everything shown is the node's
 * own measurement: `peers` reads EdgeInfo (smoothed RTT from the node's edge pings, last authenticated
 * packet, direct/relayed path), `ping` is node.routedPing (a routed round trip by NodeID).
 */
import { formatNodeId } from '../../src/identity/index.js';
import type { EdgeInfo, Node, NodeStats } from '../../src/node/index.js';
import { formatHostPort } from '../host-port.js';
import type { ControlServer } from '../control-socket.js';
import { booleanArg, bytesArg, nodeIdArg } from './control-args.js';
import { NETWORK_REQUEST_TIMEOUT_MS } from './constants.js';
import { natStatusOf, type NatView } from './nat-view.js';

export interface StatusResult {
  nodeId: string;
  contact: string;
  addresses: string[];
  uptimeMs: number;
  nat: NatView;
  edges: { total: number; inbound: number; outbound: number; siblings: number; fingers: number; direct: number; relayed: number };
  knownContacts: number;
  traffic: { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number; delivered: number; originated: number; forwarded: number };
}

export interface PeerRow {
  nodeId: string;
  /** Where the edge's packets go: the peer's address, or the relay's for a relayed edge. */
  address: string;
  /** How the edge's session travels: straight to the peer, or through a relay (issue 6). */
  path: 'direct' | 'relayed';
  /** NodeID of the relay when `path` is 'relayed', else null. */
  relay: string | null;
  inbound: boolean;
  kind: 'sibling' | 'finger';
  /** The edge's smoothed round trip time from the node's own pings (every 15 s), or null before the first. */
  rttMs: number | null;
  /** Wall-clock time (ms since the epoch) of the last authenticated packet from the peer. */
  lastSeenMs: number;
}

/** What `wiremesh ping` shows: a routed round trip by NodeID (no edge needed). */
export interface PingResult {
  nodeId: string;
  rttMs: number;
  /** Links the ping took to the target, and the pong back. */
  hops: number;
  returnHops: number;
}

/** What `wiremesh connect` shows. */
export interface ConnectResult {
  nodeId: string;
  path: 'direct' | 'relayed';
  relay: string | null;
  address: string | null;
  inbound: boolean;
  how: 'existing edge' | 'new session';
  ms: number;
}

/** The contact addresses (`host:port`) of a contact string `<keys>@a,b`. */
export function contactAddresses(contact: string): string[] {
  const at = contact.indexOf('@');
  return at < 0 ? [] : contact.slice(at + 1).split(',').filter((a) => a !== '');
}

/**
 * Where an edge's packets go, as `host:port`: the peer's address for a direct edge; for a relayed one, the
 * relay's (the session's own address is a virtual one in 100::/64 that means nothing outside the node).
 */
export function edgeAddress(edge: EdgeInfo, all: readonly EdgeInfo[]): string {
  const path = edge.path;
  if (path.type !== 'relayed') return formatHostPort(edge.address);
  const relay = all.find((e) => e.id.length === path.relay.length && e.id.every((b, i) => b === path.relay[i]));
  return relay === undefined ? 'via relay' : formatHostPort(relay.address);
}

/** An edge's path as the CLI shows it: 'direct' or 'relayed', and the relay's NodeID. */
export function pathOf(edge: EdgeInfo | undefined): { path: 'direct' | 'relayed'; relay: string | null } {
  const p = edge?.path;
  return p?.type === 'relayed' ? { path: 'relayed', relay: formatNodeId(p.relay) } : { path: 'direct', relay: null };
}

export class NodeService {
  private readonly startedMs = Date.now();

  constructor(private readonly node: Node) {}

  register(server: ControlServer, extraStats: () => Record<string, unknown>): void {
    server.handle('status', () => this.status());
    server.handle('peers', () => this.peers());
    server.handle('stats', () => ({ uptimeMs: Date.now() - this.startedMs, ...this.node.stats(), ...extraStats() }));
    server.handle('send', async (args, ctx) => {
      const to = nodeIdArg(args, 'to');
      const data = bytesArg(args, 'data');
      const ack = booleanArg(args, 'ack');
      const started = performance.now();
      await this.node.send(to, data, { ack, signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
      return { to: formatNodeId(to), bytes: data.length, acked: ack, ms: performance.now() - started };
    });
    server.handle('connect', async (args, ctx): Promise<ConnectResult> => {
      const to = nodeIdArg(args, 'to');
      const existing = this.edgeTo(to) !== undefined;
      const started = performance.now();
      await this.node.connect(to, { signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
      const ms = performance.now() - started;
      const edge = this.edgeTo(to);
      return {
        nodeId: formatNodeId(to),
        ...pathOf(edge),
        address: edge === undefined ? null : edgeAddress(edge, this.node.edges()),
        inbound: edge?.inbound ?? false,
        how: existing ? 'existing edge' : 'new session',
        ms,
      };
    });
    server.handle('ping', async (args, ctx): Promise<PingResult> => {
      const to = nodeIdArg(args, 'to');
      // Routed: a signed ping travels the overlay by NodeID and the target's signed pong comes back.
      const r = await this.node.routedPing(to, { signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
      return { nodeId: formatNodeId(to), rttMs: r.rttMs, hops: r.hops, returnHops: r.returnHops };
    });
  }

  status(): StatusResult {
    const stats: NodeStats = this.node.stats();
    const edges = this.node.edges();
    const endpoint = stats.endpoint;
    return {
      nodeId: formatNodeId(this.node.id),
      contact: this.node.contact,
      addresses: contactAddresses(this.node.contact),
      uptimeMs: Date.now() - this.startedMs,
      nat: natStatusOf(this.node),
      edges: {
        ...stats.edges,
        fingers: edges.filter((e) => e.kind === 'finger').length,
        direct: edges.filter((e) => e.path.type === 'direct').length,
        relayed: edges.filter((e) => e.path.type === 'relayed').length,
      },
      knownContacts: stats.knownContacts,
      traffic: {
        rxBytes: endpoint?.rxBytes ?? 0,
        txBytes: endpoint?.txBytes ?? 0,
        rxPackets: endpoint?.rxPackets ?? 0,
        txPackets: endpoint?.txPackets ?? 0,
        delivered: stats.counters.delivered,
        originated: stats.counters.originated,
        forwarded: stats.counters.forwarded,
      },
    };
  }

  /** The node's edges with what it measured itself: smoothed RTT, last authenticated packet, path. */
  private peers(): PeerRow[] {
    const edges = this.node.edges();
    return edges.map((edge) => ({
      nodeId: formatNodeId(edge.id),
      address: edgeAddress(edge, edges),
      ...pathOf(edge),
      inbound: edge.inbound,
      kind: edge.kind,
      rttMs: edge.rttMs,
      lastSeenMs: edge.lastSeenMs,
    }));
  }

  private edgeTo(id: Uint8Array): EdgeInfo | undefined {
    return this.node.edges().find((e) => e.id.length === id.length && e.id.every((b, i) => b === id[i]));
  }
}
