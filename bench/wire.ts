/**
 * Micro-benchmarks of the wire codecs on the hot path: decoding and building a typical coalesced frame
 * (16 events of 64 bytes plus piggybacked ACK fields: 1091 bytes, most of a default-MTU packet) and validating a
 * transport header. About 1 s in total. Run alone with `npx tsx bench/wire.ts`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_MAX_PACKET_SIZE,
  FrameReader,
  FrameWriter,
  PACKET_DATA,
  SIZE_AEAD_TAG,
  SIZE_DATA_HEADER,
  decodeFrame,
  encodeFrame,
  validateTransportPacket,
  writeTransportHeader,
  type FrameEvent,
} from '../src/wire/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const EVENTS_PER_FRAME = 16;
const PAYLOAD_BYTES = 64;
const WARMUP_MS = 40;
const MEASURE_MS = 160;
const BATCH = 256;

/** Runs `op` in batches for about `ms` milliseconds and returns operations per second. */
function opsPerSecond(op: () => number, ms: number): number {
  let sink = 0;
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) for (let i = 0; i < BATCH; i++) sink += op();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < BATCH; i++) sink += op();
    count += BATCH;
    now = performance.now();
  }
  // Using the sink keeps the work observable so it cannot be optimised away.
  if (sink === -1) throw new Error('unreachable');
  return Math.round((count * 1000) / (now - start));
}

export async function benchWire(): Promise<BenchResult[]> {
  const events: FrameEvent[] = Array.from({ length: EVENTS_PER_FRAME }, (_, i) => ({
    type: 16 + i,
    payload: Uint8Array.from({ length: PAYLOAD_BYTES }, (_, j) => (i * 31 + j) & 0xff),
  }));
  const frame = encodeFrame({ channel: 1, events, seq: 1234, ackSeq: 1200, ackBitmap: 0b1011n, windowSize: 256 });

  const decodeOps = opsPerSecond(() => {
    const r = decodeFrame(frame);
    return r.ok ? r.value.events.length : 0;
  }, MEASURE_MS);

  const reader = new FrameReader();
  const readerOps = opsPerSecond(() => (reader.read(frame) === null ? reader.eventCount : 0), MEASURE_MS);

  const packet = new Uint8Array(DEFAULT_MAX_PACKET_SIZE);
  const capacity = DEFAULT_MAX_PACKET_SIZE - SIZE_DATA_HEADER - SIZE_AEAD_TAG;
  const writer = new FrameWriter(packet, SIZE_DATA_HEADER, capacity);
  const writerOps = opsPerSecond(() => {
    writer.begin(1);
    for (let i = 0; i < EVENTS_PER_FRAME; i++) writer.tryAddEvent(events[i].type, events[i].payload);
    return writer.finish(1234, 1200, 0b1011n, 256);
  }, MEASURE_MS);

  writeTransportHeader(packet, PACKET_DATA, 0x01020304, 99);
  const validateOps = opsPerSecond(() => (validateTransportPacket(packet) === null ? 1 : 0), MEASURE_MS);

  return [
    { name: 'wire.decodeFrame (16 x 64 B events)', value: decodeOps, unit: 'frames/s' },
    { name: 'wire.FrameReader.read (16 x 64 B events)', value: readerOps, unit: 'frames/s' },
    { name: 'wire.FrameWriter begin+16 events+finish', value: writerOps, unit: 'frames/s' },
    { name: 'wire.FrameWriter events', value: writerOps * EVENTS_PER_FRAME, unit: 'events/s' },
    { name: 'wire.validateTransportPacket', value: validateOps, unit: 'packets/s' },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchWire()) console.log(`${r.name}: ${r.value.toLocaleString('en-US')} ${r.unit}`);
}
