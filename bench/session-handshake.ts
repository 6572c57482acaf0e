/**
 * (e) Completed handshakes per second against one responder endpoint in its own process. Initiator
 * processes run many endpoints (each its own static key) that dial, and close the session as soon as it
 * is established, as fast as they can. The figure is the responder's count of completed handshakes
 * (confirmed by the initiator's first packet) per second, with the responder's CPU use next to it: near
 * 100 % means the responder was the bottleneck, well below means the initiators were.
 */
import { performance } from 'node:perf_hooks';
import type { Endpoint } from '../src/session/index.js';
import { ArrivalMeter, type ArrivalSummary } from './arrival-meter.js';
import { BENCH_DIAL_TIMEOUT_MS, LOOPBACK, NO_COOKIE_THRESHOLD_PER_SEC, PEER_CALL_TIMEOUT_MS } from './constants.js';
import { nextTurn } from './pacing.js';
import type { PeerProcess, PeerRole } from './peer-process.js';
import {
  closeAll,
  describeListening,
  listenLoopback,
  peerKey,
  type CryptoChoice,
  type ListeningPeer,
} from './session-peer-endpoint.js';

export interface HandshakeOptions {
  crypto: CryptoChoice;
  durationMs: number;
  warmupMs: number;
  /** Endpoints per initiator process, each with one dial in flight at a time. */
  dialersPerProcess: number;
}

export interface DialReport {
  completed: number;
  failed: number;
  firstError: string | null;
  /** The initiator process's CPU time over the run (user + system), in microseconds. */
  cpuMicros: number;
}

export interface HandshakeFigures {
  suite: string;
  responder: ArrivalSummary;
  initiators: DialReport[];
}

// ---- child side ----

let responder: { endpoint: Endpoint; meter: ArrivalMeter } | null = null;
const dialers = new Set<Endpoint>();

async function openResponder(args: { crypto: CryptoChoice }): Promise<ListeningPeer> {
  if (responder !== null) throw new Error('a handshake responder is already open');
  const endpoint = await listenLoopback(args.crypto, { cookieThresholdPerSec: NO_COOKIE_THRESHOLD_PER_SEC });
  const meter = new ArrivalMeter(() => ({ count: endpoint.stats.handshakesCompleted, bytes: 0 }));
  meter.start();
  responder = { endpoint, meter };
  return describeListening(endpoint);
}

async function finishResponder(args: { warmupMs: number }): Promise<ArrivalSummary> {
  if (responder === null) throw new Error('no handshake responder is open');
  const { endpoint, meter } = responder;
  responder = null;
  meter.stop();
  await endpoint.close();
  return meter.summarize(args.warmupMs);
}

/**
 * One endpoint dialing back to back. Editor's note 8: a responder accepts an initiation only when its
 * TAI64N timestamp is newer than the last one from the same key, and the endpoint stamps whole
 * milliseconds, so each dialer starts at most one handshake per millisecond.
 */
async function dialLoop(endpoint: Endpoint, peer: ListeningPeer, endMs: number, report: DialReport): Promise<void> {
  const key = peerKey(peer);
  const address = { host: LOOPBACK, port: peer.port };
  let lastStartMs = 0;
  while (performance.now() < endMs) {
    while (Date.now() <= lastStartMs) await nextTurn();
    lastStartMs = Date.now();
    try {
      const session = await endpoint.dial(address, key, { timeoutMs: BENCH_DIAL_TIMEOUT_MS });
      report.completed++;
      session.close();
    } catch (err) {
      report.failed++;
      report.firstError ??= err instanceof Error ? err.message : String(err);
    }
  }
}

async function dialFor(args: { peer: ListeningPeer; crypto: CryptoChoice; durationMs: number; dialers: number }): Promise<DialReport> {
  const endpoints = await Promise.all(Array.from({ length: args.dialers }, () => listenLoopback(args.crypto)));
  for (const e of endpoints) dialers.add(e);
  const report: DialReport = { completed: 0, failed: 0, firstError: null, cpuMicros: 0 };
  const endMs = performance.now() + args.durationMs;
  const cpuBefore = process.cpuUsage();
  try {
    await Promise.all(endpoints.map((e) => dialLoop(e, args.peer, endMs, report)));
    const cpu = process.cpuUsage(cpuBefore);
    report.cpuMicros = cpu.user + cpu.system;
  } finally {
    for (const e of endpoints) dialers.delete(e);
    await closeAll(endpoints);
  }
  return report;
}

export const sessionHandshakeRoles: Record<string, PeerRole> = {
  'handshake.responder.open': openResponder,
  'handshake.responder.finish': finishResponder,
  'handshake.dial': dialFor,
};

export async function closeSessionHandshakePeer(): Promise<void> {
  const open: Endpoint[] = [...dialers];
  dialers.clear();
  if (responder !== null) {
    responder.meter.stop();
    open.push(responder.endpoint);
    responder = null;
  }
  await closeAll(open);
}

// ---- parent side ----

/** Runs (e) with peers the caller started: `responderPeer` alone, `initiatorPeers` dialing. */
export async function measureHandshakes(
  responderPeer: PeerProcess,
  initiatorPeers: PeerProcess[],
  options: HandshakeOptions,
): Promise<HandshakeFigures> {
  const peer = await responderPeer.call<ListeningPeer>('handshake.responder.open', { crypto: options.crypto }, PEER_CALL_TIMEOUT_MS);
  const durationMs = options.durationMs + options.warmupMs;
  let initiators: DialReport[] | null = null;
  let failure: unknown = null;
  try {
    initiators = await Promise.all(
      initiatorPeers.map((p) =>
        p.call<DialReport>('handshake.dial', { peer, crypto: options.crypto, durationMs, dialers: options.dialersPerProcess }, durationMs + BENCH_DIAL_TIMEOUT_MS + PEER_CALL_TIMEOUT_MS),
      ),
    );
  } catch (err) {
    failure = err;
  }
  // The responder is finished (its endpoint closed) whether or not the initiators succeeded.
  const responder = await responderPeer.call<ArrivalSummary>('handshake.responder.finish', { warmupMs: options.warmupMs }, PEER_CALL_TIMEOUT_MS);
  if (initiators === null) throw failure;
  return { suite: peer.suite, responder, initiators };
}
