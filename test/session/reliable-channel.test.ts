/**
 * Reliable channels (spec 11) over real UDP through a seeded lossy relay: exactly-once in-order delivery,
 * bounded memory under flow control, and failure after the retry budget when the peer disappears.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type Channel, type EndpointOptions, type Session } from '../../src/session/index.js';
import { PACKET_DATA, PACKET_DATA_FRAGMENT } from '../../src/wire/index.js';
import { UdpRelay } from '../support/udp-relay.js';
import { until } from '../support/resources.js';

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function pair(
  relayOpts: { loss?: number; duplicate?: number; reorder?: number; seed?: number } = {},
  extra: Partial<EndpointOptions> = {},
): Promise<{ session: Session; remote: Session; relay: UdpRelay; server: Endpoint; client: Endpoint }> {
  const server = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, ...extra });
  const client = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, ...extra });
  opened.push(server, client);
  const relay = await UdpRelay.start({
    target: server.address(),
    seed: relayOpts.seed ?? 42,
    loss: relayOpts.loss ?? 0,
    duplicate: relayOpts.duplicate ?? 0,
    reorder: relayOpts.reorder ?? 0,
    // Impair data in both directions (ACKs included); the handshake itself gets through.
    impair: (buf) => buf[0] === PACKET_DATA || buf[0] === PACKET_DATA_FRAGMENT,
  });
  opened.push(relay);
  const accepted = new Promise<Session>((res) => server.once('session', res));
  const session = await client.dial(relay.address, server.publicKey);
  const remote = await accepted;
  return { session, remote, relay, server, client };
}

function remoteReliableChannel(remote: Session, options = {}): Promise<Channel> {
  return new Promise((res) =>
    remote.once('channel', (ch: Channel) => {
      ch.setReliable(options);
      res(ch);
    }),
  );
}

describe('reliable channel', () => {
  it('delivers 10,000 events exactly once and in order through 10% loss, 5% duplication and reordering', async () => {
    const { session, remote, relay } = await pair({ loss: 0.1, duplicate: 0.05, reorder: 0.1, seed: 7 });
    const rchP = remoteReliableChannel(remote);
    const ch = session.channel(30).setReliable();
    const N = 10_000;
    const sender = (async () => {
      const payload = new Uint8Array(200);
      for (let i = 0; i < N; i++) {
        new DataView(payload.buffer).setUint32(0, i, true);
        payload[199] = i & 0xff;
        await ch.send(1, payload);
      }
    })();
    const rch = await rchP;
    for (let i = 0; i < N; i++) {
      const ev = await rch.recv(AbortSignal.timeout(20_000));
      expect(ev).not.toBeNull();
      const got = new DataView(ev!.payload.buffer, ev!.payload.byteOffset).getUint32(0, true);
      if (got !== i) expect(got).toBe(i);
      if (ev!.payload[199] !== (i & 0xff)) expect(ev!.payload[199]).toBe(i & 0xff);
    }
    await sender;
    // Nothing more arrives: no duplicate deliveries.
    await new Promise((r) => setTimeout(r, 100));
    expect(rch.buffered).toBe(0);
    expect(relay.counters.dropped.up + relay.counters.dropped.down).toBeGreaterThan(100);
    expect(relay.counters.duplicated.up).toBeGreaterThan(10);
    await until(() => ch.rel!.sender.pending === 0, 10_000, 'all acknowledged');
  }, 60_000);

  it('carries large (fragmented) events reliably through loss', async () => {
    const { session, remote } = await pair({ loss: 0.05, seed: 3 });
    const rchP = remoteReliableChannel(remote);
    const ch = session.channel(31).setReliable();
    const big = new Uint8Array(20_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    for (let k = 0; k < 20; k++) {
      big[0] = k;
      await ch.send(5, big);
    }
    const rch = await rchP;
    for (let k = 0; k < 20; k++) {
      const ev = (await rch.recv(AbortSignal.timeout(20_000)))!;
      expect(ev.payload.length).toBe(20_000);
      expect(ev.payload[0]).toBe(k);
      expect(ev.payload[19_999]).toBe((19_999 * 13) & 0xff);
    }
  }, 60_000);

  it('flow control bounds memory when the receiver stops reading, and resumes when it reads', async () => {
    const { session, remote } = await pair();
    const window = 16;
    const rchP = remoteReliableChannel(remote, { window });
    const ch = session.channel(32).setReliable({ sendBufferEvents: 100 });
    let accepted = 0;
    const payload = new Uint8Array(1000); // one event per frame
    const sender = (async () => {
      for (let i = 0; i < 2000; i++) {
        await ch.send(1, payload);
        accepted++;
      }
    })();
    const rch = await rchP;
    await new Promise((r) => setTimeout(r, 500));
    // The receiver holds at most its window; the sender's send() blocks once its buffer is full.
    expect(rch.buffered).toBeLessThanOrEqual(window);
    expect(rch.rel!.framesHeld).toBeLessThanOrEqual(window);
    // Before the first ACK the sender assumes the default window (spec 11.4: 256 frames); the receiver
    // drops what exceeds its real window and the sender keeps those frames for retransmission.
    expect(ch.rel!.sender.pending).toBeLessThanOrEqual(256);
    expect(accepted).toBeLessThanOrEqual(256 + 100 + 1);
    expect(ch.rel!.queuedEvents).toBeLessThanOrEqual(101);
    // Drain everything; the window reopens (zero-window recovery) and all 2000 arrive.
    for (let i = 0; i < 2000; i++) expect(await rch.recv(AbortSignal.timeout(10_000))).not.toBeNull();
    await sender;
    expect(accepted).toBe(2000);
  }, 60_000);

  it('fails the channel with CHANNEL_FAILED after the retry budget when the peer disappears', async () => {
    const { session, remote, relay } = await pair();
    const rchP = remoteReliableChannel(remote);
    const ch = session.channel(33).setReliable({ baseRtoMs: 20, maxRtoMs: 80, maxRetries: 5 });
    await ch.send(1, new Uint8Array([1]));
    const rch = await rchP;
    expect((await rch.recv())!.payload[0]).toBe(1);
    await until(() => ch.rel!.sender.pending === 0, 2000, 'first ack');
    relay.blackhole = true;
    const started = Date.now();
    const pending = ch.recv();
    await ch.send(1, new Uint8Array([2]));
    await expect(pending).rejects.toMatchObject({ code: 'CHANNEL_FAILED' });
    // 20 + 40 + 80 + 80 + 80 + 80 ms of timers, plus scheduling slack.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(3000);
    expect(ch.closeReason).toBe('failed');
    await expect(ch.send(1, new Uint8Array([3]))).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
  });

  it('a closed reliable channel delivers everything before the close signal', async () => {
    const { session, remote } = await pair({ loss: 0.1, seed: 11 });
    const rchP = remoteReliableChannel(remote);
    const ch = session.channel(34).setReliable();
    for (let i = 0; i < 500; i++) await ch.send(2, new Uint8Array([i & 0xff, i >> 8]));
    ch.close();
    const rch = await rchP;
    let n = 0;
    for (;;) {
      const ev = await rch.recv(AbortSignal.timeout(10_000));
      if (ev === null) break;
      expect(ev.payload[0]! | (ev.payload[1]! << 8)).toBe(n);
      n++;
    }
    expect(n).toBe(500);
    expect(rch.closeReason).toBe('remote');
  }, 30_000);

  it('refuses setReliable() after traffic and sending on a closed channel', async () => {
    const { session } = await pair();
    const ch = session.channel(35);
    await ch.send(1, new Uint8Array([1]));
    expect(() => ch.setReliable()).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    const r = session.channel(36).setReliable();
    r.close();
    await expect(r.send(1, new Uint8Array(1))).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
  });
});
