/**
 * The per-channel state of a reliable channel (spec 11): the pure sender and receiver state machines, the
 * queue of events waiting for window, and the send-side backpressure. The Session drives it (it owns
 * packets and time); this module holds no I/O.
 */
import { WiremeshError } from '../errors.js';
import { FRAME_TRAILER_MAX_SIZE, FrameWriter, encodeFrame, eventRecordSize, type FrameEvent } from '../wire/index.js';
import { RELIABLE_STAGING_SLAB_BYTES, RELIABLE_WINDOW } from './constants.js';
import { BoundedQueue } from './event-queue.js';
import { ReliableReceiver, ReliableSender } from './reliable.js';

export interface ReliableOptions {
  /** Receive window in frames we advertise (spec 11.4, default 256). */
  window?: number;
  /** First retransmit timeout (spec 11.6, default 200 ms). */
  baseRtoMs?: number;
  /** Retransmit timeout cap (default 30 s). */
  maxRtoMs?: number;
  /** Consecutive unanswered retransmits before the channel fails (default 10). */
  maxRetries?: number;
  /** Longest delay of a standalone ACK (spec 11.5, default 20 ms). */
  ackDelayMs?: number;
  /** Events queued beyond the peer's window before `send()` starts to wait (default 1024). */
  sendBufferEvents?: number;
}

/** What the sender keeps per sequence number to re-send a frame: its encoded event records. */
export interface SentFrame {
  readonly records: Uint8Array;
  readonly events: number;
}

const DEFAULT_SEND_BUFFER_EVENTS = 1024;

export class ReliableChannelState {
  readonly sender: ReliableSender<SentFrame>;
  readonly receiver: ReliableReceiver<FrameEvent[]>;
  readonly window: number;
  readonly sendBufferEvents: number;
  /**
   * Events accepted from the application and not yet sent, already encoded as frames' event records: each
   * event is copied once, into a frame-sized staging buffer, and that buffer becomes the frame kept for
   * retransmission. Complete frames wait in `readyFrames`; the one being filled is `staging`.
   */
  private readonly readyFrames = new BoundedQueue<SentFrame>(1 << 30);
  private staging: Uint8Array | null = null;
  private slab: Uint8Array | null = null;
  private slabUsed = 0;
  private readonly stagingWriter = new FrameWriter(new Uint8Array(0), 0, 0);
  private _queuedEvents = 0;
  private sendWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  // Frames delivered to the application whose events it has not all read yet: the oldest one's unread
  // count in `headUnread`, the later ones' in `unreadPerFrame`.
  private readonly unreadPerFrame = new BoundedQueue<number>(1 << 30);
  private headUnread = 0;
  private _framesHeld = 0;
  /** The local side closed the channel: the close event is queued; the state lingers until it is acknowledged. */
  closing = false;

  constructor(opts: ReliableOptions = {}) {
    this.window = opts.window ?? RELIABLE_WINDOW;
    this.sendBufferEvents = opts.sendBufferEvents ?? DEFAULT_SEND_BUFFER_EVENTS;
    this.sender = new ReliableSender<SentFrame>({
      baseRtoMs: opts.baseRtoMs,
      maxRtoMs: opts.maxRtoMs,
      maxRetries: opts.maxRetries,
    });
    this.receiver = new ReliableReceiver<FrameEvent[]>({ window: this.window, ackDelayMs: opts.ackDelayMs });
  }

  /** Frames handed to the application that it has not finished reading (they occupy its window). */
  get framesHeld(): number {
    return this._framesHeld;
  }

  /** Events accepted and not yet handed to the sender state machine. */
  get queuedEvents(): number {
    return this._queuedEvents;
  }

  /** Nothing queued and nothing unacknowledged. */
  get idle(): boolean {
    return this._queuedEvents === 0 && this.sender.pending === 0;
  }

  /**
   * Queues an event for channel `channel` whose frames carry at most `maxPlain` bytes; resolves at once while
   * the send buffer has room, else once it drains. The payload is copied: the caller may reuse it.
   */
  enqueue(channel: number, type: number, payload: Uint8Array, maxPlain: number): Promise<void> | null {
    if (1 + eventRecordSize(payload.length) + FRAME_TRAILER_MAX_SIZE > maxPlain) {
      // Bigger than a packet: a frame of its own, sent fragmented.
      this.closeStaging();
      this.readyFrames.push({ records: encodeFrame({ channel, events: [{ type, payload }] }).subarray(1), events: 1 });
    } else if (this.staging === null || !this.stagingWriter.tryAddEvent(type, payload)) {
      this.closeStaging();
      this.staging = this.stagingRegion(maxPlain);
      this.stagingWriter.reset(this.staging, 0, maxPlain);
      this.stagingWriter.begin(channel);
      this.stagingWriter.tryAddEvent(type, payload);
    }
    this._queuedEvents++;
    if (this._queuedEvents <= this.sendBufferEvents) return null;
    return new Promise<void>((resolve, reject) => this.sendWaiters.push({ resolve, reject }));
  }

  /** The next frame to send, oldest first (the frame being filled counts once nothing else waits). */
  takeFrame(): SentFrame | undefined {
    if (this.readyFrames.length === 0) this.closeStaging();
    const frame = this.readyFrames.shift();
    if (frame !== undefined) this._queuedEvents -= frame.events;
    return frame;
  }

  /**
   * A fresh frame-sized region for staging. Regions are cut from slabs of RELIABLE_STAGING_SLAB_BYTES, so a
   * stream allocates one buffer per dozen frames instead of one per frame; a slab is freed once every
   * frame cut from it is acknowledged (they are, roughly in order) and the channel has moved on.
   */
  private stagingRegion(size: number): Uint8Array {
    if (this.slab === null || this.slabUsed + size > this.slab.length) {
      // Uninitialised (no zero fill): only the records written into a region are ever read or sent.
      const bytes = Buffer.allocUnsafeSlow(Math.max(RELIABLE_STAGING_SLAB_BYTES, size));
      this.slab = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
      this.slabUsed = 0;
    }
    const region = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    this.slabUsed += size;
    return region;
  }

  private closeStaging(): void {
    if (this.staging === null) return;
    if (this.stagingWriter.eventCount > 0) {
      const records = this.stagingWriter.records;
      this.readyFrames.push({ records, events: this.stagingWriter.eventCount });
      // The region was the slab's last cut: give its unused tail back (a frame of small events is short).
      if (this.slab !== null && records.buffer === this.slab.buffer) {
        const end = records.byteOffset + records.length - this.slab.byteOffset;
        if (end <= this.slabUsed && this.staging.byteOffset + this.staging.length - this.slab.byteOffset === this.slabUsed) this.slabUsed = end;
      }
    }
    this.staging = null;
  }

  /** Wakes senders once the queue is back under its limit. */
  wakeSenders(): void {
    if (this.sendWaiters.length === 0 || this._queuedEvents > this.sendBufferEvents) return;
    const waiters = this.sendWaiters;
    this.sendWaiters = [];
    for (const w of waiters) w.resolve();
  }

  get hasWaitingSenders(): boolean {
    return this.sendWaiters.length > 0;
  }

  /** Rejects every waiting sender (channel failed or closed). */
  failSenders(err: Error): void {
    const waiters = this.sendWaiters;
    this.sendWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  /** A frame of `events` events was handed to the application, `consumed` of them read at once. */
  frameDelivered(events: number, consumed: number): void {
    const unread = events - consumed;
    if (unread <= 0) return;
    if (this._framesHeld === 0) this.headUnread = unread;
    else this.unreadPerFrame.push(unread);
    this._framesHeld++;
  }

  /** The application read one buffered event; true when that finished a frame (window grew). */
  eventRead(): boolean {
    if (this._framesHeld === 0) return false;
    if (--this.headUnread > 0) return false;
    this._framesHeld--;
    this.headUnread = this.unreadPerFrame.shift() ?? 0;
    return true;
  }

  /** Free frames of our receive window right now. */
  get freeFrames(): number {
    return Math.max(0, this.window - this._framesHeld);
  }
}

export function channelFailedError(channel: number, retries: number): WiremeshError {
  return new WiremeshError('CHANNEL_FAILED', `channel ${channel} failed: no acknowledgement after ${retries} retransmissions`);
}
