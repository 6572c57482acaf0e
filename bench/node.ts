/**
 * Overlay node benchmarks (issue 5 "Show"), real UDP on loopback, all nodes in this process:
 * - node.routed.3hop: routed messages per second through a 3-link chain (S -> m1 -> m2 -> R, every hop
 *   greedy-closer to R), 100-byte payloads, the sender keeping at most 256 messages in flight; next to
 *   the same run's 1-link figure (S -> R, sendDirect over their session) for comparison. All four nodes
 *   share this process's one thread, so the figure is bounded by one core doing every hop's work (the
 *   Ed25519 signature at S and its verification at R dominate);
 * - node.connect.median / .p95: connect-by-ID latency in a 50-node overlay, from `openChannel(id)` on a
 *   node with no edge to the target until the first byte comes back echoed (target: median < 5 ms). The
 *   node resolves the ID from its knowledge table when it can (a direct dial), else by rendezvous.
 * About 10 s. Run alone: `npx tsx bench/node.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Identity } from '../src/identity/index.js';
import { createNode, type IncomingChannel, type Node, type NodeOptions } from '../src/node/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const PAYLOAD_BYTES = 100;
const IN_FLIGHT = 256;
const ROUTED_RUN_MS = 2_000;
const OVERLAY_NODES = 50;
const CONNECT_SAMPLES = 40;
/** Benchmarks measure the data path, not the flood defences: per-edge budgets far above the rates. */
const BUDGETS = { forward: { burst: 1_000_000, ratePerSecond: 1_000_000 }, control: { burst: 10_000, ratePerSecond: 10_000 } };
const MAINTENANCE = { tickMs: 200, selfLookupMs: 5_000, siblingExchangeMs: 5_000, bucketRefreshCheckMs: 5_000, dialTimeoutMs: 1_000, backoffBaseMs: 100, backoffMaxMs: 1_000 };

function host(i: number): string {
  return `127.0.${(i % 250) + 1}.${Math.floor(i / 250) + 10}`;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function distance(a: Uint8Array, b: Uint8Array): Buffer {
  return Buffer.from(a.map((x, i) => x ^ b[i]));
}

async function start(options: NodeOptions, all: Node[]): Promise<Node> {
  // deliveryBuffer 0: the benchmark counts 'message' events and never iterates node.deliveries.
  const node = createNode({ budgets: BUDGETS, deliveryBuffer: 0, ...options });
  all.push(node);
  await node.start();
  return node;
}

/** Messages per second from `from` to `to`, keeping IN_FLIGHT outstanding, over ROUTED_RUN_MS. */
async function routedRate(from: Node, to: Node, direct: boolean): Promise<number> {
  let delivered = 0;
  const onMessage = () => delivered++;
  to.on('message', onMessage);
  const payload = new Uint8Array(PAYLOAD_BYTES);
  let sent = 0;
  const t0 = performance.now();
  const deadline = t0 + ROUTED_RUN_MS;
  while (performance.now() < deadline) {
    while (sent - delivered < IN_FLIGHT) {
      if (direct) void from.sendDirect(to.id, payload);
      else await from.send(to.id, payload);
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  const elapsed = performance.now() - t0;
  await until(() => delivered >= sent, 5_000, 'the routed messages to drain');
  to.off('message', onMessage);
  return (delivered * 1000) / elapsed;
}

async function benchRouted(all: Node[]): Promise<BenchResult[]> {
  const r = Identity.generate();
  const ids = Array.from({ length: 3 }, () => Identity.generate()).sort((a, b) => Buffer.compare(distance(b.nodeId, r.nodeId), distance(a.nodeId, r.nodeId)));
  const [sId, m1Id, m2Id] = ids;
  const R = await start({ identity: r, host: host(0), maintenance: false }, all);
  const m2 = await start({ identity: m2Id, host: host(1), maintenance: false, bootstrap: [R.contact] }, all);
  const m1 = await start({ identity: m1Id, host: host(2), maintenance: false, bootstrap: [m2.contact] }, all);
  const S = await start({ identity: sId, host: host(3), maintenance: false, bootstrap: [m1.contact] }, all);
  await until(() => S.edges().length === 1 && m1.edges().length === 2 && m2.edges().length === 2, 3_000, 'the chain');
  let hops = 0;
  R.once('message', (m: { hops: number }) => (hops = m.hops));
  await S.send(R.id, new Uint8Array(PAYLOAD_BYTES));
  await until(() => hops > 0, 2_000, 'the first routed message');
  if (hops !== 3) throw new Error(`bench: expected a 3-link path, the message took ${hops}`);
  const routed = await routedRate(S, R, false);
  await S.connect(R.id);
  const direct = await routedRate(S, R, true);
  return [
    { name: 'node.routed.3hop', value: routed, unit: 'msg/s' },
    { name: 'node.direct.1hop', value: direct, unit: 'msg/s' },
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function benchConnect(all: Node[]): Promise<BenchResult[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < OVERLAY_NODES; i++) {
    const bootstrap = nodes.slice(0, 3).map((n) => n.contact);
    nodes.push(await start({ host: host(10 + i), maintenance: MAINTENANCE, targetDegree: 6, bootstrap }, all));
  }
  await until(() => nodes.every((n) => n.stats().edges.total >= 6), 15_000, 'the overlay to converge');
  await new Promise((r) => setTimeout(r, 1_000));
  for (const n of nodes) {
    n.on('channel', ({ channel }: IncomingChannel) => {
      void (async () => {
        for await (const ev of channel) await channel.send(ev.type, ev.payload);
      })().catch(() => {});
    });
  }
  const samples: number[] = [];
  let viaRendezvous = 0;
  const probe = Uint8Array.of(42);
  // A fixed pseudo-random sequence of pairs (LCG), so runs compare.
  let seed = 12345;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let k = 0; samples.length < CONNECT_SAMPLES && k < CONNECT_SAMPLES * 50; k++) {
    const s = nodes[next(nodes.length)];
    const t = nodes[next(nodes.length)];
    if (s === t || s.edges().some((e) => Buffer.compare(e.id, t.id) === 0)) continue;
    const rendezvousBefore = s.stats().counters.rendezvousCompleted;
    const t0 = performance.now();
    const ch = await s.openChannel(t.id, 16);
    await ch.send(1, probe);
    const echo = await ch.recv(AbortSignal.timeout(5_000));
    const elapsed = performance.now() - t0;
    if (echo === null || echo.payload[0] !== 42) throw new Error('bench: the echo did not come back');
    samples.push(elapsed);
    if (s.stats().counters.rendezvousCompleted > rendezvousBefore) viaRendezvous++;
    ch.close();
  }
  samples.sort((a, b) => a - b);
  process.stderr.write(`bench: node.connect: ${samples.length} samples, ${viaRendezvous} by rendezvous, the rest dialed from the knowledge table\n`);
  return [
    { name: 'node.connect.median', value: percentile(samples, 50), unit: 'ms' },
    { name: 'node.connect.p95', value: percentile(samples, 95), unit: 'ms' },
  ];
}

export async function benchNode(): Promise<BenchResult[]> {
  const all: Node[] = [];
  try {
    const routed = await benchRouted(all);
    await Promise.all(all.splice(0).map((n) => n.stop()));
    const connect = await benchConnect(all);
    return [...routed, ...connect];
  } finally {
    await Promise.all(all.map((n) => n.stop()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchNode()) console.log(`${r.name.padEnd(24)} ${r.value.toFixed(r.unit === 'ms' ? 2 : 0).padStart(10)} ${r.unit}`);
}
