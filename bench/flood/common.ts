/**
 * What both flood scenarios share on the parent side: the target node, the child processes, phases and the
 * endpoint counter deltas.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { createNode, type Node } from '../../src/node/index.js';
import type { EndpointStats } from '../../src/session/index.js';
import { PeerProcess } from '../peer-process.js';
import { TARGET_HOST } from './constants.js';

export const FLOOD_PEER_ENTRY = 'bench/flood/peer.ts';

export type CryptoChoice = 'auto' | 'native' | 'pure';

export async function startTarget(crypto: CryptoChoice): Promise<Node> {
  const node = createNode({ host: TARGET_HOST, maintenance: false, noSubnet: true, crypto });
  await node.start();
  return node;
}

export function targetAddress(node: Node): { host: string; port: number } {
  const contact = node.contact;
  const port = Number(contact.slice(contact.lastIndexOf(':') + 1));
  return { host: TARGET_HOST, port };
}

export function endpointStats(node: Node): EndpointStats {
  const s = node.stats().endpoint;
  if (s === null) throw new Error('the target node is not running');
  return s;
}

export function xPublicKeyHex(node: Node): string {
  return bytesToHex(node.identity.xPublicKey);
}

/** Counter deltas (numbers only) between two snapshots, drops flattened as `drops.<reason>`; zeros left out. */
export function statsDelta(before: EndpointStats, after: EndpointStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    if (k === 'drops' || typeof v !== 'number') continue;
    const d = v - ((before as unknown as Record<string, number>)[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  for (const [k, v] of Object.entries(after.drops)) {
    const d = v - (before.drops as Record<string, number>)[k]!;
    if (d !== 0) out[`drops.${k}`] = d;
  }
  return out;
}

/** Starts child processes in parallel; kills the ones that started when another failed. */
export async function startPeers(labels: string[]): Promise<PeerProcess[]> {
  const results = await Promise.allSettled(labels.map((label) => PeerProcess.start({ label, entry: FLOOD_PEER_ENTRY })));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    for (const r of results) if (r.status === 'fulfilled') r.value.kill();
    throw (failed as PromiseRejectedResult).reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<PeerProcess>).value);
}

export async function closePeers(peers: PeerProcess[]): Promise<void> {
  await Promise.allSettled(peers.map((p) => p.close()));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
