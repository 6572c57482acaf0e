/**
 * Throughput of the session data-plane state machines (no I/O): replay window, reassembly of a
 * 100 KB frame, and a reliable sender + receiver pair. About 1 s in total.
 * Run alone with `npx tsx bench/dataplane.ts`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ReplayWindow } from '../src/session/replay-window.js';
import { Reassembler } from '../src/session/reassembler.js';
import { ReliableReceiver, ReliableSender } from '../src/session/reliable.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const BUDGET_MS = 200;
// Default maxFragPayload (spec 9).
const FRAGMENT_BYTES = 1192;
const FRAME_BYTES = 100 * 1024;

/** Calls `batch` until `budgetMs` have passed; returns operations per second. */
function rate(budgetMs: number, batch: () => number): number {
  // Warm up so the JIT has settled before timing.
  for (let i = 0; i < 3; i++) batch();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    ops += batch();
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

function benchReplayWindow(): number {
  const window = new ReplayWindow();
  let counter = 0;
  return rate(BUDGET_MS, () => {
    // Mostly in order, with a late packet every 16 (the pattern of a keepalive racing fragments).
    for (let i = 0; i < 10_000; i++) {
      counter++;
      if ((counter & 15) === 0) {
        window.accept(counter + 1);
        window.accept(counter);
        counter++;
      } else {
        window.accept(counter);
      }
    }
    return 10_000;
  });
}

function benchReassembly(reverse: boolean): number {
  const reassembler = new Reassembler();
  const frame = new Uint8Array(FRAME_BYTES);
  for (let i = 0; i < frame.length; i++) frame[i] = i & 0xff;
  const count = Math.ceil(FRAME_BYTES / FRAGMENT_BYTES);
  // Fragments are copied out of one reused receive buffer, as the Endpoint does.
  const receiveBuffer = new Uint8Array(FRAGMENT_BYTES);
  let frameId = 0;
  let sink = 0;
  const perSecond = rate(BUDGET_MS, () => {
    for (let f = 0; f < 20; f++) {
      frameId = (frameId + 1) >>> 0;
      for (let n = 0; n < count; n++) {
        const i = reverse ? count - 1 - n : n;
        const piece = frame.subarray(i * FRAGMENT_BYTES, Math.min(FRAME_BYTES, (i + 1) * FRAGMENT_BYTES));
        receiveBuffer.set(piece);
        const whole = reassembler.add(frameId, i, count, receiveBuffer.subarray(0, piece.length), 0);
        if (whole !== null) sink += whole.length;
      }
    }
    return 20;
  });
  if (sink === 0) throw new Error('reassembly produced no frames');
  return perSecond;
}

function benchReliable(): number {
  const sender = new ReliableSender<number>();
  const receiver = new ReliableReceiver<number>();
  let now = 0;
  let delivered = 0;
  const perSecond = rate(BUDGET_MS, () => {
    let items = 0;
    for (let round = 0; round < 200; round++) {
      now++;
      // Fill the window, deliver everything, acknowledge once per round (as a piggybacked ACK would).
      while (sender.canSend()) {
        const seq = sender.push(items, now);
        delivered += receiver.receive(seq, items, now).length;
        items++;
      }
      receiver.setAvailable(256, now);
      const ack = receiver.ackFields();
      receiver.ackSent();
      sender.onAck(ack.ackSeq, ack.ackBitmap, ack.windowSize, now);
    }
    return items;
  });
  if (delivered === 0) throw new Error('reliable pair delivered nothing');
  return perSecond;
}

export async function benchDataplane(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  results.push({ name: 'replay window accept', value: benchReplayWindow(), unit: 'counters/s' });
  const frames = benchReassembly(false);
  results.push({ name: 'reassembly of a 100 KB frame (86 fragments, in order)', value: frames, unit: 'frames/s' });
  results.push({ name: 'reassembly throughput, in order', value: (frames * FRAME_BYTES) / 1e6, unit: 'MB/s' });
  const reversed = benchReassembly(true);
  results.push({ name: 'reassembly of a 100 KB frame (86 fragments, reversed)', value: reversed, unit: 'frames/s' });
  results.push({ name: 'reliable sender + receiver', value: benchReliable(), unit: 'items/s' });
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchDataplane()) {
    console.log(`${r.name}: ${Math.round(r.value).toLocaleString('en-US')} ${r.unit}`);
  }
}
