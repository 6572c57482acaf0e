/**
 * Real Endpoints (the same code as over UDP) on the simulated fabric in virtual time: handshake and events,
 * a reliable channel through 10% loss, a session timeout after a partition, a client behind a symmetric NAT,
 * and no timer left on the clock once the endpoints are closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type Channel, type EndpointOptions, type Session } from '../../src/session/index.js';
import { SimNetwork, type SimNat, type SimNetworkOptions } from '../../src/node/sim/index.js';
import { numberOf, numbered } from './fabric.js';

const SERVER = '198.51.100.1';
const CLIENT = '198.51.100.2';
const PORT = 4242;

const opened: Endpoint[] = [];
const networks: SimNetwork[] = [];
afterEach(async () => {
  for (const ep of opened.splice(0)) await ep.close();
  // Closing the endpoints must leave no timer behind: sessions, dials, reliable channels all clean up.
  for (const net of networks.splice(0)) expect(net.clock.pendingTimers).toBe(0);
});

interface Pair {
  net: SimNetwork;
  server: Endpoint;
  client: Endpoint;
  session: Session;
  accepted: Session;
}

async function endpointsOn(net: SimNetwork, extra: Partial<EndpointOptions>, clientNat?: SimNat) {
  networks.push(net);
  const clock = net.clock;
  const server = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), transport: net.createTransport(SERVER, PORT), clock, ...extra });
  const clientHost = clientNat === undefined ? CLIENT : '192.168.7.2';
  const client = await Endpoint.listen({
    staticKey: defaultSuite().generateKeyPair(),
    transport: net.createTransport(clientHost, 0, clientNat === undefined ? {} : { behind: clientNat }),
    clock,
    ...extra,
  });
  opened.push(client, server);
  return { server, client };
}

/** Two endpoints on a fresh fabric, the client dialed to the server and both sessions confirmed. */
async function connectedPair(netOptions: SimNetworkOptions, extra: Partial<EndpointOptions> = {}, nat?: (net: SimNetwork) => SimNat): Promise<Pair> {
  const net = new SimNetwork(netOptions);
  const { server, client } = await endpointsOn(net, extra, nat?.(net));
  let accepted: Session | null = null;
  server.on('session', (s: Session) => (accepted = s));
  let session: Session | null = null;
  let failure: unknown = null;
  client.dial({ host: SERVER, port: PORT }, server.publicKey).then(
    (s) => (session = s),
    (err) => (failure = err),
  );
  await net.clock.runUntil(() => (session !== null && accepted !== null) || failure !== null, { maxMs: 20_000 });
  if (failure !== null) throw failure;
  return { net, server, client, session: session!, accepted: accepted! };
}

describe('Endpoints on the simulated network', () => {
  it('handshakes in simulated round trips and carries events on a channel both ways', async () => {
    const { net, session, accepted } = await connectedPair({ seed: 1, latencyMs: 10 });
    // Init out and response back: two one-way trips; the responder confirms on the initiator's keepalive.
    expect(net.clock.elapsedMs).toBe(30);
    expect(Buffer.from(accepted.handshakeHash)).toEqual(Buffer.from(session.handshakeHash));
    expect(accepted.remoteAddress).toEqual({ host: CLIENT, port: 49152 });

    const got: Array<[number, number, number]> = [];
    accepted.on('channel', (ch: Channel) => {
      void (async () => {
        for await (const ev of ch) {
          got.push([ch.id, ev.type, numberOf(ev.payload)]);
          await ch.send(ev.type, numbered(numberOf(ev.payload) * 10));
        }
      })();
    });
    const replies: number[] = [];
    const ch = session.channel(20);
    void (async () => {
      for await (const ev of ch) replies.push(numberOf(ev.payload));
    })();
    const sentAt = net.clock.now();
    for (let i = 1; i <= 5; i++) await ch.send(3, numbered(i));
    await net.clock.runUntil(() => replies.length === 5, { maxMs: 1_000 });
    expect(got).toEqual([1, 2, 3, 4, 5].map((i) => [20, 3, i]));
    expect(replies).toEqual([10, 20, 30, 40, 50]);
    // One coalesced packet each way: exactly one round trip of virtual time.
    expect(net.clock.now() - sentAt).toBe(20);
  });

  it('delivers 2,000 events in order on a reliable channel through 10% loss, in well under a second', async () => {
    const { net, session, accepted } = await connectedPair({ seed: 2, latencyMs: 15, jitterMs: 5, loss: 0.1 });
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const received: number[] = [];
    accepted.on('channel', (rch: Channel) => {
      rch.setReliable();
      void (async () => {
        for await (const ev of rch) received.push(numberOf(ev.payload));
      })();
    });
    const ch = session.channel(40).setReliable();
    const N = 2_000;
    const payload = new Uint8Array(100);
    const sending = (async () => {
      for (let i = 0; i < N; i++) {
        new DataView(payload.buffer).setUint32(0, i, true);
        await ch.send(1, payload);
      }
    })();
    const virtualMs = await net.clock.runUntil(() => received.length >= N, { maxMs: 120_000 });
    await sending;
    await net.clock.runUntil(() => ch.rel!.sender.pending === 0, { maxMs: 30_000 });
    const realMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(received).toEqual(Array.from({ length: N }, (_, i) => i));
    const c = net.totals();
    expect(c.dropped.loss).toBeGreaterThan(20);
    expect(Math.abs(c.dropped.loss / c.sent - 0.1)).toBeLessThan(0.05);
    // The cost bound is on CPU time: wall time on a shared 2-core runner also counts other processes.
    expect(cpuMs).toBeLessThan(1_000);
    console.log(
      `reliable 2000 events, 10% loss: ${virtualMs.toFixed(0)} ms virtual, ${realMs.toFixed(0)} ms real (${cpuMs.toFixed(0)} ms CPU), ${c.sent} datagrams, ${c.dropped.loss} lost`,
    );
  });

  it('replays the same datagram trace for the same seed and script, Endpoints included', async () => {
    const run = async (seed: number) => {
      const trace: string[] = [];
      const net = new SimNetwork({
        seed,
        latencyMs: 7,
        jitterMs: 3,
        trace: (e) => trace.push(`${e.atMs} ${e.kind} ${e.from.host}:${e.from.port}>${e.to.host}:${e.to.port} ${e.length} ${e.reason ?? ''}`),
      });
      const { server, client } = await endpointsOn(net, {});
      let accepted: Session | null = null;
      server.on('session', (s: Session) => (accepted = s));
      let session: Session | null = null;
      void client.dial({ host: SERVER, port: PORT }, server.publicKey).then((s) => (session = s));
      await net.clock.runUntil(() => session !== null && accepted !== null);
      // Loss from here on (a lost handshake would be retried after Endpoint's Math.random jitter).
      net.setDefaultConditions({ loss: 0.15, duplicate: 0.05 });
      let received = 0;
      accepted!.on('channel', (rch: Channel) => {
        rch.setReliable();
        void (async () => {
          for await (const _ of rch) received++;
        })();
      });
      const ch = session!.channel(50).setReliable();
      const payload = new Uint8Array(300);
      for (let i = 0; i < 300; i++) void ch.send(2, payload);
      await net.clock.runUntil(() => received === 300 && ch.rel!.sender.pending === 0, { maxMs: 60_000 });
      await net.clock.runFor(25_000); // keepalives
      await client.close();
      await server.close();
      await net.clock.runFor(100);
      return trace;
    };
    const first = await run(8);
    expect(first.length).toBeGreaterThan(100);
    expect(first.some((l) => l.endsWith(' loss'))).toBe(true);
    expect(await run(8)).toEqual(first);
    expect(await run(9)).not.toEqual(first);
  });

  it('times a session out after a partition: 31 s of virtual time in milliseconds of real time', async () => {
    const { net, server, client, session, accepted } = await connectedPair({ seed: 3, latencyMs: 5 }, { sessionTimeoutMs: 30_000 });
    const closed: string[] = [];
    session.on('close', (reason: string) => closed.push(`client:${reason}`));
    accepted.on('close', (reason: string) => closed.push(`server:${reason}`));
    net.partition([SERVER], [CLIENT]);
    const start = performance.now();
    await net.clock.runFor(29_000);
    expect(closed).toEqual([]);
    expect(session.state).toBe('open');
    await net.clock.runFor(2_000);
    const realMs = performance.now() - start;
    expect(closed.sort()).toEqual(['client:timeout', 'server:timeout']);
    expect(net.totals().dropped.partition).toBeGreaterThan(0);
    expect(realMs).toBeLessThan(500);
    console.log(`partition timeout: 31000 ms virtual in ${realMs.toFixed(1)} ms real`);
    await client.close();
    await server.close();
    expect(net.clock.pendingTimers).toBe(0);
  });

  it('leaves no timer on the clock once open sessions and a pending dial are closed', async () => {
    const { net, server, client, session } = await connectedPair({ seed: 4, latencyMs: 5 });
    await session.channel(1).setReliable().send(1, numbered(1));
    // A dial to nobody keeps retry and deadline timers armed until the endpoint closes.
    const doomed = client.dial({ host: '198.51.100.99', port: 1 }, server.publicKey);
    doomed.catch(() => {});
    await net.clock.runFor(3);
    expect(net.clock.pendingTimers).toBeGreaterThan(0);
    await client.close();
    await server.close();
    await expect(doomed).rejects.toMatchObject({ code: 'ENDPOINT_CLOSED' });
    expect(net.clock.pendingTimers).toBe(0);
    // The Disconnect packets still in flight land on closed transports.
    await net.clock.runFor(10);
    expect(net.inFlight).toBe(0);
    expect(net.clock.pendingEvents).toBe(0);
  });

  it('works from behind a symmetric NAT: the server sees the mapping, and idle sessions survive on keepalives', async () => {
    let nat: SimNat | null = null;
    const { net, server, session, accepted } = await connectedPair({ seed: 5, latencyMs: 8 }, {}, (n) => {
      nat = n.addNat({ publicHost: '203.0.113.7', mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', mappingTimeoutMs: 30_000 });
      return nat;
    });
    expect(accepted.remoteAddress).toEqual({ host: '203.0.113.7', port: 20_000 });
    // Two idle minutes, four times the mapping timeout: keepalives (10 s) keep the mapping alive.
    await net.clock.runFor(120_000);
    expect(session.state).toBe('open');
    expect(accepted.state).toBe('open');
    const got: number[] = [];
    session.on('channel', (ch: Channel) => void (async () => {
      for await (const ev of ch) got.push(numberOf(ev.payload));
    })());
    await accepted.channel(30).send(1, numbered(77));
    await net.clock.runUntil(() => got.length === 1, { maxMs: 1_000 });
    expect(got).toEqual([77]);
    expect(nat!.mappings(net.clock.now())).toHaveLength(1);
    // The server cannot reach the client's private address; the dial times out in virtual time.
    const direct = server.dial({ host: '192.168.7.2', port: 49152 }, session.remoteStaticKey, { timeoutMs: 3_000 });
    let error: unknown = null;
    direct.catch((err) => (error = err));
    await net.clock.runUntil(() => error !== null, { maxMs: 5_000 });
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(net.counters(SERVER).dropped.unbound).toBeGreaterThanOrEqual(3);
  });
});
