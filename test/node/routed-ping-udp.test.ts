/**
 * Round trips over real UDP on loopback (issue 7): node.routedPing(id) is a signed ping routed by NodeID
 * and the target's signed pong back (hop counts both ways, never delivered to the application, answers
 * charged to the originator's bucket); every edge's smoothed RTT, last-seen time and path come from the
 * node's own control-channel pings (EdgeInfo).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/identity/index.js';
import type { Delivery, Node } from '../../src/node/index.js';
import { loopbackHost, startNode, stopAll, until } from './fixtures.js';

const started: Node[] = [];

afterEach(async () => {
  await stopAll(started);
});

function distance(a: Uint8Array, b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(a.map((x, i) => x ^ b[i]!)).toString('hex')}`);
}

/**
 * Identities for a line A - B - C where greedy routing must go through B: B is closer to C than A is, and
 * closer to A than C is (the distance A-C is the same both ways).
 */
function lineIdentities(): [Identity, Identity, Identity] {
  for (let i = 0; i < 1000; i++) {
    const [a, b, c] = [Identity.generate(), Identity.generate(), Identity.generate()];
    const ac = distance(a.nodeId, c.nodeId);
    if (distance(b.nodeId, c.nodeId) < ac && distance(b.nodeId, a.nodeId) < ac) return [a, b, c];
    for (const id of [a, b, c]) id.destroy();
  }
  throw new Error('no line of identities found in 1000 tries');
}

/** A - B - C by hand (no maintenance, so A and C never get an edge to each other). */
async function line(extra: { originatorBudget?: { burst: number; ratePerSecond: number } } = {}): Promise<[Node, Node, Node]> {
  const [ia, ib, ic] = lineIdentities();
  const b = await startNode({ host: loopbackHost(0), identity: ib, maintenance: false }, started);
  const budgets = extra.originatorBudget === undefined ? undefined : { originator: extra.originatorBudget };
  const [a, c] = await Promise.all([
    startNode({ host: loopbackHost(1), identity: ia, maintenance: false, bootstrap: [b.contact] }, started),
    startNode({ host: loopbackHost(2), identity: ic, maintenance: false, bootstrap: [b.contact], budgets }, started),
  ]);
  await until(() => a.edges().length === 1 && c.edges().length === 1 && b.edges().length === 2, 5_000, 'the line A - B - C');
  return [a, b, c];
}

describe('routed ping', () => {
  it('measures a routed round trip by NodeID through an intermediate node, with hop counts, and is not delivered', async () => {
    const [a, b, c] = await line();
    const deliveries: Delivery[] = [];
    for (const n of [a, b, c]) n.on('message', (m: Delivery) => deliveries.push(m));
    expect(a.edges().map((e) => Buffer.from(e.id).toString('hex'))).toEqual([Buffer.from(b.id).toString('hex')]);

    const far = await a.routedPing(c.id);
    expect(far.hops).toBe(2);
    expect(far.returnHops).toBe(2);
    expect(far.rttMs).toBeGreaterThanOrEqual(0);
    expect(far.rttMs).toBeLessThan(5_000);
    const near = await a.routedPing(b.id);
    expect(near).toMatchObject({ hops: 1, returnHops: 1 });
    // The far side can ping back.
    const back = await c.routedPing(a.id);
    expect(back.hops).toBe(2);

    expect(deliveries).toEqual([]);
    expect(a.stats().counters.routedPingsSent).toBe(2);
    expect(c.stats().counters.routedPingsAnswered).toBe(1);
    expect(b.stats().counters.forwarded).toBeGreaterThanOrEqual(2);
    // Still no edge between A and C: the ping was routed, not a new session.
    expect(a.edges().length).toBe(1);

    await expect(a.routedPing(a.id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(a.routedPing(c.id, { timeoutMs: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Nobody has this ID: the ping dies at the closest node (UNROUTABLE here, or TIMEOUT when it left).
    const nobody = Identity.generate();
    const lost = await a.routedPing(nobody.nodeId, { timeoutMs: 300 }).then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    nobody.destroy();
    expect(['UNROUTABLE', 'TIMEOUT']).toContain(lost);
  });

  it('charges answers to the originator: a ping flood past the burst is throttled at the target', async () => {
    const [a, , c] = await line({ originatorBudget: { burst: 3, ratePerSecond: 0.001 } });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => a.routedPing(c.id, { timeoutMs: 1_500 })));
    const answered = results.filter((r) => r.status === 'fulfilled').length;
    const timedOut = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'TIMEOUT').length;
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(answered).toBeLessThanOrEqual(3);
    expect(answered + timedOut).toBe(8);
    // Every unanswered ping was refused at the target, its retry (after 1 s) too.
    expect(c.stats().drops.originatorRateLimited).toBeGreaterThanOrEqual(8 - answered);
    expect(c.stats().drops.originatorRateLimited).toBeLessThanOrEqual(2 * (8 - answered));
    expect(c.stats().counters.routedPingsAnswered).toBe(answered);
  });

  it('fails outstanding routed pings when the node stops', async () => {
    const [a, , c] = await line({ originatorBudget: { burst: 1, ratePerSecond: 0.001 } });
    await a.routedPing(c.id);
    // The target's budget is spent: this ping waits until the node stops.
    const pending = a.routedPing(c.id, { timeoutMs: 20_000 }).then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    await new Promise((r) => setTimeout(r, 100));
    await a.stop();
    expect(await pending).toBe('NOT_RUNNING');
  });
});

describe('edge round trip times', () => {
  it('every edge reports a smoothed RTT from its own pings, when it was last heard from, and its path', async () => {
    const [a, b] = await line();
    await until(() => a.edges().every((e) => e.rttMs !== null) && b.edges().every((e) => e.rttMs !== null), 5_000, 'every edge to have an RTT');
    const now = Date.now();
    for (const e of [...a.edges(), ...b.edges()]) {
      expect(e.rttMs).toBeGreaterThanOrEqual(0);
      expect(e.rttMs).toBeLessThan(1_000);
      expect(e.lastSeenMs).toBeGreaterThan(now - 5_000);
      expect(e.lastSeenMs).toBeLessThanOrEqual(now);
      expect(e.path).toEqual({ type: 'direct' });
    }
    // An explicit edge ping answers and folds into the smoothed value.
    const rtt = await a.ping(b.id);
    expect(rtt).toBeGreaterThanOrEqual(0);
    const heard = a.edges()[0]!.lastSeenMs;
    expect(heard).toBeGreaterThanOrEqual(now - 1);
  });
});
