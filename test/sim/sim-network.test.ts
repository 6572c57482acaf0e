/**
 * SimNetwork: binding rules, asynchronous send completion, byte copies, and latency / jitter / loss /
 * duplication / partition statistics that match the configuration under a fixed seed; reproducible traces.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, totalDropped, type SimDatagramEvent } from '../../src/node/sim/index.js';
import { fire, numberOf, numbered, record } from './fabric.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

describe('SimNetwork binding', () => {
  it('binds the given port, allocates ephemeral ports for 0, and refuses a second bind like EADDRINUSE', async () => {
    const net = new SimNetwork();
    const a = net.createTransport(A, 4000);
    expect(a.address()).toEqual({ host: A, port: 4000 });
    expect(net.createTransport(A).address().port).toBe(49152);
    expect(net.createTransport(A, 0).address().port).toBe(49153);
    expect(() => net.createTransport(A, 4000)).toThrow(expect.objectContaining({ code: 'ADDRESS_IN_USE' }));
    await a.close();
    expect(a.address()).toEqual({ host: A, port: 4000 });
    expect(net.createTransport(A, 4000).address().port).toBe(4000);
  });

  it('rejects addresses a real socket could not bind or that the simulation cannot place', () => {
    const net = new SimNetwork();
    expect(() => net.createTransport('node-a', 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => net.createTransport('0.0.0.0', 1)).toThrow(/unspecified/);
    expect(() => net.createTransport('::', 1)).toThrow(/unspecified/);
    expect(() => net.createTransport(A, 70000)).toThrow(/out of range/);
    expect(() => net.createTransport(A, 1.5)).toThrow(/out of range/);
    expect(net.createTransport('fd00::1', 9).address()).toEqual({ host: 'fd00::1', port: 9 });
  });

  it('calls done once, on a later turn, and reports errors through it as a socket does', async () => {
    const net = new SimNetwork();
    const a = net.createTransport(A, 1);
    const results: Array<string | null> = [];
    const send = (len: number, host: string, port: number) =>
      a.send(new Uint8Array(10), len, host, port, (err) => results.push(err === null ? null : ((err as { code?: string }).code ?? 'error')));
    send(10, B, 2);
    send(11, B, 2);
    send(10, 'not-an-ip', 2);
    send(10, B, 0);
    expect(results).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(results).toEqual([null, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
    const big = new Uint8Array(65_508);
    a.send(big, big.length, B, 2, (err) => results.push((err as { code?: string } | null)?.code ?? null));
    await a.close();
    a.send(new Uint8Array(1), 1, B, 2, (err) => results.push((err as { code?: string } | null)?.code ?? null));
    await new Promise((r) => setImmediate(r));
    expect(results.slice(4)).toEqual(['MESSAGE_TOO_BIG', 'CLOSED']);
    // Only the one valid datagram counts as sent.
    expect(net.counters(A).sent).toBe(1);
  });

  it('copies the bytes at send time, and gives every copy its own buffer', async () => {
    const net = new SimNetwork({ duplicate: 1 });
    const a = net.createTransport(A, 1);
    const b = net.createTransport(B, 2);
    const got = record(net, b);
    const buf = new Uint8Array([1, 2, 3, 4, 5, 6]);
    a.send(buf, 4, B, 2, () => {});
    buf.fill(9);
    await net.clock.advance(1);
    expect(got.map((g) => [...g.data])).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ]);
    got[0]!.data.fill(0); // decrypting in place must not touch the duplicate
    expect([...got[1]!.data]).toEqual([1, 2, 3, 4]);
    expect(got[0]!.data.buffer).not.toBe(got[1]!.data.buffer);
    expect(got[0]).toMatchObject({ host: A, port: 1 });
    expect(net.counters(A)).toMatchObject({ sent: 1, delivered: 2, duplicated: 1 });
    expect(net.counters(B)).toMatchObject({ received: 2, receivedBytes: 8 });
  });

  it('drops datagrams to unbound addresses, closed transports and transports without a handler, and counts them', async () => {
    const net = new SimNetwork({ latencyMs: 10 });
    const a = net.createTransport(A, 1);
    const b = net.createTransport(B, 2);
    net.createTransport(C, 3); // bound, no handler
    const got = record(net, b);
    fire(a, numbered(1), B, 9); // nothing on port 9
    fire(a, numbered(2), '192.0.2.77', 2); // host never bound
    fire(a, numbered(3), C, 3);
    fire(a, numbered(4), B, 2); // in flight when b closes
    expect(net.inFlight).toBe(4);
    await net.clock.advance(5);
    await b.close();
    await net.clock.advance(10);
    expect(got).toEqual([]);
    expect(net.inFlight).toBe(0);
    expect(net.counters(A).dropped).toMatchObject({ unbound: 3, no_listener: 1 });
    expect(totalDropped(net.counters(A))).toBe(4);
    expect(net.counters(A).delivered).toBe(0);
  });
});

describe('SimNetwork link conditions', () => {
  it('delivers after exactly the configured latency, in send order', async () => {
    const net = new SimNetwork({ latencyMs: 25 });
    const a = net.createTransport(A, 1);
    const b = net.createTransport(B, 2);
    const got = record(net, b);
    const t0 = net.clock.now();
    for (let i = 0; i < 5; i++) fire(a, numbered(i), B, 2);
    await net.clock.advance(24);
    expect(got).toHaveLength(0);
    await net.clock.advance(1);
    expect(got.map((g) => numberOf(g.data))).toEqual([0, 1, 2, 3, 4]);
    expect(got.every((g) => g.atMs === t0 + 25)).toBe(true);
  });

  it('jitter spreads arrivals uniformly over [latency, latency + jitter) and reorders', async () => {
    const net = new SimNetwork({ seed: 11, latencyMs: 20, jitterMs: 10 });
    const a = net.createTransport(A, 1);
    const b = net.createTransport(B, 2);
    const got = record(net, b);
    const t0 = net.clock.now();
    const n = 2_000;
    for (let i = 0; i < n; i++) fire(a, numbered(i), B, 2);
    await net.clock.advance(40);
    expect(got).toHaveLength(n);
    const delays = got.map((g) => g.atMs - t0);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...delays)).toBeLessThan(30);
    const mean = delays.reduce((s, d) => s + d, 0) / n;
    // Uniform on [20, 30): mean 25, sd of the mean 2.89 / sqrt(2000) = 0.065.
    expect(Math.abs(mean - 25)).toBeLessThan(0.3);
    let inversions = 0;
    for (let i = 1; i < n; i++) if (numberOf(got[i]!.data) < numberOf(got[i - 1]!.data)) inversions++;
    expect(inversions).toBeGreaterThan(n / 4);
  });

  it('loses and duplicates datagrams at the configured rates', async () => {
    const net = new SimNetwork({ seed: 3, latencyMs: 1, loss: 0.2, duplicate: 0.1 });
    const a = net.createTransport(A, 1);
    const b = net.createTransport(B, 2);
    const got = record(net, b);
    const n = 10_000;
    for (let i = 0; i < n; i++) fire(a, numbered(i), B, 2);
    await net.clock.advance(2);
    const c = net.counters(A);
    expect(c.sent).toBe(n);
    const lostRate = c.dropped.loss / n;
    // sd of the loss rate: sqrt(0.2 * 0.8 / 10000) = 0.004; allow 4 sd.
    expect(Math.abs(lostRate - 0.2)).toBeLessThan(0.016);
    // Duplicates are drawn among the survivors: sd sqrt(0.1 * 0.9 / 8000) = 0.0034.
    expect(Math.abs(c.duplicated / (n - c.dropped.loss) - 0.1)).toBeLessThan(0.014);
    expect(c.delivered).toBe(n - c.dropped.loss + c.duplicated);
    expect(got).toHaveLength(c.delivered);
    expect(new Set(got.map((g) => numberOf(g.data))).size).toBe(n - c.dropped.loss);
    expect(net.totals()).toMatchObject({ sent: n, received: c.delivered });
  });

  it('per-link conditions override the defaults, both ways or one way', async () => {
    const net = new SimNetwork({ latencyMs: 5 });
    const a = net.createTransport(A, 1);
    const b = net.createTransport(B, 2);
    const c = net.createTransport(C, 3);
    const [atA, atB, atC] = [record(net, a), record(net, b), record(net, c)];
    net.setLink(A, B, { latencyMs: 50 });
    net.setLink(A, C, { loss: 1 }, { oneWay: true });
    const t0 = net.clock.now();
    fire(a, numbered(1), B, 2);
    fire(b, numbered(2), A, 1);
    fire(a, numbered(3), C, 3);
    fire(c, numbered(4), A, 1);
    fire(b, numbered(5), C, 3);
    await net.clock.advance(100);
    expect(atB.map((g) => g.atMs - t0)).toEqual([50]);
    expect(atA.map((g) => [numberOf(g.data), g.atMs - t0])).toEqual([
      [4, 5],
      [2, 50],
    ]);
    expect(atC.map((g) => numberOf(g.data))).toEqual([5]);
    expect(net.counters(A).dropped.loss).toBe(1);
    net.clearLink(A, B);
    fire(a, numbered(6), B, 2);
    const t1 = net.clock.now();
    await net.clock.advance(10);
    expect(atB.at(-1)!.atMs - t1).toBe(5);
    expect(() => net.setLink(A, B, { loss: 1.5 })).toThrow(/probability/);
    expect(() => net.setLink(A, B, { latencyMs: -1 })).toThrow(/>= 0/);
    expect(() => new SimNetwork({ jitterMs: Number.NaN })).toThrow(/jitterMs/);
  });

  it('partition cuts both directions between the groups, keeps each side whole, and heal restores it', async () => {
    const net = new SimNetwork({ latencyMs: 10 });
    const hosts = ['10.0.1.1', '10.0.1.2', '10.0.2.1', '10.0.2.2'];
    const ts = hosts.map((h) => net.createTransport(h, 7));
    const got = ts.map((t) => record(net, t));
    const everyoneToEveryone = () => {
      for (const [i, t] of ts.entries()) for (const [j, h] of hosts.entries()) if (i !== j) fire(t, numbered(i), h, 7);
    };
    everyoneToEveryone();
    // Datagrams already in flight when the partition starts do not cross it either.
    await net.clock.advance(5);
    net.partition(hosts.slice(0, 2), hosts.slice(2));
    await net.clock.advance(10);
    everyoneToEveryone();
    await net.clock.advance(20);
    const from = (k: number) => got[k]!.map((g) => numberOf(g.data)).sort();
    expect(from(0)).toEqual([1, 1]);
    expect(from(2)).toEqual([3, 3]);
    expect(net.totals().dropped.partition).toBe(16);
    net.heal();
    everyoneToEveryone();
    await net.clock.advance(20);
    expect(from(0)).toEqual([1, 1, 1, 2, 3]);
    expect(net.totals().delivered).toBe(8 + 12);
    expect(() => net.partition([A], [A, B])).toThrow(/both partition groups/);
    expect(() => net.partition([], [B])).toThrow(/non-empty/);
  });
});

describe('SimNetwork determinism', () => {
  async function scenario(seed: number): Promise<string[]> {
    const trace: string[] = [];
    const onEvent = (e: SimDatagramEvent) =>
      trace.push(`${e.atMs.toFixed(6)} ${e.kind} #${e.id} ${e.from.host}:${e.from.port}>${e.to.host}:${e.to.port} ${e.length}${e.reason ? ' ' + e.reason : ''}`);
    const net = new SimNetwork({ seed, latencyMs: 3, jitterMs: 7, loss: 0.2, duplicate: 0.1, trace: onEvent });
    const nat = net.addNat({ publicHost: '203.0.113.9', mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
    const a = net.createTransport(A, 100);
    const b = net.createTransport(B, 200);
    const p = net.createTransport('192.168.0.2', 300, { behind: nat });
    // Every receiver echoes twice; the script sends on timers.
    for (const t of [a, b, p]) {
      t.onDatagram((data, host, port) => {
        if (numberOf(data) < 3) for (let k = 0; k < 2; k++) fire(t, numbered(numberOf(data) + 1), host, port);
      });
    }
    for (let i = 0; i < 20; i++) {
      net.clock.setTimer(() => {
        fire(a, numbered(0), B, 200);
        fire(p, numbered(0), A, 100);
        fire(b, numbered(0), A, 100 + (i % 2));
      }, i * 4);
    }
    await net.clock.advance(300);
    return trace;
  }

  it('replays the same trace for the same seed and a different one for another seed', async () => {
    const first = await scenario(21);
    const second = await scenario(21);
    const other = await scenario(22);
    expect(first.length).toBeGreaterThan(300);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first.some((l) => l.endsWith(' loss'))).toBe(true);
    // The NAT's random port choices are part of the replay too.
    expect(first.some((l) => l.includes(' deliver ') && l.includes(' 203.0.113.9:'))).toBe(true);
  });
});
