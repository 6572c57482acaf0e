/**
 * (a) The same-run baseline: plain `node:dgram` between two processes on 127.0.0.1, with no protocol at
 * all. The sender blasts datagrams of one size for a fixed time (paced like every other sender, see
 * pacing.ts) using the same unconnected `send(buf, 0, len, port, host, cb)` call the session transport
 * makes; the receiver counts what arrived. Every session figure divides by these.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ArrivalMeter, type ArrivalSummary } from './arrival-meter.js';
import { BURST_PACKETS, LOOPBACK, PEER_CALL_TIMEOUT_MS, RECEIVER_QUIET_MAX_MS, RECEIVER_QUIET_MS, SOCKET_BUFFER_BYTES } from './constants.js';
import { nextTurn } from './pacing.js';
import type { PeerProcess, PeerRole } from './peer-process.js';

export interface RawBlastArgs {
  port: number;
  size: number;
  durationMs: number;
}

export interface RawBlastResult {
  sent: number;
  sendErrors: number;
}

export interface RawDgramFigures {
  size: number;
  receiver: ArrivalSummary;
  sent: number;
  /** Sends the kernel refused (e.g. ENOBUFS); they never left the sender. */
  sendErrors: number;
}

async function bindSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
  socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
  return socket;
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

// ---- child side ----

let sink: { socket: dgram.Socket; meter: ArrivalMeter } | null = null;

async function openSink(): Promise<{ port: number; receiveBufferBytes: number }> {
  if (sink !== null) throw new Error('a raw sink is already open');
  const socket = await bindSocket();
  const totals = { count: 0, bytes: 0 };
  socket.on('message', (msg) => {
    totals.count++;
    totals.bytes += msg.length;
  });
  const meter = new ArrivalMeter(() => totals);
  meter.start();
  sink = { socket, meter };
  return { port: socket.address().port, receiveBufferBytes: socket.getRecvBufferSize() };
}

async function finishSink(args: { warmupMs: number }): Promise<ArrivalSummary> {
  if (sink === null) throw new Error('no raw sink is open');
  const { socket, meter } = sink;
  sink = null;
  await meter.waitQuiet(RECEIVER_QUIET_MS, RECEIVER_QUIET_MAX_MS);
  meter.stop();
  await closeSocket(socket);
  return meter.summarize(args.warmupMs);
}

async function blast(args: RawBlastArgs): Promise<RawBlastResult> {
  const socket = await bindSocket();
  const payload = Buffer.alloc(args.size, 0x5a);
  const result = { sent: 0, sendErrors: 0 };
  const done = (err: Error | null) => {
    if (err) result.sendErrors++;
  };
  const end = performance.now() + args.durationMs;
  while (performance.now() < end) {
    for (let i = 0; i < BURST_PACKETS; i++) socket.send(payload, 0, payload.length, args.port, LOOPBACK, done);
    result.sent += BURST_PACKETS;
    await nextTurn();
  }
  // Let the last callbacks run before the socket goes.
  await nextTurn();
  await closeSocket(socket);
  return result;
}

export const rawDgramRoles: Record<string, PeerRole> = {
  'raw.sink.open': openSink,
  'raw.sink.finish': finishSink,
  'raw.blast': blast,
};

export async function closeRawDgramPeer(): Promise<void> {
  if (sink !== null) {
    sink.meter.stop();
    await closeSocket(sink.socket);
    sink = null;
  }
}

// ---- parent side ----

/** One raw run: `receiver` counts, `sender` blasts `size`-byte datagrams for `durationMs` plus warm-up. */
export async function measureRawDgram(
  sender: PeerProcess,
  receiver: PeerProcess,
  size: number,
  durationMs: number,
  warmupMs: number,
): Promise<RawDgramFigures> {
  const { port } = await receiver.call<{ port: number }>('raw.sink.open', {}, PEER_CALL_TIMEOUT_MS);
  const args: RawBlastArgs = { port, size, durationMs: durationMs + warmupMs };
  const sent = await sender.call<RawBlastResult>('raw.blast', args, args.durationMs + PEER_CALL_TIMEOUT_MS);
  const summary = await receiver.call<ArrivalSummary>('raw.sink.finish', { warmupMs }, PEER_CALL_TIMEOUT_MS);
  return { size, receiver: summary, sent: sent.sent, sendErrors: sent.sendErrors };
}
