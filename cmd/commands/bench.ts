/**
 * `wiremesh bench`: drives a running `wiremesh echo` server. Dials it, streams events on one channel for
 * the duration, counts the echoes, and prints throughput both ways, echoed events per second, and the
 * median and 99th-percentile round trip of a sample of timestamped events.
 *
 * Pacing: at most `--window` events may be unanswered at a time, so the measurement shows what the path
 * sustains instead of how fast socket buffers overflow (and so round trips are not mostly queueing in
 * kernel buffers). On an unreliable channel a lost event never comes back: when no echo arrives for a
 * while with the window full, the unanswered events are written off as lost and sending resumes.
 */
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError, TimeoutError, WiremeshError } from '../../src/errors.js';
import { Endpoint, parseUdpAddress, suiteByName, type Channel, type Session, type UdpAddress } from '../../src/session/index.js';

interface BenchArgs {
  target?: string;
  key?: string;
  duration: number;
  size: number;
  window: number;
  reliable: boolean;
  crypto: 'auto' | 'native' | 'pure';
  json: boolean;
}

/** An application channel (DESIGN: channels 16-254 belong to applications). */
const BENCH_CHANNEL = 16;
const BULK_EVENT_TYPE = 1;
const PROBE_EVENT_TYPE = 2;
/** One event in this many carries its send time (a float64 at offset 0) to sample the round trip. */
const PROBE_EVERY = 64;
const PROBE_BYTES = 8;
const DIAL_TIMEOUT_MS = 5_000;
/** Events sent per event-loop turn before yielding, so echoes are read while we send. */
const BURST_EVENTS = 64;
/** With the window full and no echo for this long, the unanswered events count as lost. */
const STALL_MS = 200;
/** After the sending period, wait this long without echoes before stopping. */
const DRAIN_QUIET_MS = 300;
const DRAIN_MAX_MS = 3_000;
const MAX_DURATION_S = 3600;
const MAX_EVENT_BYTES = 65_536;
const MAX_WINDOW = 1 << 20;
const MB = 1e6;

export interface EchoBenchOptions {
  target: UdpAddress;
  key: Uint8Array;
  durationMs: number;
  eventBytes: number;
  window: number;
  reliable: boolean;
  crypto: 'auto' | 'native' | 'pure';
  signal: AbortSignal;
}

export interface EchoBenchResult {
  suite: string;
  sentEvents: number;
  sentBytes: number;
  sendSeconds: number;
  echoedEvents: number;
  echoedBytes: number;
  echoSeconds: number;
  writtenOffAsLost: number;
  rttMs: number[];
}

function parseTarget(text: string | undefined): UdpAddress {
  if (text === undefined || text === '') {
    throw new InvalidArgumentError("--target is required: the echo server's address, e.g. 127.0.0.1:9000 (its first output line shows it)");
  }
  try {
    return parseUdpAddress(text);
  } catch (err) {
    throw new InvalidArgumentError(`--target: ${(err as Error).message}`);
  }
}

function parseKey(text: string | undefined): Uint8Array {
  if (text === undefined || text === '') {
    throw new InvalidArgumentError("--key is required: the echo server's public key, 64 hex characters (its first output line shows it)");
  }
  const trimmed = String(text).trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    throw new InvalidArgumentError(
      `--key must be the echo server's public key as 64 hex characters; got ${trimmed.length} characters${/^[0-9a-fA-F]*$/.test(trimmed) ? '' : ' with non-hex ones'}`,
    );
  }
  return hexToBytes(trimmed.toLowerCase());
}

function checkNumber(name: string, value: number, min: number, max: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(`--${name} ${String(value)} is not valid: use ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

/** The q-quantile (0..1) of ascending `sorted`, nearest-rank. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Dial failures the user can fix get the fix; a wrong key looks exactly like no server (MAC1 drops it). */
function explainDialError(err: unknown, target: UdpAddress): unknown {
  if (!(err instanceof WiremeshError)) return err;
  if (err.code === 'BAD_PEER_KEY') {
    return new InvalidArgumentError("--key is not a usable X25519 public key (a low-order point): copy publicKey from the echo server's first output line");
  }
  if (err.code === 'TIMEOUT') {
    const shown = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
    return new TimeoutError(`no handshake response from ${shown} within ${DIAL_TIMEOUT_MS} ms: is \`wiremesh echo\` running there, and is --key its publicKey?`, { cause: err });
  }
  return err;
}

/** Streams events to the echo server and counts what comes back. */
export async function runEchoBench(o: EchoBenchOptions): Promise<EchoBenchResult> {
  const suite = suiteByName(o.crypto);
  const endpoint = await Endpoint.listen({
    staticKey: suite.generateKeyPair(),
    host: isIPv6(o.target.host) ? '::' : '0.0.0.0',
    port: 0,
    crypto: o.crypto,
  });
  try {
    const session = await endpoint.dial(o.target, o.key, { timeoutMs: DIAL_TIMEOUT_MS, signal: o.signal }).catch((err: unknown) => {
      throw explainDialError(err, o.target);
    });
    const channel = session.channel(BENCH_CHANNEL);
    if (o.reliable) channel.setReliable();
    return await stream(session, channel, endpoint.suite.name, o);
  } finally {
    await endpoint.close();
  }
}

async function stream(session: Session, channel: Channel, suiteName: string, o: EchoBenchOptions): Promise<EchoBenchResult> {
  const r: EchoBenchResult = {
    suite: suiteName,
    sentEvents: 0,
    sentBytes: 0,
    sendSeconds: 0,
    echoedEvents: 0,
    echoedBytes: 0,
    echoSeconds: 0,
    writtenOffAsLost: 0,
    rttMs: [],
  };
  let lastEchoMs = 0;
  // The sender waits here while the window is full; each echo wakes it.
  const sender: { wake: (() => void) | null } = { wake: null };
  const receiving = (async () => {
    for await (const ev of channel) {
      const now = performance.now();
      r.echoedEvents++;
      r.echoedBytes += ev.payload.length;
      lastEchoMs = now;
      if (ev.type === PROBE_EVENT_TYPE && ev.payload.length >= PROBE_BYTES) {
        const view = new DataView(ev.payload.buffer, ev.payload.byteOffset, PROBE_BYTES);
        r.rttMs.push(now - view.getFloat64(0, true));
      }
      const wake = sender.wake;
      if (wake !== null) {
        sender.wake = null;
        wake();
      }
    }
  })();
  // A closing channel ends the loop above; a failing one is reported after the run.
  let receiveError: unknown = null;
  receiving.catch((err: unknown) => {
    receiveError = err;
  });

  const payload = new Uint8Array(o.eventBytes).fill(0x5a);
  const probe = new Uint8Array(Math.max(o.eventBytes, PROBE_BYTES)).fill(0x5a);
  const probeView = new DataView(probe.buffer);
  const start = performance.now();
  const end = start + o.durationMs;
  while (performance.now() < end && !o.signal.aborted && session.state === 'open' && receiveError === null) {
    const unanswered = r.sentEvents - r.echoedEvents - r.writtenOffAsLost;
    const room = o.window - unanswered;
    if (room <= 0) {
      const echoed = r.echoedEvents;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STALL_MS);
        sender.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      sender.wake = null;
      if (r.echoedEvents === echoed) r.writtenOffAsLost = r.sentEvents - r.echoedEvents;
      continue;
    }
    const n = Math.min(room, BURST_EVENTS);
    for (let i = 0; i < n; i++) {
      if ((r.sentEvents + i) % PROBE_EVERY === 0) {
        probeView.setFloat64(0, performance.now(), true);
        await channel.send(PROBE_EVENT_TYPE, probe);
        r.sentBytes += probe.length;
      } else {
        await channel.send(BULK_EVENT_TYPE, payload);
        r.sentBytes += payload.length;
      }
    }
    r.sentEvents += n;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  r.sendSeconds = (performance.now() - start) / 1000;
  if (session.state !== 'open') throw new WiremeshError('SESSION_CLOSED', `the echo server closed the session during the run (${String(session.closeReason)})`);
  if (receiveError !== null) throw receiveError;

  // Collect the echoes still on their way, then stop.
  const drainEnd = performance.now() + DRAIN_MAX_MS;
  let seen = r.echoedEvents;
  let quietSince = performance.now();
  while (r.echoedEvents < r.sentEvents && performance.now() < drainEnd && !o.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (r.echoedEvents !== seen) {
      seen = r.echoedEvents;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= DRAIN_QUIET_MS) {
      break;
    }
  }
  r.echoSeconds = ((r.echoedEvents > 0 ? lastEchoMs : performance.now()) - start) / 1000;
  r.rttMs.sort((a, b) => a - b);
  return r;
}

interface Line {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

/** The figures, in the JSON-lines shape `npm run bench -- --json` uses. */
export function echoBenchLines(r: EchoBenchResult): Line[] {
  const sentMbps = r.sentBytes / MB / r.sendSeconds;
  const echoMbps = r.echoSeconds > 0 ? r.echoedBytes / MB / r.echoSeconds : 0;
  const line = (name: string, value: number, unit: string, baseline: number | null = null): Line => ({
    name,
    value,
    unit,
    baseline,
    ratio: baseline !== null && baseline > 0 ? value / baseline : null,
  });
  return [
    line('echo.sent', sentMbps, 'MB/s'),
    line('echo.received', echoMbps, 'MB/s', sentMbps),
    line('echo.events', r.echoSeconds > 0 ? r.echoedEvents / r.echoSeconds : 0, 'events/s'),
    line('echo.sent.count', r.sentEvents, 'events'),
    line('echo.received.count', r.echoedEvents, 'events', r.sentEvents),
    line('echo.rtt.median', quantile(r.rttMs, 0.5), 'ms'),
    line('echo.rtt.p99', quantile(r.rttMs, 0.99), 'ms'),
    line('echo.rtt.samples', r.rttMs.length, 'samples'),
  ];
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

function formatText(r: EchoBenchResult, o: EchoBenchOptions, target: string): string {
  const sentMbps = r.sentBytes / MB / r.sendSeconds;
  const echoMbps = r.echoSeconds > 0 ? r.echoedBytes / MB / r.echoSeconds : 0;
  const share = r.sentEvents > 0 ? (r.echoedEvents / r.sentEvents) * 100 : 0;
  const rtt =
    r.rttMs.length === 0
      ? 'round trip  no timestamped event came back'
      : `round trip  median ${quantile(r.rttMs, 0.5).toFixed(3)} ms, p99 ${quantile(r.rttMs, 0.99).toFixed(3)} ms (${count(r.rttMs.length)} samples, 1 event in ${PROBE_EVERY})`;
  return [
    `wiremesh bench: ${target}, crypto ${r.suite}, ${o.reliable ? 'reliable' : 'unreliable'} channel ${BENCH_CHANNEL}, ${count(o.eventBytes)} B events, window ${count(o.window)}, ${r.sendSeconds.toFixed(1)} s`,
    `sent        ${count(r.sentEvents).padStart(12)} events  ${sentMbps.toFixed(2).padStart(9)} MB/s`,
    `echoed      ${count(r.echoedEvents).padStart(12)} events  ${echoMbps.toFixed(2).padStart(9)} MB/s  (${share.toFixed(1)}% of sent)`,
    `events/s    ${count(r.echoSeconds > 0 ? r.echoedEvents / r.echoSeconds : 0).padStart(12)} echoed per second`,
    rtt,
    '',
  ].join('\n');
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'Measure throughput and round trip against a running `wiremesh echo` server',
  builder: (y: Argv) =>
    y
      .option('target', { type: 'string', describe: "echo server address (host:port, [v6]:port), from its first output line" })
      .option('key', { type: 'string', describe: "echo server's public key (64 hex characters), from its first output line" })
      .option('duration', { type: 'number', default: 5, describe: 'seconds to send for' })
      .option('size', { type: 'number', default: 1024, describe: 'event payload bytes' })
      .option('window', { type: 'number', default: 512, describe: 'most events unanswered at a time' })
      .option('reliable', { type: 'boolean', default: false, describe: 'use a reliable channel (start the server with --reliable too)' })
      .option('crypto', { choices: ['auto', 'native', 'pure'] as const, default: 'auto' as const, describe: 'crypto provider' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per figure instead of text' })
      .example('$0 bench --target 127.0.0.1:9000 --key 3f2a...e1 --duration 10', 'ten seconds against a local echo server') as unknown as Argv<BenchArgs>,
  handler: async (args: ArgumentsCamelCase<BenchArgs>) => {
    const target = parseTarget(args.target);
    const key = parseKey(args.key);
    const durationS = checkNumber('duration', args.duration, 0.1, MAX_DURATION_S, false);
    const eventBytes = checkNumber('size', args.size, 0, MAX_EVENT_BYTES, true);
    const window = checkNumber('window', args.window, 1, MAX_WINDOW, true);
    // Ctrl-C ends the run early; the figures so far are still printed.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    process.once('SIGINT', onSigint);
    const options: EchoBenchOptions = {
      target,
      key,
      durationMs: durationS * 1000,
      eventBytes,
      window,
      reliable: args.reliable,
      crypto: args.crypto,
      signal: interrupt.signal,
    };
    let result: EchoBenchResult;
    try {
      result = await runEchoBench(options);
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    const shown = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
    if (args.json) {
      for (const l of echoBenchLines(result)) process.stdout.write(`${JSON.stringify(l)}\n`);
    } else {
      process.stdout.write(formatText(result, options, shown));
    }
  },
};
