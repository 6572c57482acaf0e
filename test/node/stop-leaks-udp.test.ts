/**
 * Issue 8 item 6: after node.stop() nothing is left running. Real UDP nodes with edges, an open
 * reliable channel carrying data, and work in flight at the moment of stop(): acknowledged sends that
 * will never be acknowledged, a connect() in its rendezvous, a routed lookup, a ping. Every pending
 * promise must settle (rejected with NOT_RUNNING or ABORTED, never left hanging), and no socket, timer
 * or interval may remain (getActiveResourcesInfo for handles, trackTimers for timers).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Identity } from '../../src/identity/index.js';
import type { Node } from '../../src/node/index.js';
import { activeResources, leakedSince, trackTimers } from '../support/resources.js';
import { FAST_MAINTENANCE, loopbackHost, startNode, stopAll, until } from './fixtures.js';

const started: Node[] = [];
afterAll(() => stopAll(started));

describe('node.stop() leaves nothing running', () => {
  it('with edges, a busy reliable channel and sends, a connect, a lookup and a ping in flight', async () => {
    const handlesBefore = activeResources();
    const timers = trackTimers();
    try {
      const a = await startNode({ host: loopbackHost(201), maintenance: FAST_MAINTENANCE, targetDegree: 4 }, started);
      const b = await startNode({ host: loopbackHost(202), maintenance: FAST_MAINTENANCE, targetDegree: 4, bootstrap: [a.contact] }, started);
      const c = await startNode({ host: loopbackHost(203), maintenance: FAST_MAINTENANCE, targetDegree: 4, bootstrap: [a.contact] }, started);
      await until(() => a.edges().length === 2 && b.edges().length >= 1 && c.edges().length >= 1, 5_000, 'the edges');

      // A reliable channel with data flowing while we stop.
      let received = 0;
      b.on('channel', ({ channel }) => {
        void (async () => {
          for (;;) {
            const ev = await channel.recv().catch(() => null);
            if (ev === null) return;
            received += ev.payload.length;
          }
        })();
      });
      const ch = await a.openChannel(b.id, 16);
      const chunk = new Uint8Array(16 * 1024).fill(7);
      for (let i = 0; i < 8; i++) await ch.send(1, chunk);
      await until(() => received > 0, 5_000, 'the first bytes');
      const streaming = (async () => {
        for (;;) await ch.send(1, chunk);
      })();

      // Work in flight: acks that never come (no such node), a rendezvous that never completes, a
      // lookup, a ping, and an acknowledged send that does complete.
      const nowhere = () => Identity.generate().nodeId;
      const inFlight: Array<Promise<unknown>> = [
        a.send(nowhere(), new Uint8Array(10), { ack: true, timeoutMs: 20_000 }),
        b.send(nowhere(), new Uint8Array(10), { ack: true, timeoutMs: 20_000 }),
        a.connect(nowhere(), { timeoutMs: 20_000 }),
        a.ping(b.id),
        a.send(c.id, new Uint8Array(10), { ack: true, timeoutMs: 20_000 }),
        streaming,
      ];
      expect(a.lookup(nowhere())).toBe(true);
      const settled = inFlight.map((p) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? 'error'));

      await new Promise((r) => setTimeout(r, 50));
      await stopAll(started);
      let guard: NodeJS.Timeout | undefined;
      const outcomes = await Promise.race([Promise.all(settled), new Promise<string[]>((r) => (guard = setTimeout(() => r(['hung']), 3_000)))]);
      clearTimeout(guard);
      expect(outcomes).not.toContain('hung');
      // The sends to nowhere and the connect end with NOT_RUNNING, the stream with the channel's close
      // error; nothing is left hanging.
      // (A send to nowhere is UNROUTABLE at once when no edge is closer to its target.)
      expect(['NOT_RUNNING', 'UNROUTABLE']).toContain(outcomes[0]);
      expect(['NOT_RUNNING', 'UNROUTABLE']).toContain(outcomes[1]);
      expect(outcomes[2]).toBe('NOT_RUNNING');
      expect(outcomes[5]).not.toBe('ok');

      const deadline = Date.now() + 2_000;
      let leaks: string[] = [];
      for (;;) {
        leaks = [...leakedSince(handlesBefore).filter((l) => !l.startsWith('Timeout:')), ...timers.live().map((t) => `${t.kind} of ${t.delayMs} ms`)];
        if (leaks.length === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(leaks).toEqual([]);
    } finally {
      timers.uninstall();
    }
  });
});
