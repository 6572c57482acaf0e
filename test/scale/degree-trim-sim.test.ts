/**
 * Degree trimming in a running overlay (src/kad/degree-trim.ts via maintenance), on the simulated
 * network (100 nodes, default cap of 64 live edges):
 * - every joiner dials the 3 bootstrap nodes, which would keep one edge per node; trimming brings them
 *   back under the cap with Leaves;
 * - the trimmed peers do not dial them straight back (no trim/redial loop: trimming stops);
 * - nobody is left without an edge into a part of the ID space that has live nodes (a trimmed finger is
 *   replaced, through a lookup into the bucket when nobody known there is dialable), so every node still
 *   reaches every other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEGREE_CAP, commonPrefixLength } from '../../src/kad/index.js';
import { SimCluster, type ClusterMember } from '../../bench/overlay/cluster.js';
import { messageRound } from '../../bench/overlay/rounds.js';

const N = 100;
const CAP = DEGREE_CAP;
const cluster = new SimCluster({ seed: 11, latencyMs: 10, jitterMs: 5, node: { deliveryBuffer: 0 } });
const clock = cluster.clock;
let boot: ClusterMember[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    cluster.setBootstrap(boot);
    boot.push(await cluster.startNode());
    await clock.advance(100);
  }
  cluster.setBootstrap(boot);
  for (let i = 3; i < N; i++) {
    await cluster.startNode();
    await clock.advance(100);
  }
}, 120_000);

afterAll(async () => {
  await cluster.stopAll();
  expect(clock.pendingTimers).toBe(0);
}, 30_000);

describe('degree trimming on a 100-node overlay (cap 64)', () => {
  it('brings the bootstrap hubs under the cap and then stops trimming', async () => {
    // Right after the joins every bootstrap node holds an edge from almost every joiner.
    const peak = Math.max(...boot.map((b) => b.node.stats().edges.total));
    expect(peak).toBeGreaterThan(CAP + 20);
    await clock.advance(90_000);
    for (const b of boot) {
      const s = b.node.stats();
      // Over the cap only by what is never trimmed (its own outbound edges, the sibling neighbourhood).
      expect(s.edges.total).toBeLessThanOrEqual(CAP + 8);
      expect(s.edges.total).toBeLessThan(peak / 1.5);
      expect(s.counters.edgesTrimmed).toBeGreaterThan(0);
    }
    const trimmed = cluster.edgesTrimmed();
    const established = cluster.alive().reduce((sum, m) => sum + m.node.stats().counters.edgesEstablished, 0);
    await clock.advance(60_000);
    // A minute later: no trim/redial loop (a trimmed peer holds off the node that shed it).
    expect(cluster.edgesTrimmed() - trimmed).toBeLessThanOrEqual(2);
    const churned = cluster.alive().reduce((sum, m) => sum + m.node.stats().counters.edgesEstablished, 0) - established;
    expect(churned).toBeLessThanOrEqual(N / 10);
    console.log(`[degree-trim] bootstrap peak degree ${peak}, now ${boot.map((b) => b.node.stats().edges.total).join('/')}; ${trimmed} edges trimmed`);
  }, 120_000);

  it('leaves no node without an edge into a bucket that holds live nodes, and every pair routes', async () => {
    const alive = cluster.alive();
    let holes = 0;
    for (const x of alive) {
      const live = new Set(alive.filter((y) => y !== x).map((y) => commonPrefixLength(x.id, y.id)));
      const covered = new Set(x.node.edges().map((e) => commonPrefixLength(x.id, e.id)));
      for (const b of live) if (!covered.has(b)) holes++;
    }
    expect(holes).toBe(0);
    const round = await messageRound(cluster, 300, 3_000);
    expect(round.acked).toBe(300);
    expect(round.received).toBe(300);
  }, 120_000);
});
