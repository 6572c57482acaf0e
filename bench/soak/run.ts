/**
 * The soak orchestrator: starts the node processes (one bootstrap, the rest joining through it), waits for
 * the overlay to form, drives random routed sends with acks and channel echo sessions from a seeded stream
 * for the configured time, lets in-flight operations settle, stops every process with SIGTERM and judges
 * the run: no crash, no growth of heap or handles, every acknowledged send delivered exactly once,
 * every echo verified, nothing left running after node.stop(), every process exited 0.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { SeededRandom } from '../../src/node/sim/seeded-random.js';
import {
  APP_CHANNELS_PER_DIRECTION,
  CHANNEL_EVENT_MAX_BYTES,
  CHANNEL_MAX_EVENTS,
  CHANNEL_MAX_HOLD_MS,
  CHANNEL_MIN_EVENTS,
  CHANNEL_OP_TIMEOUT_MS,
  CHILD_REQUEST_TIMEOUT_MS,
  CHILD_START_TIMEOUT_MS,
  DRAIN_MAX_MS,
  FIRST_APP_CHANNEL,
  HANDLE_GROWTH_FRACTION,
  HANDLE_GROWTH_SLACK,
  HEAP_GROWTH_FRACTION,
  HEAP_GROWTH_SLACK_BYTES,
  MAX_INFLIGHT_CHANNELS_PER_NODE,
  MAX_INFLIGHT_SENDS_PER_NODE,
  MIN_SAMPLES_PER_THIRD,
  SCHEDULE_TICK_MS,
  SEND_ACK_TIMEOUT_MS,
  SEND_MAX_BYTES,
  SEND_MIN_BYTES,
  SESSION_SLACK,
  FAST_SOAK_MAINTENANCE,
  START_BATCH,
  WARMUP_MAX_MS,
  WARMUP_MIN_EDGES,
  WARMUP_POLL_MS,
} from './constants.js';
import { judgeGrowth, type GrowthLimit, type GrowthVerdict, type Point } from './growth.js';
import { deliveryProblems, tallyDeliveries, type DeliveryTally, type SendRecord } from './ledger.js';
import type { ChannelOp, ChildConfig, FinalReport, OpResult, Sample, StartedValue, StatusValue } from './protocol.js';
import { killAll, SoakProcess, type ExitInfo } from './soak-process.js';

export interface SoakConfig {
  nodes: number;
  seconds: number;
  seed: number;
  sendsPerSec: number;
  channelsPerSec: number;
  sampleMs: number;
  /** 'default': the node's own maintenance timings; 'fast': FAST_SOAK_MAINTENANCE. */
  maintenance: 'default' | 'fast';
  /** Progress lines for people (stderr in the CLI). */
  log: (line: string) => void;
}

const handleCount = (s: Sample) => Object.values(s.resources).reduce((a, b) => a + b, 0);

/**
 * Metrics judged for growth, and how a sample yields each. Every session holds one timer by design (the
 * endpoint's armTimer), and sessions legitimately grow while connect() adds edges to new peers; so handles
 * and timers are judged net of sessions, and sessions are checked against the number of peers instead.
 * Per-edge requests in flight (an edge ping and its timeout every 15 s, a lookup per sibling) add up to
 * one more timer per session at the instant a sample is taken: `perSessionSlack` allows for that.
 */
export const GROWTH_METRICS = {
  heapUsed: { of: (s: Sample) => s.heapUsed, limit: { fraction: HEAP_GROWTH_FRACTION, slack: HEAP_GROWTH_SLACK_BYTES }, perSessionSlack: false },
  handles: { of: (s: Sample) => handleCount(s) - s.sessions, limit: { fraction: HANDLE_GROWTH_FRACTION, slack: HANDLE_GROWTH_SLACK }, perSessionSlack: true },
  timers: { of: (s: Sample) => s.liveTimers - s.sessions, limit: { fraction: HANDLE_GROWTH_FRACTION, slack: HANDLE_GROWTH_SLACK }, perSessionSlack: true },
  udpSockets: { of: (s: Sample) => (s.resources.UDPWrap ?? 0) + (s.resources.NativeUdpTransport ?? 0), limit: { fraction: 0, slack: 0 }, perSessionSlack: false },
} satisfies Record<string, { of: (s: Sample) => number; limit: GrowthLimit; perSessionSlack: boolean }>;
export type GrowthMetric = keyof typeof GROWTH_METRICS;

/** Reported with first -> last but not judged (allocator and topology, not leaks). */
export const REPORTED_METRICS = {
  rss: (s: Sample) => s.rss,
  allHandles: handleCount,
  allTimers: (s: Sample) => s.liveTimers,
  edges: (s: Sample) => s.edges,
  sessions: (s: Sample) => s.sessions,
  cpuPercent: (s: Sample) => s.cpuPercent,
  loopDelayP99Ms: (s: Sample) => s.loopDelayP99Ms,
  rekeys: (s: Sample) => s.rekeys,
} satisfies Record<string, (s: Sample) => number>;

export interface ChannelTally {
  attempted: number;
  opened: number;
  /** Opens that failed, by error code. */
  openFailedByError: Record<string, number>;
  /** Opened channels whose echo exchange failed afterwards, by error code. */
  failedAfterOpenByError: Record<string, number>;
  closedByOpener: number;
  eventsVerified: number;
  bytesVerified: number;
  mismatches: number;
  /** Echo side (summed over processes). */
  accepted: number;
  closedByPeer: number;
  echoFailed: number;
  echoErrors: number;
}

export interface ProcessResult {
  index: number;
  id: string;
  pid: number | undefined;
  exit: ExitInfo | null;
  final: FinalReport | null;
  samples: number;
  growth: Record<GrowthMetric, GrowthVerdict>;
  reported: Record<keyof typeof REPORTED_METRICS, { first: number; last: number }>;
}

export interface SoakResult {
  config: Omit<SoakConfig, 'log'>;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  /** 1-minute load average when the traffic started and when it ended. */
  loadAtStart: number;
  loadAtEnd: number;
  warmupMs: number;
  trafficMs: number;
  drainMs: number;
  deliveries: DeliveryTally;
  sendLatencyMs: { median: number; p99: number };
  skipped: { sends: number; channels: number };
  channels: ChannelTally;
  processes: ProcessResult[];
  /** Every sample of every process (for --samples). */
  samples: Array<{ node: number } & Sample>;
  /** Node drop counters summed over processes (non-zero only). */
  drops: Record<string, number>;
  counters: Record<string, number>;
  crashes: number;
  problems: string[];
  ok: boolean;
}

export function hostOf(index: number): string {
  // One /24 per node, as on a real network (subnet caps then behave as they would there).
  return `127.0.${(index % 250) + 1}.${Math.floor(index / 250) + 1}`;
}

function childConfig(index: number, bootstrap: string[], cfg: SoakConfig): ChildConfig {
  return { index, host: hostOf(index), bootstrap, maintenance: cfg.maintenance === 'fast' ? { ...FAST_SOAK_MAINTENANCE } : null, sampleMs: cfg.sampleMs };
}

async function startProcess(index: number, bootstrap: string[], cfg: SoakConfig, procs: SoakProcess[]): Promise<StartedValue> {
  const p = SoakProcess.spawn(index);
  procs[index] = p;
  await p.ready(CHILD_START_TIMEOUT_MS);
  return p.request<StartedValue>({ kind: 'start', config: childConfig(index, bootstrap, cfg) }, CHILD_START_TIMEOUT_MS);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

export async function runSoak(cfg: SoakConfig): Promise<SoakResult> {
  const procs: SoakProcess[] = [];
  const ids: string[] = [];
  const startedAt = new Date().toISOString();
  try {
    // ---- start: the bootstrap, then the joiners in batches ----
    const t0 = Date.now();
    const boot = await startProcess(0, [], cfg, procs);
    ids[0] = boot.id;
    for (let first = 1; first < cfg.nodes; first += START_BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = first; i < Math.min(cfg.nodes, first + START_BATCH); i++) {
        batch.push(startProcess(i, [boot.contact], cfg, procs).then((v) => void (ids[i] = v.id)));
      }
      await Promise.all(batch);
    }
    cfg.log(`started ${cfg.nodes} node processes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // ---- warm-up: wait for the overlay to form ----
    const w0 = Date.now();
    for (;;) {
      const statuses = await Promise.all(procs.map((p) => p.request<StatusValue>({ kind: 'status' }, CHILD_REQUEST_TIMEOUT_MS)));
      const minEdges = Math.min(...statuses.map((s) => s.edges));
      if (minEdges >= Math.min(WARMUP_MIN_EDGES, cfg.nodes - 1) || Date.now() - w0 > WARMUP_MAX_MS) {
        cfg.log(`overlay formed in ${((Date.now() - w0) / 1000).toFixed(1)} s: edges per node min ${minEdges}, max ${Math.max(...statuses.map((s) => s.edges))}`);
        break;
      }
      await sleep(WARMUP_POLL_MS);
    }
    const warmupMs = Date.now() - w0;

    // ---- traffic ----
    const rng = new SeededRandom(cfg.seed);
    const sends: SendRecord[] = [];
    const latencies: number[] = [];
    const channels: ChannelTally = {
      attempted: 0,
      opened: 0,
      openFailedByError: {},
      failedAfterOpenByError: {},
      closedByOpener: 0,
      eventsVerified: 0,
      bytesVerified: 0,
      mismatches: 0,
      accepted: 0,
      closedByPeer: 0,
      echoFailed: 0,
      echoErrors: 0,
    };
    const skipped = { sends: 0, channels: 0 };
    const inflightSends = new Array<number>(cfg.nodes).fill(0);
    const inflightChannels = new Array<number>(cfg.nodes).fill(0);
    const pairOpens = new Map<number, number>();
    const pending = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    const pickPair = (): [number, number] => {
      const from = rng.intBetween(0, cfg.nodes - 1);
      let to = rng.intBetween(0, cfg.nodes - 2);
      if (to >= from) to++;
      return [from, to];
    };

    const startSend = () => {
      const [from, to] = pickPair();
      const bytes = rng.intBetween(SEND_MIN_BYTES, SEND_MAX_BYTES);
      if (inflightSends[from]! >= MAX_INFLIGHT_SENDS_PER_NODE || !procs[from]!.running) {
        skipped.sends++;
        return;
      }
      const record: SendRecord = { msgNo: sends.length, from, to, acked: false, error: null };
      sends.push(record);
      inflightSends[from]!++;
      const op = { kind: 'send' as const, msgNo: record.msgNo, to: ids[to]!, bytes, timeoutMs: SEND_ACK_TIMEOUT_MS };
      track(
        procs[from]!
          .request<OpResult>({ kind: 'op', op }, SEND_ACK_TIMEOUT_MS + CHILD_REQUEST_TIMEOUT_MS)
          .then(
            (r) => {
              record.acked = r.ok;
              record.error = r.error;
              if (r.ok) latencies.push(r.ms);
            },
            (err: Error) => {
              record.error = `IPC: ${err.message.split('\n')[0]}`;
            },
          )
          .finally(() => inflightSends[from]!--),
      );
    };

    const startChannel = () => {
      const [from, to] = pickPair();
      const count = rng.intBetween(CHANNEL_MIN_EVENTS, CHANNEL_MAX_EVENTS);
      const sizes = Array.from({ length: count }, () => rng.intBetween(1, CHANNEL_EVENT_MAX_BYTES));
      const holdMs = rng.intBetween(0, CHANNEL_MAX_HOLD_MS);
      if (inflightChannels[from]! >= MAX_INFLIGHT_CHANNELS_PER_NODE || !procs[from]!.running) {
        skipped.channels++;
        return;
      }
      // The two directions of a pair use disjoint ids (a session's channel is shared by both ends), and each
      // direction rotates through its half so a closing channel is not reopened before its close is acked.
      const key = from * cfg.nodes + to;
      const k = pairOpens.get(key) ?? 0;
      pairOpens.set(key, k + 1);
      const channel = FIRST_APP_CHANNEL + (from < to ? 0 : 1) + 2 * (k % APP_CHANNELS_PER_DIRECTION);
      const op: ChannelOp = { kind: 'channel', opNo: channels.attempted, to: ids[to]!, channel, sizes, holdMs, timeoutMs: CHANNEL_OP_TIMEOUT_MS };
      channels.attempted++;
      inflightChannels[from]!++;
      track(
        procs[from]!
          .request<OpResult>({ kind: 'op', op }, CHANNEL_OP_TIMEOUT_MS + CHILD_REQUEST_TIMEOUT_MS)
          .then(
            (r) => {
              if (r.opened) channels.opened++;
              else bump(channels.openFailedByError, r.error ?? 'UNKNOWN');
              if (r.opened && !r.ok) bump(channels.failedAfterOpenByError, r.error ?? 'UNKNOWN');
              if (r.closed) channels.closedByOpener++;
              channels.eventsVerified += r.eventsVerified;
              channels.bytesVerified += r.bytesVerified;
              channels.mismatches += r.mismatches;
            },
            (err: Error) => bump(channels.openFailedByError, `IPC: ${err.message.split('\n')[0]}`),
          )
          .finally(() => inflightChannels[from]!--),
      );
    };

    const loadAtStart = loadavg()[0]!;
    const trafficStart = Date.now();
    const ticks = Math.round((cfg.seconds * 1000) / SCHEDULE_TICK_MS);
    let sendCredit = 0;
    let channelCredit = 0;
    let nextLog = trafficStart + 30_000;
    for (let tick = 0; tick < ticks; tick++) {
      sendCredit += (cfg.sendsPerSec * SCHEDULE_TICK_MS) / 1000;
      channelCredit += (cfg.channelsPerSec * SCHEDULE_TICK_MS) / 1000;
      for (; sendCredit >= 1; sendCredit--) startSend();
      for (; channelCredit >= 1; channelCredit--) startChannel();
      const now = Date.now();
      if (now >= nextLog) {
        nextLog += 30_000;
        const acked = sends.filter((s) => s.acked).length;
        cfg.log(`${Math.round((now - trafficStart) / 1000)} s: ${sends.length} sends (${acked} acked so far), ${channels.attempted} channels (${channels.opened} opened), load ${loadavg()[0]!.toFixed(2)}`);
      }
      // Tick k is due at start + k * tick: a slow turn is caught up, not accumulated as drift.
      const due = trafficStart + (tick + 1) * SCHEDULE_TICK_MS;
      await sleep(Math.max(0, due - Date.now()));
    }
    const trafficEnd = Date.now();
    const loadAtEnd = loadavg()[0]!;

    // ---- drain, then stop every process ----
    const d0 = Date.now();
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...pending]), new Promise<void>((r) => (drainTimer = setTimeout(r, DRAIN_MAX_MS)))]);
    clearTimeout(drainTimer);
    const drainMs = Date.now() - d0;
    cfg.log(`traffic done (${((trafficEnd - trafficStart) / 1000).toFixed(1)} s); ${pending.size} operations still pending after ${drainMs} ms; stopping`);
    await Promise.all(procs.map((p) => p.stop()));

    // ---- judge ----
    const ledgers = procs.map((p) => p.final?.ledger ?? null);
    const deliveries = tallyDeliveries(sends, ledgers);
    const problems = deliveryProblems(deliveries);
    const processes: ProcessResult[] = [];
    const drops: Record<string, number> = {};
    const counters: Record<string, number> = {};
    let crashes = 0;
    for (const p of procs) {
      const exit = p.exit;
      const crashed = exit === null || exit.crashed || exit.killed || exit.code !== 0 || exit.signal !== null;
      if (crashed) {
        crashes++;
        problems.push(`node ${p.index} ${exit?.crashed ? 'crashed' : 'did not exit cleanly'} (${exit?.signal ?? `code ${String(exit?.code)}`}${exit?.killed ? ', killed after the grace period' : ''})${p.stderrTail()}`);
      } else if (p.final === null) {
        problems.push(`node ${p.index} exited without its final report`);
      }
      const fin = p.final;
      if (fin !== null) {
        if (fin.leaksAfterStop.length > 0) problems.push(`node ${p.index} left resources after node.stop(): ${fin.leaksAfterStop.join(', ')}`);
        channels.accepted += fin.echo.accepted;
        channels.closedByPeer += fin.echo.closedByPeer;
        channels.echoFailed += fin.echo.failed;
        channels.echoErrors += fin.echo.echoErrors;
        for (const [k, v] of Object.entries(fin.drops)) bump(drops, k, v);
        for (const [k, v] of Object.entries(fin.counters)) bump(counters, k, v);
      }
      const maxSessionsInTraffic = p.samples.reduce((m, s) => (s.t >= trafficStart && s.t <= trafficEnd ? Math.max(m, s.sessions) : m), 0);
      const growth = {} as Record<GrowthMetric, GrowthVerdict>;
      for (const [name, m] of Object.entries(GROWTH_METRICS) as [GrowthMetric, (typeof GROWTH_METRICS)[GrowthMetric]][]) {
        const points: Point[] = p.samples.map((s) => ({ t: s.t, v: m.of(s) }));
        const limit = m.perSessionSlack ? { fraction: m.limit.fraction, slack: m.limit.slack + maxSessionsInTraffic } : m.limit;
        const v = judgeGrowth(points, trafficStart, trafficEnd, limit, MIN_SAMPLES_PER_THIRD);
        growth[name] = v;
        if (!v.enough) problems.push(`node ${p.index}: too few samples of ${name} to judge growth`);
        else if (!v.ok) problems.push(`node ${p.index}: ${name} grew: last third max ${Math.round(v.lastMax)} > ${Math.round(v.limit)} (second third max ${Math.round(v.secondMax)})`);
      }
      const maxSessions = p.samples.reduce((m, s) => Math.max(m, s.sessions), 0);
      if (maxSessions > cfg.nodes - 1 + SESSION_SLACK) problems.push(`node ${p.index} held ${maxSessions} sessions with only ${cfg.nodes - 1} peers`);
      const inTraffic = p.samples.filter((s) => s.t >= trafficStart && s.t <= trafficEnd);
      const reported = {} as ProcessResult['reported'];
      for (const [name, of] of Object.entries(REPORTED_METRICS) as [keyof typeof REPORTED_METRICS, (s: Sample) => number][]) {
        reported[name] = { first: inTraffic.length > 0 ? of(inTraffic[0]!) : NaN, last: inTraffic.length > 0 ? of(inTraffic[inTraffic.length - 1]!) : NaN };
      }
      processes.push({ index: p.index, id: ids[p.index] ?? '', pid: p.pid, exit, final: fin, samples: p.samples.length, growth, reported });
    }
    if (channels.mismatches > 0) problems.push(`${channels.mismatches} echoed channel events differed from what was sent`);
    if (pending.size > 0) problems.push(`${pending.size} operations had not finished ${DRAIN_MAX_MS} ms after the traffic stopped`);
    latencies.sort((a, b) => a - b);
    const cpu = cpus();
    return {
      config: { nodes: cfg.nodes, seconds: cfg.seconds, seed: cfg.seed, sendsPerSec: cfg.sendsPerSec, channelsPerSec: cfg.channelsPerSec, sampleMs: cfg.sampleMs, maintenance: cfg.maintenance },
      startedAt,
      machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGiB: totalmem() / 2 ** 30, node: process.version, platform: `${process.platform} ${process.arch}` },
      loadAtStart,
      loadAtEnd,
      warmupMs,
      trafficMs: trafficEnd - trafficStart,
      drainMs,
      deliveries,
      sendLatencyMs: { median: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
      skipped,
      channels,
      processes,
      samples: procs.flatMap((p) => p.samples.map((s) => ({ node: p.index, ...s }))),
      drops,
      counters,
      crashes,
      problems,
      ok: problems.length === 0,
    };
  } finally {
    // Whatever happened, no child outlives the run.
    await killAll();
  }
}
