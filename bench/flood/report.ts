/**
 * Renderings of the flood results: BenchFigures (bench/report.ts) for the text table and the JSON lines
 * (`{"name","value","unit","baseline","ratio"}`), counters by reason, and the Markdown page
 * docs/figures/floods.md.
 */
import { cpus, totalmem } from 'node:os';
import { figure, formatCount, formatTable, toJsonLine, type BenchFigure } from '../report.js';
import type { GarbageFloodResult } from './garbage-flood.js';
import type { HandshakeFloodResult } from './handshake-flood.js';
import type { PhaseFigures } from './monitor.js';
import { ROGUE_KINDS } from './rogue-session.js';

const MB = 1024 * 1024;

function vs(name: string, value: number, unit: string, baseline: number, baselineName: string, detail: string | null = null): BenchFigure {
  return figure({ name, value, unit }, { baseline, ratio: baseline > 0 ? value / baseline : null, baselineName, detail });
}

/** `drops.<reason>` counters (and the other flood counters) as figures, largest first. */
function counterFigures(prefix: string, counters: Record<string, number>, keys: (k: string) => boolean): BenchFigure[] {
  return Object.entries(counters)
    .filter(([k]) => keys(k))
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => figure({ name: `${prefix}.${k}`, value: v, unit: 'packets' }));
}

function kernelDrops(t: PhaseFigures): string | null {
  const parts: string[] = [];
  if (t.targetSocketDrops !== null) parts.push(`dropped by the kernel at the target's full socket buffer: ${formatCount(t.targetSocketDrops)}`);
  if (t.kernelRcvbufErrors !== null) parts.push(`UDP receive-buffer drops on the whole machine: ${formatCount(t.kernelRcvbufErrors)}`);
  return parts.length === 0 ? null : parts.join('; ');
}

export function handshakeFloodFigures(r: HandshakeFloodResult): BenchFigure[] {
  const b = r.baseline;
  const f = r.flood;
  const c = f.counters;
  return [
    vs('flood.hs.sent_rate', r.blast.achievedPerSec, 'init/s', r.config.ratePerSec, 'requested', `${formatCount(r.blast.sent)} inits from ${r.config.sockets} source ports on 16 addresses in ${r.blast.seconds.toFixed(1)} s, flooder CPU ${r.blast.cpuPercent.toFixed(0)}%`),
    vs('flood.hs.target_read_rate', f.target.rxPerSec, 'datagram/s', r.blast.achievedPerSec, 'sent', kernelDrops(f.target)),
    vs('flood.hs.legit_success', f.legit.successRate * 100, '%', b.legit.successRate * 100, 'before the flood', `${f.legit.completed} of ${f.legit.attempts} during the flood (${b.legit.completed} of ${b.legit.attempts} before)${f.legit.firstError ? `; first error: ${f.legit.firstError}` : ''}`),
    vs('flood.hs.legit_latency_p50', f.legit.latencyP50Ms, 'ms', b.legit.latencyP50Ms, 'before the flood'),
    vs('flood.hs.legit_latency_p95', f.legit.latencyP95Ms, 'ms', b.legit.latencyP95Ms, 'before the flood', `max ${f.legit.latencyMaxMs.toFixed(1)} ms`),
    vs('flood.hs.target_cpu', f.target.cpuPercent, '% core', b.target.cpuPercent, 'before the flood', `highest 1-s value ${f.target.cpuPercentMaxPerSecond.toFixed(0)}%`),
    vs('flood.hs.event_loop_delay_p99', f.target.eldP99Ms, 'ms', b.target.eldP99Ms, 'before the flood', `p50 ${f.target.eldP50Ms.toFixed(2)} ms, max ${f.target.eldMaxMs.toFixed(1)} ms`),
    figure({ name: 'flood.hs.rss_growth', value: (f.target.rssEndBytes - f.target.rssStartBytes) / MB, unit: 'MiB' }, { detail: `RSS ${(f.target.rssStartBytes / MB).toFixed(0)} -> ${(f.target.rssEndBytes / MB).toFixed(0)} MiB (max ${(f.target.rssMaxBytes / MB).toFixed(0)}); heap ${(f.target.heapStartBytes / MB).toFixed(0)} -> ${(f.target.heapEndBytes / MB).toFixed(0)} MiB` }),
    figure({ name: 'flood.hs.under_load_episodes', value: c.underLoadEpisodes ?? 0, unit: 'times' }, { detail: 'cookie mode engaged (spec 6)' }),
    figure({ name: 'flood.hs.cookie_replies_sent', value: c.cookieRepliesSent ?? 0, unit: 'packets' }),
    figure({ name: 'flood.hs.sessions_at_end', value: r.sessionsAtEnd, unit: 'sessions' }, { detail: 'unconfirmed sessions the flood bought before load was detected; they expire after 15 s' }),
    ...counterFigures('flood.hs', c, (k) => k.startsWith('drops.')),
  ];
}

export function garbageFloodFigures(r: GarbageFloodResult): BenchFigure[] {
  const b = r.baseline;
  const f = r.flood;
  const t = f.target;
  return [
    vs('flood.garbage.sent_rate', r.blast.achievedPerSec, 'datagram/s', r.config.ratePerSec, 'requested', `${formatCount(r.blast.sent)} datagrams from ${r.config.sockets} source ports in ${r.blast.seconds.toFixed(1)} s, flooder CPU ${r.blast.cpuPercent.toFixed(0)}%`),
    vs('flood.garbage.target_read_rate', t.rxPerSec, 'datagram/s', r.blast.achievedPerSec, 'sent', `flood and the peer's stream together; ${kernelDrops(t) ?? 'kernel drops not readable'}`),
    vs('flood.garbage.stream_throughput', f.stream.bytesPerSec / MB, 'MiB/s', b.stream.bytesPerSec / MB, 'before the flood', 'reliable channel, 16 KiB events, peer process -> target'),
    figure({ name: 'flood.garbage.routed_acked', value: r.routed.acked, unit: 'messages' }, { detail: `failed ${r.routed.failed}, acknowledged but not delivered ${r.routed.ackedNotDelivered}${r.routed.firstError ? `; first error: ${r.routed.firstError}` : ''}` }),
    figure({ name: 'flood.garbage.rogue_packets', value: r.blast.rogue?.sent ?? 0, unit: 'packets' }, { detail: `authenticated garbage over ${r.blast.rogue?.sessions ?? 0} rogue sessions (1 slot in ${r.config.rogueEvery}): ${ROGUE_KINDS.join(', ')}` }),
    figure({ name: 'flood.garbage.session_unchanged', value: r.sessionUnchanged && r.streamChannelOpen ? 1 : 0, unit: 'bool' }),
    vs('flood.garbage.target_cpu', t.cpuPercent, '% core', b.target.cpuPercent, 'before the flood', `highest 1-s value ${t.cpuPercentMaxPerSecond.toFixed(0)}%`),
    vs('flood.garbage.event_loop_delay_p99', t.eldP99Ms, 'ms', b.target.eldP99Ms, 'before the flood', `p50 ${t.eldP50Ms.toFixed(2)} ms, max ${t.eldMaxMs.toFixed(1)} ms`),
    figure({ name: 'flood.garbage.heap_growth', value: (t.heapEndBytes - t.heapStartBytes) / MB, unit: 'MiB' }, { detail: `heap ${(t.heapStartBytes / MB).toFixed(1)} -> ${(t.heapEndBytes / MB).toFixed(1)} MiB (max ${(t.heapMaxBytes / MB).toFixed(1)})` }),
    figure({ name: 'flood.garbage.heap_slope_second_half', value: r.heapSlopeBytesPerSec / 1024, unit: 'KiB/s' }),
    figure({ name: 'flood.garbage.rss_slope_second_half', value: r.rssSlopeBytesPerSec / 1024, unit: 'KiB/s' }),
    figure({ name: 'flood.garbage.rss_growth', value: (t.rssEndBytes - t.rssStartBytes) / MB, unit: 'MiB' }, { detail: `RSS ${(t.rssStartBytes / MB).toFixed(0)} -> ${(t.rssEndBytes / MB).toFixed(0)} MiB (max ${(t.rssMaxBytes / MB).toFixed(0)})` }),
    ...counterFigures('flood.garbage', f.counters, (k) => k.startsWith('drops.')),
  ];
}

export function formatHandshakeFlood(r: HandshakeFloodResult): string {
  const kinds = Object.entries(r.packetKinds).map(([k, v]) => `${k} ${v}`).join(', ');
  return `HandshakeInit flood: ${formatCount(r.config.ratePerSec)}/s for ${r.config.durations.floodMs / 1000} s, packet set: ${kinds}; machine load ${r.loadAverage.start.toFixed(1)} -> ${r.loadAverage.end.toFixed(1)}\n${formatTable(handshakeFloodFigures(r))}`;
}

export function formatGarbageFlood(r: GarbageFloodResult): string {
  const kinds = Object.entries(r.packetKinds).map(([k, v]) => `${k} ${v}`).join(', ');
  const types = Object.entries(r.capturedByType).map(([k, v]) => `type ${k}: ${v}`).join(', ');
  return `Garbage flood: ${formatCount(r.config.ratePerSec)}/s for ${r.config.durations.floodMs / 1000} s, packet set: ${kinds}; machine load ${r.loadAverage.start.toFixed(1)} -> ${r.loadAverage.end.toFixed(1)}\n  mutated from captured valid packets (${types})\n${formatTable(garbageFloodFigures(r))}`;
}

export function jsonLines(figures: BenchFigure[]): string {
  return figures.map(toJsonLine).join('\n');
}

function mdNumber(n: number): string {
  return Math.abs(n) >= 100 || Number.isInteger(n) ? formatCount(n) : n.toFixed(2);
}

function mdTable(figures: BenchFigure[]): string {
  const rows = figures.map((f) => {
    const base = f.baseline === null ? '' : `${mdNumber(f.baseline)} (${f.baselineName})`;
    return `| ${f.name} | ${mdNumber(f.value)} ${f.unit} | ${base} | ${f.detail ?? ''} |`;
  });
  return ['| figure | value | baseline | detail |', '|---|---|---|---|', ...rows].join('\n');
}

export interface FloodPage {
  command: string;
  handshake: HandshakeFloodResult | null;
  garbage: GarbageFloodResult | null;
}

export function floodMarkdown(p: FloodPage): string {
  const cpu = cpus();
  const lines = [
    '# Flood figures (issue 8 items 3 and 4)',
    '',
    `Generated by \`${p.command}\` on ${new Date().toISOString()}.`,
    '',
    `Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node.js ${process.version}, ${process.platform}/${process.arch}. ` +
      'The target node, the flooder and the legitimate/streaming peer each run in their own process on 127.0.0.1 (other loopback addresses for the sources), ' +
      'so they share the machine\'s cores; other load on the machine lowers every rate.',
    '',
    'Defences exercised (src/session/endpoint.ts, cookie-load.ts, cookie-ratelimit.ts): MAC1 first (one keyed hash); "under load" ' +
      '(spec 6) when more than 2,000 initiations with a valid MAC1 arrive in a second or their DH work takes more than 50 ms of CPU in a ' +
      'second, held for 1 s after the last such second (WireGuard\'s UNDER_LOAD_AFTER_TIME); under load, no DH without a valid cookie ' +
      '(MAC2); CookieReplies at most 50/s per source IP (burst 50) and 10,000/s in all; DH for cookie holders at most 20/s per source IP ' +
      '(burst 5, WireGuard\'s ratelimiter); replayed initiations refused by timestamp (editor\'s note 8). Every dropped datagram is counted ' +
      'by reason (`drops.*` below). The garbage flood\'s transport packets are checked by header, receiver index, replay window and AEAD ' +
      'before any state changes; the authenticated garbage of rogue sessions meets the fragment and frame checks and the reassembly caps.',
    '',
  ];
  if (p.handshake !== null) {
    const r = p.handshake;
    lines.push(
      '## HandshakeInit flood',
      '',
      `Config: ${formatCount(r.config.ratePerSec)} inits/s requested for ${r.config.durations.floodMs / 1000} s (first ${r.config.durations.floodWarmupMs / 1000} s left out of the figures) after ${r.config.durations.baselineMs / 1000} s without flood; ` +
        `${r.config.sockets} flooder sockets on 16 loopback addresses; ${formatCount(r.config.distinctPackets)} pre-generated packets cycled (${Object.entries(r.packetKinds).map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
        `${r.config.legitDialers} legitimate peers (one address each) dialing, closing, pausing 100 ms; crypto ${r.config.crypto}.`,
      '',
      `Machine load average (1 min) at the start and end of the flood: ${r.loadAverage.start.toFixed(1)}, ${r.loadAverage.end.toFixed(1)}.`,
      '',
      mdTable(handshakeFloodFigures(r)),
      '',
    );
  }
  if (p.garbage !== null) {
    const r = p.garbage;
    lines.push(
      '## Garbage flood',
      '',
      `Config: ${formatCount(r.config.ratePerSec)} datagrams/s requested for ${r.config.durations.floodMs / 1000} s (first ${r.config.durations.floodWarmupMs / 1000} s left out of the throughput) after ${r.config.durations.baselineMs / 1000} s without flood; ` +
        `${formatCount(r.config.distinctPackets)} packets (seed ${r.config.seed}: ${Object.entries(r.packetKinds).map(([k, v]) => `${k} ${v}`).join(', ')}) mutated from captured valid packets ` +
        `(${Object.entries(r.capturedByType).map(([k, v]) => `type ${k}: ${v}`).join(', ')}); the peer node streams a reliable channel to the target and sends routed messages with ack every 20 ms.`,
      '',
      `Machine load average (1 min) at the start and end of the flood: ${r.loadAverage.start.toFixed(1)}, ${r.loadAverage.end.toFixed(1)}.`,
      '',
      mdTable(garbageFloodFigures(r)),
      '',
    );
  }
  return lines.join('\n');
}
