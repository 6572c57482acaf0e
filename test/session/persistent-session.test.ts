/**
 * Persistent dial over real UDP: reconnects after a Disconnect, after the server vanished and came back on
 * the same port (timeouts and failed dials with backoff in between), and stops cleanly on close.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type KeyPair, type Session } from '../../src/session/index.js';
import { activeResources, until, waitForNoLeaks } from '../support/resources.js';

const opened: Endpoint[] = [];
let before: Map<string, number>;
beforeEach(() => {
  before = activeResources();
});
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
  expect(await waitForNoLeaks(before)).toEqual([]);
});

async function server(key: KeyPair, port = 0): Promise<Endpoint> {
  const ep = await Endpoint.listen({ staticKey: key, host: '127.0.0.1', port, sessionTimeoutMs: 400, keepaliveIntervalMs: 50 });
  opened.push(ep);
  ep.on('session', (s: Session) => s.on('channel', async (ch) => {
    for await (const ev of ch) await ch.send(ev.type, ev.payload);
  }));
  return ep;
}

async function echoOnce(s: Session, byte: number): Promise<number> {
  const ch = s.channel(60);
  await ch.send(1, new Uint8Array([byte]));
  return (await ch.recv(AbortSignal.timeout(2000)))!.payload[0]!;
}

describe('persistent session', () => {
  it('reconnects after Disconnect and after the server restarts, surfacing each reconnect', async () => {
    const key = defaultSuite().generateKeyPair();
    let srv = await server(key);
    const port = srv.address().port;
    const client = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0, sessionTimeoutMs: 400, keepaliveIntervalMs: 50 });
    opened.push(client);
    const p = client.dialPersistent({ host: '127.0.0.1', port }, key.publicKey, { initialBackoffMs: 20, maxBackoffMs: 100, dialTimeoutMs: 300 });
    const events: string[] = [];
    p.on('session', (_s, info) => events.push(info.reconnect ? 'reconnect' : 'connect'));
    p.on('disconnect', (reason) => events.push(`disconnect:${reason}`));
    p.on('dial-error', () => events.push('dial-error'));

    const first = await p.ready(AbortSignal.timeout(3000));
    expect(await echoOnce(first, 1)).toBe(1);

    // The server ends the session gracefully: the client redials at once.
    srv.allSessions()[0]!.close();
    await until(() => p.connectionCount === 2, 3000, 'reconnect after Disconnect');
    const second = await p.ready();
    expect(second).not.toBe(first);
    expect(await echoOnce(second, 2)).toBe(2);

    // The server disappears: the session times out, dials fail with backoff; it comes back on the same port.
    await srv.close();
    opened.splice(opened.indexOf(srv), 1);
    await until(() => events.filter((e) => e === 'dial-error').length >= 2, 5000, 'failed redials');
    srv = await server(key, port);
    await until(() => p.connectionCount === 3, 5000, 'reconnect after restart');
    expect(await echoOnce((await p.ready())!, 3)).toBe(3);

    expect(events[0]).toBe('connect');
    expect(events).toContain('disconnect:remote');
    expect(events.filter((e) => e === 'reconnect').length).toBe(2);
    p.close();
    p.close();
    await expect(p.ready()).rejects.toMatchObject({ code: 'CLOSED' });
  }, 20_000);

  it('stops redialing when aborted and leaves nothing running', async () => {
    const client = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
    opened.push(client);
    const ac = new AbortController();
    const p = client.dialPersistent('127.0.0.1:9', defaultSuite().generateKeyPair().publicKey, { initialBackoffMs: 10, dialTimeoutMs: 50, signal: ac.signal });
    let errors = 0;
    p.on('dial-error', () => errors++);
    await until(() => errors >= 2, 3000, 'dial errors');
    ac.abort();
    const n = errors;
    await new Promise((r) => setTimeout(r, 200));
    expect(errors).toBe(n);
    expect(p.session).toBeNull();
  });
});
