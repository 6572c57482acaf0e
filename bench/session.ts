/**
 * The network half of `npm run bench`: every figure between two OS processes on 127.0.0.1, in one run so
 * that the session figures can be divided by the same-run raw `dgram` baseline.
 *
 *   (a) raw dgram, 1232-byte and 64-byte datagrams          raw-dgram.ts
 *   (b) unreliable channel, 1 KiB events                      session-stream.ts
 *   (c) 64-byte events, coalesced                             session-stream.ts
 *   (d) reliable channel, 1 KiB events                        session-stream.ts
 *   (e) completed handshakes per second, one responder        session-handshake.ts
 *   (f) memory per idle session, 10,000 sessions              session-memory.ts
 *
 * With a profile directory, each session figure gets fresh peers, profiled over that one measurement.
 */
import { availableParallelism } from 'node:os';
import {
  DIALERS_PER_PROCESS,
  FULL_DURATIONS,
  LARGE_EVENT_BYTES,
  MAX_INITIATOR_PROCESSES,
  MEMORY_INITIATOR_ENDPOINTS,
  QUICK_DURATIONS,
  QUICK_RATE_CAP_BYTES_PER_SEC,
  QUICK_RATE_CAP_WARMUP_MS,
  RATE_CAP_BYTES_PER_SEC,
  RATE_CAP_WARMUP_MS,
  RAW_LARGE_DATAGRAM_BYTES,
  RAW_SMALL_DATAGRAM_BYTES,
  SMALL_EVENT_BYTES,
  TARGET_COALESCED_EVENTS_PER_SEC,
  TARGET_HANDSHAKES_PER_SEC,
  TARGET_IDLE_SESSION_BYTES,
  TARGET_RELIABLE_RATIO,
  TARGET_UNRELIABLE_RATIO,
} from './constants.js';
import { PeerProcess } from './peer-process.js';
import { nativeAddon } from '../src/session/index.js';
import { profiled } from './peer-profiler.js';
import { measureRawDgram, type RawDgramFigures } from './raw-dgram.js';
import { against, figure, formatCount, formatPercent, formatValue, type BenchFigure } from './report.js';
import { measureHandshakes } from './session-handshake.js';
import { measureIdleMemory } from './session-memory.js';
import type { CryptoChoice } from './session-peer-endpoint.js';
import { measureStream, type StreamFigures } from './session-stream.js';

export const NETWORK_GROUPS = ['raw', 'unreliable', 'coalesced', 'reliable', 'ratecap', 'handshake', 'memory'] as const;
export type NetworkGroup = (typeof NETWORK_GROUPS)[number];

export interface SessionBenchOptions {
  groups: ReadonlySet<NetworkGroup>;
  quick: boolean;
  /** Rounds of the throughput figures (a)-(d); each figure reports its best round. */
  rounds: number;
  crypto: CryptoChoice;
  /** Where the CPU profiles of the session peers go (peer-profiler.ts), or null for no profiling. */
  profileDir: string | null;
  /** Progress for people (stderr). */
  log: (line: string) => void;
}

export interface SessionBenchResult {
  figures: BenchFigure[];
  /** The crypto provider the session peers used (`endpoint.suite.name`), or null when no session ran. */
  suite: string | null;
}

const MB = 1e6;

type StreamGroup = 'unreliable' | 'coalesced' | 'reliable';
const STREAM_LETTER: Record<StreamGroup, string> = { unreliable: 'b', coalesced: 'c', reliable: 'd' };

/**
 * Starts the named peers, runs `fn` (under the CPU profiler when `profileDir` is set), and always closes
 * the peers again.
 */
async function withPeers<T>(
  labels: string[],
  nodeFlags: (label: string) => string[],
  profileDir: string | null,
  fn: (peers: PeerProcess[]) => Promise<T>,
): Promise<T> {
  const started = await Promise.allSettled(labels.map((label) => PeerProcess.start({ label, nodeFlags: nodeFlags(label) })));
  const peers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return profileDir === null ? await fn(peers) : await profiled(peers, profileDir, () => fn(peers));
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
}

const NO_FLAGS = (): string[] => [];

function lossDetail(sent: number, received: number): string {
  const lost = sent > 0 ? Math.max(0, sent - received) / sent : 0;
  return `sent ${formatCount(sent)}, received ${formatCount(received)} (${formatPercent(lost)} lost)`;
}

/** The run with the highest rate: interference from other processes only ever lowers a rate. */
function best<T>(runs: T[], rate: (run: T) => number): T {
  return runs.reduce((a, b) => (rate(b) > rate(a) ? b : a));
}

/** "best of 2 rounds: 96.9, 101 MB/s" (empty for a single round). */
function roundsDetail<T>(runs: T[], value: (run: T) => number, unit: string): string {
  return runs.length < 2 ? '' : `best of ${runs.length} rounds: ${runs.map((r) => formatValue(value(r))).join(', ')} ${unit}; `;
}

/**
 * The CPU-bound rate in MB/s: what the run would reach with each process on a core of its own and nothing
 * else running, from each side's CPU microseconds per MB (the slower side bounds it). Rates measured on a
 * machine shared with other work swing by 2-5x between rounds; CPU cost per MB moves far less, so this is
 * the figure to compare A/B changes with (docs/decisions.md, "Measuring on a shared machine").
 */
function cpuBoundMBps(senderMicrosPerMB: number, receiverMicrosPerMB: number): number {
  const worst = Math.max(senderMicrosPerMB, receiverMicrosPerMB);
  return worst > 0 ? 1e6 / worst : 0;
}

function cpuDetail(senderMicrosPerMB: number, receiverMicrosPerMB: number): string {
  return `CPU per MB: sender ${formatValue(senderMicrosPerMB)} us, receiver ${formatValue(receiverMicrosPerMB)} us`;
}

function rawDetail(f: RawDgramFigures): string {
  return (
    `${lossDetail(f.sent, f.receiver.totalCount)}; receiver CPU ${f.receiver.cpuPercent.toFixed(0)}%; ${cpuDetail(f.senderCpuMicrosPerMB, f.receiver.cpuMicrosPerMB)}` +
    (f.sendErrors > 0 ? `; ${formatCount(f.sendErrors)} sends refused by the kernel` : '')
  );
}

function streamDetail(s: StreamFigures): string {
  const r = s.receiver;
  const drops = r.drops > 0 ? `; receiver dropped ${formatCount(r.drops)} packets/events (channel full ${formatCount(r.channelFullDrops)})` : '';
  const batches =
    s.senderBatches !== null && r.batches !== null
      ? `; datagrams per system call: sender sends ${s.senderBatches.perSend.toFixed(1)}, receiver reads ${r.batches.perReceive.toFixed(1)}, receiver sends ${r.batches.perSend.toFixed(1)}`
      : '; node:dgram (one system call per datagram)';
  return `${lossDetail(s.sentEvents, r.totalCount)}; ${formatValue(r.countPerSecond)} events/s; receiver CPU ${r.cpuPercent.toFixed(0)}%; ${cpuDetail(s.senderCpuMicrosPerMB, r.cpuMicrosPerMB)}${batches}${drops}`;
}

function ratioTarget(ratio: number | null, min: number, baseName: string): BenchFigure['target'] {
  if (ratio === null) return null;
  return { text: `>= ${formatPercent(min)} of ${baseName}`, met: ratio >= min };
}

export async function benchSession(options: SessionBenchOptions): Promise<SessionBenchResult> {
  const d = options.quick ? QUICK_DURATIONS : FULL_DURATIONS;
  const groups = options.groups;
  const log = options.log;
  const figures: BenchFigure[] = [];
  let suite: string | null = null;
  const name = (rest: string) => `session.${suite ?? options.crypto}.${rest}`;
  const streamGroups = (['unreliable', 'coalesced', 'reliable'] as const).filter((g) => groups.has(g));
  const runStream = (group: StreamGroup, sender: PeerProcess, receiver: PeerProcess): Promise<StreamFigures> => {
    const eventBytes = group === 'coalesced' ? SMALL_EVENT_BYTES : LARGE_EVENT_BYTES;
    log(`(${STREAM_LETTER[group]}) session ${group} channel, ${eventBytes} B events for ${d.streamMs} ms`);
    return measureStream(sender, receiver, { crypto: options.crypto, reliable: group === 'reliable', eventBytes, durationMs: d.streamMs, warmupMs: d.warmupMs });
  };

  // Throughput rounds: raw and session figures interleaved, so that a burst of load from other processes
  // hits one round of each rather than all runs of one figure; each figure keeps its best round.
  const profiling = options.profileDir !== null;
  const rounds = profiling ? 1 : options.rounds;
  const rawLargeRuns: RawDgramFigures[] = [];
  // The batched transport without any protocol (only when the native addon loaded here).
  const rawNativeRuns: RawDgramFigures[] = [];
  const nativeIo = nativeAddon() !== null;
  const rawSmallRuns: RawDgramFigures[] = [];
  const streamRuns = new Map<StreamGroup, StreamFigures[]>(streamGroups.map((g) => [g, []]));
  // Every round runs each figure in a fresh sender and receiver process (profiled when asked): state left
  // in a process by one figure (the raw dgram runs leave the receiver about 2x slower per MB for the
  // session figures that follow in the same process) must not bias the next.
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) log(`throughput round ${round} of ${rounds}`);
    if (groups.has('raw')) {
      await withPeers(['sender', 'receiver'], NO_FLAGS, null, async ([sender, receiver]) => {
        log(`(a) raw dgram ${RAW_LARGE_DATAGRAM_BYTES} B for ${d.rawMs} ms`);
        rawLargeRuns.push(await measureRawDgram(sender, receiver, RAW_LARGE_DATAGRAM_BYTES, d.rawMs, d.warmupMs));
        log(`(a) raw dgram ${RAW_SMALL_DATAGRAM_BYTES} B for ${d.rawMs} ms`);
        rawSmallRuns.push(await measureRawDgram(sender, receiver, RAW_SMALL_DATAGRAM_BYTES, d.rawMs, d.warmupMs));
        if (nativeIo) {
          log(`(a) raw native batched I/O ${RAW_LARGE_DATAGRAM_BYTES} B for ${d.rawMs} ms (reference, no protocol)`);
          rawNativeRuns.push(await measureRawDgram(sender, receiver, RAW_LARGE_DATAGRAM_BYTES, d.rawMs, d.warmupMs, 'native'));
        }
      });
    }
    for (const group of streamGroups) {
      const labels = [`${group} sender`, `${group} receiver`];
      streamRuns.get(group)!.push(await withPeers(labels, NO_FLAGS, options.profileDir, ([sender, receiver]) => runStream(group, sender, receiver)));
    }
  }

  let rawLarge: BenchFigure | undefined;
  let rawSmall: BenchFigure | undefined;
  let rawLargeBound: BenchFigure | undefined;
  let rawSmallBound: BenchFigure | undefined;
  if (rawLargeRuns.length > 0) {
    const bytesPerSec = (r: RawDgramFigures) => r.receiver.bytesPerSecond / MB;
    const packetsPerSec = (r: RawDgramFigures) => r.receiver.countPerSecond;
    const large = best(rawLargeRuns, bytesPerSec);
    const small = best(rawSmallRuns, packetsPerSec);
    rawLarge = figure(
      { name: `raw.dgram.${RAW_LARGE_DATAGRAM_BYTES}B`, value: bytesPerSec(large), unit: 'MB/s' },
      { detail: roundsDetail(rawLargeRuns, bytesPerSec, 'MB/s') + rawDetail(large) },
    );
    rawSmall = figure(
      { name: `raw.dgram.${RAW_SMALL_DATAGRAM_BYTES}B.packets`, value: packetsPerSec(small), unit: 'packets/s' },
      { detail: roundsDetail(rawSmallRuns, packetsPerSec, 'packets/s') + rawDetail(small) },
    );
    figures.push(rawLarge, figure({ name: `raw.dgram.${RAW_LARGE_DATAGRAM_BYTES}B.packets`, value: packetsPerSec(large), unit: 'packets/s' }), rawSmall);
    // The CPU-bound figures use the cheapest round of each side (interference only ever adds CPU time).
    const rawBound = (runs: RawDgramFigures[]) =>
      cpuBoundMBps(Math.min(...runs.map((r) => r.senderCpuMicrosPerMB)), Math.min(...runs.map((r) => r.receiver.cpuMicrosPerMB || Infinity)));
    rawLargeBound = figure(
      { name: `raw.dgram.${RAW_LARGE_DATAGRAM_BYTES}B.cpu-bound`, value: rawBound(rawLargeRuns), unit: 'MB/s' },
      { detail: 'with a core per process and nothing else running, from CPU time per MB (the slower side bounds it)' },
    );
    rawSmallBound = figure({
      name: `raw.dgram.${RAW_SMALL_DATAGRAM_BYTES}B.packets.cpu-bound`,
      value: (rawBound(rawSmallRuns) * MB) / RAW_SMALL_DATAGRAM_BYTES,
      unit: 'packets/s',
    });
    figures.push(rawLargeBound, rawSmallBound);
    if (rawNativeRuns.length > 0) {
      const top = best(rawNativeRuns, bytesPerSec);
      figures.push(
        against({ name: `raw.native-batch.${RAW_LARGE_DATAGRAM_BYTES}B`, value: bytesPerSec(top), unit: 'MB/s' }, rawLarge, {
          detail:
            'reference, not a target: the session layer\'s batched transport (sendmmsg + UDP GSO, recvmmsg) with no protocol on top; ' +
            roundsDetail(rawNativeRuns, bytesPerSec, 'MB/s') +
            rawDetail(top),
        }),
        against({ name: `raw.native-batch.${RAW_LARGE_DATAGRAM_BYTES}B.cpu-bound`, value: rawBound(rawNativeRuns), unit: 'MB/s' }, rawLargeBound, {
          detail: 'the ceiling of a session on the native path, from CPU time per MB',
        }),
      );
    }
  }
  for (const group of streamGroups) {
    const runs = streamRuns.get(group)!;
    suite = runs[0]!.suite;
    const eventBytes = group === 'coalesced' ? SMALL_EVENT_BYTES : LARGE_EVENT_BYTES;
    const boundMBps = cpuBoundMBps(
      Math.min(...runs.map((r) => r.senderCpuMicrosPerMB)),
      Math.min(...runs.map((r) => r.receiver.cpuMicrosPerMB || Infinity)),
    );
    const boundDetail = { detail: 'from CPU time per MB, as the raw cpu-bound figure' };
    if (group === 'coalesced') {
      const eventsPerSec = (r: StreamFigures) => r.receiver.countPerSecond;
      const top = best(runs, eventsPerSec);
      const f = against({ name: name('coalesced.64B.events'), value: eventsPerSec(top), unit: 'events/s' }, rawSmall, {
        detail: roundsDetail(runs, eventsPerSec, 'events/s') + streamDetail(top),
      });
      f.target = { text: `>= ${formatValue(TARGET_COALESCED_EVENTS_PER_SEC)} events/s`, met: f.value >= TARGET_COALESCED_EVENTS_PER_SEC };
      figures.push(f);
      const b = against({ name: name('coalesced.64B.events.cpu-bound'), value: (boundMBps * MB) / eventBytes, unit: 'events/s' }, rawSmallBound, boundDetail);
      b.target = { text: `>= ${formatValue(TARGET_COALESCED_EVENTS_PER_SEC)} events/s`, met: b.value >= TARGET_COALESCED_EVENTS_PER_SEC };
      figures.push(b);
    } else {
      const bytesPerSec = (r: StreamFigures) => r.receiver.bytesPerSecond / MB;
      const top = best(runs, bytesPerSec);
      const f = against({ name: name(`${group}.1KiB`), value: bytesPerSec(top), unit: 'MB/s' }, rawLarge, {
        detail: roundsDetail(runs, bytesPerSec, 'MB/s') + streamDetail(top),
      });
      f.target = ratioTarget(f.ratio, group === 'reliable' ? TARGET_RELIABLE_RATIO : TARGET_UNRELIABLE_RATIO, rawLarge?.name ?? 'raw');
      figures.push(f);
      const b = against({ name: name(`${group}.1KiB.cpu-bound`), value: boundMBps, unit: 'MB/s' }, rawLargeBound, boundDetail);
      b.target = ratioTarget(b.ratio, group === 'reliable' ? TARGET_RELIABLE_RATIO : TARGET_UNRELIABLE_RATIO, rawLargeBound?.name ?? 'raw');
      figures.push(b);
    }
  }

  if (groups.has('ratecap')) {
    // One run (a rate under a cap does not depend on what else runs, as long as the machine can exceed it).
    const cap = options.quick ? QUICK_RATE_CAP_BYTES_PER_SEC : RATE_CAP_BYTES_PER_SEC;
    const warmupMs = options.quick ? QUICK_RATE_CAP_WARMUP_MS : RATE_CAP_WARMUP_MS;
    log(`rate cap: session capped at ${formatValue(cap / MB)} MB/s, unreliable 1 KiB events for ${d.streamMs} ms after ${warmupMs} ms`);
    const run = await withPeers(['rate-capped sender', 'rate-capped receiver'], NO_FLAGS, options.profileDir, ([sender, receiver]) =>
      measureStream(sender, receiver, {
        crypto: options.crypto,
        reliable: false,
        eventBytes: LARGE_EVENT_BYTES,
        durationMs: d.streamMs,
        warmupMs,
        sendRateBytesPerSec: cap,
      }),
    );
    suite = run.suite;
    const r = run.receiver;
    // The cap counts whole datagrams (headers and tags); the meter counts event payload.
    const wirePerPayloadByte = r.totalBytes > 0 ? r.rxBytes / r.totalBytes : 1;
    const wireRate = r.bytesPerSecond * wirePerPayloadByte;
    figures.push(
      figure(
        { name: name('rate-capped.1KiB'), value: wireRate / MB, unit: 'MB/s' },
        {
          baseline: cap / MB,
          ratio: wireRate / cap,
          baselineName: 'the cap',
          detail:
            `sendRateBytesPerSec ${formatCount(cap)} (burst 2x); datagram bytes per second at the receiver after ${formatCount(warmupMs)} ms, ` +
            `event payload ${formatValue(r.bytesPerSecond / MB)} MB/s; ${lossDetail(run.sentEvents, r.totalCount)}`,
        },
      ),
    );
  }

  if (groups.has('handshake')) {
    const initiators = Math.max(1, Math.min(MAX_INITIATOR_PROCESSES, availableParallelism() - 1));
    const labels = ['handshake responder', ...Array.from({ length: initiators }, (_, i) => `handshake initiator ${i + 1}`)];
    log(`(e) handshakes: 1 responder, ${initiators} initiator process(es) x ${DIALERS_PER_PROCESS} dialers for ${d.handshakeMs} ms`);
    const result = await withPeers(
      labels,
      NO_FLAGS,
      options.profileDir,
      ([responder, ...dialers]) =>
        measureHandshakes(responder, dialers, {
          crypto: options.crypto,
          durationMs: d.handshakeMs,
          warmupMs: d.warmupMs,
          dialersPerProcess: DIALERS_PER_PROCESS,
        }),
    );
    suite = result.suite;
    const completed = result.initiators.reduce((n, r) => n + r.completed, 0);
    const failed = result.initiators.reduce((n, r) => n + r.failed, 0);
    const firstError = result.initiators.find((r) => r.firstError !== null)?.firstError;
    const rate = result.responder.countPerSecond;
    // CPU per handshake on each side: the responder over its steady window, the initiators over their run.
    const responderMicros = rate > 0 ? (result.responder.cpuPercent / 100) * 1e6 / rate : 0;
    const initiatorMicros = completed > 0 ? result.initiators.reduce((n, r) => n + r.cpuMicros, 0) / completed : 0;
    const boundRate = Math.min(responderMicros > 0 ? 1e6 / responderMicros : Infinity, initiatorMicros > 0 ? (initiators * 1e6) / initiatorMicros : Infinity);
    figures.push(
      figure(
        { name: name('handshakes'), value: rate, unit: 'handshakes/s' },
        {
          target: { text: `>= ${formatValue(TARGET_HANDSHAKES_PER_SEC)}/s (native)`, met: rate >= TARGET_HANDSHAKES_PER_SEC },
          detail:
            `${initiators} initiator process(es) x ${DIALERS_PER_PROCESS} dialers; initiators completed ${formatCount(completed)}, failed ${formatCount(failed)}` +
            (firstError ? ` (first error: ${firstError})` : ''),
        },
      ),
      figure(
        { name: name('handshakes.responder-cpu'), value: result.responder.cpuPercent, unit: '% of a core' },
        { detail: 'near 100%: the responder was the bottleneck; well below: the initiators were' },
      ),
      figure(
        { name: name('handshakes.cpu-bound'), value: Number.isFinite(boundRate) ? boundRate : 0, unit: 'handshakes/s' },
        {
          target: { text: `>= ${formatValue(TARGET_HANDSHAKES_PER_SEC)}/s (native)`, met: boundRate >= TARGET_HANDSHAKES_PER_SEC },
          detail:
            `CPU per handshake: responder ${formatValue(responderMicros)} us, initiator ${formatValue(initiatorMicros)} us; ` +
            `the rate with a core per process (${initiators} initiator process(es)) and nothing else running`,
        },
      ),
    );
  }

  if (groups.has('memory')) {
    log(`(f) memory: ${formatCount(d.memorySessions)} idle sessions on one responder`);
    const result = await withPeers(
      ['memory responder', 'memory initiator'],
      (label) => (label === 'memory responder' ? ['--expose-gc'] : []),
      null,
      ([responder, initiator]) =>
        measureIdleMemory(responder, initiator, { crypto: options.crypto, sessions: d.memorySessions, initiatorEndpoints: MEMORY_INITIATOR_ENDPOINTS }),
    );
    suite = result.suite;
    const heapMb = (n: number) => (n / MB).toFixed(1);
    figures.push(
      figure(
        { name: name('idle.heap-per-session'), value: result.heapPerSession, unit: 'B/session' },
        {
          target: { text: `<= ${formatValue(TARGET_IDLE_SESSION_BYTES)} B`, met: result.heapPerSession <= TARGET_IDLE_SESSION_BYTES },
          detail: `${formatCount(result.sessions)} sessions from ${MEMORY_INITIATOR_ENDPOINTS} initiator endpoints; heapUsed ${heapMb(result.before.heapUsed)} -> ${heapMb(result.after.heapUsed)} MB`,
        },
      ),
      figure(
        { name: name('idle.rss-per-session'), value: result.rssPerSession, unit: 'B/session' },
        { detail: `rss ${heapMb(result.before.rss)} -> ${heapMb(result.after.rss)} MB` },
      ),
      figure(
        { name: name('idle.external-per-session'), value: result.externalPerSession, unit: 'B/session' },
        { detail: `off-heap (ArrayBuffers, native): ${heapMb(result.before.external)} -> ${heapMb(result.after.external)} MB` },
      ),
    );
  }
  return { figures, suite };
}
