/**
 * Nodes on the simulated fabric (src/node/sim): same node code, in-memory datagrams, virtual time.
 * Identities come from seeds and each node's nonces from a seeded generator, so a run depends only on
 * the seeds (and the session layer's own key randomness).
 */
import { Identity } from '../../src/identity/index.js';
import { createNode, type Node, type NodeOptions } from '../../src/node/index.js';
import { SimNetwork, seededBytes, type SimTransport } from '../../src/node/sim/index.js';

export interface SimNode {
  node: Node;
  transport: SimTransport;
  host: string;
}

/** mulberry32 as a byte filler. */
export const seededRandom: (seed: number) => (out: Uint8Array) => void = seededBytes;

export function seededIdentity(seed: number): Identity {
  const bytes = new Uint8Array(32);
  seededRandom(seed * 7919 + 1)(bytes);
  return Identity.fromSeed(bytes);
}

export function simHost(i: number): string {
  return `10.${Math.floor(i / 250)}.${i % 250}.1`;
}

export async function startSimNode(net: SimNetwork, i: number, options: Partial<NodeOptions>, all: SimNode[]): Promise<SimNode> {
  const host = simHost(i);
  const transport = net.createTransport(host, 4000);
  const node = createNode({ identity: seededIdentity(i), transport, clock: net.clock, random: seededRandom(1000 + i), ...options });
  const entry = { node, transport, host };
  all.push(entry);
  await node.start();
  return entry;
}

export async function stopSimNodes(net: SimNetwork, all: SimNode[]): Promise<void> {
  const stopping = all.splice(0).map((n) => n.node.stop());
  await net.clock.settle();
  await Promise.all(stopping);
}

export const SIM_MAINTENANCE = {
  tickMs: 1_000,
  selfLookupMs: 30_000,
  siblingExchangeMs: 30_000,
  bucketRefreshCheckMs: 30_000,
  bucketStaleAfterMs: 60_000,
  dialTimeoutMs: 2_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
} as const;
