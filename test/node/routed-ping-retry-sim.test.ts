/**
 * Routed messages from a local optimum, and routed pings that send again until answered (routed-retry.ts).
 * Seen as a flaky CLI test behind real NAT: right after joining, the pinging node and the target were each
 * other's XOR-closest node with no edge between them yet and neither knew the other, so greedy origination
 * had no first hop: the ping failed at once with UNROUTABLE, or the target could not route its pong back
 * and the ping timed out. Origination now falls back to the nearest edges (avoiding itself), as nodenet
 * originates and as lookups start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, RoutedPingResult } from '../../src/node/index.js';
import { SimNetwork } from '../../src/node/sim/index.js';
import { seededIdentity, startSimNode, stopSimNodes, type SimNode } from './sim-fixtures.js';

let net: SimNetwork;
const nodes: SimNode[] = [];

afterEach(async () => {
  await stopSimNodes(net, nodes);
  expect(net.clock.pendingTimers).toBe(0);
});

function distance(a: Uint8Array, b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(a.map((x, i) => x ^ b[i]!)).toString('hex')}`);
}

/** Seed indices hub, x, t where x and t are closer to each other than the hub is to either. */
function triangle(): [number, number, number] {
  const hub = 5;
  const ih = seededIdentity(hub).nodeId;
  for (let x = 10; x < 60; x++) {
    for (let t = x + 1; t < 60; t++) {
      const [ix, it] = [seededIdentity(x).nodeId, seededIdentity(t).nodeId];
      const xt = distance(ix, it);
      if (xt < distance(ih, it) && xt < distance(ih, ix)) return [hub, x, t];
    }
  }
  throw new Error('no triangle among seeds 10..59');
}

/** hub - x and hub - t only (no maintenance): x and t are each other's local optimum. */
async function triangleNodes(seed: number): Promise<[SimNode, SimNode, SimNode]> {
  net = new SimNetwork({ seed, latencyMs: 10 });
  const [h, x, t] = triangle();
  const hub = await startSimNode(net, h, { maintenance: false }, nodes);
  const [from, to] = await Promise.all([
    startSimNode(net, x, { maintenance: false, bootstrap: [hub.node.contact] }, nodes),
    startSimNode(net, t, { maintenance: false, bootstrap: [hub.node.contact] }, nodes),
  ]);
  await net.clock.runUntil(() => from.node.edges().length === 1 && to.node.edges().length === 1, { maxMs: 5_000 });
  return [hub, from, to];
}

async function settle<T>(p: Promise<T>): Promise<T | string> {
  let outcome: T | string = 'pending';
  const done = p.then(
    (r) => (outcome = r),
    (err: { code?: string }) => (outcome = err.code ?? 'error'),
  );
  await net.clock.runUntil(() => outcome !== 'pending', { maxMs: 20_000 });
  await done;
  return outcome;
}

describe('routing from a local optimum', () => {
  it('a routed ping and its pong both leave through the nearest edge when no edge is closer', async () => {
    const [hub, from, to] = await triangleNodes(21);
    const forwardedBefore = hub.node.stats().counters.forwarded;
    const outcome = await settle(from.node.routedPing(to.node.id, { timeoutMs: 5_000 }));
    expect(outcome).toMatchObject({ hops: 2, returnHops: 2 });
    expect((outcome as RoutedPingResult).rttMs).toBeLessThan(1_000);
    expect(hub.node.stats().counters.forwarded - forwardedBefore).toBe(2);
    // Still routed: no session between the two was made for it.
    expect(from.node.edges()).toHaveLength(1);
  });

  it('an acked send is delivered once and acknowledged through the nearest edge', async () => {
    const [, from, to] = await triangleNodes(22);
    const got: string[] = [];
    to.node.on('message', (m: Delivery) => got.push(new TextDecoder().decode(m.data)));
    const outcome = await settle(from.node.send(to.node.id, new TextEncoder().encode('around'), { ack: true, timeoutMs: 5_000 }));
    expect(outcome).toBeUndefined();
    expect(got).toEqual(['around']);
  });
});

describe('routed ping retries', () => {
  it('sends again after 1, 2, 4 s with a fresh nonce until its deadline when nobody answers', async () => {
    const [, from] = await triangleNodes(23);
    const nobody = seededIdentity(999).nodeId;
    const sentBefore = from.node.stats().counters.routedPingsSent;
    const outcome = await settle(from.node.routedPing(nobody, { timeoutMs: 7_500 }));
    expect(outcome).toBe('TIMEOUT');
    // Copies at 0, 1, 3 and 7 s.
    expect(from.node.stats().counters.routedPingsSent - sentBefore).toBe(4);
  });

  it('a ping issued before the first edge is up waits for it and is answered', async () => {
    net = new SimNetwork({ seed: 24, latencyMs: 20 });
    const hub = await startSimNode(net, 1, { maintenance: false }, nodes);
    const joiner = await startSimNode(net, 2, { maintenance: false, bootstrap: [hub.node.contact] }, nodes);
    expect(joiner.node.edges()).toHaveLength(0);
    const outcome = await settle(joiner.node.routedPing(hub.node.id, { timeoutMs: 5_000 }));
    expect(outcome).toMatchObject({ hops: 1, returnHops: 1 });
  });

  it('an abort stops the retries', async () => {
    const [, from] = await triangleNodes(25);
    const controller = new AbortController();
    const pinging = settle(from.node.routedPing(seededIdentity(998).nodeId, { timeoutMs: 60_000, signal: controller.signal }));
    await Promise.resolve();
    controller.abort();
    expect(await pinging).toBe('ABORTED');
    const sent = from.node.stats().counters.routedPingsSent;
    await net.clock.runFor(10_000);
    expect(from.node.stats().counters.routedPingsSent).toBe(sent);
  });
});
