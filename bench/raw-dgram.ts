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
import { NativeUdpTransport } from '../src/session/index.js';

/**
 * 'dgram': node:dgram, the baseline. 'native': the session layer's batched transport
 * (NativeUdpTransport: sendmmsg with UDP GSO, recvmmsg) with no protocol on top, for comparison: what the
 * batched I/O alone reaches, i.e. the ceiling of a session on the native path.
 */
export type RawIo = 'dgram' | 'native';

export interface RawBlastArgs {
  port: number;
  size: number;
  durationMs: number;
  io?: RawIo;
}

export interface RawBlastResult {
  sent: number;
  sendErrors: number;
  /** The sender's CPU time (user + system) over the blast, in microseconds. */
  cpuMicros: number;
}

export interface RawDgramFigures {
  size: number;
  receiver: ArrivalSummary;
  sent: number;
  /** Sends the kernel refused (e.g. ENOBUFS); they never left the sender. */
  sendErrors: number;
  /** The sender's CPU time per MB it sent, in microseconds. */
  senderCpuMicrosPerMB: number;
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
let nativeSink: { transport: NativeUdpTransport; meter: ArrivalMeter } | null = null;

async function openSink(args: { io?: RawIo } = {}): Promise<{ port: number; receiveBufferBytes: number }> {
  if (sink !== null || nativeSink !== null) throw new Error('a raw sink is already open');
  if (args.io === 'native') {
    const transport = await NativeUdpTransport.bind({ host: LOOPBACK, port: 0, socketBufferBytes: SOCKET_BUFFER_BYTES });
    const totals = { count: 0, bytes: 0 };
    transport.onDatagram((buf) => {
      totals.count++;
      totals.bytes += buf.length;
    });
    const meter = new ArrivalMeter(() => totals);
    meter.start();
    nativeSink = { transport, meter };
    return { port: transport.address().port, receiveBufferBytes: transport.receiveBufferBytes };
  }
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
  if (nativeSink !== null) {
    const { transport, meter } = nativeSink;
    nativeSink = null;
    await meter.waitQuiet(RECEIVER_QUIET_MS, RECEIVER_QUIET_MAX_MS);
    meter.stop();
    await transport.close();
    return meter.summarize(args.warmupMs);
  }
  if (sink === null) throw new Error('no raw sink is open');
  const { socket, meter } = sink;
  sink = null;
  await meter.waitQuiet(RECEIVER_QUIET_MS, RECEIVER_QUIET_MAX_MS);
  meter.stop();
  await closeSocket(socket);
  return meter.summarize(args.warmupMs);
}

/**
 * Sends `args.size`-byte datagrams to the sink for `args.durationMs`, paced like every other sender (a burst,
 * then one turn), on node:dgram or the native batched transport.
 */
async function blast(args: RawBlastArgs): Promise<RawBlastResult> {
  const native = args.io === 'native';
  const transport = native ? await NativeUdpTransport.bind({ host: LOOPBACK, port: 0, socketBufferBytes: SOCKET_BUFFER_BYTES }) : null;
  const socket = native ? null : await bindSocket();
  const payload = Buffer.alloc(args.size, 0x5a);
  const result = { sent: 0, sendErrors: 0, cpuMicros: 0 };
  const cpuBefore = process.cpuUsage();
  const done = (err: Error | null) => {
    if (err) result.sendErrors++;
  };
  const end = performance.now() + args.durationMs;
  while (performance.now() < end) {
    if (transport !== null) {
      for (let i = 0; i < BURST_PACKETS; i++) transport.send(payload, payload.length, LOOPBACK, args.port, done);
      transport.flush();
    } else {
      for (let i = 0; i < BURST_PACKETS; i++) socket!.send(payload, 0, payload.length, args.port, LOOPBACK, done);
    }
    result.sent += BURST_PACKETS;
    await nextTurn();
  }
  // Let the last callbacks run before the socket goes.
  await nextTurn();
  const cpu = process.cpuUsage(cpuBefore);
  result.cpuMicros = cpu.user + cpu.system;
  if (transport !== null) await transport.close();
  else await closeSocket(socket!);
  return result;
}

export const rawDgramRoles: Record<string, PeerRole> = {
  'raw.sink.open': openSink,
  'raw.sink.finish': finishSink,
  'raw.blast': blast,
};

export async function closeRawDgramPeer(): Promise<void> {
  if (nativeSink !== null) {
    nativeSink.meter.stop();
    await nativeSink.transport.close();
    nativeSink = null;
  }
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
  io: RawIo = 'dgram',
): Promise<RawDgramFigures> {
  const { port } = await receiver.call<{ port: number }>('raw.sink.open', { io }, PEER_CALL_TIMEOUT_MS);
  const args: RawBlastArgs = { port, size, durationMs: durationMs + warmupMs, io };
  const sent = await sender.call<RawBlastResult>('raw.blast', args, args.durationMs + PEER_CALL_TIMEOUT_MS);
  const summary = await receiver.call<ArrivalSummary>('raw.sink.finish', { warmupMs }, PEER_CALL_TIMEOUT_MS);
  const senderCpuMicrosPerMB = sent.sent > 0 ? (sent.cpuMicros / (sent.sent * size)) * 1e6 : 0;
  return { size, receiver: summary, sent: sent.sent, sendErrors: sent.sendErrors, senderCpuMicrosPerMB };
}
