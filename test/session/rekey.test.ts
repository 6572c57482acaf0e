/**
 * Rekey (spec 7.3) over real UDP: with shortened timers the original initiator re-runs the handshake many
 * times while a reliable channel streams through a lossy relay, and not one event is lost or reordered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type Channel, type Session } from '../../src/session/index.js';
import { PACKET_DATA } from '../../src/wire/index.js';
import { UdpRelay } from '../support/udp-relay.js';

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function setup(opts: { rekeyAfterMs?: number; rekeyAfterMessages?: number }, loss = 0) {
  const server = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, ...opts });
  const client = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, ...opts });
  opened.push(server, client);
  const relay = await UdpRelay.start({ target: server.address(), seed: 99, loss, reorder: loss, impair: (b) => b[0] === PACKET_DATA });
  opened.push(relay);
  const accepted = new Promise<Session>((res) => server.once('session', res));
  const session = await client.dial(relay.address, server.publicKey);
  const remote = await accepted;
  return { server, client, session, remote };
}

async function stream(session: Session, remote: Session, n: number, pauseEvery: number) {
  const rchP = new Promise<Channel>((res) =>
    remote.once('channel', (ch: Channel) => {
      ch.setReliable();
      res(ch);
    }),
  );
  const ch = session.channel(50).setReliable();
  const sending = (async () => {
    const p = new Uint8Array(300);
    for (let i = 0; i < n; i++) {
      new DataView(p.buffer).setUint32(0, i, true);
      await ch.send(1, p);
      if (i % pauseEvery === pauseEvery - 1) await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const rch = await rchP;
  for (let i = 0; i < n; i++) {
    const ev = await rch.recv(AbortSignal.timeout(10_000));
    const got = new DataView(ev!.payload.buffer, ev!.payload.byteOffset).getUint32(0, true);
    if (got !== i) expect(got).toBe(i);
  }
  await sending;
  return { ch, rch };
}

describe('rekey', () => {
  it('keeps a reliable channel lossless across several time-triggered rekeys through a lossy path', async () => {
    const { server, client, session, remote } = await setup({ rekeyAfterMs: 250 }, 0.05);
    const indexBefore = remote.localIndex;
    await stream(session, remote, 6000, 40);
    expect(session.rekeys).toBeGreaterThanOrEqual(3);
    expect(remote.rekeys).toBeGreaterThanOrEqual(3);
    expect(client.snapshot().rekeys).toBeGreaterThanOrEqual(3);
    expect(server.snapshot().rekeys).toBeGreaterThanOrEqual(3);
    // Still one session on each side, now under new keys and (on the responder) a new index.
    expect(server.snapshot().sessionsActive).toBe(1);
    expect(remote.localIndex).not.toBe(indexBefore);
    expect(session.state).toBe('open');
  }, 60_000);

  it('rekeys after a message count too, and only the initiator starts it', async () => {
    const { server, client, session, remote } = await setup({ rekeyAfterMessages: 200 });
    await stream(session, remote, 3000, 100);
    expect(session.rekeys).toBeGreaterThanOrEqual(1);
    // One handshake per completed rekey, plus possibly one still in flight when the stream ended.
    const extra = client.snapshot().handshakesInitiated - 1 - client.snapshot().rekeys;
    expect(extra === 0 || extra === 1).toBe(true);
    expect(server.snapshot().handshakesInitiated).toBe(0);
    expect(server.snapshot().drops.decrypt).toBe(0);
  }, 60_000);
});
