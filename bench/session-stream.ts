/**
 * (b) (c) (d): one Wiresocket session between two processes, events streamed on one channel.
 * The receiver is an application draining the channel with `recv()` and counting event payload bytes;
 * what it counts is what the figure reports (events dropped anywhere, by the kernel or by a full channel
 * buffer, are not counted). The sender paces itself like the raw baseline (pacing.ts): a burst of
 * BURST_PACKETS packets' worth of events, then one event-loop turn.
 */
import { performance } from 'node:perf_hooks';
import { totalDrops, type Channel, type Endpoint, type Session } from '../src/session/index.js';
import { DEFAULT_MAX_PACKET_SIZE, FRAME_TRAILER_MAX_SIZE, SIZE_AEAD_TAG, SIZE_DATA_HEADER, eventRecordSize } from '../src/wire/index.js';
import { ArrivalMeter, type ArrivalSummary } from './arrival-meter.js';
import {
  BENCH_CHANNEL,
  BENCH_DIAL_TIMEOUT_MS,
  BENCH_EVENT_TYPE,
  BURST_PACKETS,
  LOOPBACK,
  PEER_CALL_TIMEOUT_MS,
  RECEIVER_QUIET_MAX_MS,
  RECEIVER_QUIET_MS,
} from './constants.js';
import { nextTurn } from './pacing.js';
import type { PeerProcess, PeerRole } from './peer-process.js';
import { batchStats, closeAll, describeListening, listenLoopback, peerKey, type CryptoChoice, type ListeningPeer } from './session-peer-endpoint.js';

export interface StreamOptions {
  crypto: CryptoChoice;
  reliable: boolean;
  eventBytes: number;
  durationMs: number;
  warmupMs: number;
  /** The sender's session send-rate cap in bytes/s (issue 3 item 2); absent: uncapped. */
  sendRateBytesPerSec?: number;
}

export interface StreamSinkSummary extends ArrivalSummary {
  drops: number;
  channelFullDrops: number;
  /** Datagrams per system call of the native transport (null on node:dgram). */
  batches: { perSend: number; perReceive: number } | null;
  /** Bytes of every datagram the receiver's endpoint took in (headers and tags included). */
  rxBytes: number;
}

export interface StreamFigures {
  options: StreamOptions;
  suite: string;
  receiver: StreamSinkSummary;
  sentEvents: number;
  /** The sender's CPU time per MB of event payload it sent, in microseconds (dial excluded). */
  senderCpuMicrosPerMB: number;
  /** Datagrams per system call of the sender's native transport (null on node:dgram). */
  senderBatches: { perSend: number; perReceive: number } | null;
}

/** How many events of `eventBytes` one default-size Data packet holds (spec 9, 10: coalescing). */
export function eventsPerPacket(eventBytes: number): number {
  const frameRoom = DEFAULT_MAX_PACKET_SIZE - SIZE_DATA_HEADER - SIZE_AEAD_TAG - 1 - FRAME_TRAILER_MAX_SIZE;
  return Math.max(1, Math.floor(frameRoom / eventRecordSize(eventBytes)));
}

// ---- child side ----

interface Sink {
  endpoint: Endpoint;
  meter: ArrivalMeter;
}

let sink: Sink | null = null;
let sender: Endpoint | null = null;

async function drain(channel: Channel, totals: { count: number; bytes: number }): Promise<void> {
  try {
    for (;;) {
      const ev = await channel.recv();
      if (ev === null) return;
      totals.count++;
      totals.bytes += ev.payload.length;
    }
  } catch {
    // The session closed under the reader: the run is over.
  }
}

async function openSink(args: { crypto: CryptoChoice; reliable: boolean }): Promise<ListeningPeer> {
  if (sink !== null) throw new Error('a stream sink is already open');
  const endpoint = await listenLoopback(args.crypto);
  const totals = { count: 0, bytes: 0 };
  endpoint.on('session', (session: Session) => {
    session.on('channel', (channel: Channel) => {
      // spec 11: the receiving side opts in inside its 'channel' handler, before the first event.
      if (args.reliable) channel.setReliable();
      void drain(channel, totals);
    });
  });
  const meter = new ArrivalMeter(() => totals);
  meter.start();
  sink = { endpoint, meter };
  return describeListening(endpoint);
}

async function finishSink(args: { warmupMs: number }): Promise<StreamSinkSummary> {
  if (sink === null) throw new Error('no stream sink is open');
  const { endpoint, meter } = sink;
  sink = null;
  await meter.waitQuiet(RECEIVER_QUIET_MS, RECEIVER_QUIET_MAX_MS);
  meter.stop();
  const stats = endpoint.snapshot();
  const batches = batchStats(endpoint);
  await endpoint.close();
  return { ...meter.summarize(args.warmupMs), drops: totalDrops(stats), channelFullDrops: stats.drops.channel_full, batches, rxBytes: stats.rxBytes };
}

interface BlastResult {
  sent: number;
  cpuMicros: number;
  batches: { perSend: number; perReceive: number } | null;
}

async function blast(args: StreamOptions & { peer: ListeningPeer }): Promise<BlastResult> {
  if (sender !== null) throw new Error('a stream sender is already running');
  const capped = args.sendRateBytesPerSec !== undefined && args.sendRateBytesPerSec > 0;
  const endpoint = await listenLoopback(args.crypto, capped ? { sendRateBytesPerSec: args.sendRateBytesPerSec } : {});
  sender = endpoint;
  const session = await endpoint.dial({ host: LOOPBACK, port: args.peer.port }, peerKey(args.peer), { timeoutMs: BENCH_DIAL_TIMEOUT_MS });
  const channel = session.channel(BENCH_CHANNEL);
  if (args.reliable) channel.setReliable();
  const payload = new Uint8Array(args.eventBytes).fill(0xa5);
  const perBurst = BURST_PACKETS * eventsPerPacket(args.eventBytes);
  let sent = 0;
  const cpuBefore = process.cpuUsage();
  const end = performance.now() + args.durationMs;
  while (performance.now() < end && session.state === 'open') {
    if (args.reliable || capped) {
      // send() waits while the peer's window and our send buffer are full (spec 11.4), or while the rate
      // cap's backlog is over its high-water mark: backpressure.
      for (let i = 0; i < perBurst; i++) await channel.send(BENCH_EVENT_TYPE, payload);
    } else {
      // Unreliable sends resolve at once; the state check above keeps them from rejecting.
      for (let i = 0; i < perBurst; i++) void channel.send(BENCH_EVENT_TYPE, payload);
    }
    sent += perBurst;
    await nextTurn();
  }
  if (session.state !== 'open') throw new Error(`the session closed during the run (${String(session.closeReason)})`);
  const cpu = process.cpuUsage(cpuBefore);
  // The endpoint stays open (reliable retransmits, ACKs) until the parent has read the receiver.
  return { sent, cpuMicros: cpu.user + cpu.system, batches: batchStats(endpoint) };
}

async function closeSender(): Promise<void> {
  const endpoint = sender;
  sender = null;
  if (endpoint !== null) await endpoint.close();
}

export const sessionStreamRoles: Record<string, PeerRole> = {
  'stream.sink.open': openSink,
  'stream.sink.finish': finishSink,
  'stream.blast': blast,
  'stream.blast.close': closeSender,
};

export async function closeSessionStreamPeer(): Promise<void> {
  const endpoints: Endpoint[] = [];
  if (sink !== null) {
    sink.meter.stop();
    endpoints.push(sink.endpoint);
    sink = null;
  }
  if (sender !== null) endpoints.push(sender);
  sender = null;
  await closeAll(endpoints);
}

// ---- parent side ----

export async function measureStream(senderPeer: PeerProcess, receiverPeer: PeerProcess, options: StreamOptions): Promise<StreamFigures> {
  const peer = await receiverPeer.call<ListeningPeer>('stream.sink.open', { crypto: options.crypto, reliable: options.reliable }, PEER_CALL_TIMEOUT_MS);
  let receiver: StreamSinkSummary | null = null;
  try {
    const blastArgs = { ...options, durationMs: options.durationMs + options.warmupMs, peer };
    const { sent, cpuMicros, batches } = await senderPeer.call<BlastResult>('stream.blast', blastArgs, blastArgs.durationMs + BENCH_DIAL_TIMEOUT_MS + PEER_CALL_TIMEOUT_MS);
    receiver = await receiverPeer.call<StreamSinkSummary>('stream.sink.finish', { warmupMs: options.warmupMs }, RECEIVER_QUIET_MAX_MS + PEER_CALL_TIMEOUT_MS);
    const senderCpuMicrosPerMB = sent > 0 ? (cpuMicros / (sent * options.eventBytes)) * 1e6 : 0;
    return { options, suite: peer.suite, receiver, sentEvents: sent, senderCpuMicrosPerMB, senderBatches: batches };
  } finally {
    // Leave both peers ready for the next run even when this one failed.
    await senderPeer.call('stream.blast.close', {}, PEER_CALL_TIMEOUT_MS);
    if (receiver === null) await receiverPeer.call('stream.sink.finish', { warmupMs: options.warmupMs }, RECEIVER_QUIET_MAX_MS + PEER_CALL_TIMEOUT_MS).catch(() => undefined);
  }
}
