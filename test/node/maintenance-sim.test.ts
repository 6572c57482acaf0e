/**
 * Maintenance in virtual time (nodenet 5): bootstrap and fill, learning the network by lookups,
 * dead-edge reaping and replacement, graceful leave, exponential dial backoff ending in the contact
 * being forgotten, and eviction probes that replace a dead incumbent of a full bucket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity, type Contact } from '../../src/identity/index.js';
import { K, commonPrefixLength } from '../../src/kad/index.js';
import { SimNetwork } from '../../src/node/sim/index.js';
import { SIM_MAINTENANCE, seededIdentity, simHost, startSimNode, stopSimNodes, type SimNode } from './sim-fixtures.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
let net: SimNetwork;
const nodes: SimNode[] = [];

afterEach(async () => {
  await stopSimNodes(net, nodes);
  expect(net.clock.pendingTimers).toBe(0);
});

function ghost(identity: Identity, host: string): Contact {
  return { nodeId: identity.nodeId, edPublicKey: identity.edPublicKey, xPublicKey: identity.xPublicKey, addresses: [{ host, port: 4000 }] };
}

describe('joining', () => {
  it('bootstraps from one contact, fills toward the target degree and learns nodes it was never told about', async () => {
    net = new SimNetwork({ seed: 1, latencyMs: 3 });
    const first = await startSimNode(net, 0, { maintenance: SIM_MAINTENANCE, targetDegree: 4 }, nodes);
    for (let i = 1; i < 12; i++) await startSimNode(net, i, { maintenance: SIM_MAINTENANCE, targetDegree: 4, bootstrap: [first.node.contact] }, nodes);
    await net.clock.advance(20_000);
    for (const { node } of nodes.slice(1)) {
      expect(node.stats().edges.outbound).toBeGreaterThanOrEqual(4);
      expect(node.stats().knownContacts).toBeGreaterThanOrEqual(9);
    }
    // The last node was told only about the first; it now knows (and can reach) the second.
    const last = nodes[11].node;
    expect(last.knownContacts().some((c) => hex(c.nodeId) === hex(nodes[1].node.id))).toBe(true);
    expect(last.stats().counters.lookupsSent).toBeGreaterThan(0);
  });
});

describe('failures', () => {
  it('a silent edge is reaped after deadAfterMs and replaced by another contact', async () => {
    net = new SimNetwork({ seed: 2, latencyMs: 3 });
    const opts = { maintenance: SIM_MAINTENANCE, targetDegree: 4, keepaliveMs: 1_000, deadAfterMs: 5_000 };
    const first = await startSimNode(net, 0, opts, nodes);
    for (let i = 1; i < 24; i++) await startSimNode(net, i, { ...opts, bootstrap: [first.node.contact] }, nodes);
    await net.clock.advance(15_000);
    const watcher = nodes[1].node;
    // An edge the watcher replaces at once: one it dialed, or a sibling (an inbound finger is its peer's to replace).
    const victim = nodes.find((n) => watcher.edges().some((e) => hex(e.id) === hex(n.node.id) && (!e.inbound || e.kind === 'sibling')) && n !== first)!;
    // There is someone left to replace it with.
    expect(watcher.knownContacts().length).toBeGreaterThan(watcher.edges().length);
    const closed: Array<{ id: Uint8Array; reason: string }> = [];
    watcher.on('edge-closed', (e: { id: Uint8Array; reason: string }) => closed.push(e));
    const dialsBefore = watcher.stats().counters.dialsStarted;
    const edgesBefore = watcher.stats().edges.total;
    await victim.transport.close(); // crash: no Leave
    await net.clock.advance(3_000);
    expect(watcher.edges().some((e) => hex(e.id) === hex(victim.node.id))).toBe(true); // not yet: within deadAfterMs
    await net.clock.advance(5_000);
    expect(closed.map((e) => [hex(e.id), e.reason])).toEqual([[hex(victim.node.id), 'timeout']]);
    await net.clock.advance(5_000);
    expect(watcher.stats().counters.dialsStarted).toBeGreaterThan(dialsBefore);
    expect(watcher.stats().edges.total).toBeGreaterThanOrEqual(Math.min(edgesBefore - 1, 4));
  });

  it('a graceful leave drops the edge at once, and the leaver is not redialed right away', async () => {
    net = new SimNetwork({ seed: 3, latencyMs: 3 });
    const a = await startSimNode(net, 0, { maintenance: SIM_MAINTENANCE }, nodes);
    const b = await startSimNode(net, 1, { maintenance: SIM_MAINTENANCE, bootstrap: [a.node.contact] }, nodes);
    await net.clock.runUntil(() => a.node.edges().length === 1, { maxMs: 5_000 });
    const closed: string[] = [];
    a.node.on('edge-closed', (e: { reason: string }) => closed.push(e.reason));
    const stopping = b.node.stop();
    await net.clock.advance(20); // a few link latencies
    await stopping;
    expect(closed).toEqual(['leave']);
    expect(a.node.edges()).toEqual([]);
    const dials = a.node.stats().counters.dialsStarted;
    await net.clock.advance(500);
    expect(a.node.stats().counters.dialsStarted).toBe(dials);
  });

  it('an unreachable contact is retried with exponential backoff, then forgotten', async () => {
    net = new SimNetwork({ seed: 4, latencyMs: 3 });
    const missing = ghost(seededIdentity(999), simHost(99));
    const opts = { maintenance: { ...SIM_MAINTENANCE, tickMs: 100, dialTimeoutMs: 200, backoffBaseMs: 500, backoffMaxMs: 2_000 } };
    const { node } = await startSimNode(net, 0, { ...opts, bootstrap: [missing] }, nodes);
    const attempts: number[] = [];
    let seen = 0;
    for (let t = 0; t < 20_000 && node.knownContacts().length > 0; t += 100) {
      await net.clock.advance(100);
      const n = node.stats().counters.dialsStarted;
      if (n > seen) attempts.push(net.clock.elapsedMs);
      seen = n;
    }
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    // 0.5 s, 1 s, 2 s (ceiling), then at the ceiling until 3 failures there: forgotten.
    expect(gaps[0]).toBeLessThan(gaps[1]);
    expect(gaps[1]).toBeLessThan(gaps[2]);
    expect(gaps[2]).toBeGreaterThanOrEqual(2_000);
    expect(node.knownContacts()).toEqual([]);
    expect(node.stats().counters.dialsFailed).toBe(attempts.length);
  });

  it('a full bucket probes its least recently seen incumbent and replaces it when the probe fails', async () => {
    net = new SimNetwork({ seed: 5, latencyMs: 3 });
    const self = seededIdentity(0);
    // K ghosts and one live newcomer, all in bucket 0 (first bit differs from ours).
    const inBucket0: Identity[] = [];
    for (let s = 1; inBucket0.length < K + 1; s++) {
      const id = seededIdentity(10_000 + s);
      if (commonPrefixLength(self.nodeId, id.nodeId) === 0) inBucket0.push(id);
    }
    const ghosts = inBucket0.slice(0, K).map((id, i) => ghost(id, simHost(200 + i)));
    const opts = { maintenance: { ...SIM_MAINTENANCE, tickMs: 200, dialTimeoutMs: 300 } };
    const x = await startSimNode(net, 0, { ...opts, bootstrap: ghosts }, nodes);
    expect(x.node.stats().knownContacts).toBe(K);
    await net.clock.advance(1_000);
    const newcomer = await startSimNode(net, 1, { identity: inBucket0[K], maintenance: false, bootstrap: [x.node.contact] }, nodes);
    await net.clock.runUntil(() => x.node.edges().length === 1, { maxMs: 3_000 });
    const known = () => x.node.knownContacts().map((c) => hex(c.nodeId));
    expect(known()).not.toContain(hex(newcomer.node.id)); // stashed, not admitted: the bucket is full
    await net.clock.advance(3_000);
    expect(x.node.stats().counters.probesStarted).toBeGreaterThanOrEqual(1);
    expect(known()).toContain(hex(newcomer.node.id));
    expect(known().length).toBe(K);
  });
});
