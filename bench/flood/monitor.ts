/**
 * What the target's own process looks like during one phase of a flood: CPU time per second (user +
 * system, percent of one core), event-loop delay (perf_hooks.monitorEventLoopDelay: how late a timer
 * fires, i.e. how long the loop was blocked), memory, and the datagrams its endpoint read per second.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { ELD_RESOLUTION_MS, SAMPLE_INTERVAL_MS } from './constants.js';

export interface Sample {
  /** ms since the phase started */
  atMs: number;
  cpuPercent: number;
  rxPerSec: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface PhaseFigures {
  seconds: number;
  /** Mean CPU of the target process over the phase, and the highest 1-s value, percent of one core. */
  cpuPercent: number;
  cpuPercentMaxPerSecond: number;
  /** Event-loop delay percentiles over the phase, ms. */
  eldP50Ms: number;
  eldP99Ms: number;
  eldMaxMs: number;
  /** Datagrams the target's endpoint read, per second. */
  rxPerSec: number;
  rssStartBytes: number;
  rssEndBytes: number;
  rssMaxBytes: number;
  heapStartBytes: number;
  heapEndBytes: number;
  heapMaxBytes: number;
  /** Linux: UDP datagrams the kernel dropped for full receive buffers (whole machine) during the phase. */
  kernelRcvbufErrors: number | null;
  /** Linux: of those, the ones dropped at the target's own socket (its receive buffer was full). */
  targetSocketDrops: number | null;
  samples: Sample[];
}

/** Linux's system-wide UDP RcvbufErrors counter, or null where /proc/net/snmp is not readable. */
export function udpRcvbufErrors(): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    if (lines.length < 2) return null;
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const i = names.indexOf('RcvbufErrors');
    return i < 0 ? null : Number(values[i]);
  } catch {
    return null;
  }
}

/**
 * Linux: datagrams the kernel dropped at the UDP socket(s) bound to `port` (the `drops` column of
 * /proc/net/udp and udp6: a full receive buffer), or null where that is not readable.
 */
export function socketDrops(port: number): number | null {
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let found = false;
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !cols[1]!.endsWith(portHex)) continue;
      found = true;
      drops += Number(cols[cols.length - 1]);
    }
  }
  return found ? drops : null;
}

export class PhaseMonitor {
  private readonly eld: IntervalHistogram;
  private readonly samples: Sample[] = [];
  private readonly t0 = performance.now();
  private readonly cpu0 = process.cpuUsage();
  private readonly rx0: number;
  private readonly kernel0 = udpRcvbufErrors();
  private readonly socketDrops0: number | null;
  private lastAt = this.t0;
  private lastCpu = this.cpu0;
  private lastRx: number;
  private readonly mem0 = process.memoryUsage();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly readRx: () => number,
    private readonly port: number,
  ) {
    this.socketDrops0 = socketDrops(port);
    this.eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.eld.enable();
    this.rx0 = readRx();
    this.lastRx = this.rx0;
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  private sample(): void {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const rx = this.readRx();
    const wallMs = now - this.lastAt;
    if (wallMs <= 0) return;
    const cpuMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    const mem = process.memoryUsage();
    this.samples.push({
      atMs: now - this.t0,
      cpuPercent: (cpuMs / wallMs) * 100,
      rxPerSec: ((rx - this.lastRx) * 1000) / wallMs,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    });
    this.lastAt = now;
    this.lastCpu = cpu;
    this.lastRx = rx;
  }

  /** Ends the phase; `skipMs` leaves the phase's start out of the per-second maxima (warm-up). */
  finish(skipMs = 0): PhaseFigures {
    this.sample();
    clearInterval(this.timer);
    this.eld.disable();
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    const kernel = udpRcvbufErrors();
    const sockDrops = socketDrops(this.port);
    const steady = this.samples.filter((s) => s.atMs > skipMs);
    // Per-second CPU maxima from consecutive samples (SAMPLE_INTERVAL_MS each).
    const perSecond = Math.max(1, Math.round(1000 / SAMPLE_INTERVAL_MS));
    let cpuMax = 0;
    for (let i = 0; i + perSecond <= steady.length; i++) {
      let sum = 0;
      for (let j = i; j < i + perSecond; j++) sum += steady[j]!.cpuPercent;
      cpuMax = Math.max(cpuMax, sum / perSecond);
    }
    const mem = process.memoryUsage();
    // The histogram records each timer interval whole; its delay is what exceeds the resolution.
    const delayMs = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
    return {
      seconds,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
      cpuPercentMaxPerSecond: cpuMax,
      eldP50Ms: delayMs(this.eld.percentile(50)),
      eldP99Ms: delayMs(this.eld.percentile(99)),
      eldMaxMs: delayMs(this.eld.max),
      rxPerSec: (this.readRx() - this.rx0) / seconds,
      rssStartBytes: this.mem0.rss,
      rssEndBytes: mem.rss,
      rssMaxBytes: Math.max(mem.rss, ...this.samples.map((s) => s.rssBytes)),
      heapStartBytes: this.mem0.heapUsed,
      heapEndBytes: mem.heapUsed,
      heapMaxBytes: Math.max(mem.heapUsed, ...this.samples.map((s) => s.heapUsedBytes)),
      kernelRcvbufErrors: kernel === null || this.kernel0 === null ? null : kernel - this.kernel0,
      targetSocketDrops: sockDrops === null || this.socketDrops0 === null ? null : sockDrops - this.socketDrops0,
      samples: this.samples,
    };
  }

  /** Stops without figures (error paths). */
  cancel(): void {
    clearInterval(this.timer);
    this.eld.disable();
  }
}
