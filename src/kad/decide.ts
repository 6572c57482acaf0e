/**
 * Greedy XOR routing (DESIGN "Overlay"; nodenet 4, Decide). A routed message moves only to a live edge
 * strictly closer to its target than the current node, so every path strictly decreases the distance
 * and cannot loop; TTL bounds the path length anyway.
 */
import { DISJOINT_PATHS, MAX_NEXT_HOPS, MAX_TTL } from './constants.js';
import { compareDistance, idsEqual, isNodeId } from './node-id.js';

/** The routing-relevant fields of a routed envelope (TTL and avoid-set are unsigned, patched per hop). */
export interface RoutedHeader {
  target: Uint8Array;
  ttl: number;
  avoid: readonly Uint8Array[];
}

export type Decision =
  | { readonly action: 'deliver' }
  | { readonly action: 'forward'; readonly ttl: number; readonly hops: Uint8Array[] }
  | { readonly action: 'drop'; readonly reason: 'ttl' | 'no-route' };

const DELIVER: Decision = Object.freeze({ action: 'deliver' });
const DROP_TTL: Decision = Object.freeze({ action: 'drop', reason: 'ttl' });
const DROP_NO_ROUTE: Decision = Object.freeze({ action: 'drop', reason: 'no-route' });

function listed(id: Uint8Array, list: readonly Uint8Array[]): boolean {
  for (let i = 0; i < list.length; i++) if (idsEqual(id, list[i])) return true;
  return false;
}

/** Inserts id into `out` (sorted closest to target first), keeping at most n entries. */
function insertClosest(out: Uint8Array[], id: Uint8Array, target: Uint8Array, n: number): void {
  let j = out.length;
  if (j === n) {
    if (compareDistance(target, id, out[n - 1]) >= 0) return;
    j = n - 1;
  } else {
    out.push(id);
  }
  while (j > 0 && compareDistance(target, id, out[j - 1]) < 0) {
    out[j] = out[j - 1];
    j--;
  }
  out[j] = id;
}

/**
 * What to do with a routed message arriving at (or originated by) `self`:
 * - target is self: deliver (whatever the TTL);
 * - TTL is clamped to MAX_TTL; a TTL of 0 (or nonsense) at a non-target: drop 'ttl';
 * - otherwise forward with TTL - 1 to the live edges strictly closer to the target than self, not in
 *   the avoid-set and not the previous hop (`exclude`, no bounce-back), closest first, at most
 *   MAX_NEXT_HOPS: the caller tries them in order (local repair);
 * - none qualifies: self is a local optimum, drop 'no-route'.
 */
export function decide(self: Uint8Array, msg: RoutedHeader, edges: Iterable<Uint8Array>, exclude?: Uint8Array): Decision {
  const target = msg.target;
  if (idsEqual(target, self)) return DELIVER;
  const ttl = Math.min(Math.floor(msg.ttl), MAX_TTL);
  if (!(ttl >= 1)) return DROP_TTL;
  const hops: Uint8Array[] = [];
  for (const edge of edges) {
    if (!isNodeId(edge)) continue;
    if (compareDistance(target, edge, self) >= 0) continue;
    if (exclude !== undefined && idsEqual(edge, exclude)) continue;
    if (listed(edge, msg.avoid)) continue;
    insertClosest(hops, edge, target, MAX_NEXT_HOPS);
  }
  if (hops.length === 0) return DROP_NO_ROUTE;
  return { action: 'forward', ttl: ttl - 1, hops };
}

/** The n edges closest to target, closest first, whether or not they are closer than self (lookups). */
export function nearestEdges(target: Uint8Array, edges: Iterable<Uint8Array>, n: number, skip?: (id: Uint8Array) => boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (!(n >= 1)) return out;
  for (const edge of edges) {
    if (!isNodeId(edge) || (skip !== undefined && skip(edge))) continue;
    insertClosest(out, edge, target, n);
  }
  return out;
}

/**
 * First hops for originating a message: up to n distinct live edges, closest to the target first, every
 * one strictly closer to the target than self (nodenet 4: one copy per hop, up to 3).
 *
 * When fewer than n edges are strictly closer, only those are returned; an empty result means self is
 * the greedy end of the route for this target (always so when target is self), and the caller handles
 * it locally: a lookup is answered from the knowledge table, a send reports the target unroutable. A
 * hop that is not closer is never padded in: from there greedy forwarding would only lead back toward
 * self.
 */
export function disjointFirstHops(self: Uint8Array, target: Uint8Array, edges: Iterable<Uint8Array>, n: number = DISJOINT_PATHS): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (!(n >= 1)) return out;
  for (const edge of edges) {
    if (!isNodeId(edge) || compareDistance(target, edge, self) >= 0) continue;
    if (listed(edge, out)) continue;
    insertClosest(out, edge, target, n);
  }
  return out;
}

/** nodenet 4: the copy sent to hops[i] carries the other first hops as its avoid-set, so copies stay apart. */
export function copyAvoidSets(hops: readonly Uint8Array[]): Uint8Array[][] {
  return hops.map((_, i) => hops.filter((_, j) => j !== i));
}
