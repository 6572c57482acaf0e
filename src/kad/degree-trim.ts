/**
 * Degree trimming (issue 8 item 1): which surplus inbound edges a node closes so that its degree stays
 * bounded whatever the size of the network. Pure: the live edges and the time go in, the edges to close
 * come out.
 *
 * Why: every joiner dials the bootstrap nodes (and, through knowledge tables that favour old contacts,
 * the earliest nodes) and nothing ever closed those edges, so the bootstrap nodes gathered one edge per
 * node in the network until the inbound cap (MAX_INBOUND_EDGES) refused every further joiner: at 1,000
 * nodes most of them never joined. A Kademlia node needs its siblings and a few edges per bucket, not
 * one edge per node.
 *
 * The rule, run every maintenance round:
 * - nothing happens while the node has at most `degreeCap` live edges;
 * - only inbound edges are closed (outbound ones are this node's own choice and would be redialed);
 * - never a sibling, nor another edge in the farthest sibling's bucket (the sibling neighbourhood): such a
 *   peer may count this node among its own siblings (it sits about as far away as our siblings do);
 * - never an edge whose peer, as far as this node's knowledge tells (`isPeersSibling`), has this node
 *   among its own SIBLINGS closest nodes: it needs the edge for its neighbourhood and is not served by a
 *   replacement elsewhere;
 * - never an edge younger than `graceMs`: a joiner learns its neighbourhood through its first edges;
 * - the victim comes from the bucket (common-prefix length with self) holding the most edges, so the
 *   table keeps the k-bucket shape, and a bucket keeps at least `bucketFloor` edges; within the bucket
 *   the youngest edge goes (Kademlia's preference for long-lived peers);
 * - at most `maxPerRound` edges per round, or `surplusShare` of the surplus when that is more, so a hub
 *   sheds load gradually yet keeps up with a stream of joiners.
 * The node closes each victim with a Leave: the peer treats it as a graceful goodbye and dials a
 * replacement near the same ID, i.e. elsewhere.
 */
import { DEGREE_CAP, NODE_ID_BITS, SIBLINGS, TRIM_BUCKET_FLOOR, TRIM_GRACE_MS, TRIMS_PER_ROUND, TRIM_SURPLUS_SHARE_PER_ROUND } from './constants.js';
import { commonPrefixLength, compareDistance } from './node-id.js';

export interface TrimPolicy {
  /** Live edges (both directions) above which surplus inbound edges are closed. */
  readonly degreeCap: number;
  /** Edges younger than this (ms) are never closed. */
  readonly graceMs: number;
  /** Edges a bucket keeps whatever the cap. */
  readonly bucketFloor: number;
  /** Edges closed per call at most... */
  readonly maxPerRound: number;
  /** ...or this share of the surplus (degree - cap), rounded up, when that is more. */
  readonly surplusShare: number;
}

export const DEFAULT_TRIM_POLICY: TrimPolicy = Object.freeze({
  degreeCap: DEGREE_CAP,
  graceMs: TRIM_GRACE_MS,
  bucketFloor: TRIM_BUCKET_FLOOR,
  maxPerRound: TRIMS_PER_ROUND,
  surplusShare: TRIM_SURPLUS_SHARE_PER_ROUND,
});

/** What the decision needs of a live edge (EdgeTable's LiveEdge has these fields). */
export interface TrimCandidate {
  readonly id: Uint8Array;
  readonly inbound: boolean;
  readonly addedMs: number;
}

/**
 * Whether `self` is among the SIBLINGS nodes closest to `peer` that `knownCloser` (the contacts this node
 * knows closest to peer, closest first, peer itself excluded) lists: fewer than SIBLINGS of them are
 * closer to peer than self.
 */
export function ranksAmongSiblings(self: Uint8Array, peer: Uint8Array, knownCloser: readonly { id: Uint8Array }[]): boolean {
  let closer = 0;
  for (const c of knownCloser) {
    if (compareDistance(peer, c.id, self) < 0) closer++;
    if (closer >= SIBLINGS) return false;
  }
  return true;
}

/**
 * The inbound edges to close now, in the order chosen. `edges` must be sorted closest to self first (as
 * EdgeTable.all() returns them); the result holds elements of `edges` itself.
 */
export function surplusEdges<E extends TrimCandidate>(
  self: Uint8Array,
  edges: readonly E[],
  nowMs: number,
  policy: TrimPolicy = DEFAULT_TRIM_POLICY,
  isPeersSibling?: (id: Uint8Array) => boolean,
): E[] {
  const out: E[] = [];
  let excess = edges.length - policy.degreeCap;
  if (excess <= 0 || policy.maxPerRound <= 0) return out;
  const budget = Math.max(policy.maxPerRound, Math.ceil(excess * (policy.surplusShare > 0 ? policy.surplusShare : 0)));
  const siblingCount = Math.min(SIBLINGS, edges.length);
  // The neighbourhood: every edge sharing at least as many leading bits with self as the farthest sibling.
  const protectedFromCpl = siblingCount === 0 ? NODE_ID_BITS + 1 : commonPrefixLength(self, edges[siblingCount - 1].id);
  const counts = new Map<number, number>();
  // Trimmable edges per bucket, youngest first.
  const byBucket = new Map<number, E[]>();
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i];
    const cpl = commonPrefixLength(self, edge.id);
    counts.set(cpl, (counts.get(cpl) ?? 0) + 1);
    if (i < siblingCount || cpl >= protectedFromCpl || !edge.inbound || nowMs - edge.addedMs < policy.graceMs) continue;
    if (isPeersSibling !== undefined && isPeersSibling(edge.id)) continue;
    let list = byBucket.get(cpl);
    if (list === undefined) byBucket.set(cpl, (list = []));
    list.push(edge);
  }
  for (const list of byBucket.values()) list.sort((a, b) => b.addedMs - a.addedMs);
  while (excess > 0 && out.length < budget) {
    let best = -1;
    let bestCount = 0;
    for (const [cpl, list] of byBucket) {
      const count = counts.get(cpl)!;
      if (list.length === 0 || count <= policy.bucketFloor) continue;
      // Fullest bucket first; on a tie the farther bucket (smaller prefix), which spans more of the network.
      if (best === -1 || count > bestCount || (count === bestCount && cpl < best)) {
        best = cpl;
        bestCount = count;
      }
    }
    if (best === -1) break;
    out.push(byBucket.get(best)!.shift()!);
    counts.set(best, bestCount - 1);
    excess--;
  }
  return out;
}
