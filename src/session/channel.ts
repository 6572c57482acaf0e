/**
 * One of a session's 256 channels (spec 10.1): an ordered stream of typed events in each direction with its
 * own bounded receive buffer, so a slow consumer on one channel never blocks another.
 */
import { AbortedError, InvalidArgumentError, WiremeshError } from '../errors.js';
import { BoundedQueue } from './event-queue.js';
import type { ReliableChannelState, ReliableOptions } from './reliable-channel.js';

export interface ChannelEvent {
  /** Event type, 0-254 (255 is the internal channel-close signal and is never delivered). */
  readonly type: number;
  readonly payload: Uint8Array;
}

/** What a channel needs from its session. */
export interface ChannelOwner {
  /** Queues one event for sending; resolves when the channel accepted it (reliable channels wait for window). */
  sendEvent(channel: Channel, type: number, payload: Uint8Array): Promise<void>;
  /** Sends the channel-close signal (event type 255) and forgets the channel. */
  closeChannel(channel: Channel): void;
  /** The application finished reading a reliable frame (its receive window grew). */
  channelDrained(channel: Channel): void;
  /** Creates the reliable state of a channel (spec 11). */
  makeReliable(channel: Channel, options: ReliableOptions): ReliableChannelState;
}

export type ChannelCloseReason = 'local' | 'remote' | 'session-closed' | 'failed';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class Channel implements AsyncIterable<ChannelEvent> {
  readonly id: number;
  private readonly owner: ChannelOwner;
  private inbox: BoundedQueue<ChannelEvent>;
  /** Reliable-delivery state (spec 11), or null for an unreliable channel. */
  rel: ReliableChannelState | null = null;
  private waiters: Array<{ resolve: (e: ChannelEvent | null) => void; reject: (err: Error) => void }> = [];
  private closeError: Error | null = null;
  private _closed = false;
  private _reason: ChannelCloseReason | null = null;
  /** Events dropped because this channel's receive buffer was full (unreliable channels only). */
  droppedFull = 0;
  received = 0;
  sent = 0;

  constructor(id: number, owner: ChannelOwner, bufferEvents: number) {
    this.id = id;
    this.owner = owner;
    this.inbox = new BoundedQueue<ChannelEvent>(bufferEvents);
  }

  get closed(): boolean {
    return this._closed;
  }

  get closeReason(): ChannelCloseReason | null {
    return this._reason;
  }

  /** Free slots in the receive buffer. */
  get receiveWindow(): number {
    return this.inbox.free;
  }

  get buffered(): number {
    return this.inbox.length;
  }

  get reliable(): boolean {
    return this.rel !== null;
  }

  /**
   * Makes this channel reliable (spec 11): ordered, exactly-once delivery with SACK, retransmission and
   * flow control. Both ends must opt in, before the first event is sent on the channel. Idempotent.
   */
  setReliable(options: ReliableOptions = {}): this {
    if (this.rel !== null) return this;
    if (this._closed) throw this.closedError();
    if (this.sent > 0 || this.received > 0) {
      throw new WiremeshError('INVALID_STATE', `channel ${this.id} already carried events: call setReliable() before the first send or receive`);
    }
    this.rel = this.owner.makeReliable(this, options);
    // The receive buffer is bounded by the advertised window (frames), not by an event count.
    this.inbox = new BoundedQueue<ChannelEvent>(1 << 30);
    return this;
  }

  /**
   * Sends one event. `type` is 0-254. Resolves once the event is queued for the wire (at once on unreliable
   * channels; after window space opens on reliable ones). Rejects with CHANNEL_CLOSED or SESSION_CLOSED.
   */
  send(type: number, payload: Uint8Array): Promise<void> {
    if (!Number.isInteger(type) || type < 0 || type > 254) {
      return Promise.reject(new InvalidArgumentError(`event type ${type} is out of range: use 0-254 (255 is reserved for channel close)`));
    }
    if (!(payload instanceof Uint8Array)) {
      return Promise.reject(new InvalidArgumentError('event payload must be a Uint8Array (or Buffer)'));
    }
    if (this._closed) return Promise.reject(this.closedError());
    this.sent++;
    return this.owner.sendEvent(this, type, payload);
  }

  /** Next event, or null once the channel closed gracefully; rejects if it failed or on abort. */
  recv(signal?: AbortSignal): Promise<ChannelEvent | null> {
    const ev = this.take();
    if (ev !== undefined) return Promise.resolve(ev);
    if (this._closed) return this.closeError ? Promise.reject(this.closeError) : Promise.resolve(null);
    if (signal?.aborted) return Promise.reject(new AbortedError(undefined, { cause: signal.reason }));
    return new Promise<ChannelEvent | null>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      if (signal) {
        const onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new AbortedError(undefined, { cause: signal.reason }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.resolve = (e) => {
          signal.removeEventListener('abort', onAbort);
          resolve(e);
        };
        waiter.reject = (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        };
      }
    });
  }

  /** A buffered event, or undefined; keeps the reliable window accounting. */
  private take(): ChannelEvent | undefined {
    const ev = this.inbox.shift();
    if (ev !== undefined && this.rel !== null && this.rel.eventRead()) this.owner.channelDrained(this);
    return ev;
  }

  [Symbol.asyncIterator](): AsyncIterator<ChannelEvent> {
    const toResult = (ev: ChannelEvent | null): IteratorResult<ChannelEvent> => (ev === null ? DONE : { done: false, value: ev });
    return {
      // Not an async function: one promise per event instead of two on the receive hot path.
      next: () => {
        const ev = this.take();
        return ev !== undefined ? Promise.resolve({ done: false, value: ev }) : this.recv().then(toResult);
      },
      return: () => Promise.resolve(DONE),
    };
  }


  /** Closes the channel locally and tells the peer (event type 255). Idempotent. */
  close(): void {
    if (this._closed) return;
    this.owner.closeChannel(this);
    this.finish('local', null);
  }

  // ---- called by the session ----

  /** Delivers a received event; false when the receive buffer is full (the caller counts the drop). */
  deliver(ev: ChannelEvent): boolean {
    if (this._closed) return false;
    this.received++;
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve(ev);
      return true;
    }
    if (!this.inbox.push(ev)) {
      this.received--;
      this.droppedFull++;
      return false;
    }
    return true;
  }

  /** Delivers the events of one in-order reliable frame; they are held until read (flow control). */
  deliverFrame(events: readonly { type: number; payload: Uint8Array }[]): void {
    let consumed = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const ev: ChannelEvent = { type: e.type, payload: e.payload };
      this.received++;
      const w = this.waiters.shift();
      if (w !== undefined) {
        w.resolve(ev);
        consumed++;
      } else {
        this.inbox.push(ev);
      }
    }
    this.rel!.frameDelivered(events.length, consumed);
  }

  /** Ends the channel: waiting receivers get null (graceful) or `error`; buffered events stay readable. */
  finish(reason: ChannelCloseReason, error: Error | null): void {
    if (this._closed) return;
    this._closed = true;
    this._reason = reason;
    this.closeError = error;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve(null);
    }
  }

  closedError(): Error {
    if (this._reason === 'session-closed') return new WiremeshError('SESSION_CLOSED', `the session of channel ${this.id} is closed`);
    return new WiremeshError('CHANNEL_CLOSED', `channel ${this.id} is closed (${this._reason})`);
  }
}
