/**
 * Shared helpers for the node tests: fast maintenance timings, clusters of real-UDP nodes on distinct
 * loopback /24s (127.0.<i>.1, so the subnet caps behave as on a real network), and convergence waits.
 */
import { createNode, type Node, type NodeOptions } from '../../src/node/index.js';
import { mintIdentity, type Identity } from '../../src/identity/index.js';

export const FAST_MAINTENANCE = {
  tickMs: 40,
  selfLookupMs: 400,
  siblingExchangeMs: 400,
  bucketRefreshCheckMs: 1_000,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
  dialTimeoutMs: 800,
} as const;

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A loopback host in its own /24. */
export function loopbackHost(i: number): string {
  return `127.0.${(i % 250) + 1}.${Math.floor(i / 250) + 1}`;
}

export async function startNode(options: NodeOptions, started: Node[]): Promise<Node> {
  const node = createNode(options);
  started.push(node);
  await node.start();
  return node;
}

export interface ClusterOptions {
  count: number;
  bootstraps?: number;
  targetDegree?: number;
  difficulty?: number;
  extra?: Partial<NodeOptions>;
  hostOffset?: number;
}

/** Starts `count` nodes; the first `bootstraps` know nothing, every other one bootstraps from them. */
export async function startCluster(opts: ClusterOptions, started: Node[]): Promise<Node[]> {
  const nodes: Node[] = [];
  const bootstraps = opts.bootstraps ?? 1;
  for (let i = 0; i < opts.count; i++) {
    const identity = opts.difficulty ? await mintIdentity({ difficulty: opts.difficulty }) : undefined;
    const node = await startNode(
      {
        host: loopbackHost(i + (opts.hostOffset ?? 0)),
        identity,
        difficulty: opts.difficulty,
        targetDegree: opts.targetDegree ?? 6,
        maintenance: FAST_MAINTENANCE,
        bootstrap: i < bootstraps ? nodes.map((n) => n.contact) : nodes.slice(0, bootstraps).map((n) => n.contact),
        ...opts.extra,
      },
      started,
    );
    nodes.push(node);
  }
  return nodes;
}

/**
 * Greedy routing from `node` can make progress toward any node it knows: every bucket (common prefix
 * length with us) that holds a known contact also holds a live edge (DESIGN "Overlay": fingers).
 */
export function fingersCover(node: Node): boolean {
  const cpl = (a: Uint8Array, b: Uint8Array) => {
    for (let i = 0; i < a.length; i++) {
      const x = a[i] ^ b[i];
      if (x !== 0) return i * 8 + Math.clz32(x) - 24;
    }
    return a.length * 8;
  };
  const self = node.id;
  const covered = new Set(node.edges().map((e) => cpl(self, e.id)));
  return node.knownContacts().every((c) => covered.has(cpl(self, c.nodeId)));
}

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function stopAll(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
}

export async function mint(difficulty: number): Promise<Identity> {
  return mintIdentity({ difficulty });
}
