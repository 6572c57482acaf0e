/**
 * (f) Memory per idle session on one responder endpoint. The responder runs with `--expose-gc`; it takes a
 * baseline after a warm-up round (so JIT code and one-time pools are not charged to the sessions), then
 * initiator endpoints in another process establish N sessions and keep them open, and the responder
 * measures again once all N are confirmed. Both readings follow full garbage collections.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint, Session } from '../src/session/index.js';
import {
  BENCH_DIAL_TIMEOUT_MS,
  LOOPBACK,
  MEMORY_GC_ROUNDS,
  MEMORY_HOLD_MS_PER_SESSION,
  MEMORY_SETTLE_TIMEOUT_MS,
  MEMORY_WARMUP_SESSIONS,
  NO_COOKIE_THRESHOLD_PER_SEC,
  PEER_CALL_TIMEOUT_MS,
  SAMPLE_INTERVAL_MS,
} from './constants.js';
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

export interface MemoryOptions {
  crypto: CryptoChoice;
  sessions: number;
  /** Initiator endpoints (static keys) the sessions come from. */
  initiatorEndpoints: number;
}

export interface MemoryReading {
  sessions: number;
  heapUsed: number;
  rss: number;
  external: number;
}

export interface MemoryFigures {
  suite: string;
  sessions: number;
  before: MemoryReading;
  after: MemoryReading;
  heapPerSession: number;
  rssPerSession: number;
  externalPerSession: number;
}

// ---- child side: responder ----

let responder: Endpoint | null = null;

function forceGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('the memory responder needs node --expose-gc');
  return gc;
}

async function openResponder(args: { crypto: CryptoChoice }): Promise<ListeningPeer> {
  forceGc();
  if (responder !== null) throw new Error('a memory responder is already open');
  responder = await listenLoopback(args.crypto, { cookieThresholdPerSec: NO_COOKIE_THRESHOLD_PER_SEC });
  return describeListening(responder);
}

function openSessions(endpoint: Endpoint): number {
  let open = 0;
  for (const s of endpoint.allSessions()) if (s.state === 'open') open++;
  return open;
}

/** Waits until exactly `sessions` sessions are open (and none half-open), then measures after full GCs. */
async function settleAndMeasure(args: { sessions: number; timeoutMs: number }): Promise<MemoryReading> {
  const gc = forceGc();
  const endpoint = responder;
  if (endpoint === null) throw new Error('no memory responder is open');
  const deadline = Date.now() + args.timeoutMs;
  while (endpoint.snapshot().sessionsActive !== args.sessions || openSessions(endpoint) !== args.sessions) {
    if (Date.now() > deadline) {
      throw new Error(`expected ${args.sessions} open sessions, have ${openSessions(endpoint)} of ${endpoint.snapshot().sessionsActive}`);
    }
    await sleep(SAMPLE_INTERVAL_MS);
  }
  // Several rounds: weak callbacks and finalizers run between them.
  for (let i = 0; i < MEMORY_GC_ROUNDS; i++) {
    gc();
    await nextTurn();
  }
  const usage = process.memoryUsage();
  return { sessions: args.sessions, heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external };
}

async function closeResponder(): Promise<void> {
  const endpoint = responder;
  responder = null;
  if (endpoint !== null) await endpoint.close();
}

// ---- child side: initiators ----

let holders: Endpoint[] = [];
let held: Session[] = [];

/** Establishes `count` sessions from `endpoints` endpoints and keeps them open. */
async function hold(args: { peer: ListeningPeer; crypto: CryptoChoice; count: number; endpoints: number }): Promise<{ established: number }> {
  const endpoints = await Promise.all(Array.from({ length: args.endpoints }, () => listenLoopback(args.crypto)));
  holders.push(...endpoints);
  const key = peerKey(args.peer);
  const address = { host: LOOPBACK, port: args.peer.port };
  let remaining = args.count;
  const loop = async (endpoint: Endpoint) => {
    let lastStartMs = 0;
    while (remaining > 0) {
      remaining--;
      // Editor's note 8: one initiation per key per (millisecond) timestamp.
      while (Date.now() <= lastStartMs) await nextTurn();
      lastStartMs = Date.now();
      held.push(await endpoint.dial(address, key, { timeoutMs: BENCH_DIAL_TIMEOUT_MS }));
    }
  };
  await Promise.all(endpoints.map(loop));
  return { established: held.length };
}

async function release(): Promise<void> {
  const endpoints = holders;
  holders = [];
  held = [];
  await closeAll(endpoints);
}

export const sessionMemoryRoles: Record<string, PeerRole> = {
  'memory.responder.open': openResponder,
  'memory.responder.measure': settleAndMeasure,
  'memory.responder.close': closeResponder,
  'memory.hold': hold,
  'memory.release': release,
};

export async function closeSessionMemoryPeer(): Promise<void> {
  await release();
  await closeResponder();
}

// ---- parent side ----

/** Runs (f): `responderPeer` must have been started with `--expose-gc`. */
export async function measureIdleMemory(responderPeer: PeerProcess, initiatorPeer: PeerProcess, options: MemoryOptions): Promise<MemoryFigures> {
  const peer = await responderPeer.call<ListeningPeer>('memory.responder.open', { crypto: options.crypto }, PEER_CALL_TIMEOUT_MS);
  const holdArgs = (count: number) => ({ peer, crypto: options.crypto, count, endpoints: options.initiatorEndpoints });
  // Generous bounds: even the pure-JS provider establishes well over 50 sessions per second.
  const holdTimeoutMs = (count: number) => PEER_CALL_TIMEOUT_MS + count * MEMORY_HOLD_MS_PER_SESSION;
  const settle = (sessions: number) => ({ sessions, timeoutMs: MEMORY_SETTLE_TIMEOUT_MS });
  const settleCallMs = MEMORY_SETTLE_TIMEOUT_MS + PEER_CALL_TIMEOUT_MS;
  try {
    // Warm-up round: the first sessions pay for JIT code, buffer pools and lazily built tables.
    await initiatorPeer.call('memory.hold', holdArgs(MEMORY_WARMUP_SESSIONS), holdTimeoutMs(MEMORY_WARMUP_SESSIONS));
    await responderPeer.call('memory.responder.measure', settle(MEMORY_WARMUP_SESSIONS), settleCallMs);
    await initiatorPeer.call('memory.release', {}, PEER_CALL_TIMEOUT_MS);
    const before = await responderPeer.call<MemoryReading>('memory.responder.measure', settle(0), settleCallMs);
    await initiatorPeer.call('memory.hold', holdArgs(options.sessions), holdTimeoutMs(options.sessions));
    const after = await responderPeer.call<MemoryReading>('memory.responder.measure', settle(options.sessions), settleCallMs);
    const n = options.sessions;
    return {
      suite: peer.suite,
      sessions: n,
      before,
      after,
      heapPerSession: (after.heapUsed - before.heapUsed) / n,
      rssPerSession: (after.rss - before.rss) / n,
      externalPerSession: (after.external - before.external) / n,
    };
  } finally {
    await initiatorPeer.call('memory.release', {}, PEER_CALL_TIMEOUT_MS).catch(() => undefined);
    await responderPeer.call('memory.responder.close', {}, PEER_CALL_TIMEOUT_MS).catch(() => undefined);
  }
}
