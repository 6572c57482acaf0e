/**
 * An acknowledged send made while the node is still joining (its first edge being dialed or identified, or
 * swapped by the duplicate-session rule) waits for an edge within its deadline instead of failing at once
 * with UNROUTABLE; without any session or dial it still fails at once. (Seen as a flaky CLI test: `send --ack`
 * right after `edge-up` hit the moment an edge was being replaced.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/node/sim/index.js';
import { startSimNode, stopSimNodes, type SimNode } from './sim-fixtures.js';

let net: SimNetwork;
const nodes: SimNode[] = [];

afterEach(async () => {
  await stopSimNodes(net, nodes);
  expect(net.clock.pendingTimers).toBe(0);
});

const text = (s: string) => new TextEncoder().encode(s);

describe('routed send while joining', () => {
  it('an acked send issued before the first edge is up is delivered once the edge is verified', async () => {
    net = new SimNetwork({ seed: 11, latencyMs: 20 });
    const hub = await startSimNode(net, 1, { maintenance: false }, nodes);
    const joiner = await startSimNode(net, 2, { maintenance: false, bootstrap: [hub.node.contact] }, nodes);
    // Virtual time has not moved: the dial to the hub is in flight and no edge exists yet.
    expect(joiner.node.edges()).toHaveLength(0);
    const got: string[] = [];
    hub.node.on('message', (m: { data: Uint8Array }) => got.push(new TextDecoder().decode(m.data)));
    let outcome: unknown = 'pending';
    const sending = joiner.node.send(hub.node.id, text('early'), { ack: true, timeoutMs: 5_000 }).then(
      () => (outcome = 'acked'),
      (err: { code?: string }) => (outcome = err.code),
    );
    await net.clock.runUntil(() => outcome !== 'pending', { maxMs: 6_000 });
    await sending;
    expect(outcome).toBe('acked');
    expect(got).toEqual(['early']);
  });

  it('without any session or dial an acked send still fails at once with UNROUTABLE', async () => {
    net = new SimNetwork({ seed: 12, latencyMs: 20 });
    const lonely = await startSimNode(net, 3, { maintenance: false }, nodes);
    const other = await startSimNode(net, 4, { maintenance: false }, nodes);
    await expect(lonely.node.send(other.node.id, text('x'), { ack: true, timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'UNROUTABLE' });
  });
});
