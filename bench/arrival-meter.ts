/**
 * Receive-side rate measurement. The receiver counts what actually arrived (never what was sent); a
 * timer samples the counters every few milliseconds, and the rate is taken over whole sample intervals
 * inside the steady part of the run: after a warm-up from the first arrival (JIT, socket buffers filling)
 * and before the last interval that still saw arrivals (the tail, when the sender had stopped).
 * Sampling with a timer keeps the hot path to two additions per item.
 */
import { performance } from 'node:perf_hooks';
import { MIN_WINDOW_INTERVALS, SAMPLE_INTERVAL_MS } from './constants.js';

export interface CounterReading {
  count: number;
  bytes: number;
}

export interface ArrivalSummary {
  /** Everything that arrived. */
  totalCount: number;
  totalBytes: number;
  /** The steady-state window the rates are measured over. */
  windowSeconds: number;
  countPerSecond: number;
  bytesPerSecond: number;
  /** Process CPU time (user + system) over the window divided by its wall time, in percent of one core. */
  cpuPercent: number;
  /**
   * Process CPU time over the window per byte that arrived in it, in microseconds per MB. Unlike the rates
   * it hardly depends on how much CPU other processes left us, so A/B comparisons on a loaded machine use it.
   */
  cpuMicrosPerMB: number;
}

export class ArrivalMeter {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];
  private readonly bytes: number[] = [];
  private readonly cpu: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** `read` returns the receiver's running totals; it is called on every sample. */
  constructor(private readonly read: () => CounterReading) {}

  start(): void {
    if (this.timer !== null) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /** Resolves once nothing arrived for `quietMs` (or after `maxWaitMs`). */
  async waitQuiet(quietMs: number, maxWaitMs: number): Promise<void> {
    const deadline = performance.now() + maxWaitMs;
    let last = this.read().count;
    let lastChange = performance.now();
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, SAMPLE_INTERVAL_MS));
      const now = this.read().count;
      if (now !== last) {
        last = now;
        lastChange = performance.now();
      } else if (performance.now() - lastChange >= quietMs) {
        return;
      }
    }
  }

  /** Rates over the steady window; `warmupMs` after the first arrival are left out. */
  summarize(warmupMs: number): ArrivalSummary {
    const n = this.times.length;
    const total = this.read();
    let first = -1;
    let lastActive = -1;
    for (let i = 1; i < n; i++) {
      if (this.counts[i] !== this.counts[i - 1]) {
        if (first < 0) first = i - 1;
        lastActive = i;
      }
    }
    if (first < 0) {
      return { totalCount: total.count, totalBytes: total.bytes, windowSeconds: 0, countPerSecond: 0, bytesPerSecond: 0, cpuPercent: 0, cpuMicrosPerMB: 0 };
    }
    // The interval ending at `lastActive` may have been only partly busy: end one interval earlier.
    let end = lastActive - 1;
    let start = first;
    while (start < end && this.times[start] - this.times[first] < warmupMs) start++;
    if (end - start < MIN_WINDOW_INTERVALS) {
      start = first;
      end = lastActive;
    }
    const seconds = (this.times[end] - this.times[start]) / 1000;
    return {
      totalCount: total.count,
      totalBytes: total.bytes,
      windowSeconds: seconds,
      countPerSecond: (this.counts[end] - this.counts[start]) / seconds,
      bytesPerSecond: (this.bytes[end] - this.bytes[start]) / seconds,
      cpuPercent: ((this.cpu[end] - this.cpu[start]) / 1000 / (seconds * 1000)) * 100,
      cpuMicrosPerMB: this.bytes[end] > this.bytes[start] ? ((this.cpu[end] - this.cpu[start]) / (this.bytes[end] - this.bytes[start])) * 1e6 : 0,
    };
  }

  private sample(): void {
    const r = this.read();
    const usage = process.cpuUsage();
    this.times.push(performance.now());
    this.counts.push(r.count);
    this.bytes.push(r.bytes);
    this.cpu.push(usage.user + usage.system);
  }
}
