/**
 * The busy peer of the garbage flood: a real node in its own process with an edge to the target, streaming
 * a reliable channel to it as fast as flow control allows and sending routed messages with end-to-end
 * acknowledgement. It captures valid packets of its session with the target (they carry the target's
 * receiver index, so their mutations reach the target's session code), and of a scratch endpoint pair
 * (handshake, cookie reply, response, data, keepalive, disconnect), for the flooder to mutate.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { createNode, type Node } from '../../src/node/index.js';
import { Endpoint, UdpTransport, suiteByName, type Channel } from '../../src/session/index.js';
import { CapturingTransport } from './capture.js';
import { ROUTED_MAX_IN_FLIGHT, ROUTED_PAYLOAD_BYTES, ROUTED_SEND_INTERVAL_MS, STREAM_CHANNEL, STREAM_CHUNK_BYTES } from './constants.js';

const ALL_TYPES = new Set([1, 2, 3, 4, 5, 6, 7]);
const EDGE_WAIT_MS = 10_000;

export interface StreamReport {
  /** Bytes the reliable channel accepted (sent) and routed sends acknowledged or failed. */
  streamBytesSent: number;
  acked: number[];
  failed: number;
  firstError: string | null;
}

interface StreamState {
  node: Node;
  capture: CapturingTransport;
  scratch: Uint8Array[];
  channel: Channel | null;
  running: boolean;
  loops: Promise<void>[];
  report: StreamReport;
}

let state: StreamState | null = null;

/** One handshake with cookies and a little traffic between two scratch endpoints, every packet captured. */
async function scratchPackets(host: string, perType: number): Promise<Uint8Array[]> {
  const suite = suiteByName('auto');
  const ua = new CapturingTransport(await UdpTransport.bind({ host, port: 0 }), perType, ALL_TYPES);
  const ub = new CapturingTransport(await UdpTransport.bind({ host, port: 0 }), perType, ALL_TYPES);
  const a = await Endpoint.listen({ staticKey: suite.generateKeyPair(), transport: ua });
  const b = await Endpoint.listen({ staticKey: suite.generateKeyPair(), transport: ub, alwaysCookie: true });
  try {
    const got = new Promise<void>((resolve) => b.once('session', () => resolve()));
    const s = await a.dial(b.address(), b.publicKey, { timeoutMs: 5_000 });
    const ch = s.channel(STREAM_CHANNEL);
    await ch.send(1, new Uint8Array(100));
    await ch.send(1, new Uint8Array(5000));
    await got;
    s.close();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await a.close();
    await b.close();
  }
  return [...ua.captured, ...ub.captured];
}

export const streamRoles = {
  /** Starts the node, makes the edge to the target and opens the streaming channel. */
  async 'stream.open'(args: { host: string; targetContact: string; targetId: string; capturePerType: number }): Promise<{ id: string }> {
    if (state !== null) throw new Error('the stream peer is already open');
    const udp = await UdpTransport.bind({ host: args.host, port: 0 });
    const capture = new CapturingTransport(udp, args.capturePerType, ALL_TYPES);
    const node = createNode({ host: args.host, transport: capture, maintenance: false, noSubnet: true, bootstrap: [args.targetContact] });
    state = { node, capture, scratch: [], channel: null, running: false, loops: [], report: { streamBytesSent: 0, acked: [], failed: 0, firstError: null } };
    await node.start();
    const deadline = Date.now() + EDGE_WAIT_MS;
    while (!node.edges().some((e) => bytesToHex(e.id) === args.targetId)) {
      if (Date.now() > deadline) throw new Error('the stream peer got no edge to the target');
      await new Promise((r) => setTimeout(r, 20));
    }
    state.channel = await node.openChannel(args.targetId, STREAM_CHANNEL, { reliable: true });
    state.scratch = await scratchPackets(args.host, args.capturePerType);
    return { id: bytesToHex(node.id) };
  },

  /** Starts streaming and routed sends (both run until stream.stop). */
  async 'stream.start'(args: { targetId: string }): Promise<null> {
    const s = state;
    if (s === null || s.channel === null) throw new Error('open the stream peer first');
    s.running = true;
    const ch = s.channel;
    const chunk = new Uint8Array(STREAM_CHUNK_BYTES);
    s.loops.push(
      (async () => {
        while (s.running) {
          try {
            await ch.send(1, chunk);
            s.report.streamBytesSent += chunk.length;
          } catch (err) {
            s.report.firstError ??= `stream: ${(err as Error).message}`;
            return;
          }
        }
      })(),
    );
    s.loops.push(
      (async () => {
        let n = 0;
        const inFlight = new Set<Promise<void>>();
        while (s.running) {
          const id = n++;
          const payload = new Uint8Array(ROUTED_PAYLOAD_BYTES);
          new DataView(payload.buffer).setUint32(0, id, true);
          const p = s.node
            .send(args.targetId, payload, { ack: true })
            .then(
              () => {
                s.report.acked.push(id);
              },
              (err: Error) => {
                s.report.failed++;
                s.report.firstError ??= `routed: ${err.message}`;
              },
            )
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
          await new Promise((r) => setTimeout(r, ROUTED_SEND_INTERVAL_MS));
          while (inFlight.size >= ROUTED_MAX_IN_FLIGHT && s.running) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      })(),
    );
    return null;
  },

  /** Valid packets captured (hex): the session to the target, then the scratch pair. */
  async 'stream.captured'(): Promise<string[]> {
    if (state === null) throw new Error('open the stream peer first');
    return [...state.capture.captured, ...state.scratch].map((p) => bytesToHex(p));
  },

  /** Stops sending; waits for routed sends in flight to be acknowledged or to time out. */
  async 'stream.stop'(): Promise<StreamReport> {
    const s = state;
    if (s === null) throw new Error('open the stream peer first');
    s.running = false;
    // The stream loop may be waiting for window; the routed loop finishes its in-flight sends.
    await s.loops[1];
    return s.report;
  },
};

export async function closeStreamPeer(): Promise<void> {
  const s = state;
  state = null;
  if (s === null) return;
  s.running = false;
  await s.node.stop();
  await Promise.allSettled(s.loops);
}
