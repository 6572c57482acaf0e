/**
 * Reliable delivery on one channel (spec 11), as two pure state machines: `ReliableSender` keeps what
 * was sent until it is acknowledged and decides retransmits; `ReliableReceiver` restores order and
 * produces the ACK fields. Both are generic over the item kept per sequence number (the Session
 * stores whatever it needs to resend a frame). The caller passes the clock and does all I/O.
 *
 * Sequence numbers (spec 11.1). Seq is a uint32 starting at 1; 0 means "unreliable". wiremesh numbers
 * frames 1, 2, ..., 2^32-1 and then wraps back to 1 (never 0), and both sides interpret a wire value
 * as the nearest one to where they are, so a long-lived channel survives the wrap. In-flight frames
 * span at most RELIABLE_MAX_PEER_WINDOW + 65 numbers, far below half of the space.
 *
 * ACK fields (spec 11.2-11.4): AckSeq is the next expected seq (so every ACK has AckSeq >= 1), bit i
 * of AckBitmap acknowledges AckSeq + i + 1, and WindowSize is how many more frames the receiver can
 * take.
 *
 * THE ZERO-WINDOW RULE. Spec 10 omits zero-valued fields from the frame, yet a receiver whose
 * application is full must be able to say "window 0". wiremesh resolves it like this:
 * - `ReliableReceiver.ackFields().windowSize` is the true number of free slots, possibly 0, and the
 *   encoder writes WindowSize whenever it is non-zero (as the spec says);
 * - a frame that carries AckSeq (always >= 1 in an ACK) but no WindowSize therefore means window 0:
 *   the decoder yields windowSize 0 and `ReliableSender.onAck(..., 0, ...)` closes the window.
 * "Absent" is never read as "unchanged". Window values from an ACK older than the newest one seen are
 * ignored, so reordered ACKs cannot reopen a window that a newer ACK closed. Besides spec 11.4's
 * `pending < peerWindow`, the sender also stops at the window's right edge, AckSeq + WindowSize +
 * (frames SACKed in that ACK): the same limit while ACKs arrive once, and the safe one when an older
 * ACK is duplicated (its WindowSize still counts room that SACKed frames now use).
 *
 * Zero-window recovery. When the receiver's application frees room after it advertised 0, an ACK
 * becomes due at once. If that ACK is lost while the sender has nothing unacknowledged, neither side
 * would ever speak again. So while the sender sees window 0 and has nothing pending, it keeps the most
 * recently acknowledged item and periodically re-sends it as a window probe (backoff BASE_RTO_MS
 * doubling up to MAX_RTO_MS; probes never fail the channel). The receiver sees a duplicate, which
 * makes an ACK due, and that ACK carries the current window.
 *
 * Loss recovery. Spec 11.6 retransmits only the oldest unacknowledged frame per timeout: followed
 * literally, every loss stalls the channel for an RTO, and after one loss each later frame the
 * receiver had to drop (more than 64 ahead of the gap, spec 11.3) costs an RTO of its own; in the
 * lossy simulation of the tests that makes 10,000 frames take about an hour. wiremesh keeps that timer
 * exactly as specified (RTO, backoff, MaxRetries, 'fail') and adds, on the sender only (nothing
 * changes on the wire), TCP-style loss detection (SACK DupThresh, NewReno partial ACK):
 * - every transmission (first send or re-send) gets a number; a pending frame is lost once a
 *   transmission made LOSS_REORDER_FRAMES (3) or more after its own has been acknowledged, or once
 *   the last timer retransmission, made after it, has been acknowledged;
 * - lost frames are queued and handed out by onTimeout() at once (`nextTimeoutAt()` returns the time
 *   of the ACK that revealed them, i.e. "due now"); these re-sends touch neither the RTO nor the
 *   retry count, and each is detected again only if a later transmission overtakes it again;
 * - only frames within the receiver's reach (65 numbers from the oldest pending) are re-sent, and the
 *   sender never runs more than `sendAhead` (default RELIABLE_SEND_AHEAD = 65) numbers ahead of its
 *   oldest pending frame, because the receiver drops anything further ahead of a gap.
 * Measured in that simulation (10% loss and 5% duplication each way, 10% reordered): 10,000 frames
 * in about 17 s of simulated time with about 1,700 re-sends, against about 3,500 s and 12,000 re-sends
 * when following spec 11.6 literally with the full 256-frame window in flight.
 *
 * Receive window: the receiver accepts seq only if it lies within both the out-of-order window
 * (at most `oooWindow` ahead of the next expected) and the free room of the application
 * (`setAvailable`; each delivered item uses one slot). So `receive` never hands out more than the
 * application said it can take, and the receiver itself holds at most `oooWindow` items.
 */
import { InvalidArgumentError, WiremeshError } from '../errors.js';
import {
  ACK_DELAY_MS,
  BASE_RTO_MS,
  LOSS_REORDER_FRAMES,
  MAX_RETRIES,
  MAX_RTO_MS,
  RELIABLE_MAX_PEER_WINDOW,
  RELIABLE_OOO_WINDOW,
  RELIABLE_SEND_AHEAD,
  RELIABLE_SEQ_SPACE,
  RELIABLE_WINDOW,
} from './constants.js';

// ---- sequence space (spec 11.1, with wrap from 2^32-1 to 1) ----

const HALF_SEQ_SPACE = Math.floor(RELIABLE_SEQ_SPACE / 2);

/** Whether `seq` is a valid reliable sequence number on the wire (1..2^32-1). */
function isWireSeq(seq: number): boolean {
  return Number.isInteger(seq) && seq >= 1 && seq <= RELIABLE_SEQ_SPACE;
}

// Internally both sides count with unbounded "logical" numbers; this maps one to its wire value.
function toWire(logical: number): number {
  return ((logical - 1) % RELIABLE_SEQ_SPACE) + 1;
}

// The logical number with wire value `seq` that is nearest to the logical number `near`.
function toLogical(seq: number, near: number): number {
  let diff = (seq - toWire(near)) % RELIABLE_SEQ_SPACE;
  if (diff > HALF_SEQ_SPACE) diff -= RELIABLE_SEQ_SPACE;
  else if (diff < -HALF_SEQ_SPACE) diff += RELIABLE_SEQ_SPACE;
  return near + diff;
}

function popcount32(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

function optionInteger(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

// ---- sender ----

export interface ReliableSenderOptions {
  /** Initial peer window, frames (spec 11.4, default 256); restored by reset(). */
  window?: number;
  /** First retransmit timeout, ms (spec 11.6, default 200). */
  baseRtoMs?: number;
  /** Cap of the doubling retransmit timeout, ms (spec 11.6, default 30 000). */
  maxRtoMs?: number;
  /** Consecutive retransmits without progress before 'fail' (spec 11.6, default 10). */
  maxRetries?: number;
  /** Most sequence numbers from the oldest unacknowledged one to the newest sent (default 65). */
  sendAhead?: number;
  /** Wire seq of the first item (default 1, spec 11.1); reset() always returns to 1. */
  firstSeq?: number;
}

export type SenderTimeoutAction<T> =
  | { action: 'none' }
  | { action: 'retransmit'; seq: number; item: T }
  | { action: 'fail' };

const NONE = { action: 'none' } as const;
const FAIL = { action: 'fail' } as const;
const INITIAL_RING = 64;

export class ReliableSender<T> {
  private readonly initialWindow: number;
  private readonly baseRtoMs: number;
  private readonly maxRtoMs: number;
  private readonly maxRetries: number;
  private readonly sendAhead: number;

  // Retransmit buffer: a ring indexed by logical seq. Per slot: the item, whether it is still
  // unacknowledged, the number of its last transmission, and whether it waits in the repair queue.
  private items: (T | undefined)[] = [];
  private present = new Uint8Array(0);
  private sentAs = new Float64Array(0);
  private queued = new Uint8Array(0);
  private mask = -1;
  private count = 0;
  // Lowest unacknowledged logical seq (== next when nothing is pending), and the next one to assign.
  private base: number;
  private next: number;

  private window: number;
  // First logical seq beyond the peer's window: AckSeq + WindowSize + frames SACKed in that ACK.
  private rightEdge: number;
  // Newest AckSeq seen (logical); window values from older ACKs are stale.
  private newestAck = 0;

  private rtoMs: number;
  private retryCount = 0;
  private timerAt: number | null = null;

  // Loss detection: every transmission is numbered; `delivered` is the highest number among
  // transmissions known to have arrived. Frames found lost wait in `repairQueue` (logical seqs).
  private transmissions = 0;
  private delivered = 0;
  // Number of the last timer retransmission (0: none yet). Once it has arrived, every transmission
  // made before it that is still unacknowledged is lost too (NewReno's partial ACK).
  private timeoutMark = 0;
  private repairQueue: number[] = [];
  private repairHead = 0;
  private repairAt: number | null = null;

  // Zero-window probe: the most recently acknowledged item, re-sent while the window is closed.
  private probeSeq = 0;
  private probeItem: T | undefined = undefined;
  private probeAt: number | null = null;
  private probeRtoMs: number;

  constructor(opts: ReliableSenderOptions = {}) {
    this.initialWindow = optionInteger('window', opts.window, RELIABLE_WINDOW, 1, RELIABLE_MAX_PEER_WINDOW);
    this.baseRtoMs = optionInteger('baseRtoMs', opts.baseRtoMs, BASE_RTO_MS, 1, 2 ** 31);
    this.maxRtoMs = optionInteger('maxRtoMs', opts.maxRtoMs, Math.max(MAX_RTO_MS, this.baseRtoMs), this.baseRtoMs, 2 ** 31);
    this.maxRetries = optionInteger('maxRetries', opts.maxRetries, MAX_RETRIES, 0, 2 ** 31);
    this.sendAhead = optionInteger('sendAhead', opts.sendAhead, RELIABLE_SEND_AHEAD, 1, RELIABLE_MAX_PEER_WINDOW);
    const first = optionInteger('firstSeq', opts.firstSeq, 1, 1, RELIABLE_SEQ_SPACE);
    this.base = first;
    this.next = first;
    this.window = this.initialWindow;
    this.rightEdge = first + this.initialWindow;
    this.rtoMs = this.baseRtoMs;
    this.probeRtoMs = this.baseRtoMs;
    this.allocate(INITIAL_RING);
  }

  /** Items sent and not yet acknowledged (cumulatively or selectively). */
  get pending(): number {
    return this.count;
  }

  /** The peer's receive window as last advertised (clamped to RELIABLE_MAX_PEER_WINDOW). */
  get peerWindow(): number {
    return this.window;
  }

  /** Current retransmit timeout, ms. */
  get rto(): number {
    return this.rtoMs;
  }

  /** Consecutive timer retransmits since the last progress. */
  get retries(): number {
    return this.retryCount;
  }

  /**
   * Whether push() may be called. spec 11.4: not while pending >= peerWindow. Also not beyond the
   * window's right edge, nor more than `sendAhead` numbers past the oldest unacknowledged frame
   * (see the module doc).
   */
  canSend(): boolean {
    return this.count < this.window && this.next < this.rightEdge && this.next - this.base < this.sendAhead;
  }

  /**
   * Stores `item` under the next sequence number and returns that number (wire value, from 1).
   * Arms the retransmit timer if it is not running. Throws WiremeshError 'WINDOW_FULL' when
   * canSend() is false: the caller must wait for an ACK.
   */
  push(item: T, nowMs: number): number {
    if (!this.canSend()) {
      throw new WiremeshError('WINDOW_FULL', "the peer's receive window is full; wait until canSend() is true before push()");
    }
    const seq = this.next;
    if (seq - this.base >= this.items.length) this.allocate(this.items.length * 2);
    const slot = seq & this.mask;
    this.items[slot] = item;
    this.present[slot] = 1;
    this.queued[slot] = 0;
    this.sentAs[slot] = ++this.transmissions;
    this.count++;
    this.next = seq + 1;
    // spec 11.6: one timer per channel, armed when a frame is sent and none is running.
    if (this.timerAt === null) this.timerAt = nowMs + this.rtoMs;
    this.probeAt = null;
    return toWire(seq);
  }

  /**
   * Applies the ACK fields of a received frame: frees every seq < ackSeq (spec 11.2) and each seq
   * ackSeq + i + 1 whose bit i is set (spec 11.3), and takes `windowSize` as the peer window, where 0
   * (field absent) means window 0 (see the module doc). When at least one item is freed, the RTO
   * returns to base, the retry count to 0, and the timer restarts (spec 11.6). Frames the ACK shows
   * to be lost are queued for re-sending (see nextTimeoutAt). Returns how many items were freed. An
   * ackSeq of 0 (no ACK in the frame) or one beyond anything sent is ignored.
   */
  onAck(ackSeq: number, ackBitmap: bigint, windowSize: number, nowMs: number): number {
    if (!isWireSeq(ackSeq)) return 0;
    const ack = toLogical(ackSeq, this.base);
    if (ack > this.next) return 0;

    let freed = 0;
    while (this.base < ack) {
      if (this.release(this.base)) freed++;
      this.base++;
    }
    const bits = BigInt.asUintN(64, ackBitmap);
    let sacked = 0;
    if (bits !== 0n) {
      const low = Number(bits & 0xffffffffn);
      const high = Number(bits >> 32n);
      sacked = popcount32(low) + popcount32(high);
      if (this.count > 0) freed += this.releaseBits(ack + 1, low) + this.releaseBits(ack + 33, high);
    }
    while (this.base < this.next && this.present[this.base & this.mask] === 0) this.base++;

    if (ack >= this.newestAck) {
      this.newestAck = ack;
      this.window = Number.isInteger(windowSize) && windowSize > 0 ? Math.min(windowSize, RELIABLE_MAX_PEER_WINDOW) : 0;
      this.rightEdge = ack + this.window + sacked;
    }

    if (freed > 0) {
      this.rtoMs = this.baseRtoMs;
      this.retryCount = 0;
      this.timerAt = this.count > 0 ? nowMs + this.rtoMs : null;
    }
    if (this.count > 0) this.detectLosses(nowMs);
    else this.clearRepairs();

    if (this.count === 0 && !this.canSend() && this.probeSeq !== 0) {
      if (this.probeAt === null) {
        this.probeRtoMs = this.baseRtoMs;
        this.probeAt = nowMs + this.probeRtoMs;
      }
    } else {
      this.probeAt = null;
    }
    return freed;
  }

  /**
   * When onTimeout must next be called, absolute ms: the time lost frames were found while re-sends
   * are queued (i.e. now), the retransmit timer while items are pending, the zero-window probe timer
   * while nothing is pending and the window is closed, else null.
   */
  nextTimeoutAt(): number | null {
    if (this.repairAt !== null && (this.timerAt === null || this.repairAt < this.timerAt)) return this.repairAt;
    return this.timerAt ?? this.probeAt;
  }

  /**
   * Call at (or after) nextTimeoutAt(), and again while it stays due. Queued re-send: returns the
   * next frame found lost (no backoff, no retry counted). Retransmit timer: returns the OLDEST
   * unacknowledged item and doubles the RTO up to maxRto (spec 11.6); once maxRetries retransmits
   * have gone unanswered, returns 'fail' (the channel must be closed) and disarms. Probe timer:
   * returns the last acknowledged item to re-send as a window probe. Before the deadline: 'none'.
   */
  onTimeout(nowMs: number): SenderTimeoutAction<T> {
    if (this.repairAt !== null && nowMs >= this.repairAt) {
      while (this.repairHead < this.repairQueue.length) {
        const seq = this.repairQueue[this.repairHead++];
        const slot = seq & this.mask;
        if (seq < this.base || this.present[slot] === 0 || this.queued[slot] === 0) continue;
        this.queued[slot] = 0;
        this.sentAs[slot] = ++this.transmissions;
        if (this.repairHead >= this.repairQueue.length) this.clearRepairs();
        return { action: 'retransmit', seq: toWire(seq), item: this.items[slot] as T };
      }
      this.clearRepairs();
    }
    if (this.timerAt !== null) {
      if (nowMs < this.timerAt) return NONE;
      if (this.count === 0) {
        this.timerAt = null;
        return NONE;
      }
      if (this.retryCount >= this.maxRetries) {
        this.timerAt = null;
        return FAIL;
      }
      this.retryCount++;
      this.rtoMs = Math.min(this.rtoMs * 2, this.maxRtoMs);
      this.timerAt = nowMs + this.rtoMs;
      const slot = this.base & this.mask;
      this.queued[slot] = 0;
      this.sentAs[slot] = ++this.transmissions;
      this.timeoutMark = this.transmissions;
      return { action: 'retransmit', seq: toWire(this.base), item: this.items[slot] as T };
    }
    if (this.probeAt !== null && nowMs >= this.probeAt) {
      this.probeRtoMs = Math.min(this.probeRtoMs * 2, this.maxRtoMs);
      this.probeAt = nowMs + this.probeRtoMs;
      return { action: 'retransmit', seq: toWire(this.probeSeq), item: this.probeItem as T };
    }
    return NONE;
  }

  /** spec 11.7: drops everything pending, numbers from 1 again, restores the initial peer window. */
  reset(): void {
    this.items.fill(undefined);
    this.present.fill(0);
    this.queued.fill(0);
    this.count = 0;
    this.base = 1;
    this.next = 1;
    this.window = this.initialWindow;
    this.rightEdge = 1 + this.initialWindow;
    this.newestAck = 0;
    this.rtoMs = this.baseRtoMs;
    this.retryCount = 0;
    this.timerAt = null;
    this.transmissions = 0;
    this.delivered = 0;
    this.timeoutMark = 0;
    this.clearRepairs();
    this.probeSeq = 0;
    this.probeItem = undefined;
    this.probeAt = null;
    this.probeRtoMs = this.baseRtoMs;
  }

  // A pending frame is lost once a transmission made LOSS_REORDER_FRAMES or more after its own has
  // arrived, or once the last timer retransmission, made after it, has arrived. Only frames within
  // the receiver's reorder reach (64 past the oldest) are considered: further ahead, a re-send would
  // be dropped again.
  private detectLosses(nowMs: number): void {
    let threshold = this.delivered - LOSS_REORDER_FRAMES;
    if (this.timeoutMark !== 0 && this.delivered >= this.timeoutMark && threshold < this.timeoutMark - 1) {
      threshold = this.timeoutMark - 1;
    }
    if (threshold < 1) return;
    const end = Math.min(this.next, this.base + RELIABLE_OOO_WINDOW + 1);
    for (let seq = this.base; seq < end; seq++) {
      const slot = seq & this.mask;
      if (this.present[slot] === 0 || this.queued[slot] === 1 || this.sentAs[slot] > threshold) continue;
      this.queued[slot] = 1;
      this.repairQueue.push(seq);
    }
    if (this.repairAt === null && this.repairHead < this.repairQueue.length) this.repairAt = nowMs;
  }

  private clearRepairs(): void {
    this.repairQueue.length = 0;
    this.repairHead = 0;
    this.repairAt = null;
  }

  // Frees logical seq `seq` if it is pending; remembers the newest freed item for window probes.
  private release(seq: number): boolean {
    const slot = seq & this.mask;
    if (this.present[slot] === 0) return false;
    if (this.sentAs[slot] > this.delivered) this.delivered = this.sentAs[slot];
    if (seq > this.probeSeq) {
      this.probeSeq = seq;
      this.probeItem = this.items[slot];
    }
    this.present[slot] = 0;
    this.queued[slot] = 0;
    this.items[slot] = undefined;
    this.count--;
    return true;
  }

  // Frees seq `first + i` for each set bit i of the 32-bit word `word`, within [base, next).
  private releaseBits(first: number, word: number): number {
    let freed = 0;
    let rest = word | 0;
    while (rest !== 0) {
      const bit = 31 - Math.clz32(rest & -rest);
      rest &= rest - 1;
      const seq = first + bit;
      if (seq >= this.base && seq < this.next && this.release(seq)) freed++;
    }
    return freed;
  }

  // (Re)sizes the ring to `capacity` (a power of two) keeping the entries of [base, next).
  private allocate(capacity: number): void {
    const items: (T | undefined)[] = new Array<T | undefined>(capacity).fill(undefined);
    const present = new Uint8Array(capacity);
    const sentAs = new Float64Array(capacity);
    const queued = new Uint8Array(capacity);
    const mask = capacity - 1;
    for (let seq = this.base; seq < this.next; seq++) {
      const old = seq & this.mask;
      if (this.present[old] === 0) continue;
      const slot = seq & mask;
      items[slot] = this.items[old];
      present[slot] = 1;
      sentAs[slot] = this.sentAs[old];
      queued[slot] = this.queued[old];
    }
    this.items = items;
    this.present = present;
    this.sentAs = sentAs;
    this.queued = queued;
    this.mask = mask;
  }
}

// ---- receiver ----

export interface ReliableReceiverOptions {
  /** Initial free room of the application, frames (spec 11.4, default 256). */
  window?: number;
  /** Out-of-order slots (spec 11.3, default and maximum 64: the SACK bitmap has 64 bits). */
  oooWindow?: number;
  /** Longest delay before a standalone ACK, ms (spec 11.5, default 20). */
  ackDelayMs?: number;
  /** Wire seq expected first (default 1, spec 11.1); reset() always returns to 1. */
  firstSeq?: number;
}

export interface AckFields {
  /** Next expected seq (spec 11.2); always >= 1. */
  ackSeq: number;
  /** Bit i set: ackSeq + i + 1 was received out of order (spec 11.3). */
  ackBitmap: bigint;
  /** Frames the peer may still send (spec 11.4); 0 is meaningful (see the module doc). */
  windowSize: number;
}

export interface ReliableReceiveDrops {
  /** Already delivered or already buffered. */
  duplicate: number;
  /** More than oooWindow ahead, beyond the application's free room, or not a valid seq. */
  outOfWindow: number;
}

const MAX_BITMAP_SLOTS = 64;
const MAX_WIRE_WINDOW = 0xffffffff;

export class ReliableReceiver<T> {
  readonly drops: ReliableReceiveDrops = { duplicate: 0, outOfWindow: 0 };

  private readonly oooWindow: number;
  private readonly ackDelayMs: number;
  // Out-of-order buffer: oooWindow + 1 slots indexed by logical seq, enough for offsets 0..oooWindow.
  private readonly buffer: (T | undefined)[];
  private readonly present: Uint8Array;
  private buffered = 0;
  private expect: number;
  private room: number;
  // WindowSize in the last ACK sent; starts at the configured window, which the sender assumes.
  private advertised: number;
  private dueAt: number | null = null;
  private clockMs = 0;

  constructor(opts: ReliableReceiverOptions = {}) {
    this.room = optionInteger('window', opts.window, RELIABLE_WINDOW, 1, MAX_WIRE_WINDOW);
    this.oooWindow = optionInteger('oooWindow', opts.oooWindow, RELIABLE_OOO_WINDOW, 0, MAX_BITMAP_SLOTS);
    this.ackDelayMs = optionInteger('ackDelayMs', opts.ackDelayMs, ACK_DELAY_MS, 0, 2 ** 31);
    this.expect = optionInteger('firstSeq', opts.firstSeq, 1, 1, RELIABLE_SEQ_SPACE);
    this.buffer = new Array<T | undefined>(this.oooWindow + 1).fill(undefined);
    this.present = new Uint8Array(this.oooWindow + 1);
    this.advertised = this.room;
  }

  /** Next expected seq (wire value). */
  get expectedSeq(): number {
    return toWire(this.expect);
  }

  /** Items held out of order, waiting for a gap to fill. */
  get bufferedCount(): number {
    return this.buffered;
  }

  /** Free room of the application as the receiver sees it (setAvailable minus what was delivered since). */
  get available(): number {
    return this.room;
  }

  /**
   * Takes a received reliable frame's seq and item. Returns the items now deliverable in order: this
   * one and any buffered successors, or [] when it was buffered or dropped (duplicate, more than
   * oooWindow ahead, or beyond the application's free room; counted in `drops`). Every call makes an
   * ACK due within ackDelayMs, duplicates included (the peer may have missed our last ACK).
   */
  receive(seq: number, item: T, nowMs: number): T[] {
    if (nowMs > this.clockMs) this.clockMs = nowMs;
    if (!isWireSeq(seq)) {
      this.drops.outOfWindow++;
      return [];
    }
    if (this.dueAt === null) this.dueAt = nowMs + this.ackDelayMs;
    const logical = toLogical(seq, this.expect);
    const ahead = logical - this.expect;
    if (ahead < 0) {
      this.drops.duplicate++;
      return [];
    }
    if (ahead > this.oooWindow || ahead >= this.room) {
      this.drops.outOfWindow++;
      return [];
    }
    if (ahead > 0) {
      const slot = logical % this.present.length;
      if (this.present[slot] === 1) {
        this.drops.duplicate++;
        return [];
      }
      this.buffer[slot] = item;
      this.present[slot] = 1;
      this.buffered++;
      return [];
    }
    const out = [item];
    this.expect++;
    this.room--;
    while (this.buffered > 0) {
      const slot = this.expect % this.present.length;
      if (this.present[slot] === 0) break;
      out.push(this.buffer[slot] as T);
      this.buffer[slot] = undefined;
      this.present[slot] = 0;
      this.buffered--;
      this.expect++;
      this.room--;
    }
    return out;
  }

  /** The ACK to send now: piggybacked on any outgoing frame of the channel, or standalone. */
  ackFields(): AckFields {
    return { ackSeq: toWire(this.expect), ackBitmap: this.sackBitmap(), windowSize: this.windowSize() };
  }

  /** Whether ackFields() would tell the peer anything new: an ACK is due, or the window moved since the last one. */
  hasNews(): boolean {
    return this.dueAt !== null || this.windowSize() !== this.advertised;
  }

  /** When a standalone ACK must go out (absolute ms; may be in the past: send now), or null. */
  ackDueAt(): number | null {
    return this.dueAt;
  }

  /** Call when ackFields() went out (piggybacked or standalone). */
  ackSent(): void {
    this.dueAt = null;
    this.advertised = this.windowSize();
  }

  /**
   * Sets how many more items the application can take now. When the window last advertised was 0 and
   * is now open, an ACK is due at once (at `nowMs`, default: the latest time seen) so the blocked
   * sender resumes.
   */
  setAvailable(freeSlots: number, nowMs?: number): void {
    if (!Number.isSafeInteger(freeSlots) || freeSlots < 0) {
      throw new InvalidArgumentError(`freeSlots must be a non-negative integer, got ${freeSlots}`);
    }
    if (nowMs !== undefined && nowMs > this.clockMs) this.clockMs = nowMs;
    this.room = freeSlots;
    if (this.advertised === 0 && this.windowSize() > 0) {
      const now = nowMs ?? this.clockMs;
      if (this.dueAt === null || this.dueAt > now) this.dueAt = now;
    }
  }

  /**
   * spec 11.7: expects seq 1 again and drops the out-of-order buffer. The application's free room is
   * kept (it still holds what was delivered); drop counters are cumulative and kept.
   */
  reset(): void {
    this.buffer.fill(undefined);
    this.present.fill(0);
    this.buffered = 0;
    this.expect = 1;
    this.dueAt = null;
    this.advertised = this.room;
  }

  private windowSize(): number {
    const free = this.room - this.buffered;
    return free <= 0 ? 0 : Math.min(free, MAX_WIRE_WINDOW);
  }

  private sackBitmap(): bigint {
    if (this.buffered === 0) return 0n;
    let low = 0;
    let high = 0;
    const slots = this.present.length;
    const span = Math.min(this.oooWindow, MAX_BITMAP_SLOTS);
    for (let i = 0; i < span; i++) {
      if (this.present[(this.expect + i + 1) % slots] === 0) continue;
      if (i < 32) low |= 1 << i;
      else high |= 1 << (i - 32);
    }
    return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  }
}
