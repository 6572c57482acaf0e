/**
 * Relaying on the simulated fabric (issue 6 items 4 and 5): two nodes behind symmetric NATs (address-
 * and-port-dependent mapping and filtering) cannot reach each other directly; connect() falls back to
 * the relay-capable public node both have edges to, and a reliable channel carries 1 MB intact over the
 * relayed session. The relay forwards whole Wiresocket packets (its counters say how many) and enforces
 * its session cap: a third pair is refused with EDGE_REFUSED.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAP_RELAY } from '../../src/identity/index.js';
import { natTypeOfCapabilities } from '../../src/nat/index.js';
import { createNode, type Node } from '../../src/node/index.js';
import { SimNetwork, type SimNat } from '../../src/node/sim/index.js';
import { seededIdentity, seededRandom, startSimNode, stopSimNodes, type SimNode } from '../node/sim-fixtures.js';

const net = new SimNetwork({ seed: 61, latencyMs: 10 });
const clock = net.clock;
const publicNodes: SimNode[] = [];
const natNodes: SimNode[] = [];

function symmetricNat(publicHost: string): SimNat {
  return net.addNat({ publicHost, mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
}

async function startBehind(i: number, host: string, nat: SimNat): Promise<Node> {
  const transport = net.createTransport(host, 4000, { behind: nat });
  const node = createNode({ identity: seededIdentity(i), transport, clock, random: seededRandom(1000 + i), maintenance: false, bootstrap: publicNodes.map((n) => n.node.contact) });
  natNodes.push({ node, transport, host });
  await node.start();
  return node;
}

let a: Node;
let b: Node;
let c: Node;
let relay: Node;

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const relayOptions = i === 0 ? { relay: true, relayLimits: { maxSessions: 1 } } : {};
    await startSimNode(net, i, { maintenance: false, bootstrap: publicNodes.map((n) => n.node.contact), ...relayOptions }, publicNodes);
  }
  relay = publicNodes[0].node;
  a = await startBehind(20, '192.168.1.2', symmetricNat('203.0.113.1'));
  b = await startBehind(21, '192.168.2.2', symmetricNat('198.51.100.1'));
  c = await startBehind(22, '192.168.3.2', symmetricNat('192.0.2.1'));
  await clock.runUntil(() => natNodes.every((n) => n.node.edges().length === 3), { maxMs: 10_000 });
});

afterAll(async () => {
  await stopSimNodes(net, natNodes);
  await stopSimNodes(net, publicNodes);
  expect(clock.pendingTimers).toBe(0);
});

async function settle<T>(p: Promise<T>, maxMs: number): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  let out: { ok: true; value: T } | { ok: false; error: Error } | null = null;
  p.then(
    (value) => (out = { ok: true, value }),
    (error: Error) => (out = { ok: false, error }),
  );
  await clock.runUntil(() => out !== null, { maxMs });
  return out!;
}

describe('relay over channel 2', () => {
  it('advertises CAP_RELAY only on the relay', () => {
    const caps = a.edges().map((e) => a.knownContacts().find((k) => Buffer.compare(k.nodeId, e.id) === 0)?.capabilities ?? 0);
    expect(caps.filter((x) => (x & CAP_RELAY) !== 0)).toHaveLength(1);
    expect(relay.nat().type).toBe('public');
    expect(a.nat().type).toBe('symmetric');
  });

  it('two symmetric NATs connect through the relay, and a reliable channel carries 1 MB intact', async () => {
    const started = clock.now();
    const connected = await settle(a.connect(b.id), 12_000);
    expect(connected.ok).toBe(true);
    const elapsed = clock.now() - started;
    expect(a.path(b.id)).toEqual({ type: 'relayed', relay: relay.id });
    // B counts the edge once A's acknowledgement of its Identify arrives, one relayed trip later.
    await clock.runUntil(() => b.path(a.id) !== null, { maxMs: 1_000 });
    expect(b.path(a.id)).toEqual({ type: 'relayed', relay: relay.id });
    expect(a.stats().counters.connectsRelayed).toBe(1);
    // Both symmetric (each learned the other's type from its contact's capability bits): no punch and no
    // direct dial, straight from the rendezvous to the relay, well inside the 2 s a direct dial would take.
    expect(natTypeOfCapabilities(a.knownContacts().find((k) => Buffer.compare(k.nodeId, b.id) === 0)!.capabilities)).toBe('symmetric');
    expect(elapsed).toBeLessThan(2_000);
    expect(a.stats().counters.punchBursts + b.stats().counters.punchBursts).toBe(0);

    const data = new Uint8Array(1024 * 1024);
    seededRandom(99)(data);
    const incoming = new Promise<Uint8Array>((resolve) => {
      b.on('channel', ({ channel }) => {
        void (async () => {
          const parts: Uint8Array[] = [];
          let n = 0;
          while (n < data.length) {
            const ev = await channel.recv();
            if (ev === null) break;
            parts.push(ev.payload.slice());
            n += ev.payload.length;
          }
          resolve(Buffer.concat(parts));
        })();
      });
    });
    const ch = await a.openChannel(b.id, 16);
    expect(ch.reliable).toBe(true);
    const chunk = 16 * 1024;
    const sending = (async () => {
      for (let off = 0; off < data.length; off += chunk) await ch.send(1, data.subarray(off, off + chunk));
    })();
    const received = await settle(incoming, 30_000);
    await sending;
    expect(received.ok).toBe(true);
    const got = (received as { ok: true; value: Uint8Array }).value;
    expect(got.length).toBe(data.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    const counters = relay.stats().counters;
    expect(counters.relayedPackets).toBeGreaterThan(700);
    expect(counters.relayedBytes).toBeGreaterThan(data.length);
  });

  it('refuses a pair beyond its session cap: the caller gets EDGE_REFUSED', async () => {
    const result = await settle(c.connect(b.id), 12_000);
    expect(result.ok).toBe(false);
    expect((result as { ok: false; error: { code?: string } }).error.code).toBe('EDGE_REFUSED');
    expect(relay.stats().counters.relayRefused).toBeGreaterThan(0);
    expect(c.path(b.id)).toBeNull();
  });
});
