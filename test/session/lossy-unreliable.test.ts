/**
 * Unreliable channels through a seeded lossy, duplicating, reordering UDP relay: the receiver gets exactly the
 * events whose packets the network delivered, each once, intact; nothing crashes and memory stays bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type Session } from '../../src/session/index.js';
import { PACKET_DATA } from '../../src/wire/index.js';
import { UdpRelay } from '../support/udp-relay.js';

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

describe('unreliable channel through a lossy network', () => {
  it('loses exactly what the network lost, never duplicates, never corrupts', async () => {
    const server = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
    const client = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
    opened.push(server, client);
    // Impair only client->server data packets, so the handshake completes and every loss is accounted for.
    const relay = await UdpRelay.start({
      target: server.address(),
      seed: 20261124,
      loss: 0.1,
      duplicate: 0.05,
      reorder: 0.1,
      impair: (buf, dir) => dir === 'up' && buf[0] === PACKET_DATA,
    });
    opened.push(relay);
    const accepted = new Promise<Session>((res) => server.once('session', res));
    const session = await client.dial(relay.address, server.publicKey);
    const remote = await accepted;

    const N = 3000;
    const rch = remote.channel(20);
    const seen = new Set<number>();
    let outOfOrder = 0;
    let last = -1;
    let corrupt = 0;
    let duplicates = 0;
    // Read while sending (the channel buffer is bounded); stop after 500 ms of silence.
    const reader = (async () => {
      for (;;) {
        let ev;
        try {
          ev = await rch.recv(AbortSignal.timeout(500));
        } catch {
          return;
        }
        if (ev === null) return;
        const i = new DataView(ev.payload.buffer, ev.payload.byteOffset).getUint32(0, true);
        if (ev.payload.length !== 1000 || ev.payload[999] !== (i & 0xff)) corrupt++;
        if (seen.has(i)) duplicates++;
        if (i < last) outOfOrder++;
        last = i;
        seen.add(i);
      }
    })();

    const ch = session.channel(20);
    const payload = new Uint8Array(1000); // one event per packet: two do not fit in 1232 bytes
    for (let i = 0; i < N; i++) {
      new DataView(payload.buffer).setUint32(0, i, true);
      payload.fill(i & 0xff, 4);
      await ch.send(1, payload);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 50));
    relay.releaseHeld();
    await reader;
    const lost = relay.counters.droppedByType.get(`up:${PACKET_DATA}`) ?? 0;
    expect(lost).toBeGreaterThan(N * 0.05);
    expect(relay.counters.duplicated.up).toBeGreaterThan(0);
    expect(relay.counters.reordered.up).toBeGreaterThan(0);
    expect(corrupt).toBe(0);
    expect(duplicates).toBe(0);
    expect(server.snapshot().drops.channel_full).toBe(0);
    expect(seen.size).toBe(N - lost);
    expect(outOfOrder).toBeGreaterThan(0); // reordering reached the application: unreliable means unordered
    expect(server.snapshot().drops.replay).toBe(relay.counters.duplicated.up);
    expect(server.snapshot().drops.internal_error).toBe(0);
  });
});
