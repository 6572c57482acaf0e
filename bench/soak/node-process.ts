/**
 * One soak node process (started by the orchestrator as `node --expose-gc --import tsx
 * bench/soak/node-process.ts` with an IPC channel). It runs one wiremesh node on its own loopback address,
 * carries out the operations the orchestrator sends (routed sends with acks, channel echo sessions),
 * echoes the channels peers open to it, records every routed delivery, samples its own heap, handles and
 * edges, and on SIGTERM stops the node, checks that nothing is left running and exits 0.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNode, type Delivery, type IncomingChannel, type Node } from '../../src/node/index.js';
import { CHILD_LEAK_WAIT_MS, ECHO_REPLY_EVENT_TYPE, ECHO_REQUEST_EVENT_TYPE, LOOP_DELAY_RESOLUTION_MS } from './constants.js';
import { channelEvent, channelEventKey, fillerMatches, parseRouted, routedPayload } from './payload.js';
import type {
  ChannelOp,
  ChildConfig,
  ChildMessage,
  EchoSideCounts,
  FinalReport,
  OpResult,
  RequestMessage,
  Sample,
  SendOp,
  StartedValue,
  StatusValue,
} from './protocol.js';
// The same leak accounting as the test suite's per-file check (native transports and timers included).
import { activeResources, trackTimers, waitForNoLeaks } from '../../test/support/resources.js';

if (typeof process.send !== 'function') {
  process.stderr.write('bench/soak/node-process.ts is started by `npm run soak` (it needs an IPC channel)\n');
  process.exit(2);
}
const sendToParent = process.send.bind(process);
const post = (msg: ChildMessage, done?: () => void): void => {
  if (!process.connected) {
    done?.();
    return;
  }
  sendToParent(msg, undefined, {}, () => done?.());
};

const timerTracker = trackTimers();
const liveTimers = (): number => timerTracker.live().length;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const gc = (globalThis as { gc?: () => void }).gc;

let node: Node | null = null;
let selfHex = '';
let sampler: NodeJS.Timeout | null = null;
let stopping = false;
/** Aborts every operation's waits at shutdown so no timer outlives the node. */
const shutdownController = new AbortController();
let resourcesBeforeStart = new Map<string, number>();

const received = new Map<number, number>();
let corrupt = 0;
let wrongSender = 0;
let wrongTarget = 0;
const echo: EchoSideCounts = { accepted: 0, closedByPeer: 0, failed: 0, eventsEchoed: 0, echoErrors: 0 };
let openChannels = 0;
let inflightOps = 0;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
let cpuAtLastSample = process.cpuUsage();
let lastSampleAt = performance.now();

function errorCode(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? code : err.message;
  }
  return String(err);
}

function record(d: Delivery): void {
  const parsed = parseRouted(d.data);
  if (parsed === null || !parsed.intact) {
    corrupt++;
    return;
  }
  if (parsed.from !== hex(d.from)) wrongSender++;
  if (parsed.to !== selfHex) wrongTarget++;
  received.set(parsed.msgNo, (received.get(parsed.msgNo) ?? 0) + 1);
}

async function echoChannel(inc: IncomingChannel): Promise<void> {
  echo.accepted++;
  openChannels++;
  try {
    for await (const ev of inc.channel) {
      if (ev.type !== ECHO_REQUEST_EVENT_TYPE) continue;
      echo.eventsEchoed++;
      // send() copies the payload before it resolves or yields, so the received view is safe to pass on.
      try {
        await inc.channel.send(ECHO_REPLY_EVENT_TYPE, ev.payload);
      } catch {
        echo.echoErrors++;
      }
    }
    echo.closedByPeer++;
  } catch {
    echo.failed++;
  } finally {
    openChannels--;
  }
}

function takeSample(): void {
  if (node === null || stopping) return;
  const cpu = process.cpuUsage(cpuAtLastSample);
  cpuAtLastSample = process.cpuUsage();
  const nowPerf = performance.now();
  const elapsedMs = Math.max(1, nowPerf - lastSampleAt);
  lastSampleAt = nowPerf;
  // The histogram records the time between its timer's ticks, resolution included: the delay is the excess.
  const delayP99 = Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS);
  const delayMax = Math.max(0, loopDelay.max / 1e6 - LOOP_DELAY_RESOLUTION_MS);
  loopDelay.reset();
  gc?.();
  const mem = process.memoryUsage();
  const stats = node.stats();
  const ep = stats.endpoint;
  const sample: Sample = {
    t: Date.now(),
    heapUsed: mem.heapUsed,
    rss: mem.rss,
    external: mem.external,
    resources: Object.fromEntries(activeResources()),
    liveTimers: liveTimers(),
    edges: stats.edges.total,
    inbound: stats.edges.inbound,
    outbound: stats.edges.outbound,
    sessions: stats.sessions,
    knownContacts: stats.knownContacts,
    openChannels,
    inflightOps,
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    loopDelayP99Ms: delayP99,
    loopDelayMaxMs: delayMax,
    rxPackets: ep?.rxPackets ?? 0,
    txPackets: ep?.txPackets ?? 0,
    handshakesCompleted: ep?.handshakesCompleted ?? 0,
    rekeys: ep?.rekeys ?? 0,
    endpointDrops: ep === null || ep === undefined ? 0 : Object.values(ep.drops).reduce((a, b) => a + b, 0),
  };
  post({ type: 'sample', sample });
}

async function start(config: ChildConfig): Promise<StartedValue> {
  if (node !== null) throw new Error('already started');
  resourcesBeforeStart = activeResources();
  node = createNode({ host: config.host, port: 0, bootstrap: config.bootstrap, ...(config.maintenance === null ? {} : { maintenance: config.maintenance }) });
  await node.start();
  selfHex = hex(node.id);
  const n = node;
  void (async () => {
    for await (const d of n.deliveries) record(d);
  })();
  void (async () => {
    for await (const inc of n.channels) void echoChannel(inc);
  })();
  loopDelay.enable();
  sampler = setInterval(takeSample, config.sampleMs);
  takeSample();
  return { id: selfHex, contact: node.contact };
}

function status(): StatusValue {
  const s = node?.stats();
  return { edges: s?.edges.total ?? 0, sessions: s?.sessions ?? 0, knownContacts: s?.knownContacts ?? 0 };
}

function emptyResult(): OpResult {
  return { ok: false, error: null, ms: 0, opened: false, eventsVerified: 0, bytesVerified: 0, mismatches: 0, closed: false };
}

async function runSend(n: Node, op: SendOp): Promise<OpResult> {
  const result = emptyResult();
  const t0 = performance.now();
  try {
    await n.send(op.to, routedPayload(op.msgNo, selfHex, op.to, op.bytes), { ack: true, timeoutMs: op.timeoutMs, signal: shutdownController.signal });
    result.ok = true;
  } catch (err) {
    result.error = errorCode(err);
  }
  result.ms = performance.now() - t0;
  return result;
}

async function runChannel(n: Node, op: ChannelOp): Promise<OpResult> {
  const result = emptyResult();
  const t0 = performance.now();
  // A cleared timer rather than AbortSignal.timeout(): nothing of a finished operation may linger.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), op.timeoutMs);
  const signal = AbortSignal.any([shutdownController.signal, deadline.signal]);
  let ch: Awaited<ReturnType<Node['openChannel']>> | null = null;
  try {
    ch = await n.openChannel(op.to, op.channel, { timeoutMs: op.timeoutMs, signal });
    result.opened = true;
    openChannels++;
    const c = ch;
    const write = async () => {
      for (let i = 0; i < op.sizes.length; i++) await c.send(ECHO_REQUEST_EVENT_TYPE, channelEvent(op.opNo, i, op.sizes[i]!));
    };
    const read = async () => {
      for (let i = 0; i < op.sizes.length; i++) {
        const ev = await c.recv(signal);
        if (ev === null) throw new Error(`channel closed by the peer after ${i} of ${op.sizes.length} echoes`);
        if (ev.type === ECHO_REPLY_EVENT_TYPE && ev.payload.length === op.sizes[i] && fillerMatches(ev.payload, channelEventKey(op.opNo, i))) {
          result.eventsVerified++;
          result.bytesVerified += ev.payload.length;
        } else {
          result.mismatches++;
        }
      }
    };
    await Promise.all([write(), read()]);
    if (op.holdMs > 0) await sleep(op.holdMs, undefined, { signal });
    c.close();
    result.closed = true;
    result.ok = result.mismatches === 0;
    if (!result.ok) result.error = 'ECHO_MISMATCH';
  } catch (err) {
    result.error = deadline.signal.aborted ? 'TIMEOUT' : errorCode(err);
    ch?.close();
  } finally {
    clearTimeout(timer);
    if (result.opened) openChannels--;
  }
  result.ms = performance.now() - t0;
  return result;
}

async function runOp(op: SendOp | ChannelOp): Promise<OpResult> {
  const n = node;
  if (n === null || stopping) throw new Error('the node is not running');
  inflightOps++;
  try {
    return op.kind === 'send' ? await runSend(n, op) : await runChannel(n, op);
  } finally {
    inflightOps--;
  }
}

process.on('message', (msg: RequestMessage) => {
  if (msg?.type !== 'request') return;
  const body = msg.body;
  let work: Promise<unknown>;
  if (body.kind === 'start') work = start(body.config);
  else if (body.kind === 'op') work = runOp(body.op);
  else work = Promise.resolve(status());
  work.then(
    (value) => post({ type: 'reply', reqId: msg.reqId, ok: true, value: value ?? null }),
    (err: unknown) => post({ type: 'reply', reqId: msg.reqId, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});

/** SIGTERM: stop the node, report, exit 0. A lost parent: stop and exit without a report. */
async function shutdown(report: boolean): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (sampler !== null) clearInterval(sampler);
  loopDelay.disable();
  shutdownController.abort();
  const stats = node?.stats();
  const t0 = performance.now();
  await node?.stop();
  const stopMs = performance.now() - t0;
  const leaksAfterStop = await waitForNoLeaks(resourcesBeforeStart, CHILD_LEAK_WAIT_MS);
  if (!report) process.exit(0);
  const final: FinalReport = {
    ledger: { counts: [...received], corrupt, wrongSender, wrongTarget },
    echo,
    leaksAfterStop,
    stopMs,
    counters: stats === undefined ? {} : { ...stats.counters },
    drops: stats === undefined ? {} : Object.fromEntries(Object.entries(stats.drops).filter(([, v]) => v > 0)),
  };
  post({ type: 'final', report: final }, () => process.exit(0));
}

process.once('SIGTERM', () => void shutdown(true));
process.once('disconnect', () => void shutdown(false));
post({ type: 'ready' });
