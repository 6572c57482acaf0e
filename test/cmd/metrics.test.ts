/**
 * cmd/metrics.ts and metric-families.ts: stats become Prometheus families (snake names, counters with _total,
 * gauges, nested maps as labels), and serveMetrics serves them over HTTP on 127.0.0.1, fetched and parsed here,
 * with a real Endpoint's snapshot as the collected object (a handshake and a dropped datagram included).
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { DROP_REASONS, Endpoint, defaultSuite, type EndpointStats } from '../../src/session/index.js';
import { metricFamilies, snakeCase } from '../../cmd/metric-families.js';
import { serveMetrics } from '../../cmd/metrics.js';
import { activeResources, until, waitForNoLeaks } from '../support/resources.js';

/** `name{label="value"} 12` lines of a Prometheus text page, by `name{labels}`. */
function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

function typesOf(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1]!, m[2]!);
  return types;
}

describe('metricFamilies', () => {
  it('names stats in snake case with the prefix; counters end in _total', () => {
    expect(['rxPackets', 'HTTPRequests', 'mac2_required', 'sessionsActive', 'x.y-z', '__'].map(snakeCase)).toEqual([
      'rx_packets',
      'http_requests',
      'mac2_required',
      'sessions_active',
      'x_y_z',
      'unnamed',
    ]);
    const families = metricFamilies(
      { rxPackets: 5, sessionsActive: 2, running: true, drops: { replay: 1, mac1: 0 }, edges: { inbound: 3 }, name: 'n', nested: { a: { b: 1 } }, nothing: null },
      { gauges: ['sessionsActive', 'edges'], labelNames: { edges: 'direction' }, help: { rxPackets: 'datagrams received' } },
    );
    expect(families).toEqual([
      { name: 'wiremesh_rx_packets_total', stat: 'rxPackets', kind: 'counter', help: 'datagrams received', labelName: undefined, samples: [{ label: undefined, value: 5 }] },
      { name: 'wiremesh_sessions_active', stat: 'sessionsActive', kind: 'gauge', help: 'wiremesh stat sessionsActive', labelName: undefined, samples: [{ label: undefined, value: 2 }] },
      { name: 'wiremesh_running', stat: 'running', kind: 'gauge', help: 'wiremesh stat running', labelName: undefined, samples: [{ label: undefined, value: 1 }] },
      {
        name: 'wiremesh_drops_total',
        stat: 'drops',
        kind: 'counter',
        help: 'wiremesh stat drops',
        labelName: 'reason',
        samples: [
          { label: 'replay', value: 1 },
          { label: 'mac1', value: 0 },
        ],
      },
      { name: 'wiremesh_edges', stat: 'edges', kind: 'gauge', help: 'wiremesh stat edges', labelName: 'direction', samples: [{ label: 'inbound', value: 3 }] },
    ]);
  });

  it('drops counter values Prometheus cannot carry, keeps them for gauges, and keeps the first of colliding names', () => {
    const families = metricFamilies({ bad: -1, inf: Infinity, g: -1, rx_packets: 1, rxPackets: 2 }, { gauges: ['g'], prefix: 'test_' });
    expect(families.map((f) => [f.name, f.samples.map((s) => s.value)])).toEqual([
      ['test_bad_total', []],
      ['test_inf_total', []],
      ['test_g', [-1]],
      ['test_rx_packets_total', [1]],
    ]);
  });
});

describe('serveMetrics', () => {
  it('serves a real endpoint’s counters at /metrics in Prometheus text format', async () => {
    const before = activeResources();
    const suite = defaultSuite();
    const server = await Endpoint.listen({ staticKey: suite.generateKeyPair(), host: '127.0.0.1', port: 0 });
    const client = await Endpoint.listen({ staticKey: suite.generateKeyPair(), host: '127.0.0.1', port: 0 });
    const session = await client.dial(server.address(), server.publicKey, { timeoutMs: 5000 });
    await session.channel(20).send(1, new TextEncoder().encode('hello'));
    // A datagram with an unknown type byte is dropped and counted by reason.
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.send(Buffer.from([9, 0, 0, 0]), server.address().port, '127.0.0.1', () => resolve()));
    udp.close();
    await until(() => server.snapshot().drops.unknown_type === 1 && server.snapshot().eventsReceived === 1, 5000, 'the endpoint to count');

    let collected: EndpointStats | undefined;
    const metrics = await serveMetrics({
      host: '127.0.0.1',
      port: 0,
      collect: () => (collected = server.snapshot()),
      gauges: ['sessionsActive'],
      help: { rxPackets: 'UDP datagrams received' },
    });
    expect(metrics.url).toBe(`http://127.0.0.1:${metrics.address.port}/metrics`);
    const res = await fetch(metrics.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const samples = parseSamples(text);
    const snap = collected!;
    expect(samples.get('wiremesh_rx_packets_total')).toBe(snap.rxPackets);
    expect(samples.get('wiremesh_handshakes_accepted_total')).toBe(1);
    expect(samples.get('wiremesh_events_received_total')).toBe(1);
    expect(samples.get('wiremesh_sessions_active')).toBe(1);
    expect(samples.get('wiremesh_drops_total{reason="unknown_type"}')).toBe(1);
    expect(samples.get('wiremesh_drops_total{reason="replay"}')).toBe(0);
    // Every drop reason and every top-level counter is exported.
    expect([...samples.keys()].filter((k) => k.startsWith('wiremesh_drops_total{')).length).toBe(DROP_REASONS.length);
    expect(samples.size).toBe(Object.keys(snap).length - 1 + DROP_REASONS.length);
    expect(typesOf(text).get('wiremesh_sessions_active')).toBe('gauge');
    expect(typesOf(text).get('wiremesh_rx_packets_total')).toBe('counter');
    expect(text).toContain('# HELP wiremesh_rx_packets_total UDP datagrams received\n');

    // A second scrape sees new values.
    await session.channel(20).send(1, new TextEncoder().encode('again'));
    await until(() => server.snapshot().eventsReceived === 2, 5000, 'the second event');
    expect(parseSamples(await (await fetch(metrics.url)).text()).get('wiremesh_events_received_total')).toBe(2);

    await Promise.all([metrics.close(), metrics.close()]);
    await metrics.close();
    await expect(fetch(metrics.url)).rejects.toThrow();
    await client.close();
    await server.close();
    expect(await waitForNoLeaks(before)).toEqual([]);
  });

  it('answers 404 off /metrics, 405 for other methods, and HEAD without a body', async () => {
    const metrics = await serveMetrics({ host: '127.0.0.1', port: 0, collect: () => ({ up: 1 }) });
    try {
      const base = `http://127.0.0.1:${metrics.address.port}`;
      const root = await fetch(`${base}/`);
      expect(root.status).toBe(404);
      expect(await root.text()).toBe('not found: metrics are served at /metrics\n');
      expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
      expect((await fetch(`${base}/metrics?debug=1`)).status).toBe(200);
      const post = await fetch(metrics.url, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      const head = await fetch(metrics.url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    } finally {
      await metrics.close();
    }
  });

  it('answers 500 when collecting fails, and follows stats that appear, change shape or vanish', async () => {
    const errors: unknown[] = [];
    let stats: Record<string, number | Record<string, number>> = { a: 1, b: { x: 1 } };
    let fail = false;
    const metrics = await serveMetrics({
      host: '127.0.0.1',
      port: 0,
      collect: () => {
        if (fail) throw new Error('stats unavailable');
        return stats;
      },
      onError: (e) => errors.push(e),
    });
    try {
      expect([...parseSamples(await (await fetch(metrics.url)).text()).entries()]).toEqual([
        ['wiremesh_a_total', 1],
        ['wiremesh_b_total{kind="x"}', 1],
      ]);
      fail = true;
      const broken = await fetch(metrics.url);
      expect(broken.status).toBe(500);
      expect(await broken.text()).toBe('collecting the stats failed: see the node log\n');
      expect((errors[0] as Error).message).toBe('stats unavailable');
      fail = false;
      stats = { b: 7, c: { y: 2 } };
      expect([...parseSamples(await (await fetch(metrics.url)).text()).entries()]).toEqual([
        ['wiremesh_b_total', 7],
        ['wiremesh_c_total{kind="y"}', 2],
      ]);
    } finally {
      await metrics.close();
    }
  });

  it('reports a busy port in one sentence', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const attempt = serveMetrics({ host: '127.0.0.1', port, collect: () => ({}) });
      await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(attempt).rejects.toThrow(
        `metrics address 127.0.0.1:${port} is already in use: stop what listens there or choose another port with --metrics HOST:PORT`,
      );
      await expect(serveMetrics({ host: '192.0.2.1', port: 0, collect: () => ({}) })).rejects.toThrow(
        'metrics address 192.0.2.1:0 is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own addresses',
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
