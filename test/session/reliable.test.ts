import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ReliableReceiver, ReliableSender } from '../../src/session/reliable.js';
import { MAX_RETRIES, RELIABLE_MAX_PEER_WINDOW, RELIABLE_WINDOW } from '../../src/session/constants.js';
import { InvalidArgumentError, WiremeshError } from '../../src/errors.js';
import { mulberry32 } from '../../src/node/sim/index.js';

const MAX_SEQ = 2 ** 32 - 1;

interface PipeOptions {
  loss: number;
  duplicate: number;
  /** One-way latency, ms; packets otherwise arrive in the order sent. */
  delayMs: number;
  /** Share of packets held back by an extra 1..reorderExtraMs ms, so later ones overtake them. */
  reorder: number;
  reorderExtraMs: number;
}

/** In-memory one-way link that loses, duplicates and reorders. */
class LossyPipe<P> {
  private queue: Array<{ at: number; order: number; packet: P }> = [];
  private order = 0;
  private lastAt = 0;
  sent = 0;
  dropNext = 0;
  maxInFlight = 0;

  constructor(
    private readonly random: () => number,
    private readonly opts: PipeOptions,
  ) {}

  send(packet: P, nowMs: number): void {
    this.sent++;
    if (this.dropNext > 0) {
      this.dropNext--;
      return;
    }
    const copies = this.random() < this.opts.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.random() < this.opts.loss) continue;
      let at = Math.max(nowMs + this.opts.delayMs, this.lastAt);
      this.lastAt = at;
      if (this.random() < this.opts.reorder) at += 1 + Math.floor(this.random() * this.opts.reorderExtraMs);
      this.queue.push({ at, order: this.order++, packet });
    }
    this.maxInFlight = Math.max(this.maxInFlight, this.queue.length);
  }

  nextAt(): number | null {
    let best: number | null = null;
    for (const q of this.queue) if (best === null || q.at < best) best = q.at;
    return best;
  }

  /** Packets due by `nowMs`, in arrival order. */
  takeDue(nowMs: number): P[] {
    const due = this.queue.filter((q) => q.at <= nowMs).sort((a, b) => a.at - b.at || a.order - b.order);
    this.queue = this.queue.filter((q) => q.at > nowMs);
    return due.map((q) => q.packet);
  }
}

interface DataPacket {
  seq: number;
  item: number;
}
interface AckPacket {
  ackSeq: number;
  ackBitmap: bigint;
  windowSize: number;
}

interface SimOptions {
  seed: number;
  items: number;
  pipe: PipeOptions;
  /** Application buffer capacity at the receiver. */
  appCapacity: number;
  /** Items the application consumes per drain; 0 = never. */
  drainPerTick: number;
  drainEveryMs: number;
  /** Stop the simulation at this simulated time. */
  untilMs: number;
  senderWindow?: number;
}

/**
 * Sender -> lossy pipe -> receiver -> app buffer; receiver ACKs -> lossy pipe -> sender, all on a
 * simulated clock that jumps to the next event. Returns what the application received and counters.
 */
class Simulation {
  readonly sender: ReliableSender<number>;
  readonly receiver: ReliableReceiver<number>;
  readonly data: LossyPipe<DataPacket>;
  readonly acks: LossyPipe<AckPacket>;
  readonly delivered: number[] = [];
  readonly appBuffer: number[] = [];
  now = 0;
  nextItem = 0;
  retransmits = 0;
  failed = false;
  maxAppBuffer = 0;
  maxSenderPending = 0;
  maxReceiverBuffered = 0;
  private nextDrainAt: number;

  constructor(readonly opts: SimOptions) {
    const random = mulberry32(opts.seed);
    this.data = new LossyPipe<DataPacket>(random, opts.pipe);
    this.acks = new LossyPipe<AckPacket>(random, opts.pipe);
    this.sender = new ReliableSender<number>({ window: opts.senderWindow ?? opts.appCapacity });
    this.receiver = new ReliableReceiver<number>({ window: opts.appCapacity });
    this.nextDrainAt = opts.drainEveryMs;
  }

  run(untilMs: number, maxSteps = 2_000_000): void {
    for (let step = 0; step < maxSteps; step++) {
      this.stepAt(this.now);
      if (this.failed || (this.nextItem === this.opts.items && this.delivered.length + this.appBuffer.length === this.opts.items && this.sender.pending === 0)) return;
      const candidates = [
        this.data.nextAt(),
        this.acks.nextAt(),
        this.sender.nextTimeoutAt(),
        this.receiver.ackDueAt(),
        this.opts.drainPerTick > 0 ? this.nextDrainAt : null,
      ].filter((t): t is number => t !== null);
      if (candidates.length === 0) return;
      const next = Math.max(this.now, Math.min(...candidates));
      if (next > untilMs) {
        this.now = Math.max(this.now, untilMs);
        return;
      }
      this.now = next;
    }
    throw new Error('simulation did not settle within its step budget');
  }

  private sendWhileAllowed(now: number): void {
    while (this.nextItem < this.opts.items && this.sender.canSend()) {
      const seq = this.sender.push(this.nextItem, now);
      this.data.send({ seq, item: this.nextItem }, now);
      this.nextItem++;
    }
  }

  private stepAt(now: number): void {
    const { sender, receiver } = this;
    this.sendWhileAllowed(now);
    for (const p of this.data.takeDue(now)) {
      const ready = receiver.receive(p.seq, p.item, now);
      for (const item of ready) this.appBuffer.push(item);
      if (this.opts.drainPerTick === 0 && this.opts.drainEveryMs === 0) {
        // Application that takes everything at once.
        this.delivered.push(...this.appBuffer.splice(0));
        receiver.setAvailable(this.opts.appCapacity, now);
      }
    }
    this.maxAppBuffer = Math.max(this.maxAppBuffer, this.appBuffer.length);
    this.maxReceiverBuffered = Math.max(this.maxReceiverBuffered, receiver.bufferedCount);
    for (const a of this.acks.takeDue(now)) sender.onAck(a.ackSeq, a.ackBitmap, a.windowSize, now);
    this.sendWhileAllowed(now);
    if (this.opts.drainPerTick > 0 && now >= this.nextDrainAt) {
      this.delivered.push(...this.appBuffer.splice(0, this.opts.drainPerTick));
      receiver.setAvailable(this.opts.appCapacity - this.appBuffer.length, now);
      this.nextDrainAt = now + this.opts.drainEveryMs;
    }
    const timeoutAt = sender.nextTimeoutAt();
    if (timeoutAt !== null && timeoutAt <= now) {
      const action = sender.onTimeout(now);
      if (action.action === 'retransmit') {
        this.retransmits++;
        this.data.send({ seq: action.seq, item: action.item }, now);
      } else if (action.action === 'fail') {
        this.failed = true;
      }
    }
    const dueAt = receiver.ackDueAt();
    if (dueAt !== null && dueAt <= now) {
      this.acks.send(receiver.ackFields(), now);
      receiver.ackSent();
    }
    this.maxSenderPending = Math.max(this.maxSenderPending, sender.pending);
  }

  /** The application drains everything it holds and says so to the receiver. */
  drainAll(): void {
    this.delivered.push(...this.appBuffer.splice(0));
    this.receiver.setAvailable(this.opts.appCapacity, this.now);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe('ReliableSender', () => {
  it('numbers items from 1 and blocks at the peer window', () => {
    const s = new ReliableSender<string>({ window: 3 });
    expect(s.peerWindow).toBe(3);
    expect(s.nextTimeoutAt()).toBeNull();
    expect(s.push('a', 0)).toBe(1);
    expect(s.push('b', 0)).toBe(2);
    expect(s.push('c', 0)).toBe(3);
    expect(s.pending).toBe(3);
    expect(s.canSend()).toBe(false);
    expect(() => s.push('d', 0)).toThrow(WiremeshError);
    try {
      s.push('d', 0);
    } catch (err) {
      expect((err as WiremeshError).code).toBe('WINDOW_FULL');
    }
    expect(s.pending).toBe(3);
  });

  it('frees everything below a cumulative AckSeq', () => {
    const s = new ReliableSender<number>();
    for (let i = 0; i < 10; i++) s.push(i, 0);
    expect(s.onAck(5, 0n, 256, 10)).toBe(4);
    expect(s.pending).toBe(6);
    expect(s.onAck(5, 0n, 256, 10)).toBe(0); // repeated ACK frees nothing
    expect(s.onAck(3, 0n, 256, 10)).toBe(0); // stale ACK frees nothing
    expect(s.onAck(11, 0n, 256, 10)).toBe(6);
    expect(s.pending).toBe(0);
    expect(s.nextTimeoutAt()).toBeNull();
  });

  it('frees SACKed items: bit i acknowledges AckSeq + i + 1', () => {
    const s = new ReliableSender<number>({ window: 200, sendAhead: 200 });
    for (let i = 1; i <= 100; i++) s.push(i, 0);
    // AckSeq 1 (seq 1 lost); SACK 2 (bit 0), 33 (bit 31), 34 (bit 32), 65 (bit 63).
    const bitmap = (1n << 0n) | (1n << 31n) | (1n << 32n) | (1n << 63n);
    expect(s.onAck(1, bitmap, 200, 5)).toBe(4);
    expect(s.pending).toBe(96);
    // The oldest unacked is still seq 1: it is what a timeout retransmits.
    const t = s.nextTimeoutAt()!;
    const action = s.onTimeout(t);
    expect(action).toEqual({ action: 'retransmit', seq: 1, item: 1 });
    // Freeing seq 1 cumulatively skips the SACKed 2 as well.
    expect(s.onAck(3, 0n, 200, t)).toBe(1);
    expect(s.onAck(4, 0n, 200, t)).toBe(1);
    expect(s.pending).toBe(94);
    // A full bitmap frees the 64 after AckSeq.
    expect(s.onAck(4, 2n ** 64n - 1n, 200, t)).toBe(61); // 5..68 minus the already-freed 33, 34, 65
    expect(s.pending).toBe(33); // 4 and 69..100
  });

  it('takes the window from WindowSize, where 0 (field absent) closes it', () => {
    const s = new ReliableSender<number>();
    expect(s.peerWindow).toBe(RELIABLE_WINDOW);
    s.push(1, 0);
    s.push(2, 0);
    s.onAck(2, 0n, 1, 1);
    expect(s.peerWindow).toBe(1);
    expect(s.canSend()).toBe(false); // pending 1 >= window 1
    s.onAck(3, 0n, 0, 2);
    expect(s.pending).toBe(0);
    expect(s.peerWindow).toBe(0);
    expect(s.canSend()).toBe(false);
    s.onAck(3, 0n, 10, 3);
    expect(s.canSend()).toBe(true);
    // An absurd window is clamped.
    s.onAck(3, 0n, 0xffffffff, 4);
    expect(s.peerWindow).toBe(RELIABLE_MAX_PEER_WINDOW);
  });

  it('ignores the window of an ACK older than the newest one seen', () => {
    const s = new ReliableSender<number>();
    for (let i = 0; i < 20; i++) s.push(i, 0);
    s.onAck(15, 0n, 0, 1); // newer ACK: window closed
    s.onAck(10, 0n, 50, 1); // reordered older ACK must not reopen it
    expect(s.peerWindow).toBe(0);
    s.onAck(15, 0n, 7, 2); // same AckSeq, later arrival: taken
    expect(s.peerWindow).toBe(7);
  });

  it('is not fooled into overrunning the receiver by a duplicated older ACK', () => {
    const s = new ReliableSender<number>({ window: 10 });
    for (let i = 1; i <= 10; i++) s.push(i, 0);
    // Receiver room 10: first it has nothing (X), then it holds 2..6 out of order (Y).
    const x = { ackSeq: 1, ackBitmap: 0n, windowSize: 10 };
    const y = { ackSeq: 1, ackBitmap: 0b11111n, windowSize: 5 };
    expect(s.onAck(y.ackSeq, y.ackBitmap, y.windowSize, 1)).toBe(5);
    expect(s.pending).toBe(5);
    expect(s.canSend()).toBe(false);
    // A late duplicate of X: its WindowSize counts room the SACKed frames already use.
    s.onAck(x.ackSeq, x.ackBitmap, x.windowSize, 2);
    expect(s.peerWindow).toBe(10);
    expect(s.canSend()).toBe(false);
    expect(() => s.push(11, 2)).toThrow(WiremeshError);
    // The receiver gets 1 and delivers 1..6, which its application takes at once: room 10 again,
    // so seq 7..16 fit; 7..10 are in flight, 11..16 may go.
    s.onAck(7, 0n, 10, 3);
    expect(s.pending).toBe(4);
    const sent: number[] = [];
    while (s.canSend()) sent.push(s.push(0, 3));
    expect(sent).toEqual([11, 12, 13, 14, 15, 16]);
  });

  it('ignores ACKs for what was never sent and frames without an ACK', () => {
    const s = new ReliableSender<number>();
    s.push(1, 0);
    s.push(2, 0);
    expect(s.onAck(4, 0n, 5, 1)).toBe(0);
    expect(s.onAck(0, 0n, 5, 1)).toBe(0);
    expect(s.onAck(1.5, 0n, 5, 1)).toBe(0);
    expect(s.pending).toBe(2);
    expect(s.peerWindow).toBe(RELIABLE_WINDOW);
    expect(s.onAck(3, 0n, 5, 1)).toBe(2);
  });

  it('arms one timer per channel and retransmits the oldest unacked item', () => {
    const s = new ReliableSender<string>();
    s.push('a', 1000);
    expect(s.nextTimeoutAt()).toBe(1200);
    s.push('b', 1100); // does not re-arm
    expect(s.nextTimeoutAt()).toBe(1200);
    expect(s.onTimeout(1199)).toEqual({ action: 'none' });
    expect(s.onTimeout(1200)).toEqual({ action: 'retransmit', seq: 1, item: 'a' });
    expect(s.rto).toBe(400);
    expect(s.retries).toBe(1);
    expect(s.nextTimeoutAt()).toBe(1600);
    // Progress: RTO back to base, retries to 0, timer restarted from now for what is left.
    s.push('c', 1550);
    expect(s.onAck(2, 0n, 256, 1600)).toBe(1);
    expect(s.rto).toBe(200);
    expect(s.retries).toBe(0);
    // 'b' was sent before the retransmit of 'a' that has now arrived: it is missing, re-send at once.
    expect(s.nextTimeoutAt()).toBe(1600);
    expect(s.onTimeout(1600)).toEqual({ action: 'retransmit', seq: 2, item: 'b' });
    // 'c' was sent after the timeout, so it is not presumed lost: back to the RTO timer.
    expect(s.nextTimeoutAt()).toBe(1800);
    expect(s.onTimeout(1700)).toEqual({ action: 'none' });
    expect(s.rto).toBe(200);
    expect(s.retries).toBe(0);
    expect(s.onTimeout(1800)).toEqual({ action: 'retransmit', seq: 2, item: 'b' });
  });

  it('re-sends a frame at once when 3 later transmissions have arrived, and again if its re-send is overtaken', () => {
    const s = new ReliableSender<number>();
    for (let i = 1; i <= 20; i++) s.push(i, 0); // transmissions #1..#20
    // Two later frames arrived: could be reordering, so nothing is re-sent before the timer.
    expect(s.onAck(1, 0b11n, 256, 10)).toBe(2);
    expect(s.nextTimeoutAt()).toBe(210);
    // Now 2, 3, 6, 7, 10 arrived: #10 is 3 or more after #1, #4, #5, but not after #8, #9.
    expect(s.onAck(1, 0b11n | (1n << 4n) | (1n << 5n) | (1n << 8n), 256, 20)).toBe(3);
    expect(s.nextTimeoutAt()).toBe(20);
    expect(s.onTimeout(20)).toEqual({ action: 'retransmit', seq: 1, item: 1 }); // #21
    expect(s.onTimeout(20)).toEqual({ action: 'retransmit', seq: 4, item: 4 }); // #22
    expect(s.onTimeout(20)).toEqual({ action: 'retransmit', seq: 5, item: 5 }); // #23
    expect(s.nextTimeoutAt()).toBe(220); // back to the RTO timer, untouched
    expect(s.retries).toBe(0);
    expect(s.rto).toBe(200);
    // 8 and 9 arrive late: nothing is re-sent twice.
    expect(s.onAck(1, 0b11n | (0b11111n << 4n), 256, 30)).toBe(2);
    expect(s.nextTimeoutAt()).toBe(230);
    // The re-sent 4 and 5 and new frames 21..23 (#24..#26) arrive, but not the re-sent 1 (#21):
    // #26 is 3 or more after #21, so 1 is lost again.
    for (let i = 21; i <= 23; i++) s.push(i, 30);
    const sacked = 0b11n | (0b1111111n << 2n) | (0b111n << 19n); // 2..10 and 21..23
    expect(s.onAck(1, sacked, 256, 40)).toBe(5);
    expect(s.nextTimeoutAt()).toBe(40);
    expect(s.onTimeout(40)).toEqual({ action: 'retransmit', seq: 1, item: 1 });
    expect(s.onTimeout(40)).toEqual({ action: 'retransmit', seq: 11, item: 11 }); // #11 is old too
    const rest: number[] = [];
    while (s.nextTimeoutAt() === 40) {
      const a = s.onTimeout(40);
      if (a.action === 'retransmit') rest.push(a.seq);
    }
    expect(rest).toEqual(range(9).map((i) => i + 12)); // 12..20: sent before #23
  });

  it('after a loss is detected, re-sends the holes an ACK reveals, within 64 of AckSeq', () => {
    const s = new ReliableSender<number>({ sendAhead: 200 });
    for (let i = 1; i <= 100; i++) s.push(i, 0);
    // The receiver got 1, then 3..10 (2 lost) and nothing from 11 on: 2 is re-sent at once.
    expect(s.onAck(2, 0xffn, 256, 50)).toBe(9);
    expect(s.nextTimeoutAt()).toBe(50);
    expect(s.onTimeout(50)).toEqual({ action: 'retransmit', seq: 2, item: 2 });
    expect(s.nextTimeoutAt()).toBe(250);
    // The re-sent 2 arrives: AckSeq 11. Everything from 11 to 75 (64 ahead) was sent long before it
    // and is still missing: re-sent now; 76..100 are beyond the receiver's reach and wait.
    expect(s.onAck(11, 0n, 256, 100)).toBe(1);
    const resent: number[] = [];
    while (s.nextTimeoutAt() === 100) {
      const a = s.onTimeout(100);
      if (a.action !== 'retransmit') throw new Error('expected a retransmit');
      resent.push(a.seq);
    }
    expect(resent).toEqual(range(65).map((i) => i + 11));
    expect(s.retries).toBe(0);
    expect(s.nextTimeoutAt()).toBe(300);
    // Most of them arrive; 20 is lost again. The receiver's reach moves on to 84.
    expect(s.onAck(20, 0n, 256, 200)).toBe(9);
    const more: number[] = [];
    while (s.nextTimeoutAt() === 200) {
      const a = s.onTimeout(200);
      if (a.action === 'retransmit') more.push(a.seq);
    }
    expect(more).toEqual(range(9).map((i) => i + 76)); // 76..84: up to 20 + 64
    // 20 itself was re-sent with nothing after it arrived yet: it waits for the RTO (spec 11.6).
    expect(s.nextTimeoutAt()).toBe(400);
    expect(s.onTimeout(400)).toEqual({ action: 'retransmit', seq: 20, item: 20 });
    expect(s.retries).toBe(1);
  });

  it('after a timer retransmission arrives, everything sent before it is re-sent', () => {
    const s = new ReliableSender<string>();
    s.push('a', 0);
    s.push('b', 0);
    s.push('c', 0);
    expect(s.onTimeout(200)).toEqual({ action: 'retransmit', seq: 1, item: 'a' });
    s.push('d', 250);
    expect(s.onAck(2, 0n, 256, 300)).toBe(1);
    expect(s.onTimeout(300)).toEqual({ action: 'retransmit', seq: 2, item: 'b' });
    expect(s.onTimeout(300)).toEqual({ action: 'retransmit', seq: 3, item: 'c' });
    // 'd' was sent after the timer retransmission: not presumed lost.
    expect(s.nextTimeoutAt()).toBe(500);
    expect(s.onTimeout(300)).toEqual({ action: 'none' });
  });

  it('does not re-send a frame found lost that was acknowledged before its re-send was due', () => {
    const s = new ReliableSender<number>({ sendAhead: 100 });
    for (let i = 1; i <= 64; i++) s.push(i, 0);
    expect(s.onAck(1, 0b1111n, 256, 10)).toBe(4); // 2..5 arrived: 1 is found lost
    expect(s.nextTimeoutAt()).toBe(10);
    expect(s.onAck(6, 0n, 256, 11)).toBe(1); // ...but 1 was only late
    // Seq 65 takes the ring slot seq 1 had; the stale repair must not send it under number 1.
    expect(s.push(65, 11)).toBe(65);
    expect(s.onTimeout(11)).toEqual({ action: 'none' });
    expect(s.nextTimeoutAt()).toBe(211);
  });

  it('never runs more than sendAhead numbers ahead of the oldest pending frame', () => {
    const s = new ReliableSender<number>();
    let sent = 0;
    while (s.canSend()) s.push(sent++, 0);
    expect(sent).toBe(65);
    expect(() => s.push(0, 0)).toThrow(WiremeshError);
    // SACKs do not move the oldest pending frame: still blocked.
    expect(s.onAck(1, 0xffn, 256, 1)).toBe(8);
    expect(s.canSend()).toBe(false);
    expect(s.onAck(12, 0n, 256, 2)).toBe(3); // 1, 10, 11
    // Oldest pending is now 12: 12..76 may be in flight.
    while (s.canSend()) s.push(sent++, 2);
    expect(sent).toBe(76);
  });

  it('a vanished peer fails the channel after exactly maxRetries retransmits, RTO 200, 400, ... capped at 30 s', () => {
    const s = new ReliableSender<string>();
    s.push('x', 0);
    const gaps: number[] = [];
    const actions: string[] = [];
    let last = 0;
    for (let i = 0; i < 50; i++) {
      const at = s.nextTimeoutAt();
      if (at === null) break;
      gaps.push(at - last);
      last = at;
      const a = s.onTimeout(at);
      actions.push(a.action);
      if (a.action === 'retransmit') expect(a).toEqual({ action: 'retransmit', seq: 1, item: 'x' });
    }
    expect(actions).toEqual([...Array<string>(MAX_RETRIES).fill('retransmit'), 'fail']);
    expect(gaps).toEqual([200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]);
    expect(s.nextTimeoutAt()).toBeNull();
  });

  it('honours custom RTO and retry options', () => {
    const s = new ReliableSender<number>({ baseRtoMs: 50, maxRtoMs: 120, maxRetries: 3 });
    s.push(1, 0);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const at = s.nextTimeoutAt();
      if (at === null) break;
      times.push(at);
      if (s.onTimeout(at).action === 'fail') break;
    }
    expect(times).toEqual([50, 150, 270, 390]);
    expect(() => new ReliableSender({ window: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ReliableSender({ baseRtoMs: 100, maxRtoMs: 50 })).toThrow(InvalidArgumentError);
    expect(() => new ReliableSender({ maxRetries: -1 })).toThrow(InvalidArgumentError);
  });

  it('probes a closed window with the last acknowledged item, without ever failing', () => {
    const s = new ReliableSender<string>();
    s.push('a', 0);
    s.push('b', 0);
    s.onAck(3, 0n, 0, 10); // all acknowledged, window 0
    expect(s.pending).toBe(0);
    expect(s.nextTimeoutAt()).toBe(210);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const at = s.nextTimeoutAt()!;
      times.push(at);
      expect(s.onTimeout(at)).toEqual({ action: 'retransmit', seq: 2, item: 'b' });
    }
    expect(times.slice(0, 5)).toEqual([210, 610, 1410, 3010, 6210]);
    expect(times[14] - times[13]).toBe(30_000);
    // An ACK that reopens the window ends probing.
    s.onAck(3, 0n, 4, times[14]);
    expect(s.nextTimeoutAt()).toBeNull();
    expect(s.push('c', times[14])).toBe(3);
  });

  it('reset() purges, numbers from 1 again and restores the window (spec 11.7)', () => {
    const s = new ReliableSender<number>({ window: 8 });
    for (let i = 0; i < 8; i++) s.push(i, 0);
    s.onAck(3, 0n, 0, 1);
    s.onTimeout(s.nextTimeoutAt()!);
    s.reset();
    expect(s.pending).toBe(0);
    expect(s.peerWindow).toBe(8);
    expect(s.canSend()).toBe(true);
    expect(s.nextTimeoutAt()).toBeNull();
    expect(s.rto).toBe(200);
    expect(s.retries).toBe(0);
    expect(s.push(100, 5)).toBe(1);
    expect(s.nextTimeoutAt()).toBe(205);
    expect(s.onTimeout(205)).toEqual({ action: 'retransmit', seq: 1, item: 100 });
  });

  it('wraps from 2^32-1 to 1, never using 0', () => {
    const s = new ReliableSender<number>({ firstSeq: MAX_SEQ - 2 });
    expect([0, 1, 2, 3, 4].map((i) => s.push(i, 0))).toEqual([MAX_SEQ - 2, MAX_SEQ - 1, MAX_SEQ, 1, 2]);
    // AckSeq 1 means everything up to 2^32-1 arrived; bit 0 acknowledges 2.
    expect(s.onAck(1, 1n, 10, 1)).toBe(4);
    expect(s.pending).toBe(1);
    expect(s.onTimeout(s.nextTimeoutAt()!)).toEqual({ action: 'retransmit', seq: 1, item: 3 });
    expect(s.onAck(3, 0n, 10, 1)).toBe(1);
  });

  it('grows its retransmit buffer beyond the initial ring', () => {
    const s = new ReliableSender<number>({ window: 1000, sendAhead: 1000 });
    for (let i = 1; i <= 1000; i++) expect(s.push(i, 0)).toBe(i);
    // SACK a few high ones, then free the rest in steps, checking the oldest each time.
    expect(s.onAck(500, 0n, 1000, 1)).toBe(499);
    expect(s.onTimeout(s.nextTimeoutAt()!)).toEqual({ action: 'retransmit', seq: 500, item: 500 });
    expect(s.onAck(1001, 0n, 1000, 2)).toBe(501);
  });
});

describe('ReliableReceiver', () => {
  it('delivers in order and reports the next expected seq', () => {
    const r = new ReliableReceiver<string>();
    expect(r.ackFields()).toEqual({ ackSeq: 1, ackBitmap: 0n, windowSize: RELIABLE_WINDOW });
    expect(r.ackDueAt()).toBeNull();
    expect(r.receive(1, 'a', 100)).toEqual(['a']);
    expect(r.receive(2, 'b', 101)).toEqual(['b']);
    expect(r.ackFields()).toEqual({ ackSeq: 3, ackBitmap: 0n, windowSize: RELIABLE_WINDOW - 2 });
  });

  it('buffers out-of-order items, SACKs them, and releases them when the gap fills', () => {
    const r = new ReliableReceiver<number>();
    expect(r.receive(3, 3, 0)).toEqual([]);
    expect(r.receive(5, 5, 0)).toEqual([]);
    expect(r.receive(65, 65, 0)).toEqual([]); // 64 ahead: the last slot
    expect(r.bufferedCount).toBe(3);
    // AckSeq 1: bit i => 1 + i + 1, so 3 -> bit 1, 5 -> bit 3, 65 -> bit 63.
    expect(r.ackFields()).toEqual({
      ackSeq: 1,
      ackBitmap: (1n << 1n) | (1n << 3n) | (1n << 63n),
      windowSize: RELIABLE_WINDOW - 3,
    });
    expect(r.receive(1, 1, 0)).toEqual([1]);
    expect(r.receive(2, 2, 0)).toEqual([2, 3]);
    expect(r.ackFields().ackBitmap).toBe((1n << 0n) | (1n << 60n));
    expect(r.receive(4, 4, 0)).toEqual([4, 5]);
    expect(r.ackFields()).toEqual({ ackSeq: 6, ackBitmap: 1n << 58n, windowSize: RELIABLE_WINDOW - 6 });
  });

  it('counts duplicates and items too far ahead', () => {
    const r = new ReliableReceiver<number>();
    r.receive(1, 1, 0);
    expect(r.receive(1, 1, 0)).toEqual([]);
    r.receive(4, 4, 0);
    expect(r.receive(4, 4, 0)).toEqual([]);
    expect(r.drops.duplicate).toBe(2);
    expect(r.receive(67, 67, 0)).toEqual([]); // 65 ahead of expected 2
    expect(r.receive(0, 0, 0)).toEqual([]);
    expect(r.receive(2 ** 32, 0, 0)).toEqual([]);
    expect(r.drops.outOfWindow).toBe(3);
    expect(r.receive(66, 66, 0)).toEqual([]); // exactly 64 ahead: buffered
    expect(r.bufferedCount).toBe(2);
  });

  it('makes an ACK due ackDelay after the first unacknowledged receipt, duplicates included', () => {
    const r = new ReliableReceiver<number>();
    r.receive(1, 1, 1000);
    expect(r.ackDueAt()).toBe(1020);
    r.receive(2, 2, 1010);
    expect(r.ackDueAt()).toBe(1020);
    r.ackSent();
    expect(r.ackDueAt()).toBeNull();
    r.receive(1, 1, 2000); // our ACK may have been lost: answer the retransmit
    expect(r.ackDueAt()).toBe(2020);
    const custom = new ReliableReceiver<number>({ ackDelayMs: 5 });
    custom.receive(7, 7, 10);
    expect(custom.ackDueAt()).toBe(15);
  });

  it('has news for the peer only while an ACK is due or the window moved since it was advertised', () => {
    const r = new ReliableReceiver<number>({ window: 8 });
    expect(r.hasNews()).toBe(false); // nothing received: the peer assumes the configured window
    r.receive(1, 1, 0);
    expect(r.hasNews()).toBe(true);
    r.ackSent();
    expect(r.hasNews()).toBe(false);
    r.setAvailable(8, 5); // the application read the frame: the window grew back
    expect(r.hasNews()).toBe(true);
    r.ackSent();
    expect(r.hasNews()).toBe(false);
    r.receive(1, 1, 10); // a duplicate: the peer may have missed our ACK
    expect(r.hasNews()).toBe(true);
  });

  it('never hands out more than the application said it can take', () => {
    const r = new ReliableReceiver<number>({ window: 4 });
    expect(r.receive(3, 3, 0)).toEqual([]);
    expect(r.receive(4, 4, 0)).toEqual([]);
    expect(r.receive(5, 5, 0)).toEqual([]); // offset 4 >= room 4
    expect(r.drops.outOfWindow).toBe(1);
    expect(r.ackFields().windowSize).toBe(2); // room 4 minus 2 buffered
    expect(r.receive(1, 1, 0)).toEqual([1]);
    expect(r.receive(2, 2, 0)).toEqual([2, 3, 4]);
    expect(r.available).toBe(0);
    expect(r.ackFields()).toEqual({ ackSeq: 5, ackBitmap: 0n, windowSize: 0 });
    expect(r.receive(5, 5, 0)).toEqual([]);
    expect(r.drops.outOfWindow).toBe(2);
    r.setAvailable(1, 10);
    expect(r.receive(5, 5, 11)).toEqual([5]);
  });

  it('makes an ACK due at once when a window advertised as 0 opens', () => {
    const r = new ReliableReceiver<number>({ window: 2 });
    r.receive(1, 1, 0);
    r.receive(2, 2, 0);
    expect(r.ackFields().windowSize).toBe(0);
    r.ackSent();
    r.setAvailable(0, 50); // still closed: nothing due
    expect(r.ackDueAt()).toBeNull();
    r.setAvailable(2, 100);
    expect(r.ackDueAt()).toBe(100);
    expect(r.ackFields().windowSize).toBe(2);
    r.ackSent();
    r.setAvailable(5, 200); // it was not advertised as 0: no extra ACK
    expect(r.ackDueAt()).toBeNull();
    // Without an explicit time the latest known time is used.
    const q = new ReliableReceiver<number>({ window: 1 });
    q.receive(1, 1, 700);
    q.ackSent();
    q.setAvailable(1);
    expect(q.ackDueAt()).toBe(700);
    expect(() => q.setAvailable(-1)).toThrow(InvalidArgumentError);
  });

  it('reset() expects seq 1 again and clears the out-of-order buffer (spec 11.7)', () => {
    const r = new ReliableReceiver<number>();
    r.receive(1, 1, 0);
    r.receive(2, 2, 0);
    r.receive(5, 5, 0);
    r.reset();
    expect(r.expectedSeq).toBe(1);
    expect(r.bufferedCount).toBe(0);
    expect(r.ackDueAt()).toBeNull();
    expect(r.ackFields()).toEqual({ ackSeq: 1, ackBitmap: 0n, windowSize: RELIABLE_WINDOW - 2 });
    expect(r.receive(2, 20, 0)).toEqual([]);
    expect(r.receive(1, 10, 0)).toEqual([10, 20]);
    expect(r.drops.duplicate).toBe(0);
  });

  it('wraps from 2^32-1 to 1', () => {
    const r = new ReliableReceiver<number>({ firstSeq: MAX_SEQ - 1 });
    expect(r.receive(1, 3, 0)).toEqual([]);
    expect(r.ackFields()).toEqual({ ackSeq: MAX_SEQ - 1, ackBitmap: 1n << 1n, windowSize: RELIABLE_WINDOW - 1 });
    expect(r.receive(MAX_SEQ - 1, 1, 0)).toEqual([1]);
    expect(r.receive(MAX_SEQ, 2, 0)).toEqual([2, 3]);
    expect(r.expectedSeq).toBe(2);
    expect(r.receive(MAX_SEQ, 2, 0)).toEqual([]);
    expect(r.drops.duplicate).toBe(1);
  });

  it('rejects bad options', () => {
    expect(() => new ReliableReceiver({ oooWindow: 65 })).toThrow(InvalidArgumentError);
    expect(() => new ReliableReceiver({ window: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ReliableReceiver({ ackDelayMs: -1 })).toThrow(InvalidArgumentError);
  });

  it('matches a simple in-order model on arbitrary seq streams (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 80 }), { maxLength: 300 }), (offsets) => {
        const r = new ReliableReceiver<number>({ window: 1_000_000 });
        const held = new Set<number>();
        let expectSeq = 1;
        const out: number[] = [];
        for (const off of offsets) {
          const seq = Math.max(0, expectSeq + off);
          const got = r.receive(seq, seq, 0);
          // Model: accept seq in [expect, expect + 64], deliver the contiguous run.
          if (seq >= expectSeq && seq <= expectSeq + 64) held.add(seq);
          const model: number[] = [];
          while (held.has(expectSeq)) {
            held.delete(expectSeq);
            model.push(expectSeq);
            expectSeq++;
          }
          expect(got).toEqual(model);
          out.push(...got);
          const { ackSeq, ackBitmap } = r.ackFields();
          expect(ackSeq).toBe(expectSeq);
          let bits = 0n;
          for (const s of held) bits |= 1n << BigInt(s - expectSeq - 1);
          expect(ackBitmap).toBe(bits);
        }
        expect(out).toEqual(range(out.length).map((i) => i + 1));
      }),
      { numRuns: 200 },
    );
  });
});

describe('reliable sender + receiver over a lossy pipe', () => {
  // 10% loss and 5% duplication each way; 10% of packets overtaken by up to 30 ms.
  const lossy: PipeOptions = { loss: 0.1, duplicate: 0.05, delayMs: 10, reorder: 0.1, reorderExtraMs: 30 };
  // Every packet delayed independently by 1..60 ms: order is mostly random.
  const scrambling: PipeOptions = { loss: 0.1, duplicate: 0.05, delayMs: 1, reorder: 1, reorderExtraMs: 60 };

  function deliverAll(seed: number, pipe: PipeOptions): Simulation {
    const sim = new Simulation({
      seed,
      items: 10_000,
      pipe,
      appCapacity: RELIABLE_WINDOW,
      drainPerTick: 0,
      drainEveryMs: 0,
      untilMs: 10_000_000,
    });
    sim.run(10_000_000);
    expect(sim.failed).toBe(false);
    expect(sim.delivered.length).toBe(10_000);
    expect(sim.delivered.every((v, i) => v === i)).toBe(true);
    expect(sim.sender.pending).toBe(0);
    expect(sim.receiver.bufferedCount).toBe(0);
    expect(sim.maxReceiverBuffered).toBeLessThanOrEqual(64);
    expect(sim.maxSenderPending).toBeLessThanOrEqual(RELIABLE_WINDOW);
    // The pipe really was hostile.
    expect(sim.retransmits).toBeGreaterThan(1000);
    expect(sim.receiver.drops.duplicate).toBeGreaterThan(100);
    return sim;
  }

  for (const seed of [1, 2, 3]) {
    it(`delivers 10,000 items exactly once, in order (seed ${seed})`, () => {
      const sim = deliverAll(seed, lossy);
      // Loss recovery keeps the channel moving: the spec's oldest-only retransmit alone needs over
      // an hour of simulated time here.
      expect(sim.now).toBeLessThan(60_000);
      // No frame sent beyond the receiver's reach.
      expect(sim.receiver.drops.outOfWindow).toBe(0);
    });
  }

  it('delivers 10,000 items exactly once, in order, when the link scrambles the order of everything', () => {
    deliverAll(4, scrambling);
  });

  it('delivers through a slow application without exceeding its buffer', () => {
    const sim = new Simulation({
      seed: 9,
      items: 3_000,
      pipe: lossy,
      appCapacity: 32,
      drainPerTick: 8,
      drainEveryMs: 5,
      untilMs: 10_000_000,
    });
    sim.run(10_000_000);
    expect(sim.failed).toBe(false);
    expect(sim.delivered.concat(sim.appBuffer)).toEqual(range(3_000));
    expect(sim.maxAppBuffer).toBeLessThanOrEqual(32);
  });

  it('blocks the sender while the application does not drain, with bounded memory, then resumes', () => {
    const sim = new Simulation({
      seed: 4,
      items: 2_000,
      pipe: lossy,
      appCapacity: RELIABLE_WINDOW,
      drainPerTick: 0,
      drainEveryMs: 1, // never drains by itself: the test drains by hand
      untilMs: 60_000,
    });
    sim.run(60_000);
    expect(sim.failed).toBe(false);
    // Exactly the application's capacity was handed out, and everything sent was acknowledged.
    expect(sim.appBuffer).toEqual(range(RELIABLE_WINDOW));
    expect(sim.sender.pending).toBe(0);
    expect(sim.sender.peerWindow).toBe(0);
    expect(sim.sender.canSend()).toBe(false);
    expect(sim.nextItem).toBe(RELIABLE_WINDOW);
    expect(sim.maxReceiverBuffered).toBeLessThanOrEqual(64);
    expect(sim.maxSenderPending).toBeLessThanOrEqual(RELIABLE_WINDOW);
    expect(sim.data.maxInFlight).toBeLessThanOrEqual(2 * RELIABLE_WINDOW);

    // The application drains and the window-update ACK is lost: the zero-window probe recovers.
    sim.drainAll();
    expect(sim.delivered).toEqual(range(RELIABLE_WINDOW));
    sim.acks.dropNext = 1;
    const probesBefore = sim.retransmits;
    expect(sim.receiver.ackDueAt()).toBe(sim.now);
    sim.run(sim.now + 120_000);
    expect(sim.failed).toBe(false);
    expect(sim.retransmits).toBeGreaterThan(probesBefore);
    expect(sim.appBuffer).toEqual(range(RELIABLE_WINDOW).map((i) => i + RELIABLE_WINDOW));
    expect(sim.sender.canSend()).toBe(false);
  });

  it('resumes after every window opening even when each window update is lost', () => {
    const sim = new Simulation({
      seed: 5,
      items: 1_000,
      pipe: lossy,
      appCapacity: 100,
      drainPerTick: 0,
      drainEveryMs: 1,
      untilMs: 0,
    });
    // The application drains by hand every 40 simulated seconds; every window update ACK is lost.
    let lostUpdates = 0;
    for (let round = 0; round < 60 && sim.delivered.length < 1_000; round++) {
      sim.run(sim.now + 40_000);
      expect(sim.failed).toBe(false);
      expect(sim.appBuffer.length).toBeLessThanOrEqual(100);
      sim.drainAll();
      if (sim.receiver.ackDueAt() !== null) {
        sim.acks.dropNext = 1;
        lostUpdates++;
      }
    }
    expect(sim.delivered).toEqual(range(1_000));
    expect(lostUpdates).toBeGreaterThanOrEqual(9);
  });

  it('peer disappears: fail after maxRetries', () => {
    const sim = new Simulation({
      seed: 6,
      items: 50,
      pipe: { loss: 1, duplicate: 0, delayMs: 1, reorder: 0, reorderExtraMs: 0 },
      appCapacity: RELIABLE_WINDOW,
      drainPerTick: 0,
      drainEveryMs: 0,
      untilMs: 1_000_000,
    });
    sim.run(1_000_000);
    expect(sim.failed).toBe(true);
    expect(sim.retransmits).toBe(MAX_RETRIES);
    expect(sim.now).toBe(200 + 400 + 800 + 1600 + 3200 + 6400 + 12800 + 25600 + 30000 + 30000 + 30000);
  });
});
