/**
 * Wiresocket through real NAT (smoke test for issue 6): an Endpoint echo server on a public host, clients
 * behind a cone and behind a symmetric NAT complete the Noise handshake and exchange events of several
 * sizes (one fragmented). The server sees each client at its NAT's public address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_READY_TIMEOUT_MS, WIRESOCKET_SCRIPT, eventually, labAvailableOrWarn } from './lab-test-setup.js';
import { NatLab } from './lab.js';
import type { NatRouter, PrivateHost, PublicHost } from './lab-host.js';
import type { ManagedChild } from './managed-child.js';

const available = await labAvailableOrWarn('Wiresocket-through-NAT tests (test/e2e/nat/wiresocket.test.ts)');

const SERVER_PORT = 4242;
const EVENTS = 8;

describe.skipIf(!available)('Wiresocket through real NAT', () => {
  let lab: NatLab;
  let pub1: PublicHost;
  let cone: NatRouter;
  let symmetric: NatRouter;
  let a1: PrivateHost;
  let b1: PrivateHost;
  let server: ManagedChild;
  let serverKey: string;

  beforeAll(async () => {
    lab = await NatLab.create();
    pub1 = await lab.addPublicHost('pub1');
    [cone, symmetric] = await Promise.all([lab.addNat('natA', { type: 'cone' }), lab.addNat('natB', { type: 'symmetric' })]);
    [a1, b1] = await Promise.all([lab.addPrivateHost('a1', cone), lab.addPrivateHost('b1', symmetric)]);
    server = pub1.runNode(WIRESOCKET_SCRIPT, ['server', '--port', String(SERVER_PORT)], { name: 'pub1:wiresocket-server' });
    const ready = await server.nextEvent('ready', CHILD_READY_TIMEOUT_MS);
    expect(ready.port).toBe(SERVER_PORT);
    serverKey = String(ready.publicKey);
  });

  afterAll(async () => {
    if (lab === undefined) return;
    await lab.destroy();
    expect(await lab.remainingNamespaces()).toEqual([]);
  });

  it('clients behind a cone and a symmetric NAT handshake with a public server and get every event back intact', async () => {
    const clients = [a1, b1].map((host) =>
      host.runNode(WIRESOCKET_SCRIPT, ['client', '--server', `${pub1.ip}:${SERVER_PORT}`, '--key', serverKey, '--count', String(EVENTS)], {
        name: `${host.name}:wiresocket-client`,
      }),
    );
    const [coneConnected] = await Promise.all(clients.map((c) => c.nextEvent('connected', CHILD_READY_TIMEOUT_MS)));
    const echoed = await Promise.all(clients.map((c) => c.nextEvent('echoed', 10_000)));
    for (const e of echoed) {
      expect(e).toMatchObject({ count: EVENTS, intact: true, handshakesCompleted: 1 });
    }
    await Promise.all(clients.map((c) => c.waitForExit(5000)));
    expect(clients.map((c) => c.process.exitCode)).toEqual([0, 0]);

    // The server accepted one session per client, each from its NAT's public address.
    const sessions = [await server.nextEvent('session', 1000), await server.nextEvent('session', 1000)].map((e) => String(e.remote));
    // Cone NAT keeps the client's port; the symmetric one picks its own.
    expect(sessions).toContain(`${cone.publicIp}:${coneConnected.localPort}`);
    expect(sessions.filter((s) => s.startsWith(`${symmetric.publicIp}:`))).toHaveLength(1);
    // Every event passed through the server (it reports each echo right after sending it).
    const echoes = () => server.events.filter((e) => e.event === 'echo').length;
    expect(await eventually(() => echoes() === 2 * EVENTS, 2000)).toBe(true);
  });
});
