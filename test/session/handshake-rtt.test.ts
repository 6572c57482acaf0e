/**
 * Regression (found by the 50-process soak, docs/figures/soak.md): a handshake whose round trip takes
 * longer than the retry interval (handshakeRetryMs, 1 s) never completed. Every retry made a fresh
 * ephemeral key and destroyed the previous initiator state, so the response to the previous initiation,
 * arriving late, could no longer be decrypted; the next response was late too. On the starved soak machine
 * (event-loop delays of seconds) every rekey livelocked this way: the initiator retried once a second
 * forever and each retry cost the responder a DH and a new staged keypair (24,705 rekey handshakes
 * accepted, none completed). The initiator now keeps its last few initiation states and accepts a
 * response to any of them. Here a relay on 127.0.0.1 holds back every HandshakeResp by 1.6 s.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type Session } from '../../src/session/index.js';
import { PACKET_HANDSHAKE_RESP } from '../../src/wire/index.js';

const RESPONSE_DELAY_MS = 1_600;

/** Forwards client <-> server; server->client handshake responses are delayed. */
class DelayingRelay {
  private readonly timers = new Set<NodeJS.Timeout>();
  delayed = 0;
  private constructor(
    private readonly front: dgram.Socket,
    private readonly back: dgram.Socket,
  ) {}

  static async start(target: { host: string; port: number }): Promise<DelayingRelay> {
    const front = dgram.createSocket('udp4');
    const back = dgram.createSocket('udp4');
    await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => back.bind(0, '127.0.0.1', r))]);
    const relay = new DelayingRelay(front, back);
    let client: { address: string; port: number } | null = null;
    front.on('message', (msg, rinfo) => {
      client = { address: rinfo.address, port: rinfo.port };
      back.send(msg, target.port, target.host);
    });
    back.on('message', (msg) => {
      if (client === null) return;
      const to = client;
      if (msg[0] !== PACKET_HANDSHAKE_RESP) {
        front.send(msg, to.port, to.address);
        return;
      }
      relay.delayed++;
      const t = setTimeout(() => {
        relay.timers.delete(t);
        front.send(msg, to.port, to.address);
      }, RESPONSE_DELAY_MS);
      relay.timers.add(t);
    });
    return relay;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.front.address().port };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([new Promise<void>((r) => this.front.close(() => r())), new Promise<void>((r) => this.back.close(() => r()))]);
  }
}

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function pair(opts: { rekeyAfterMs?: number; confirmTimeoutMs?: number } = {}) {
  const server = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, ...opts });
  const client = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, ...opts });
  opened.push(server, client);
  const relay = await DelayingRelay.start(server.address());
  opened.push(relay);
  return { server, client, relay };
}

describe('handshakes slower than the retry interval', () => {
  it('a dial completes although every response arrives after the next retry', async () => {
    const { server, client, relay } = await pair();
    const accepted = new Promise<Session>((res) => server.once('session', res));
    const session = await client.dial(relay.address, server.publicKey, { timeoutMs: 8_000 });
    const remote = await accepted;
    expect(session.state).toBe('open');
    expect(relay.delayed).toBeGreaterThanOrEqual(1);
    // The session works end to end.
    const got = new Promise<Uint8Array>((res) => remote.once('channel', (ch) => void ch.recv().then((ev: { payload: Uint8Array } | null) => res(ev!.payload))));
    await session.channel(20).send(1, new TextEncoder().encode('late but fine'));
    expect(new TextDecoder().decode(await got)).toBe('late but fine');
  }, 15_000);

  it('a rekey completes instead of retrying forever, and the responder keeps one session', async () => {
    // Unconfirmed responder sessions (one per initiation that lost the race) expire after 2 s here.
    const { server, client, relay } = await pair({ rekeyAfterMs: 1_000, confirmTimeoutMs: 2_000 });
    const accepted = new Promise<Session>((res) => server.once('session', res));
    const session = await client.dial(relay.address, server.publicKey, { timeoutMs: 8_000 });
    const remote = await accepted;
    const deadline = Date.now() + 9_000;
    while ((session.rekeys < 1 || remote.rekeys < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(session.rekeys).toBeGreaterThanOrEqual(1);
    expect(remote.rekeys).toBeGreaterThanOrEqual(1);
    expect(relay.delayed).toBeGreaterThanOrEqual(2);
    // Traffic after the rekey reaches the same responder session.
    const got = new Promise<Uint8Array>((res) => remote.once('channel', (ch) => void ch.recv().then((ev: { payload: Uint8Array } | null) => res(ev!.payload))));
    await session.channel(21).send(1, new TextEncoder().encode('after rekey'));
    expect(new TextDecoder().decode(await got)).toBe('after rekey');
    expect(remote.state).toBe('open');
    expect(session.state).toBe('open');
    // The spare sessions of the first dial expired; the live one survived every rekey.
    while (server.snapshot().sessionsActive > 1 && Date.now() < deadline + 3_000) await new Promise((r) => setTimeout(r, 50));
    expect(server.snapshot().sessionsActive).toBe(1);
  }, 15_000);
});
