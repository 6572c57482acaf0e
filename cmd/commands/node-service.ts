/**
 * What a running node answers on its control socket (issue 7 item 3): status, peers, stats, send, ping and
 * connect (pipe and listen are node-streams.ts). Each handler is a thin call into the node; the results are
 * plain JSON the client commands print as text or pass through with --json.
 */
import { formatNodeId } from '../../src/identity/index.js';
import type { EdgeInfo, Node, NodeStats } from '../../src/node/index.js';
import { formatHostPort } from '../host-port.js';
import type { ControlContext, ControlServer } from '../control-socket.js';
import { booleanArg, bytesArg, nodeIdArg } from './control-args.js';
import { NETWORK_REQUEST_TIMEOUT_MS, PEERS_PING_TIMEOUT_MS } from './constants.js';
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
  address: string;
  /** Edges are direct Wiresocket sessions; relayed paths appear once the node offers them. */
  path: 'direct' | 'relayed';
  inbound: boolean;
  kind: 'sibling' | 'finger';
  /** Round trip of a ping over the edge now, or null when it did not answer in time. */
  rttMs: number | null;
  /** Wall-clock time (ms since the epoch) this peer was last heard from, as far as the CLI saw. */
  lastSeenMs: number;
}

/** The contact addresses (`host:port`) of a contact string `<keys>@a,b`. */
export function contactAddresses(contact: string): string[] {
  const at = contact.indexOf('@');
  return at < 0 ? [] : contact.slice(at + 1).split(',').filter((a) => a !== '');
}

export function edgeAddress(edge: EdgeInfo): string {
  return formatHostPort(edge.address);
}

export class NodeService {
  private readonly startedMs = Date.now();
  /** Last time each peer (by NodeID text) was heard from: edge up, message, answered ping. */
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly node: Node) {}

  /** Records that `id` was just heard from. */
  seen(id: Uint8Array): void {
    this.lastSeen.set(formatNodeId(id), Date.now());
  }

  forget(id: Uint8Array): void {
    this.lastSeen.delete(formatNodeId(id));
  }

  register(server: ControlServer, extraStats: () => Record<string, unknown>): void {
    server.handle('status', () => this.status());
    server.handle('peers', (_args, ctx) => this.peers(ctx));
    server.handle('stats', () => ({ uptimeMs: Date.now() - this.startedMs, ...this.node.stats(), ...extraStats() }));
    server.handle('send', async (args, ctx) => {
      const to = nodeIdArg(args, 'to');
      const data = bytesArg(args, 'data');
      const ack = booleanArg(args, 'ack');
      const started = performance.now();
      await this.node.send(to, data, { ack, signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
      if (ack) this.seen(to);
      return { to: formatNodeId(to), bytes: data.length, acked: ack, ms: performance.now() - started };
    });
    server.handle('connect', async (args, ctx) => {
      const to = nodeIdArg(args, 'to');
      const existing = this.edgeTo(to) !== undefined;
      const started = performance.now();
      await this.node.connect(to, { signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
      const ms = performance.now() - started;
      const edge = this.edgeTo(to);
      this.seen(to);
      return {
        nodeId: formatNodeId(to),
        path: 'direct',
        address: edge === undefined ? null : edgeAddress(edge),
        inbound: edge?.inbound ?? false,
        how: existing ? 'existing edge' : 'new session',
        ms,
      };
    });
    server.handle('ping', async (args, ctx) => {
      const to = nodeIdArg(args, 'to');
      // node.ping measures direct edges: without one, find the peer by NodeID first (rendezvous, spec'd
      // in the node), then measure the edge that leaves.
      const connected = this.edgeTo(to) === undefined;
      if (connected) await this.node.connect(to, { signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
      const rttMs = await this.node.ping(to, { signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
      this.seen(to);
      const edge = this.edgeTo(to);
      return { nodeId: formatNodeId(to), rttMs, connected, address: edge === undefined ? null : edgeAddress(edge) };
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
        direct: edges.length,
        relayed: 0,
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

  private async peers(ctx: ControlContext): Promise<PeerRow[]> {
    const edges = this.node.edges();
    // Every edge is pinged at once, each bounded, so the table costs one timeout at most.
    const rtts = await Promise.all(
      edges.map((edge) =>
        this.node.ping(edge.id, { signal: ctx.signal, timeoutMs: PEERS_PING_TIMEOUT_MS }).then(
          (rtt) => {
            this.seen(edge.id);
            return rtt;
          },
          () => null,
        ),
      ),
    );
    return edges.map((edge, i) => {
      const nodeId = formatNodeId(edge.id);
      return {
        nodeId,
        address: edgeAddress(edge),
        path: 'direct',
        inbound: edge.inbound,
        kind: edge.kind,
        rttMs: rtts[i] ?? null,
        lastSeenMs: this.lastSeen.get(nodeId) ?? this.startedMs,
      };
    });
  }

  private edgeTo(id: Uint8Array): EdgeInfo | undefined {
    return this.node.edges().find((e) => e.id.length === id.length && e.id.every((b, i) => b === id[i]));
  }
}
