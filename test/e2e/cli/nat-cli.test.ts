/**
 * The CLI behind real Linux NAT (issue 7 items 2-3 with issue 6): `wiremesh run --json` nodes in the lab's
 * network namespaces (test/e2e/nat, used read-only): three public nodes in three /24s (pub1 relays), a1
 * behind a cone NAT, c1 and d1 behind two symmetric NATs. On loopback every reporter is in 127/8 and those
 * reports are ignored, so only here does the `nat` event fire for real:
 *
 * - a1 prints `{"event":"nat","type":"cone","reflexive":"<natA's public address>:4242"}` once three
 *   neighbours in two subnets agree, and `wiremesh status` shows the same; c1 prints type symmetric.
 * - `edge-up` events name the path (direct); `wiremesh connect` from c1 to d1 (both symmetric: no direct
 *   path) answers path "relayed" with pub1's NodeID, and `peers` and the edge-up event agree.
 *
 * The client commands run in the test's own namespace: the control socket is a file in the data directory,
 * and Unix sockets do not care about network namespaces. Skipped loudly where no lab can be built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatLab } from '../nat/lab.js';
import { labAvailableOrWarn } from '../nat/lab-test-setup.js';
import type { LabHost } from '../nat/lab-host.js';
import { signalProcessGroup, type ManagedChild } from '../nat/managed-child.js';
import { runCli, tempDir } from './cli-process.js';

const available = await labAvailableOrWarn('CLI behind real NAT (test/e2e/cli/nat-cli.test.ts)');

const PORT = 4242;
const START_MS = 20_000;
const NAT_DETECT_MS = 25_000;

interface CliNode {
  child: ManagedChild;
  dir: string;
  nodeId: string;
  contact: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WIREMESH_')) env[k] = v;
  return env;
}

async function runIn(host: LabHost, extra: string[]): Promise<CliNode> {
  const dir = await tempDir(`wm-nat-${host.name}-`);
  const args = ['run', '--data-dir', dir, '--listen', `0.0.0.0:${PORT}`, '--difficulty', '0', '--json', '--log-level', 'warn', ...extra];
  const child = host.runNode('cmd/main.ts', args, { name: `${host.name}:wiremesh`, env: cleanEnv() });
  const started = await child.nextEvent('started', START_MS);
  return { child, dir, nodeId: String(started.nodeId), contact: String(started.contact) };
}

describe.skipIf(!available)('wiremesh run --json behind real NAT', () => {
  let lab: NatLab;
  const n: Record<string, CliNode> = {};

  beforeAll(async () => {
    lab = await NatLab.create();
    const [pub1, pub2, pub3] = await Promise.all([lab.addPublicHost('pub1'), lab.addPublicHost('pub2'), lab.addPublicHost('pub3')]);
    const [natA, natC, natD] = await Promise.all([
      lab.addNat('natA', { type: 'cone' }),
      lab.addNat('natC', { type: 'symmetric' }),
      lab.addNat('natD', { type: 'symmetric' }),
    ]);
    const [a1, c1, d1] = await Promise.all([lab.addPrivateHost('a1', natA), lab.addPrivateHost('c1', natC), lab.addPrivateHost('d1', natD)]);
    n.pub1 = await runIn(pub1, ['--relay']);
    [n.pub2, n.pub3] = await Promise.all([runIn(pub2, ['--bootstrap', n.pub1.contact]), runIn(pub3, ['--bootstrap', n.pub1.contact])]);
    const boot = ['pub1', 'pub2', 'pub3'].flatMap((name) => ['--bootstrap', n[name]!.contact]);
    [n.a1, n.c1, n.d1] = await Promise.all([runIn(a1, boot), runIn(c1, boot), runIn(d1, boot)]);
  }, 60_000);

  afterAll(async () => {
    if (lab === undefined) return;
    await lab.destroy();
    expect(await lab.remainingNamespaces()).toEqual([]);
  });

  it('prints the nat event with the type and reflexive address, and status shows it', async () => {
    const natA = lab.host('natA')!;
    const [cone, symmetric] = await Promise.all([
      n.a1!.child.nextEvent((e) => e.event === 'nat' && e.type === 'cone', NAT_DETECT_MS),
      n.c1!.child.nextEvent((e) => e.event === 'nat' && e.type === 'symmetric', NAT_DETECT_MS),
    ]);
    process.stdout.write(`[e2e/cli nat] a1: ${JSON.stringify(cone)}\n[e2e/cli nat] c1: ${JSON.stringify(symmetric)}\n`);
    expect(cone).toEqual({ event: 'nat', type: 'cone', reflexive: `${natA.ip}:${PORT}` });
    expect(symmetric).toEqual({ event: 'nat', type: 'symmetric', reflexive: null });
    // Edges to the public nodes are direct, at their public addresses.
    const publicIds = new Map(['pub1', 'pub2', 'pub3'].map((name) => [n[name]!.nodeId, `${lab.host(name)!.ip}:${PORT}`]));
    // (The nat event may come first: reports arrive with Identify, before the edge is up on both sides.)
    const edgeUp = await n.a1!.child.nextEvent((e) => e.event === 'edge-up' && publicIds.has(String(e.nodeId)), 10_000);
    expect(edgeUp).toMatchObject({ path: 'direct', relay: null, address: publicIds.get(String(edgeUp?.nodeId)) });

    const status = await runCli(['status', '--data-dir', n.a1!.dir, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ event: 'status', nodeId: n.a1!.nodeId, nat: { type: 'cone', reflexive: `${natA.ip}:${PORT}` } });
    const text = await runCli(['status', '--data-dir', n.a1!.dir]);
    expect(text.stdout).toContain(`nat        cone (reflexive ${natA.ip}:${PORT})`);
  }, 40_000);

  it('connect between two symmetric NATs answers a relayed path through pub1, as do peers and edge-up', async () => {
    await n.d1!.child.nextEvent((e) => e.event === 'nat' && e.type === 'symmetric', NAT_DETECT_MS);
    const conn = await runCli(['connect', n.d1!.nodeId, '--data-dir', n.c1!.dir, '--json'], { timeoutMs: 30_000 });
    expect(conn.stderr).toBe('');
    const r = JSON.parse(conn.stdout) as Record<string, unknown>;
    process.stdout.write(`[e2e/cli nat] c1 -> d1: ${conn.stdout}`);
    const pub1Address = `${lab.host('pub1')!.ip}:${PORT}`;
    expect(r).toMatchObject({ event: 'connected', nodeId: n.d1!.nodeId, path: 'relayed', relay: n.pub1!.nodeId, address: pub1Address });
    // Maintenance may have made this edge through the same cascade already.
    expect(['new session', 'existing edge']).toContain(r.how);
    const human = await runCli(['connect', n.d1!.nodeId, '--data-dir', n.c1!.dir]);
    expect(human.stdout).toContain(`relayed via relay ${n.pub1!.nodeId}`);
    expect(human.stdout).toContain('existing edge');

    const peers = await runCli(['peers', '--data-dir', n.c1!.dir, '--json']);
    const rows = (JSON.parse(peers.stdout) as { peers: Array<Record<string, unknown>> }).peers;
    expect(rows.find((p) => p.nodeId === n.d1!.nodeId)).toMatchObject({ path: 'relayed', relay: n.pub1!.nodeId, address: pub1Address });
    expect(rows.find((p) => p.nodeId === n.pub1!.nodeId)).toMatchObject({ path: 'direct', relay: null });
    const up = await n.c1!.child.nextEvent((e) => e.event === 'edge-up' && e.nodeId === n.d1!.nodeId, 5_000);
    expect(up).toMatchObject({ path: 'relayed', relay: n.pub1!.nodeId });

    // A routed ping crosses the overlay between the two NATed nodes too.
    const ping = await runCli(['ping', n.a1!.nodeId, '--data-dir', n.c1!.dir, '--json']);
    expect(ping.code, `ping failed: ${ping.stderr}`).toBe(0);
    expect(JSON.parse(ping.stdout)).toMatchObject({ event: 'pong', nodeId: n.a1!.nodeId });

    // SIGTERM inside a namespace: graceful leave, exit 0.
    signalProcessGroup(n.c1!.child.process, 'SIGTERM');
    expect((await n.c1!.child.waitForExit(10_000)).code).toBe(0);
    expect(n.c1!.child.events.at(-1)?.event).toBe('stopped');
  }, 60_000);
});
