/**
 * Relayed -> direct upgrade and the birthday strategy on the simulated fabric (issue 6 items 3 and 4).
 *
 * 1. Two cone NATs whose public addresses cannot reach each other at first (a partition): connect()
 *    ends on the relay. A reliable stream runs over it; mid-stream the partition heals, the relayed
 *    edge's upgrade loop puts the session on trial toward the peer's candidates, both sides roam to the
 *    direct path, and every byte arrives intact and in order over the one session.
 * 2. One symmetric NAT (address-and-port-dependent mapping, random and sequential port allocation) and
 *    one cone NAT: connect() takes the relay first while the birthday roles run (the symmetric side's
 *    extra sockets, the cone side's spray); the path found moves the session to direct, over the
 *    symmetric side's pinned extra socket, again without losing stream data.
 * 3. The same pair with no relay in the overlay: connect() waits for the birthday's path and dials it
 *    (from either side: the cone side dials the mapped port it heard from, the symmetric side dials
 *    from its pinned socket).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { birthdayHitProbability, BIRTHDAY_SOCKETS, BIRTHDAY_SPRAY_PORTS } from '../../src/nat/index.js';
import { createNode, type Node } from '../../src/node/index.js';
import { SimNetwork, type NatPortAllocation, type SimNat } from '../../src/node/sim/index.js';
import type { Channel } from '../../src/session/index.js';
import { seededIdentity, seededRandom, startSimNode, stopSimNodes, type SimNode } from '../node/sim-fixtures.js';

const STREAM_CHANNEL = 16;
const CHUNK_BYTES = 8 * 1024;
const CHUNKS = 96;
const CHUNK_GAP_MS = 100;

interface World {
  net: SimNetwork;
  publicNodes: SimNode[];
  natNodes: SimNode[];
  relay: Node;
}

async function world(seed: number, withRelay = true): Promise<World> {
  const net = new SimNetwork({ seed, latencyMs: 10 });
  const publicNodes: SimNode[] = [];
  for (let i = 0; i < 3; i++) {
    await startSimNode(net, i, { maintenance: false, relay: withRelay && i === 0, bootstrap: publicNodes.map((n) => n.node.contact) }, publicNodes);
  }
  return { net, publicNodes, natNodes: [], relay: publicNodes[0].node };
}

async function startBehind(w: World, i: number, host: string, nat: SimNat): Promise<Node> {
  const transport = w.net.createTransport(host, 4000, { behind: nat });
  const node = createNode({
    identity: seededIdentity(i),
    transport,
    clock: w.net.clock,
    random: seededRandom(1000 + i),
    maintenance: false,
    bootstrap: w.publicNodes.map((n) => n.node.contact),
    // Extra sockets for the birthday strategy: more simulated sockets on this host, behind the same NAT.
    openSocket: async () => w.net.createTransport(host, 0, { behind: nat }),
  });
  w.natNodes.push({ node, transport, host });
  await node.start();
  return node;
}

async function close(w: World): Promise<void> {
  await stopSimNodes(w.net, w.natNodes);
  await stopSimNodes(w.net, w.publicNodes);
  expect(w.net.clock.pendingTimers).toBe(0);
}

async function settle<T>(w: World, p: Promise<T>, maxMs: number): Promise<T> {
  let out: { ok: true; value: T } | { ok: false; error: Error } | null = null;
  p.then(
    (value) => (out = { ok: true, value }),
    (error: Error) => (out = { ok: false, error }),
  );
  await w.net.clock.runUntil(() => out !== null, { maxMs });
  if (out === null) throw new Error(`still pending after ${maxMs} virtual ms`);
  const r = out as { ok: true; value: T } | { ok: false; error: Error };
  if (!r.ok) throw r.error;
  return r.value;
}

/**
 * Streams CHUNKS chunks from `from` to `to` on a reliable channel, one every CHUNK_GAP_MS of virtual time,
 * calling `during(i)` before chunk i; returns the paths seen by the sender and whether the bytes arrived intact.
 */
async function stream(w: World, from: Node, to: Node, during: (i: number) => void): Promise<{ paths: string[]; intact: boolean; received: number }> {
  const data = new Uint8Array(CHUNK_BYTES * CHUNKS);
  seededRandom(77)(data);
  const hash = createHash('sha256');
  let received = 0;
  let ended = false;
  to.once('channel', ({ channel }: { channel: Channel }) => {
    void (async () => {
      while (received < data.length) {
        const ev = await channel.recv();
        if (ev === null) break;
        hash.update(ev.payload);
        received += ev.payload.length;
      }
      ended = true;
    })();
  });
  const ch = await settle(w, from.openChannel(to.id, STREAM_CHANNEL, { reliable: true }), 12_000);
  const paths: string[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    during(i);
    const path = from.path(to.id)?.type ?? 'none';
    if (paths.at(-1) !== path) paths.push(path);
    await settle(w, ch.send(1, data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)), 10_000);
    await w.net.clock.advance(CHUNK_GAP_MS);
  }
  await w.net.clock.runUntil(() => ended, { maxMs: 20_000 });
  const path = from.path(to.id)?.type ?? 'none';
  if (paths.at(-1) !== path) paths.push(path);
  const intact = received === data.length && hash.digest('hex') === createHash('sha256').update(data).digest('hex');
  return { paths, intact, received };
}

describe('relayed -> direct upgrade', () => {
  it('moves a reliable stream from the relay to the direct path once it opens, every byte intact', async () => {
    const w = await world(63);
    const natA = w.net.addNat({ publicHost: '203.0.113.1', mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
    const natB = w.net.addNat({ publicHost: '198.51.100.1', mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
    try {
      const a = await startBehind(w, 30, '192.168.1.2', natA);
      const b = await startBehind(w, 32, '192.168.2.2', natB);
      await w.net.clock.runUntil(() => a.nat().type === 'cone' && b.nat().type === 'cone', { maxMs: 10_000 });
      // The two NATs' public addresses cannot reach each other: punch and direct dial fail, the relay carries.
      w.net.partition(['203.0.113.1'], ['198.51.100.1']);
      await settle(w, a.connect(b.id), 12_000);
      expect(a.path(b.id)).toEqual({ type: 'relayed', relay: w.relay.id });
      const result = await stream(w, a, b, (i) => {
        if (i === CHUNKS / 4) w.net.heal();
      });
      expect(result.intact).toBe(true);
      expect(result.paths).toEqual(['relayed', 'direct']);
      expect(a.path(b.id)).toEqual({ type: 'direct' });
      expect(b.path(a.id)).toEqual({ type: 'direct' });
      // One session all along (no second dial), now between the two public addresses.
      expect(a.edges().find((e) => Buffer.compare(e.id, b.id) === 0)!.address).toEqual(b.nat().reflexive);
      expect(a.stats().counters.pathUpgrades).toBe(1);
      expect(a.stats().counters.upgradeTrials).toBeGreaterThanOrEqual(1);
    } finally {
      await close(w);
    }
  }, 30_000);
});

describe.each<NatPortAllocation>(['random', 'sequential'])('birthday strategy: symmetric NAT (%s ports) to cone NAT', (allocation) => {
  it('connects relayed at once, then the birthday path carries the stream directly', async () => {
    const w = await world(allocation === 'random' ? 64 : 65);
    const symmetricNat = w.net.addNat({ publicHost: '203.0.113.7', mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: allocation });
    const coneNat = w.net.addNat({ publicHost: '198.51.100.7', mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
    try {
      const s = await startBehind(w, 40, '192.168.7.2', symmetricNat);
      const c = await startBehind(w, 41, '192.168.8.2', coneNat);
      await w.net.clock.runUntil(() => s.nat().type === 'symmetric' && c.nat().type === 'cone', { maxMs: 10_000 });
      // The symmetric side advertises its NAT's public host first (the host the cone side sprays).
      expect(s.contact).toContain('@203.0.113.7:');
      const started = w.net.clock.now();
      await settle(w, s.connect(c.id), 12_000);
      const connectMs = w.net.clock.now() - started;
      expect(s.path(c.id)).toEqual({ type: 'relayed', relay: w.relay.id });
      const result = await stream(w, s, c, () => {});
      expect(result.intact).toBe(true);
      expect(result.paths).toEqual(['relayed', 'direct']);
      expect(s.path(c.id)).toEqual({ type: 'direct' });
      expect(c.path(s.id)).toEqual({ type: 'direct' });
      // The session runs between the cone side's reflexive address and one of the symmetric NAT's
      // mappings of an extra socket (not the main socket's).
      expect(s.edges().find((e) => Buffer.compare(e.id, c.id) === 0)!.address).toEqual(c.nat().reflexive);
      const seenByC = c.edges().find((e) => Buffer.compare(e.id, s.id) === 0)!.address;
      expect(seenByC.host).toBe('203.0.113.7');
      const mainMapping = symmetricNat.mappings(w.net.clock.now()).find((m) => m.privatePort === 4000 && m.remoteHost === '198.51.100.7');
      expect(seenByC.port).not.toBe(mainMapping?.publicPort);
      const sc = s.stats().counters;
      const cc = c.stats().counters;
      expect(sc.birthdayAttempts).toBe(1);
      expect(cc.birthdayAttempts).toBe(1);
      expect(sc.birthdayFound + cc.birthdayFound).toBeGreaterThanOrEqual(1);
      expect(sc.pathUpgrades).toBe(1);
      console.log(
        `[birthday sim, ${allocation}] connect (relayed) ${connectMs} ms; birthday datagrams: symmetric side ${sc.birthdayPackets}, cone side ${cc.birthdayPackets}; ` +
          `hit probability of the plan ${(birthdayHitProbability(BIRTHDAY_SOCKETS, BIRTHDAY_SPRAY_PORTS) * 100).toFixed(1)} %`,
      );
    } finally {
      await close(w);
    }
  }, 30_000);
});

describe.each<'symmetric' | 'cone'>(['symmetric', 'cone'])('birthday strategy without a relay, the %s side connecting', (caller) => {
  it('dials the path the birthday strategy found: a direct session at once', async () => {
    const w = await world(caller === 'symmetric' ? 67 : 68, false);
    const symmetricNat = w.net.addNat({ publicHost: '203.0.113.9', mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
    const coneNat = w.net.addNat({ publicHost: '198.51.100.9', mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
    try {
      const s = await startBehind(w, 42, '192.168.9.2', symmetricNat);
      const c = await startBehind(w, 43, '192.168.10.2', coneNat);
      await w.net.clock.runUntil(() => s.nat().type === 'symmetric' && c.nat().type === 'cone', { maxMs: 10_000 });
      const [from, to] = caller === 'symmetric' ? [s, c] : [c, s];
      await settle(w, from.connect(to.id), 12_000);
      expect(from.path(to.id)).toEqual({ type: 'direct' });
      expect(from.stats().counters.connectsRelayed).toBe(0);
      // The side that was dialed counts the edge one trip later (its Identify acknowledged).
      await w.net.clock.runUntil(() => s.edges().some((e) => Buffer.compare(e.id, c.id) === 0), { maxMs: 2_000 });
      expect(s.edges().find((e) => Buffer.compare(e.id, c.id) === 0)?.address).toEqual(c.nat().reflexive);
      const payload = Uint8Array.of(9, 8, 7);
      let got: Uint8Array | null = null;
      to.once('message', (m: { data: Uint8Array }) => (got = m.data));
      await settle(w, from.sendDirect(to.id, payload), 5_000);
      await w.net.clock.runUntil(() => got !== null, { maxMs: 2_000 });
      expect([...got!]).toEqual([9, 8, 7]);
    } finally {
      await close(w);
    }
  }, 30_000);
});
