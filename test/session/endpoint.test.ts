/**
 * Wiresocket over real UDP on 127.0.0.1: handshake, channels, fragmentation, replay, cookies, keepalive,
 * timeout, disconnect, and garbage input. Every test closes what it opened and checks for leaks.
 */
import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, totalDrops, type EndpointOptions, type Session } from '../../src/session/index.js';
import { PACKET_DATA } from '../../src/wire/index.js';
import { UdpRelay, type RelayOptions } from '../support/udp-relay.js';
import { activeResources, until, waitForNoLeaks } from '../support/resources.js';

const opened: Array<{ close(): Promise<void> }> = [];
let resourcesBefore: Map<string, number>;

async function endpoint(extra: Partial<EndpointOptions> = {}): Promise<Endpoint> {
  const ep = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, ...extra });
  opened.push(ep);
  return ep;
}

async function relay(target: Endpoint, opts: Omit<RelayOptions, 'target'> = {}): Promise<UdpRelay> {
  const r = await UdpRelay.start({ target: target.address(), ...opts });
  opened.push(r);
  return r;
}

function nextSession(ep: Endpoint): Promise<Session> {
  return new Promise((resolve) => ep.once('session', resolve));
}

const text = (s: string) => new TextEncoder().encode(s);

beforeEach(() => {
  resourcesBefore = activeResources();
});

afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
  expect(await waitForNoLeaks(resourcesBefore)).toEqual([]);
});

describe('Endpoint over real UDP', () => {
  it('completes the handshake and carries events on several channels both ways', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const accepted = nextSession(server);
    const session = await client.dial(server.address(), server.publicKey, { timeoutMs: 3000 });
    const remote = await accepted;
    expect(Buffer.from(remote.remoteStaticKey)).toEqual(Buffer.from(client.publicKey));
    expect(Buffer.from(remote.handshakeHash)).toEqual(Buffer.from(session.handshakeHash));

    for (const id of [0, 1, 200, 254]) await session.channel(id).send(7, text(`to ${id}`));
    const got = new Map<number, string>();
    await new Promise<void>((resolve) => {
      remote.on('channel', async (ch) => {
        const ev = await ch.recv();
        got.set(ch.id, new TextDecoder().decode(ev!.payload));
        expect(ev!.type).toBe(7);
        // Answer on the same channel.
        await ch.send(9, text(`from ${ch.id}`));
        if (got.size === 4) resolve();
      });
    });
    expect([...got.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 'to 0'],
      [1, 'to 1'],
      [200, 'to 200'],
      [254, 'to 254'],
    ]);
    for (const id of [0, 1, 200, 254]) {
      const ev = await session.channel(id).recv();
      expect(ev!.type).toBe(9);
      expect(new TextDecoder().decode(ev!.payload)).toBe(`from ${id}`);
    }
    expect(server.snapshot().handshakesCompleted).toBe(1);
    expect(client.snapshot().handshakesCompleted).toBe(1);
    expect(totalDrops(server.snapshot())).toBe(0);
    expect(totalDrops(client.snapshot())).toBe(0);
  });

  it('coalesces many small events into few packets', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const accepted = nextSession(server);
    const session = await client.dial(server.address(), server.publicKey);
    const remote = await accepted;
    const before = client.snapshot().txPackets;
    const ch = session.channel(3);
    for (let i = 0; i < 1000; i++) void ch.send(1, new Uint8Array([i & 0xff, i >> 8]));
    const rch = remote.channel(3);
    for (let i = 0; i < 1000; i++) {
      const ev = await rch.recv();
      expect(ev!.payload[0]! | (ev!.payload[1]! << 8)).toBe(i);
    }
    const packets = client.snapshot().txPackets - before;
    // 1000 events of 5 wire bytes each fit in about 5 packets of 1232 bytes.
    expect(packets).toBeLessThanOrEqual(8);
  });

  it('fragments and reassembles a 100 KB event', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const accepted = nextSession(server);
    const session = await client.dial(server.address(), server.publicKey);
    const remote = await accepted;
    const big = new Uint8Array(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    await session.channel(5).send(42, big);
    const ev = await remote.channel(5).recv();
    expect(ev!.type).toBe(42);
    expect(Buffer.from(ev!.payload).equals(Buffer.from(big))).toBe(true);
    expect(server.snapshot().framesReassembled).toBe(1);
  });

  it('drops a replayed packet and a packet more than 4096 counters old', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const r = await relay(server);
    const accepted = nextSession(server);
    r.capture = true;
    const session = await client.dial(r.address, server.publicKey);
    const remote = await accepted;
    const ch = session.channel(1);
    await ch.send(1, text('first'));
    expect(new TextDecoder().decode((await remote.channel(1).recv())!.payload)).toBe('first');
    const firstData = r.captured.find((c) => c.direction === 'up' && c.data[0] === PACKET_DATA)!.data;

    // Immediate replay: same counter, already in the window.
    r.injectUp(firstData);
    await until(() => server.snapshot().drops.replay === 1, 2000, 'replay drop');

    // Push the window more than 4096 counters ahead, then replay the old packet again: too old.
    // 600-byte events travel one per packet; read each batch so the bounded channel buffer never overflows.
    const rch = remote.channel(1);
    for (let batch = 0; batch < 21; batch++) {
      for (let i = 0; i < 200; i++) await ch.send(1, new Uint8Array(600));
      for (let i = 0; i < 200; i++) await rch.recv();
    }
    r.capture = false;
    r.injectUp(firstData);
    await until(() => server.snapshot().drops.replay === 2, 2000, 'old-counter drop');
    expect(rch.buffered).toBe(0);
  });

  it('completes the cookie round trip when the responder demands cookies', async () => {
    const server = await endpoint({ alwaysCookie: true });
    const client = await endpoint();
    const accepted = nextSession(server);
    const session = await client.dial(server.address(), server.publicKey, { timeoutMs: 3000 });
    await accepted;
    expect(server.snapshot().cookieRepliesSent).toBe(1);
    expect(server.snapshot().drops.mac2_required).toBe(1);
    expect(client.snapshot().cookieRepliesReceived).toBe(1);
    expect(session.state).toBe('open');
  });

  it('switches to cookie mode by itself when handshakes arrive faster than the threshold', async () => {
    const server = await endpoint({ cookieThresholdPerSec: 2 });
    const clients = await Promise.all([1, 2, 3, 4, 5, 6].map(() => endpoint()));
    const sessions = await Promise.all(clients.map((c) => c.dial(server.address(), server.publicKey, { timeoutMs: 5000 })));
    expect(sessions.every((s) => s.state === 'open')).toBe(true);
    const st = server.snapshot();
    // The first two in this second get a response at once; the rest prove their address with a cookie first.
    expect(st.cookieRepliesSent).toBeGreaterThanOrEqual(4);
    expect(st.handshakesAccepted).toBe(6);
    expect(clients.reduce((n, c) => n + c.snapshot().cookieRepliesReceived, 0)).toBe(st.cookieRepliesSent);
  });

  it('works over IPv6, and a dual-stack endpoint serves IPv4 and IPv6 peers on one socket', async () => {
    const dual = await endpoint({ host: '::' });
    const v6 = await endpoint({ host: '::1' });
    const v4 = await endpoint({ host: '127.0.0.1' });
    const port = dual.address().port;
    for (const [client, host] of [
      [v6, '::1'],
      [v4, '127.0.0.1'],
    ] as const) {
      const accepted = nextSession(dual);
      const s = await client.dial(`${host.includes(':') ? `[${host}]` : host}:${port}`, dual.publicKey);
      const remote = await accepted;
      expect(remote.remoteAddress.host).toBe(host);
      await s.channel(1).send(1, text(host));
      expect(new TextDecoder().decode((await remote.channel(1).recv())!.payload)).toBe(host);
    }
  });

  it('keepalives hold an idle session open; without them it times out', async () => {
    const timers = { keepaliveIntervalMs: 40, sessionTimeoutMs: 300 };
    const server = await endpoint(timers);
    const client = await endpoint(timers);
    const r = await relay(server);
    const accepted = nextSession(server);
    const session = await client.dial(r.address, server.publicKey);
    const remote = await accepted;
    await new Promise((res) => setTimeout(res, 800));
    expect(session.state).toBe('open');
    expect(remote.state).toBe('open');
    expect(client.snapshot().keepalivesSent).toBeGreaterThanOrEqual(5);
    expect(server.snapshot().keepalivesReceived).toBeGreaterThanOrEqual(5);

    r.blackhole = true;
    const closed = new Promise<string>((res) => remote.once('close', res));
    const started = Date.now();
    expect(await closed).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    await until(() => session.state === 'closed', 1000, 'client timeout');
    expect(session.closeReason).toBe('timeout');
  });

  it('Disconnect closes the peer session and ends its channels', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const accepted = nextSession(server);
    const session = await client.dial(server.address(), server.publicKey);
    const remote = await accepted;
    const rch = remote.channel(2);
    const pending = rch.recv();
    const closed = new Promise<string>((res) => remote.once('close', res));
    session.close();
    expect(await closed).toBe('remote');
    expect(await pending).toBeNull();
    expect(() => session.channel(2)).toThrow(/closed/);
    expect(() => remote.channel(2)).toThrow(expect.objectContaining({ code: 'SESSION_CLOSED' }));
    await expect(rch.send(1, text('x'))).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('closing a channel tells the peer (event type 255)', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const accepted = nextSession(server);
    const session = await client.dial(server.address(), server.publicKey);
    const remote = await accepted;
    const ch = session.channel(9);
    await ch.send(1, text('hi'));
    const rch = await new Promise<import('../../src/session/index.js').Channel>((res) => remote.once('channel', res));
    expect((await rch.recv())!.type).toBe(1);
    ch.close();
    expect(await rch.recv()).toBeNull();
    expect(rch.closeReason).toBe('remote');
    await expect(ch.send(1, text('late'))).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
  });

  it('rejects a dial that gets no answer with TIMEOUT and one aborted by its signal with ABORTED', async () => {
    const client = await endpoint({ handshakeRetryMs: 50 });
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((res) => silent.bind(0, '127.0.0.1', res));
    opened.push({ close: () => new Promise<void>((res) => silent.close(() => res())) });
    const target = { host: '127.0.0.1', port: silent.address().port };
    const peerKey = defaultSuite().generateKeyPair().publicKey;
    await expect(client.dial(target, peerKey, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(client.snapshot().handshakesInitiated).toBeGreaterThanOrEqual(4);
    const ac = new AbortController();
    const p = client.dial(target, peerKey, { timeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('drops garbage, forged and wrong-index datagrams, counts them, and keeps serving', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const accepted = nextSession(server);
    const session = await client.dial(server.address(), server.publicKey);
    const remote = await accepted;
    const attacker = dgram.createSocket('udp4');
    await new Promise<void>((res) => attacker.bind(0, '127.0.0.1', res));
    opened.push({ close: () => new Promise<void>((res) => attacker.close(() => res())) });
    const { port } = server.address();
    const send = (b: Uint8Array) => attacker.send(b, port, '127.0.0.1');
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) & 0xff);
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const len = [0, 1, 15, 16, 31, 32, 33, 64, 92, 148, 500, 1500, 9000][i % 13]!;
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = rnd();
      if (len > 0) b[0] = i % 9; // every packet type tag 0-8
      send(b);
      if (i % 200 === 0) await new Promise((res) => setImmediate(res));
    }
    await until(() => server.snapshot().rxPackets >= N + 1, 5000, 'garbage received');
    const st = server.snapshot();
    expect(totalDrops(st)).toBeGreaterThanOrEqual(N - 5);
    expect(st.drops.internal_error).toBe(0);
    // The real session is unaffected.
    await session.channel(4).send(3, text('still here'));
    expect(new TextDecoder().decode((await remote.channel(4).recv())!.payload)).toBe('still here');
  });

  it('close() is idempotent and leaves no socket or timer behind', async () => {
    const before = activeResources();
    const a = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
    const b = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
    const s = await b.dial(a.address(), a.publicKey);
    void s.channel(1).send(1, text('x'));
    void b.dial({ host: '127.0.0.1', port: 9 }, a.publicKey).catch(() => {});
    await Promise.all([a.close(), a.close(), b.close()]);
    await b.close();
    expect(await waitForNoLeaks(before)).toEqual([]);
    await expect(b.dial(a.address(), a.publicKey)).rejects.toMatchObject({ code: 'ENDPOINT_CLOSED' });
  });

  it('reports bad options as one clear INVALID_ARGUMENT error', async () => {
    const key = defaultSuite().generateKeyPair();
    await expect(Endpoint.listen({ staticKey: key, host: 'not-an-ip' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(Endpoint.listen({ staticKey: key, host: '127.0.0.1', maxPacketSize: 10 })).rejects.toThrow(/maxPacketSize/);
    const ep = await endpoint();
    await expect(ep.dial('127.0.0.1', key.publicKey)).rejects.toThrow(/host:port/);
    await expect(ep.dial('127.0.0.1:80', new Uint8Array(5))).rejects.toThrow(/32 bytes/);
    const taken = ep.address().port;
    await expect(Endpoint.listen({ staticKey: key, host: '127.0.0.1', port: taken })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
  });
});
