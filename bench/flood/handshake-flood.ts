/**
 * Issue 8 item 3: one real node receives a HandshakeInit flood (init-packets.ts kinds) from a flooder
 * process with many source ports, while a second process of legitimate peers keeps completing handshakes
 * with it. Measured: the legitimate handshakes' success rate and latency before and during the flood, the
 * target's CPU, event-loop delay, memory and read rate, and its drop counters by reason.
 */
import { loadavg } from 'node:os';
import type { Node } from '../../src/node/index.js';
import type { PeerProcess } from '../peer-process.js';
import type { BlastReport } from './blaster.js';
import {
  closePeers,
  endpointStats,
  percentile,
  sleep,
  startPeers,
  startTarget,
  statsDelta,
  targetAddress,
  xPublicKeyHex,
  type CryptoChoice,
} from './common.js';
import {
  CAPTURED_INITS,
  FLOOD_SOCKETS,
  INIT_DISTINCT_PACKETS,
  LEGIT_DIAL_TIMEOUT_MS,
  LEGIT_DIALERS,
  LEGIT_PAUSE_MS,
  PEER_CALL_TIMEOUT_MS,
  type FloodDurations,
} from './constants.js';
import { EVEN_INIT_MIX, type InitMix } from './init-packets.js';
import type { LegitAttempt } from './legit.js';
import { PhaseMonitor, type PhaseFigures } from './monitor.js';

export interface HandshakeFloodOptions {
  ratePerSec: number;
  durations: FloodDurations;
  sockets?: number;
  mix?: InitMix;
  crypto?: CryptoChoice;
  legitDialers?: number;
  distinctPackets?: number;
}

export interface LegitFigures {
  attempts: number;
  completed: number;
  successRate: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
  firstError: string | null;
}

export interface HandshakeFloodResult {
  config: { ratePerSec: number; sockets: number; distinctPackets: number; mix: InitMix; crypto: string; legitDialers: number; durations: FloodDurations };
  packetKinds: Record<string, number>;
  blast: BlastReport;
  baseline: { target: PhaseFigures; legit: LegitFigures; counters: Record<string, number> };
  flood: { target: PhaseFigures; legit: LegitFigures; counters: Record<string, number> };
  /** The target's live sessions at the end of the flood (every legitimate one is closed at once). */
  sessionsAtEnd: number;
  targetRunning: boolean;
  /** The machine's 1-minute load average when the flood started and ended (other load lowers every rate). */
  loadAverage: { start: number; end: number };
}

export function legitFigures(attempts: readonly LegitAttempt[]): LegitFigures {
  const ok = attempts.filter((a) => a.latencyMs !== null).map((a) => a.latencyMs!);
  ok.sort((a, b) => a - b);
  return {
    attempts: attempts.length,
    completed: ok.length,
    successRate: attempts.length === 0 ? Number.NaN : ok.length / attempts.length,
    latencyP50Ms: percentile(ok, 50),
    latencyP95Ms: percentile(ok, 95),
    latencyMaxMs: ok.length === 0 ? Number.NaN : ok[ok.length - 1]!,
    firstError: attempts.find((a) => a.error !== null)?.error ?? null,
  };
}

export async function runHandshakeFlood(o: HandshakeFloodOptions): Promise<HandshakeFloodResult> {
  const crypto = o.crypto ?? 'auto';
  const sockets = o.sockets ?? FLOOD_SOCKETS;
  const mix = o.mix ?? EVEN_INIT_MIX;
  const distinct = o.distinctPackets ?? INIT_DISTINCT_PACKETS;
  const dialers = o.legitDialers ?? LEGIT_DIALERS;
  const d = o.durations;
  let target: Node | null = null;
  let peers: PeerProcess[] = [];
  let monitor: PhaseMonitor | null = null;
  try {
    target = await startTarget(crypto);
    const node = target;
    const address = targetAddress(node);
    const publicKey = xPublicKeyHex(node);
    peers = await startPeers(['flooder', 'legitimate peers']);
    const [flooder, legit] = peers as [PeerProcess, PeerProcess];
    const opened = await legit.call<{ captured: string[]; warmUp: LegitAttempt[] }>(
      'legit.open',
      { target: address, targetPublicKey: publicKey, dialers, pauseMs: LEGIT_PAUSE_MS, dialTimeoutMs: LEGIT_DIAL_TIMEOUT_MS, captureInits: CAPTURED_INITS, crypto },
      PEER_CALL_TIMEOUT_MS,
    );
    if (opened.warmUp.some((a) => a.latencyMs === null)) throw new Error(`a legitimate handshake failed before the flood: ${opened.warmUp.find((a) => a.error)?.error}`);
    const packetKinds = await flooder.call<Record<string, number>>(
      'flood.prepareInit',
      { target: address, targetPublicKey: publicKey, count: distinct, mix, captured: opened.captured, sockets, crypto },
      PEER_CALL_TIMEOUT_MS,
    );
    const rx = () => endpointStats(node).rxPackets;

    // Baseline: legitimate handshakes alone.
    await legit.call('legit.start', {}, PEER_CALL_TIMEOUT_MS);
    const baseStats = endpointStats(node);
    const baseStart = Date.now();
    monitor = new PhaseMonitor(rx, address.port);
    await sleep(d.baselineMs);
    const baseTarget = monitor.finish();
    monitor = null;
    const floodStats = endpointStats(node);

    // The flood, legitimate handshakes going on.
    const floodStart = Date.now();
    monitor = new PhaseMonitor(rx, address.port);
    const loadStart = loadavg()[0]!;
    const blast = await flooder.call<BlastReport>('flood.run', { ratePerSec: o.ratePerSec, durationMs: d.floodMs }, d.floodMs + PEER_CALL_TIMEOUT_MS);
    const floodTarget = monitor.finish(d.floodWarmupMs);
    monitor = null;
    const floodEnd = Date.now();
    const endStats = endpointStats(node);
    const attempts = await legit.call<LegitAttempt[]>('legit.stop', {}, LEGIT_DIAL_TIMEOUT_MS + PEER_CALL_TIMEOUT_MS);
    const inBaseline = attempts.filter((a) => a.startMs >= baseStart && a.startMs < floodStart);
    const inFlood = attempts.filter((a) => a.startMs >= floodStart + d.floodWarmupMs && a.startMs < floodEnd);
    return {
      config: { ratePerSec: o.ratePerSec, sockets, distinctPackets: distinct, mix, crypto, legitDialers: dialers, durations: d },
      packetKinds,
      blast,
      baseline: { target: baseTarget, legit: legitFigures(inBaseline), counters: statsDelta(baseStats, floodStats) },
      flood: { target: floodTarget, legit: legitFigures(inFlood), counters: statsDelta(floodStats, endStats) },
      sessionsAtEnd: endStats.sessionsActive,
      targetRunning: node.running,
      loadAverage: { start: loadStart, end: loadavg()[0]! },
    };
  } finally {
    monitor?.cancel();
    await closePeers(peers);
    await target?.stop();
  }
}

