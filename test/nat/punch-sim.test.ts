/**
 * Hole punching on the simulated fabric (issue 6 items 2 and 5). Two nodes behind two different
 * endpoint-independent ("cone") NATs with port-restricted filtering learn their reflexive addresses
 * from three public neighbours, advertise them, and connect() ends on a direct punched session between
 * the two NATs' public addresses, although a relay was available. Without the target's punch, the
 * caller's handshake would die at the target's filter (shown by the NAT's filtered counter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNode, type Node } from '../../src/node/index.js';
import { SimNetwork, type SimNat } from '../../src/node/sim/index.js';
import { seededIdentity, seededRandom, startSimNode, stopSimNodes, type SimNode } from '../node/sim-fixtures.js';

const net = new SimNetwork({ seed: 62, latencyMs: 10 });
const clock = net.clock;
const publicNodes: SimNode[] = [];
const natNodes: SimNode[] = [];

function coneNat(publicHost: string): SimNat {
  return net.addNat({ publicHost, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
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
const natA = coneNat('203.0.113.1');
const natB = coneNat('198.51.100.1');

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    await startSimNode(net, i, { maintenance: false, relay: i === 0, bootstrap: publicNodes.map((n) => n.node.contact) }, publicNodes);
  }
  a = await startBehind(30, '192.168.1.2', natA);
  // Seeds whose public neighbours are XOR-closer to the other: the Hello has a first hop (3-node overlay).
  b = await startBehind(32, '192.168.2.2', natB);
  await clock.runUntil(() => a.nat().type === 'cone' && b.nat().type === 'cone', { maxMs: 10_000 });
});

afterAll(async () => {
  await stopSimNodes(net, natNodes);
  await stopSimNodes(net, publicNodes);
  expect(clock.pendingTimers).toBe(0);
});

describe('hole punching between two cone NATs', () => {
  it('advertises the reflexive address first once confirmed', () => {
    const reflexive = a.nat().reflexive!;
    expect(reflexive.host).toBe('203.0.113.1');
    expect(a.contact).toContain(`@203.0.113.1:${reflexive.port},192.168.1.2:4000`);
  });

  it('connect() ends on a direct punched session between the two public addresses', async () => {
    const started = clock.now();
    let done: boolean | Error = false;
    a.connect(b.id).then(
      () => (done = true),
      (e: Error) => (done = e),
    );
    await clock.runUntil(() => done !== false, { maxMs: 12_000 });
    expect(done).toBe(true);
    const elapsedMs = clock.now() - started;
    expect(a.path(b.id)).toEqual({ type: 'direct' });
    const session = a.edges().find((e) => Buffer.compare(e.id, b.id) === 0)!;
    expect(session.address).toEqual(b.nat().reflexive);
    expect(a.stats().counters.connectsRelayed).toBe(0);
    expect(a.stats().counters.punchBursts).toBeGreaterThanOrEqual(1);
    expect(b.stats().counters.punchBursts).toBeGreaterThanOrEqual(1);
    expect(b.stats().endpoint!.drops.punch + a.stats().endpoint!.drops.punch).toBeGreaterThan(0);
    // Rendezvous (a few overlay trips) and one handshake: well under the 2 s direct budget.
    expect(elapsedMs).toBeLessThan(2_000);
    const payload = Uint8Array.of(1, 2, 3, 4);
    const got = new Promise<Uint8Array>((resolve) => b.once('message', (m: { data: Uint8Array }) => resolve(m.data)));
    await a.sendDirect(b.id, payload);
    let data: Uint8Array | null = null;
    void got.then((d) => (data = d));
    await clock.runUntil(() => data !== null, { maxMs: 2_000 });
    expect([...data!]).toEqual([1, 2, 3, 4]);
  });
});
