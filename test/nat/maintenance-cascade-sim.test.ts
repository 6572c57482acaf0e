/**
 * Maintenance dials through the connect cascade (issue 6 item 5). Two nodes behind symmetric NATs,
 * with maintenance on, want an edge to each other (a five-node overlay: everyone is a sibling). A plain
 * dial to the other's advertised address dies at its NAT; the cascade's rendezvous finds both NATs
 * symmetric and takes the relay, so maintenance ends with a relayed edge, and never asks for the
 * birthday strategy (no birthday datagrams), while two cone nodes get a punched direct edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNode, type Node } from '../../src/node/index.js';
import { SimNetwork, type SimNat } from '../../src/node/sim/index.js';
import { SIM_MAINTENANCE, seededIdentity, seededRandom, startSimNode, stopSimNodes, type SimNode } from '../node/sim-fixtures.js';

const net = new SimNetwork({ seed: 66, latencyMs: 10 });
const clock = net.clock;
const publicNodes: SimNode[] = [];
const natNodes: SimNode[] = [];

async function startBehind(i: number, host: string, nat: SimNat): Promise<Node> {
  const transport = net.createTransport(host, 4000, { behind: nat });
  const node = createNode({ identity: seededIdentity(i), transport, clock, random: seededRandom(1000 + i), maintenance: SIM_MAINTENANCE, bootstrap: publicNodes.map((n) => n.node.contact) });
  natNodes.push({ node, transport, host });
  await node.start();
  return node;
}

let s1: Node;
let s2: Node;
let c1: Node;
let c2: Node;

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    await startSimNode(net, i, { maintenance: SIM_MAINTENANCE, relay: i === 0, bootstrap: publicNodes.map((n) => n.node.contact) }, publicNodes);
  }
  const symmetric = (publicHost: string) => net.addNat({ publicHost, mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
  const cone = (publicHost: string) => net.addNat({ publicHost, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
  s1 = await startBehind(50, '192.168.1.2', symmetric('203.0.113.1'));
  s2 = await startBehind(51, '192.168.2.2', symmetric('198.51.100.1'));
  c1 = await startBehind(52, '192.168.3.2', cone('192.0.2.1'));
  c2 = await startBehind(53, '192.168.4.2', cone('192.0.2.129'));
});

afterAll(async () => {
  await stopSimNodes(net, natNodes);
  await stopSimNodes(net, publicNodes);
  expect(clock.pendingTimers).toBe(0);
});

describe('maintenance through the connect cascade', () => {
  it('ends with a relayed edge between two symmetric NATs and a punched one between two cones', async () => {
    const has = (a: Node, b: Node) => a.edges().some((e) => Buffer.compare(e.id, b.id) === 0);
    await clock.runUntil(() => has(s1, s2) && has(c1, c2), { maxMs: 60_000 });
    expect(s1.path(s2.id)?.type).toBe('relayed');
    expect(c1.path(c2.id)).toEqual({ type: 'direct' });
    // Nobody called connect(): maintenance did it, and it never asked for the birthday strategy.
    const relayed = [s1, s2].reduce((n, x) => n + x.stats().counters.connectsRelayed, 0);
    expect(relayed).toBeGreaterThanOrEqual(1);
    for (const n of [s1, s2, c1, c2]) expect(n.stats().counters.birthdayPackets).toBe(0);
  }, 30_000);
});
