/**
 * Cluster tests on the simulated fabric (issue 5 "Show"): 100 nodes bootstrap from 3 and converge;
 * every one of 500 random (source, target) pairs delivers with an end-to-end ack; then 30 % of the
 * nodes are killed without a goodbye and, once maintenance has caught up, at least 99 % of 500 new
 * pairs deliver. Hop counts and delivery rates are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/node/sim/index.js';
import { SIM_MAINTENANCE, seededRandom, startSimNode, stopSimNodes, type SimNode } from './sim-fixtures.js';

const N = 100;
const net = new SimNetwork({ seed: 2026, latencyMs: 5 });
const clock = net.clock;
const nodes: SimNode[] = [];
const pick = (() => {
  const fill = seededRandom(77);
  const b = new Uint8Array(4);
  return (n: number) => {
    fill(b);
    return new DataView(b.buffer).getUint32(0) % n;
  };
})();

interface Round {
  delivered: number;
  failed: number;
  hops: number[];
}

async function randomPairs(alive: SimNode[], count: number): Promise<Round> {
  const hops: number[] = [];
  const listeners = alive.map((n) => {
    const on = (m: { hops: number }) => hops.push(m.hops);
    n.node.on('message', on);
    return () => n.node.off('message', on);
  });
  let delivered = 0;
  let failed = 0;
  for (let k = 0; k < count; k++) {
    const s = alive[pick(alive.length)];
    let t = alive[pick(alive.length)];
    while (t === s) t = alive[pick(alive.length)];
    s.node.send(t.node.id, Uint8Array.of(k & 0xff, k >> 8), { ack: true, timeoutMs: 10_000 }).then(
      () => delivered++,
      () => failed++,
    );
  }
  await clock.runUntil(() => delivered + failed === count, { maxMs: 15_000 });
  for (const off of listeners) off();
  return { delivered, failed, hops };
}

function summary(r: Round): string {
  const histogram = new Map<number, number>();
  for (const h of r.hops) histogram.set(h, (histogram.get(h) ?? 0) + 1);
  const avg = r.hops.reduce((a, b) => a + b, 0) / Math.max(1, r.hops.length);
  return `delivered ${r.delivered}/${r.delivered + r.failed}, hops avg ${avg.toFixed(2)} max ${Math.max(...r.hops)} histogram ${JSON.stringify(Object.fromEntries([...histogram].sort((a, b) => a[0] - b[0])))}`;
}

const options = { maintenance: { ...SIM_MAINTENANCE, tickMs: 2_000 }, targetDegree: 8, keepaliveMs: 5_000, deadAfterMs: 20_000 };

beforeAll(async () => {
  for (let i = 0; i < N; i++) {
    const bootstrap = nodes.slice(0, 3).map((n) => n.node.contact);
    await startSimNode(net, i, { ...options, bootstrap }, nodes);
    await clock.advance(10);
  }
  // Converge: 30 s of maintenance (self-lookups, sibling exchange, fingers) in virtual time.
  await clock.advance(30_000);
}, 30_000);

afterAll(async () => {
  await stopSimNodes(net, nodes);
  expect(clock.pendingTimers).toBe(0);
}, 30_000);

describe('100 simulated nodes', () => {
  it('converge and deliver every one of 500 random pairs', async () => {
    const degrees = nodes.map((n) => n.node.stats().edges.total);
    expect(Math.min(...degrees)).toBeGreaterThanOrEqual(8);
    const round = await randomPairs(nodes, 500);
    console.log(`[cluster] converged: degree min ${Math.min(...degrees)} max ${Math.max(...degrees)}; ${summary(round)}`);
    expect(round.failed).toBe(0);
    expect(round.delivered).toBe(500);
    // Each acknowledged message was delivered exactly once although up to 3 copies travel.
    expect(round.hops.length).toBe(500);
  }, 30_000);

  it('after 30 % are killed without leave, at least 99 % of 500 new pairs deliver', async () => {
    const victims = new Set<SimNode>();
    while (victims.size < N * 0.3) victims.add(nodes[pick(N)]);
    for (const v of victims) await v.transport.close();
    // Sessions to the dead time out after deadAfterMs (20 s); replacements are dialed at once.
    await clock.advance(30_000);
    const alive = nodes.filter((n) => !victims.has(n));
    const dead = alive.reduce((sum, n) => sum + n.node.edges().filter((e) => [...victims].some((v) => Buffer.compare(v.node.id, e.id) === 0)).length, 0);
    expect(dead).toBe(0);
    const round = await randomPairs(alive, 500);
    const closed = alive.reduce((sum, n) => sum + n.node.stats().counters.edgesClosed, 0);
    console.log(`[cluster] after killing ${victims.size}: ${closed} dead edges reaped; ${summary(round)}`);
    expect(round.delivered).toBeGreaterThanOrEqual(495);
  }, 30_000);
});
