/**
 * The lab models NATs the way issue 6 needs them, proven with the UDP probe through real Linux NAT:
 * cone = endpoint-independent mapping, symmetric = a new port per destination, both filter unsolicited
 * packets and let in exactly the ip:port a private host sent to, conntrack timeouts expire idle mappings,
 * and random loss drops the configured share. Skips loudly where namespaces cannot be created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from './json-lines.js';
import {
  CHILD_READY_TIMEOUT_MS,
  PROBE_SCRIPT,
  askFrom,
  countReceived,
  eventually,
  labAvailableOrWarn,
  received,
  sleep,
  startPeer,
} from './lab-test-setup.js';
import { NatLab } from './lab.js';
import type { NatRouter, PrivateHost, PublicHost } from './lab-host.js';
import type { ManagedChild } from './managed-child.js';
import { namespacesOfLab } from './namespace-names.js';

const available = await labAvailableOrWarn('real-NAT lab tests (test/e2e/nat/lab.test.ts)');

/** Conntrack UDP timeout of the "short" NAT: long enough for a few round trips, short enough to wait out. */
const SHORT_TIMEOUT_SEC = 2;
/** How long we watch for a packet that must NOT arrive (lab round trips take about a millisecond). */
const SILENCE_MS = 500;
const ECHO_PORT = 7000;

/** A `recv` event carrying `text` (peers live for the whole file, so every wait names its datagram). */
const recv = (text: string) => (e: LabEvent) => e.event === 'recv' && e.text === text;

type Peer = Awaited<ReturnType<typeof startPeer>>;

describe.skipIf(!available)('NatLab: NAT behaviour in network namespaces', () => {
  let lab: NatLab;
  let pub1: PublicHost;
  let pub2: PublicHost;
  let pub3: PublicHost;
  let cone: NatRouter;
  let symmetric: NatRouter;
  let short: NatRouter;
  let a1: PrivateHost;
  let b1: PrivateHost;
  let c1: PrivateHost;
  let echo1: string;
  let echo2: string;
  /** Probe peers: behind the cone NAT, behind the short-timeout NAT, and two ports on public host pub3. */
  let a: Peer;
  let c: Peer;
  let x: Peer;
  let y: Peer;

  beforeAll(async () => {
    lab = await NatLab.create();
    [pub1, pub2, pub3] = await Promise.all([lab.addPublicHost('pub1'), lab.addPublicHost('pub2'), lab.addPublicHost('pub3')]);
    [cone, symmetric, short] = await Promise.all([
      lab.addNat('natA', { type: 'cone' }),
      lab.addNat('natB', { type: 'symmetric' }),
      lab.addNat('natC', { type: 'cone', udpTimeoutSec: SHORT_TIMEOUT_SEC }),
    ]);
    [a1, b1, c1] = await Promise.all([lab.addPrivateHost('a1', cone), lab.addPrivateHost('b1', symmetric), lab.addPrivateHost('c1', short)]);
    const servers = [pub1, pub2].map((h) => h.runNode(PROBE_SCRIPT, ['echo', '--port', String(ECHO_PORT)], { name: `${h.name}:echo` }));
    [a, c, x, y] = await Promise.all([startPeer(a1), startPeer(c1), startPeer(pub3), startPeer(pub3)]);
    await Promise.all(servers.map((s) => s.nextEvent('ready', CHILD_READY_TIMEOUT_MS)));
    echo1 = `${pub1.ip}:${ECHO_PORT}`;
    echo2 = `${pub2.ip}:${ECHO_PORT}`;
  });

  afterAll(async () => {
    if (lab === undefined) return;
    await lab.destroy();
    // Nothing may survive a run: no namespace of this lab (veths and bridges live only inside them).
    expect(await namespacesOfLab(lab.prefix)).toEqual([]);
    expect(await lab.remainingNamespaces()).toEqual([]);
  });

  it('gives every attachment its own /24 and routes between them without translation', async () => {
    const subnets = [pub1, pub2, pub3, cone, symmetric, short].map((h) => h.subnet);
    expect(new Set(subnets).size).toBe(subnets.length);
    expect(pub1.ip).toBe(`10.201.${pub1.subnet}.2`);
    expect(cone.publicIp).toBe(`10.201.${cone.subnet}.2`);
    expect(a1.ip).toBe(`${cone.lan.prefix}.10`);
    expect(a1.ip).not.toBe(b1.ip);

    const neighbour = await lab.addPublicHost('pub4', { sameSubnetAs: pub1 });
    expect(neighbour.subnet).toBe(pub1.subnet);
    expect(neighbour.ip).toBe(`10.201.${pub1.subnet}.3`);
    for (const host of [pub3, neighbour]) {
      const { port, answers } = await askFrom(host, [echo1, echo2]);
      // Public hosts are seen at their own address by servers in their own and in other /24s.
      expect(answers).toEqual([
        { server: echo1, seen: `${host.ip}:${port}` },
        { server: echo2, seen: `${host.ip}:${port}` },
      ]);
    }
  });

  it('cone NAT: two servers see the same public ip:port (the private port is kept)', async () => {
    const { port, answers } = await askFrom(a1, [echo1, echo2]);
    expect(answers.map((q) => q.seen)).toEqual([`${cone.publicIp}:${port}`, `${cone.publicIp}:${port}`]);
  });

  it('symmetric NAT: two servers see the NAT address with different ports', async () => {
    const { answers } = await askFrom(b1, [echo1, echo2]);
    const seen = answers.map((q) => q.seen);
    expect(seen.every((s) => s !== null && s.startsWith(`${symmetric.publicIp}:`))).toBe(true);
    const ports = seen.map((s) => Number(s!.split(':')[1]));
    expect(ports[0]).not.toBe(ports[1]);
  });

  it('filters unsolicited packets and lets in exactly the ip:port the private host sent to', async () => {
    a.child.send({ cmd: 'request', to: echo1 });
    const mapping = String((await a.child.nextEvent('seen', 3000)).seen);
    expect(mapping).toBe(`${cone.publicIp}:${a.port}`);

    // Unsolicited: to the mapping, and straight to the private address (the internet has no route there).
    x.child.send({ cmd: 'send', to: mapping, text: 'unsolicited' });
    x.child.send({ cmd: 'send', to: a.address, text: 'direct to private' });
    expect(await a.child.eventWithin((e) => e.event === 'recv', SILENCE_MS)).toBeNull();

    // The punch: a1 sends to x first, then x's packets come in (from the mapping servers saw: cone).
    a.child.send({ cmd: 'send', to: x.address, text: 'punch' });
    expect(received(await x.child.nextEvent(recv('punch'), 3000))).toEqual({ from: mapping, text: 'punch' });
    x.child.send({ cmd: 'send', to: mapping, text: 'after punch' });
    expect(received(await a.child.nextEvent(recv('after punch'), 3000))).toEqual({ from: x.address, text: 'after punch' });

    // Port-restricted: the same host from another port is still filtered.
    y.child.send({ cmd: 'send', to: mapping, text: 'other port' });
    expect(await a.child.eventWithin(recv('other port'), SILENCE_MS)).toBeNull();
  });

  it('expires an idle mapping after the conntrack UDP timeout, and a new outbound packet renews it', async () => {
    c.child.send({ cmd: 'send', to: x.address, text: 'c punch' });
    const punch = received(await x.child.nextEvent(recv('c punch'), 3000));
    expect(punch?.from).toBe(`${short.publicIp}:${c.port}`);
    const mapping = punch!.from;
    x.child.send({ cmd: 'send', to: mapping, text: 'before expiry' });
    expect(received(await c.child.nextEvent(recv('before expiry'), 3000))?.from).toBe(x.address);

    // No traffic in either direction for longer than the timeout.
    await sleep(SHORT_TIMEOUT_SEC * 1000 + 1200);
    x.child.send({ cmd: 'send', to: mapping, text: 'after expiry' });
    expect(await c.child.eventWithin(recv('after expiry'), SILENCE_MS)).toBeNull();

    c.child.send({ cmd: 'send', to: x.address, text: 'punch again' });
    expect(received(await x.child.nextEvent(recv('punch again'), 3000))).toEqual({ from: mapping, text: 'punch again' });
    x.child.send({ cmd: 'send', to: mapping, text: 'renewed' });
    expect(received(await c.child.nextEvent(recv('renewed'), 3000))?.from).toBe(x.address);
  });

  it('drops the configured share of packets (100 %, 50 %, 0 %)', async () => {
    try {
      await lab.setLoss(cone, 100);
      a.child.send({ cmd: 'send', to: x.address, text: 'all lost', count: 50 });
      expect(await x.child.eventWithin(recv('all lost'), SILENCE_MS)).toBeNull();

      // 200 datagrams at 50 %: mean 100, standard deviation about 7; the bounds are 7 deviations wide.
      await lab.setLoss(cone, 50);
      a.child.send({ cmd: 'send', to: x.address, text: 'half lost', count: 200 });
      await a.child.nextEvent((e) => e.event === 'sent' && e.count === 200, 3000);
      // A marker sent without loss after the burst arrives after it (one path, in order): then count.
      await lab.setLoss(cone, 0);
      a.child.send({ cmd: 'send', to: x.address, text: 'end of burst' });
      await x.child.nextEvent(recv('end of burst'), 3000);
      const half = countReceived(x.child, 'half lost');
      expect(half).toBeGreaterThanOrEqual(50);
      expect(half).toBeLessThanOrEqual(150);

      await lab.setLoss(cone, 0);
      a.child.send({ cmd: 'send', to: x.address, text: 'none lost', count: 50 });
      expect(await eventually(() => countReceived(x.child, 'none lost') === 50, 3000)).toBe(true);
      await sleep(100);
      expect(countReceived(x.child, 'none lost')).toBe(50);
    } finally {
      await lab.setLoss(cone, 0);
    }
  });
});
