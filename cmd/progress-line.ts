/**
 * A transfer progress line on stderr (issue 7 item 4: bytes, rate and ETA). On a terminal it is redrawn in
 * place with `\r` a few times a second; otherwise (a log file, a pipe) a plain line is printed every few
 * seconds, so logs stay readable. `finish()` leaves one summary line either way.
 *
 * TransferMeter is the pure part: it takes byte counts and `now` and returns the numbers; the rate is
 * averaged over the last few seconds, so a stall shows up quickly and an early burst does not linger.
 */
import { formatBytes, formatDuration, formatRate } from './byte-units.js';
import {
  PROGRESS_PLAIN_INTERVAL_MS,
  PROGRESS_RATE_WINDOW_MS,
  PROGRESS_RATE_WINDOW_SAMPLES,
  PROGRESS_REDRAW_INTERVAL_MS,
} from './constants.js';

export interface TransferProgress {
  doneBytes: number;
  /** Undefined when the size is not known in advance (a pipe). */
  totalBytes: number | undefined;
  /** Bytes per second over the last few seconds. */
  ratePerSec: number;
  /** Seconds left at that rate; Infinity when unknown (no total, or no progress yet). */
  etaSec: number;
  elapsedMs: number;
}

export class TransferMeter {
  private readonly samples: { bytes: number; atMs: number }[] = [];

  constructor(
    private readonly startedMs: number,
    private readonly totalBytes?: number,
  ) {
    this.samples.push({ bytes: 0, atMs: startedMs });
  }

  sample(doneBytes: number, nowMs: number): TransferProgress {
    const { samples } = this;
    samples.push({ bytes: doneBytes, atMs: nowMs });
    while (samples.length > PROGRESS_RATE_WINDOW_SAMPLES || (samples.length > 2 && nowMs - samples[1]!.atMs >= PROGRESS_RATE_WINDOW_MS)) {
      samples.shift();
    }
    const oldest = samples[0]!;
    const spanMs = nowMs - oldest.atMs;
    const ratePerSec = spanMs > 0 ? (Math.max(0, doneBytes - oldest.bytes) * 1000) / spanMs : 0;
    const left = this.totalBytes === undefined ? undefined : Math.max(0, this.totalBytes - doneBytes);
    const etaSec = left === undefined ? Infinity : left === 0 ? 0 : ratePerSec > 0 ? left / ratePerSec : Infinity;
    return { doneBytes, totalBytes: this.totalBytes, ratePerSec, etaSec, elapsedMs: nowMs - this.startedMs };
  }
}

/** `send: 1.20 MiB of 4.77 MiB (25%), 3.10 MiB/s, 1 s left` (without a total: `send: 1.20 MiB, 3.10 MiB/s`). */
export function formatProgress(label: string, p: TransferProgress): string {
  const rate = formatRate(p.ratePerSec);
  if (p.totalBytes === undefined) return `${label}: ${formatBytes(p.doneBytes)}, ${rate}`;
  const percent = p.totalBytes > 0 ? Math.floor((Math.min(p.doneBytes, p.totalBytes) * 100) / p.totalBytes) : 100;
  return `${label}: ${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)} (${percent}%), ${rate}, ${formatDuration(p.etaSec)} left`;
}

/** `send: 4.77 MiB in 1 s (3.90 MiB/s)`. */
export function formatSummary(label: string, doneBytes: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (doneBytes * 1000) / elapsedMs : 0;
  // Short transfers are the common case on a LAN: "in 0 s" would say nothing.
  const took = elapsedMs < 10_000 ? `${(Math.max(0, elapsedMs) / 1000).toFixed(2)} s` : formatDuration(elapsedMs / 1000);
  return `${label}: ${formatBytes(doneBytes)} in ${took} (${formatRate(rate)})`;
}

export interface ProgressLineOptions {
  /** Shown first on the line, e.g. `send` or `receive`. */
  label: string;
  totalBytes?: number;
  /** Default: process.stderr. */
  stream?: NodeJS.WritableStream;
  /** Default: whether `stream` is a terminal. */
  isTty?: boolean;
  /** Clock in ms (default performance.now); tests pass their own. */
  now?: () => number;
}

export class ProgressLine {
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly meter: TransferMeter;
  private readonly startedMs: number;
  private lastDrawMs: number;
  private drawn = false;
  private done = 0;
  private finished = false;

  constructor(private readonly options: ProgressLineOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.isTty ?? (this.stream as { isTTY?: boolean }).isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.startedMs = this.now();
    this.lastDrawMs = this.startedMs;
    this.meter = new TransferMeter(this.startedMs, options.totalBytes);
  }

  /** Reports `doneBytes` transferred so far; draws when the interval for this kind of stream has passed. */
  update(doneBytes: number): void {
    if (this.finished) return;
    this.done = doneBytes;
    const nowMs = this.now();
    const progress = this.meter.sample(doneBytes, nowMs);
    const interval = this.tty ? PROGRESS_REDRAW_INTERVAL_MS : PROGRESS_PLAIN_INTERVAL_MS;
    if (nowMs - this.lastDrawMs < interval) return;
    this.lastDrawMs = nowMs;
    const text = formatProgress(this.options.label, progress);
    if (this.tty) {
      this.stream.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Replaces the progress with a summary line. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const summary = formatSummary(this.options.label, this.done, this.now() - this.startedMs);
    this.stream.write(this.drawn ? `\r${summary}\x1b[K\n` : `${summary}\n`);
  }
}
