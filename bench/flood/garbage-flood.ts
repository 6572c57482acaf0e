/**
 * Issue 8 item 4: random and mutated datagrams (garbage-packets.ts kinds), one slot in ROGUE_EVERY carrying
 * authenticated garbage of rogue sessions (rogue-session.ts), at full speed against a real node
 * whose session with a peer node (another process) carries a reliable stream and routed sends with
 * end-to-end acks. Measured: the stream's throughput before and during the flood, the routed sends
 * (every acknowledged one must have been delivered), the target's CPU, event-loop delay, heap and RSS over
 * time, and its drop counters by reason. The session must survive: no close, no new handshake.
 */
import { loadavg } from 'node:os';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { IncomingChannel, Node } from '../../src/node/index.js';
import type { PeerProcess } from '../peer-process.js';
import type { BlastReport } from './blaster.js';
import { closePeers, endpointStats, sleep, startPeers, startTarget, statsDelta, targetAddress, xPublicKeyHex, type CryptoChoice } from './common.js';
import {
  CAPTURED_PER_TYPE,
  FLOOD_SOCKETS,
  GARBAGE_DISTINCT_PACKETS,
  LEGIT_HOST,
  PEER_CALL_TIMEOUT_MS,
  ROGUE_EVERY,
  STREAM_CHANNEL,
  type FloodDurations,
} from './constants.js';
import { PhaseMonitor, type PhaseFigures } from './monitor.js';
import type { StreamReport } from './stream-peer.js';
import { slopePerMinute } from '../soak/growth.js';

export interface GarbageFloodOptions {
  ratePerSec: number;
  durations: FloodDurations;
  sockets?: number;
  crypto?: CryptoChoice;
  distinctPackets?: number;
  seed?: number;
}

export interface StreamFigures {
  bytes: number;
  seconds: number;
  bytesPerSec: number;
}

export interface GarbageFloodResult {
  config: { ratePerSec: number; sockets: number; distinctPackets: number; seed: number; crypto: string; rogueEvery: number; durations: FloodDurations };
  packetKinds: Record<string, number>;
  /** Captured valid packets the mutations started from, by packet type. */
  capturedByType: Record<string, number>;
  blast: BlastReport;
  baseline: { target: PhaseFigures; stream: StreamFigures; counters: Record<string, number> };
  flood: { target: PhaseFigures; stream: StreamFigures; counters: Record<string, number> };
  /** Heap growth over the second half of the flood, bytes per second (least-squares slope). */
  heapSlopeBytesPerSec: number;
  /** RSS growth over the second half of the flood, bytes per second (least-squares slope). */
  rssSlopeBytesPerSec: number;
  routed: { acked: number; failed: number; delivered: number; ackedNotDelivered: number; firstError: string | null };
  /** The peer's edge and session with the target were the same before and after the flood. */
  sessionUnchanged: boolean;
  streamChannelOpen: boolean;
  targetRunning: boolean;
  /** The machine's 1-minute load average when the flood started and ended (other load lowers every rate). */
  loadAverage: { start: number; end: number };
}

export async function runGarbageFlood(o: GarbageFloodOptions): Promise<GarbageFloodResult> {
  const crypto = o.crypto ?? 'auto';
  const sockets = o.sockets ?? FLOOD_SOCKETS;
  const distinct = o.distinctPackets ?? GARBAGE_DISTINCT_PACKETS;
  const seed = o.seed ?? 8;
  const d = o.durations;
  let target: Node | null = null;
  let peers: PeerProcess[] = [];
  let monitor: PhaseMonitor | null = null;
  let reading: Promise<void> | null = null;
  try {
    target = await startTarget(crypto);
    const node = target;
    const address = targetAddress(node);
    const targetId = bytesToHex(node.id);
    let streamBytes = 0;
    let streamChannel: IncomingChannel | null = null;
    const delivered = new Set<number>();
    node.on('message', (m: { data: Uint8Array }) => {
      if (m.data.length >= 4) delivered.add(new DataView(m.data.buffer, m.data.byteOffset, m.data.length).getUint32(0, true));
    });
    const gotChannel = new Promise<IncomingChannel>((resolve) =>
      node.on('channel', (inc: IncomingChannel) => {
        if (inc.channel.id === STREAM_CHANNEL) resolve(inc);
      }),
    );
    peers = await startPeers(['flooder', 'stream peer']);
    const [flooder, streamer] = peers as [PeerProcess, PeerProcess];
    const opened = await streamer.call<{ id: string }>(
      'stream.open',
      { host: LEGIT_HOST, targetContact: node.contact, targetId, capturePerType: CAPTURED_PER_TYPE },
      PEER_CALL_TIMEOUT_MS,
    );
    await streamer.call('stream.start', { targetId }, PEER_CALL_TIMEOUT_MS);
    streamChannel = await gotChannel;
    const ch = streamChannel.channel;
    reading = (async () => {
      for (;;) {
        const ev = await ch.recv().catch(() => null);
        if (ev === null) return;
        streamBytes += ev.payload.length;
      }
    })();
    const peerSession = () => node.edges().find((e) => bytesToHex(e.id) === opened.id);
    const edgeBefore = peerSession();
    const sessionBefore = streamChannel.session;
    const rx = () => endpointStats(node).rxPackets;

    // Baseline: the stream and routed sends alone.
    const baseStats = endpointStats(node);
    const baseBytes = streamBytes;
    monitor = new PhaseMonitor(rx, address.port);
    await sleep(d.baselineMs);
    const baseTarget = monitor.finish();
    monitor = null;
    const baseStream = { bytes: streamBytes - baseBytes, seconds: baseTarget.seconds, bytesPerSec: (streamBytes - baseBytes) / baseTarget.seconds };

    const captured = await streamer.call<string[]>('stream.captured', {}, PEER_CALL_TIMEOUT_MS);
    const capturedByType: Record<string, number> = {};
    for (const h of captured) {
      const t = String(parseInt(h.slice(0, 2), 16));
      capturedByType[t] = (capturedByType[t] ?? 0) + 1;
    }
    const packetKinds = await flooder.call<Record<string, number>>(
      'flood.prepareGarbage',
      { target: address, captured, count: distinct, seed, sockets, targetPublicKey: xPublicKeyHex(node), rogueEvery: ROGUE_EVERY, crypto },
      PEER_CALL_TIMEOUT_MS,
    );

    // The flood, stream and routed sends going on.
    const floodStats = endpointStats(node);
    monitor = new PhaseMonitor(rx, address.port);
    const loadStart = loadavg()[0]!;
    let floodBytesStart = streamBytes;
    const warm = setTimeout(() => {
      floodBytesStart = streamBytes;
    }, d.floodWarmupMs);
    const blast = await flooder.call<BlastReport>('flood.run', { ratePerSec: o.ratePerSec, durationMs: d.floodMs }, d.floodMs + PEER_CALL_TIMEOUT_MS);
    clearTimeout(warm);
    const floodTarget = monitor.finish(d.floodWarmupMs);
    monitor = null;
    const floodSeconds = Math.max(0.001, floodTarget.seconds - d.floodWarmupMs / 1000);
    const floodStream = { bytes: streamBytes - floodBytesStart, seconds: floodSeconds, bytesPerSec: (streamBytes - floodBytesStart) / floodSeconds };
    const endStats = endpointStats(node);
    const half = floodTarget.samples.filter((s) => s.atMs >= (floodTarget.seconds * 1000) / 2);
    const heapSlope = slopePerMinute(half.map((s) => ({ t: s.atMs, v: s.heapUsedBytes }))) / 60;
    const rssSlope = slopePerMinute(half.map((s) => ({ t: s.atMs, v: s.rssBytes }))) / 60;

    const report = await streamer.call<StreamReport>('stream.stop', {}, PEER_CALL_TIMEOUT_MS);
    const ackedNotDelivered = report.acked.filter((id) => !delivered.has(id)).length;
    const edgeAfter = peerSession();
    // connect() answers with the live edge's session when there is one (a lost edge would mean a new one).
    const sessionAfter = edgeAfter === undefined ? null : await node.connect(opened.id, { timeoutMs: 1_000 }).catch(() => null);
    return {
      config: { ratePerSec: o.ratePerSec, sockets, distinctPackets: distinct, seed, crypto, rogueEvery: ROGUE_EVERY, durations: d },
      packetKinds,
      capturedByType,
      blast,
      baseline: { target: baseTarget, stream: baseStream, counters: statsDelta(baseStats, floodStats) },
      flood: { target: floodTarget, stream: floodStream, counters: statsDelta(floodStats, endStats) },
      heapSlopeBytesPerSec: heapSlope,
      rssSlopeBytesPerSec: rssSlope,
      routed: { acked: report.acked.length, failed: report.failed, delivered: delivered.size, ackedNotDelivered, firstError: report.firstError },
      // The rogue sessions come and go (the node closes them); the peer's session must be the one from before.
      sessionUnchanged: edgeBefore !== undefined && edgeAfter !== undefined && sessionBefore.state === 'open' && sessionAfter === sessionBefore,
      streamChannelOpen: !ch.closed,
      targetRunning: node.running,
      loadAverage: { start: loadStart, end: loadavg()[0]! },
    };
  } finally {
    monitor?.cancel();
    await closePeers(peers);
    await target?.stop();
    await reading;
  }
}
