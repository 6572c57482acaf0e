/**
 * The session send-rate cap (spec 13) on real UDP: the bytes that leave over time follow the cap plus the
 * 2x burst, senders wait instead of losing events, and closing the session releases waiting senders.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type Session } from '../../src/session/index.js';

const opened: Endpoint[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function pair(rate: number): Promise<{ session: Session; remote: Session; client: Endpoint }> {
  const server = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
  const client = await Endpoint.listen({
    staticKey: defaultSuite().generateKeyPair(),
    host: '127.0.0.1',
    port: 0,
    sendRateBytesPerSec: rate,
    pacedHighWaterPackets: 64,
  });
  opened.push(server, client);
  const accepted = new Promise<Session>((res) => server.once('session', res));
  const session = await client.dial(server.address(), server.publicKey);
  return { session, remote: await accepted, client };
}

describe('send rate limit', () => {
  it('paces 1.5 MB at a 500 KB/s cap: burst first, then the cap', async () => {
    const rate = 500_000;
    const { session, remote, client } = await pair(rate);
    const rch = remote.channel(40);
    let received = 0;
    const reader = (async () => {
      for (;;) {
        const ev = await rch.recv(AbortSignal.timeout(500)).catch(() => null);
        if (ev === null) return;
        received += ev.payload.length;
      }
    })();
    const ch = session.channel(40);
    const payload = new Uint8Array(1100);
    const total = 1_500_000;
    const started = Date.now();
    const txBefore = client.snapshot().txBytes;
    for (let sent = 0; sent < total; sent += payload.length) await ch.send(1, payload);
    const accepted = Date.now() - started;
    // The first 2 x rate bytes go at once (burst); the remaining ~0.5 MB take ~1 s at the cap.
    await new Promise<void>((res) => {
      const t = setInterval(() => {
        if (received >= total - payload.length) {
          clearInterval(t);
          res();
        }
      }, 10);
    });
    const elapsed = (Date.now() - started) / 1000;
    const wireBytes = client.snapshot().txBytes - txBefore;
    const measured = (wireBytes - 2 * rate) / elapsed;
    expect(elapsed).toBeGreaterThan(0.75);
    expect(elapsed).toBeLessThan(3);
    expect(measured).toBeLessThanOrEqual(rate * 1.05);
    // send() waited (backpressure) instead of dropping: nothing was lost on loopback.
    expect(accepted).toBeGreaterThan(500);
    expect(received).toBeGreaterThanOrEqual(Math.floor(total / 1100) * 1100);
    await reader;
  }, 20_000);

  it('closing the session releases senders waiting for the limiter', async () => {
    const { session } = await pair(10_000);
    const ch = session.channel(41);
    const payload = new Uint8Array(1100);
    let waiting: Promise<void> | null = null;
    for (let i = 0; i < 200 && waiting === null; i++) {
      const p = ch.send(1, payload);
      let settled = false;
      void p.then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((r) => setImmediate(r));
      if (!settled) waiting = p;
    }
    expect(waiting).not.toBeNull();
    session.close();
    await expect(waiting).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });
});
