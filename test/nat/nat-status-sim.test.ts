/**
 * node.nat() on the simulated fabric with SimNat (issue 6 item 1): four public nodes in four /24s, one
 * node behind an endpoint-independent ("cone") NAT and one behind an address-and-port-dependent
 * ("symmetric") NAT. The neighbours' Identify reports drive the consensus; stopping reporters removes
 * their reports and the classification falls back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNode, type NatStatus, type Node } from '../../src/node/index.js';
import { SimNetwork } from '../../src/node/sim/index.js';
import { seededIdentity, seededRandom, startSimNode, stopSimNodes, type SimNode } from '../node/sim-fixtures.js';

const net = new SimNetwork({ seed: 6, latencyMs: 10 });
const clock = net.clock;
const publicNodes: SimNode[] = [];
const natNodes: SimNode[] = [];
const coneNat = net.addNat({ publicHost: '203.0.113.1', mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' });
const symmetricNat = net.addNat({ publicHost: '198.51.100.1', mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
const coneEvents: NatStatus[] = [];

async function startBehind(i: number, host: string, nat: typeof coneNat): Promise<Node> {
  const transport = net.createTransport(host, 4000, { behind: nat });
  const node = createNode({
    identity: seededIdentity(i),
    transport,
    clock,
    random: seededRandom(1000 + i),
    maintenance: false,
    bootstrap: publicNodes.map((n) => n.node.contact),
  });
  natNodes.push({ node, transport, host });
  if (nat === coneNat) node.on('nat', (s: NatStatus) => coneEvents.push(s));
  await node.start();
  return node;
}

let cone: Node;
let symmetric: Node;

beforeAll(async () => {
  for (let i = 0; i < 4; i++) {
    await startSimNode(net, i, { maintenance: false, bootstrap: publicNodes.map((n) => n.node.contact) }, publicNodes);
  }
  cone = await startBehind(10, '192.168.1.2', coneNat);
  symmetric = await startBehind(11, '192.168.7.2', symmetricNat);
  await clock.runUntil(() => cone.edges().length === 4 && symmetric.edges().length === 4 && publicNodes.every((n) => n.node.edges().length === 5), { maxMs: 10_000 });
});

afterAll(async () => {
  await stopSimNodes(net, natNodes);
  await stopSimNodes(net, publicNodes);
  expect(clock.pendingTimers).toBe(0);
});

describe('node.nat() over SimNat', () => {
  it('a node behind an endpoint-independent NAT is cone at its one public mapping', () => {
    const mapping = coneNat.mappings(clock.now()).find((m) => m.privateHost === '192.168.1.2');
    expect(mapping).toBeDefined();
    expect(cone.nat()).toEqual({ type: 'cone', reflexive: { host: '203.0.113.1', port: mapping!.publicPort } });
    expect(coneEvents.at(-1)).toEqual(cone.nat());
    expect(coneEvents.length).toBe(1);
  });

  it('a node behind an address-and-port-dependent NAT is symmetric', () => {
    expect(symmetric.nat()).toEqual({ type: 'symmetric', reflexive: null });
    // One mapping per destination: every reporter saw another port.
    const ports = new Set(symmetric.observedAddresses().map((o) => o.address));
    expect(ports.size).toBe(4);
  });

  it('public nodes see themselves at their own address', () => {
    for (const p of publicNodes) expect(p.node.nat(), p.host).toEqual({ type: 'public', reflexive: { host: p.host, port: 4000 } });
  });

  it('drops the reports of reporters whose edges die, and says so', async () => {
    const gone = publicNodes.splice(2, 2);
    await stopSimNodes(net, gone);
    await clock.runUntil(() => cone.edges().length === 2, { maxMs: 5_000 });
    expect(cone.nat()).toEqual({ type: 'unknown', reflexive: null });
    expect(coneEvents.at(-1)).toEqual({ type: 'unknown', reflexive: null });
    expect(symmetric.nat().type).toBe('unknown');
  });
});
