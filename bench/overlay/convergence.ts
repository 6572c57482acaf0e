/**
 * Convergence against ground truth, which only a simulation knows: a node's neighbourhood is complete
 * when it has a live edge to each of the SIBLINGS (16) live nodes XOR-closest to it. The overlay has
 * converged when every live node's neighbourhood is complete: from then on greedy routing toward any
 * live node's ID ends at that node (the last hop is a sibling edge).
 */
import { SIBLINGS, compareDistance } from '../../src/kad/index.js';
import type { ClusterMember } from './cluster.js';

export const CONVERGENCE_DEFINITION =
  `converged = every live node has a live edge to each of its ${SIBLINGS} XOR-closest live nodes ` +
  '(ground truth from the simulator), checked every virtual second from the last join';

/** For each member, the keys of its SIBLINGS closest live members. */
export function trueNeighbourhoods(members: readonly ClusterMember[]): Map<ClusterMember, string[]> {
  const out = new Map<ClusterMember, string[]>();
  for (const m of members) {
    const others = members.filter((o) => o !== m);
    others.sort((a, b) => compareDistance(m.id, a.id, b.id));
    out.set(
      m,
      others.slice(0, SIBLINGS).map((o) => o.key),
    );
  }
  return out;
}

/** Whether a member has a live edge to every node of its true neighbourhood. */
export function neighbourhoodComplete(member: ClusterMember, wanted: readonly string[]): boolean {
  const have = new Set(member.node.edges().map((e) => Buffer.from(e.id).toString('hex')));
  return wanted.every((k) => have.has(k));
}

/** How many members have a live edge to every node of their true neighbourhood. */
export function completeNeighbourhoods(truth: Map<ClusterMember, string[]>): number {
  let complete = 0;
  for (const [member, wanted] of truth) if (neighbourhoodComplete(member, wanted)) complete++;
  return complete;
}

/**
 * Tracks convergence cheaply: each check looks only at the members still incomplete, and a full pass
 * confirms the moment all look complete (an edge that closed meanwhile sends it back to checking).
 */
export class ConvergenceTracker {
  private readonly truth: Map<ClusterMember, string[]>;
  private incomplete: ClusterMember[];

  constructor(truth: Map<ClusterMember, string[]>) {
    this.truth = truth;
    this.incomplete = [...truth.keys()];
  }

  get size(): number {
    return this.truth.size;
  }

  /** Members whose neighbourhood is complete now. */
  check(): number {
    this.incomplete = this.incomplete.filter((m) => !neighbourhoodComplete(m, this.truth.get(m)!));
    if (this.incomplete.length === 0) {
      this.incomplete = [...this.truth.keys()].filter((m) => !neighbourhoodComplete(m, this.truth.get(m)!));
    }
    return this.truth.size - this.incomplete.length;
  }
}
