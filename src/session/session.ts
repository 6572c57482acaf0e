/**
 * One established Wiresocket session (spec 7): transport keys, send counter, replay window, fragmentation,
 * channels, keepalive and timeout. It owns no socket and no timer: the Endpoint (its `SessionHost`) delivers
 * authenticated-or-not datagrams to `receive`, calls `onTimer` at the deadline `nextDeadline()` names, and
 * transmits the packets this class seals.
 */
import { EventEmitter } from 'node:events';
import { InvalidArgumentError, WiremeshError } from '../errors.js';
import {
  CHANNEL_CLOSE_EVENT_TYPE,
  FRAME_TRAILER_MAX_SIZE,
  MAX_CHANNELS,
  MAX_FRAGMENTS_PER_FRAME,
  MAX_SAFE_COUNTER,
  PACKET_DATA,
  PACKET_DATA_FRAGMENT,
  PACKET_DISCONNECT,
  PACKET_KEEPALIVE,
  SIZE_AEAD_TAG,
  SIZE_DATA_HEADER,
  SIZE_FRAGMENT_HEADER,
  FrameWriter,
  decodeFragment,
  copyBytes,
  decodeFrame,
  type Frame,
  type FrameEvent,
  encodeFrame,
  eventRecordSize,
  writeFragmentHeader,
  writeTransportHeader,
} from '../wire/index.js';
import { Channel, type ChannelOwner } from './channel.js';
import { ReliableChannelState, channelFailedError, type ReliableOptions, type SentFrame } from './reliable-channel.js';
import type { TransportCipher } from './crypto/index.js';
import { Keypair } from './keypair.js';
import { TokenBucket } from './rate-limiter.js';
import { BoundedQueue } from './event-queue.js';
import { ANSWERABLE_INITIATIONS, SEND_RATE_BURST_FACTOR } from './constants.js';
import { Reassembler } from './reassembler.js';
import type { AckFields } from './reliable.js';
import type { SessionConfig } from './config.js';
import type { EndpointStats } from './stats.js';
import type { Clock, UdpAddress } from './transport.js';

/** What a session needs from the endpoint that owns the socket and the timers. */
export interface SessionHost {
  readonly clock: Clock;
  readonly stats: EndpointStats;
  /** A packet buffer of at least `maxPacketSize` bytes; ownership passes back with `transmit`. */
  acquireBuffer(): Uint8Array;
  /** Sends `length` bytes of `buf` to the address and takes the buffer back when the send completes. */
  transmit(buf: Uint8Array, length: number, host: string, port: number): void;
  /** Asks for `flush()` to be called at the end of this event-loop turn (send batching). */
  requestFlush(session: Session): void;
  /** Asks for `onTimer` to be called no later than `atMs`. */
  armTimer(session: Session, atMs: number): void;
  /** The session closed; forget its indices. */
  sessionClosed(session: Session): void;
  /** The initiator's keys are old (spec 7.3): run a new handshake and call `installRekey` with its keys. */
  startRekey(session: Session): void;
  /** A local index the session no longer receives on (its previous keys were dropped). */
  releaseIndex(session: Session, localIndex: number): void;
}

export type SessionState = 'awaiting-confirmation' | 'open' | 'closed';

export type SessionCloseReason = 'local' | 'remote' | 'timeout' | 'unconfirmed' | 'counter-exhausted' | 'endpoint-closed';

export interface SessionParams {
  host: SessionHost;
  config: SessionConfig;
  localIndex: number;
  remoteIndex: number;
  remoteStaticKey: Uint8Array;
  remoteAddress: UdpAddress;
  sendCipher: TransportCipher;
  recvCipher: TransportCipher;
  handshakeHash: Uint8Array;
  isInitiator: boolean;
}

interface PendingEvent {
  channel: number;
  type: number;
  payload: Uint8Array;
}

/** ACK fields left out of a frame (zero fields are not encoded, spec 10). */
const NO_ACK: AckFields = Object.freeze({ ackSeq: 0, ackBitmap: 0n, windowSize: 0 });
const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY = new Uint8Array(0);

export interface SessionStats {
  txPackets: number;
  rxPackets: number;
  txBytes: number;
  rxBytes: number;
  eventsSent: number;
  eventsReceived: number;
}

export class Session extends EventEmitter implements ChannelOwner {
  readonly remoteStaticKey: Uint8Array;
  /** The final Noise handshake hash, equal on both sides: sign it to bind an identity to this session. */
  readonly handshakeHash: Uint8Array;
  readonly isInitiator: boolean;
  readonly createdMs: number;
  private remote: UdpAddress;
  private readonly host: SessionHost;
  private readonly config: SessionConfig;
  // Transport keys (spec 5.6): current, plus around a rekey the previous (receive only) or staged ones.
  private keys: Keypair;
  private prevKeys: Keypair | null = null;
  private prevKeysUntilMs = Infinity;
  /**
   * The responder's staged rekey keys, newest first: one per rekey initiation answered, up to
   * ANSWERABLE_INITIATIONS, because the initiator may complete with the response to an earlier one.
   */
  private stagedKeys: Keypair[] = [];
  private rekeyPending = false;
  private _rekeys = 0;
  // Trial decryption needs the ciphertext twice (a failed open zeroes the buffer): scratch copy.
  private trialScratch: Uint8Array | null = null;
  private reassembler: Reassembler | null = null;
  private readonly channels = new Map<number, Channel>();
  /** channelReleased() callers by channel id (rare: only while a closed reliable channel lingers). */
  private readonly releaseWaiters = new Map<number, Array<() => void>>();
  private _state: SessionState;
  private _closeReason: SessionCloseReason | null = null;
  private nextFrameId = 0;
  private lastSentMs: number;
  private lastReceivedMs: number;
  private lastDataReceivedMs: number;
  // Coalescing (spec 10: several events in one frame): the packet being filled, sent at the end of the turn.
  private openBuf: Uint8Array | null = null;
  private openChannel = -1;
  private writer: FrameWriter | null = null;
  private flushPending = false;
  // Reliable channels (spec 11): their own writer, because a retransmit may run while the coalescing
  // writer above holds a half-filled packet.
  private relWriter: FrameWriter | null = null;
  private readonly reliableChannels = new Set<Channel>();
  private readonly relDirty = new Set<Channel>();
  // Channels that received sequenced frames this turn: their ACK goes out at the end of the turn (sooner
  // than spec 11.5's 20 ms bound), one per channel per batch of received datagrams.
  private readonly relAckPending = new Set<Channel>();
  private unconfirmed: PendingEvent[] | null = null;
  // Send-rate cap (spec 13), or null when unlimited; sealed packets wait here for tokens.
  private readonly limiter: TokenBucket | null;
  private readonly paced = new BoundedQueue<{ buf: Uint8Array; length: number }>(1 << 30);
  private pacedWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private pacedAtMs = Infinity;
  readonly counters: SessionStats = { txPackets: 0, rxPackets: 0, txBytes: 0, rxBytes: 0, eventsSent: 0, eventsReceived: 0 };
  /** Endpoint bookkeeping: the deadline its timer is armed for. */
  timerAtMs = Infinity;
  timerHandle: unknown = null;

  constructor(p: SessionParams) {
    super();
    this.host = p.host;
    this.config = p.config;
    this.remoteStaticKey = p.remoteStaticKey;
    this.remote = p.remoteAddress;
    this.handshakeHash = p.handshakeHash;
    this.isInitiator = p.isInitiator;
    const now = p.host.clock.now();
    this.createdMs = now;
    this.keys = new Keypair(p.localIndex, p.remoteIndex, p.sendCipher, p.recvCipher, now);
    this.limiter =
      p.config.sendRateBytesPerSec > 0
        ? new TokenBucket(p.config.sendRateBytesPerSec, SEND_RATE_BURST_FACTOR * p.config.sendRateBytesPerSec, now)
        : null;
    this.lastSentMs = now;
    this.lastReceivedMs = now;
    this.lastDataReceivedMs = now;
    // The responder may not send until the initiator proves it derived the same keys (its first packet).
    this._state = p.isInitiator ? 'open' : 'awaiting-confirmation';
    if (p.isInitiator) {
      // Confirm the keys to the responder at once, so it can start sending (WireGuard does the same).
      this.sendKeepalive(now);
    }
  }

  /** Our index for the current keys: the peer puts it in every packet it sends us (spec 7.1). */
  get localIndex(): number {
    return this.keys.localIndex;
  }

  /** The peer's index for the current keys. */
  get remoteIndex(): number {
    return this.keys.remoteIndex;
  }

  /** Every local index that still routes to this session (current, previous and staged keys). */
  localIndices(): number[] {
    const out = [this.keys.localIndex];
    if (this.prevKeys !== null && this.prevKeys.localIndex !== this.keys.localIndex) out.push(this.prevKeys.localIndex);
    for (const staged of this.stagedKeys) out.push(staged.localIndex);
    return out;
  }

  /** Completed rekeys of this session. */
  get rekeys(): number {
    return this._rekeys;
  }

  /** The initiator's side of a rekey: the new handshake completed; send with the new keys from now on. */
  installRekey(remoteIndex: number, send: TransportCipher, recv: TransportCipher): void {
    if (this._state === 'closed') {
      send.destroy();
      recv.destroy();
      return;
    }
    const now = this.host.clock.now();
    // The initiator keeps its index across a rekey (that is how the responder recognises the rekey), so the
    // previous keys share it; the receive path tries both while they overlap.
    this.retirePrevious(now);
    this.keys.send.destroy();
    this.prevKeys = this.keys;
    this.prevKeysUntilMs = now + this.config.previousKeysLifetimeMs;
    this.keys = new Keypair(this.keys.localIndex, remoteIndex, send, recv, now);
    this.rekeyPending = false;
    this._rekeys++;
    this.flushBeforeKeyChange();
    // Confirm the new keys at once so the responder switches too.
    this.sendKeepalive(now);
    this.host.armTimer(this, this.nextDeadline());
  }

  /** The responder's side of a rekey: new keys wait until the initiator sends with them. */
  stageRekey(localIndex: number, send: TransportCipher, recv: TransportCipher): void {
    this.stagedKeys.unshift(new Keypair(localIndex, this.keys.remoteIndex, send, recv, this.host.clock.now()));
    while (this.stagedKeys.length > ANSWERABLE_INITIATIONS) this.dropStaged(this.stagedKeys.pop()!);
  }

  private dropStaged(staged: Keypair): void {
    this.host.releaseIndex(this, staged.localIndex);
    staged.destroy();
  }

  /** The initiator used `staged`: it becomes the current keys; the other staged answers are void. */
  private promoteStaged(staged: Keypair, now: number): void {
    for (const other of this.stagedKeys) if (other !== staged) this.dropStaged(other);
    this.stagedKeys = [];
    this.retirePrevious(now);
    this.flushBeforeKeyChange();
    this.keys.send.destroy();
    this.prevKeys = this.keys;
    this.prevKeysUntilMs = now + this.config.previousKeysLifetimeMs;
    this.keys = staged;
    this._rekeys++;
    this.host.armTimer(this, this.nextDeadline());
  }

  /** Packets coalesced under the old keys go out before the switch. */
  private flushBeforeKeyChange(): void {
    if (this.openBuf !== null) this.sealOpenPacket();
  }

  private retirePrevious(_now: number): void {
    const prev = this.prevKeys;
    if (prev === null) return;
    this.prevKeys = null;
    this.prevKeysUntilMs = Infinity;
    prev.recv.destroy();
    if (prev.localIndex !== this.keys.localIndex) this.host.releaseIndex(this, prev.localIndex);
  }

  get state(): SessionState {
    return this._state;
  }

  get closeReason(): SessionCloseReason | null {
    return this._closeReason;
  }

  /** When the last authenticated packet arrived (clock ms; the handshake counts). */
  get lastReceivedAtMs(): number {
    return this.lastReceivedMs;
  }

  get remoteAddress(): UdpAddress {
    return this.remote;
  }

  get openChannels(): number {
    return this.channels.size;
  }

  /** The channel with this id (0-255), created on first use. */
  channel(id: number): Channel {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_CHANNELS) {
      throw new InvalidArgumentError(`channel id ${id} is out of range: use 0-255`);
    }
    if (this._state === 'closed') throw new WiremeshError('SESSION_CLOSED', 'the session is closed');
    let ch = this.channels.get(id);
    if (ch === undefined) {
      ch = new Channel(id, this, this.config.channelBufferEvents);
      this.channels.set(id, ch);
    } else if (ch.closed) {
      // A reliable channel closed here lingers until the peer acknowledges the close (spec 11): a new channel
      // with this id would restart at sequence 1 while the peer may still hold the old one.
      throw new WiremeshError('CHANNEL_CLOSING', `channel ${id} is still closing: await session.channelReleased(${id}) or use another id`);
    }
    return ch;
  }

  /** True while a channel closed here lingers on `id` until the peer acknowledges the close. */
  channelClosing(id: number): boolean {
    return this.channels.get(id)?.closed === true;
  }

  /**
   * Resolves once channel `id` can be opened again: at once when no locally closed channel lingers on it,
   * else when the peer acknowledged its close or the session closed.
   */
  channelReleased(id: number): Promise<void> {
    const ch = this.channels.get(id);
    if (ch === undefined || !ch.closed) return RESOLVED;
    let waiters = this.releaseWaiters.get(id);
    if (waiters === undefined) {
      waiters = [];
      this.releaseWaiters.set(id, waiters);
    }
    return new Promise<void>((resolve) => waiters.push(resolve));
  }

  /** Sends Disconnect (spec 4.5) and closes. Idempotent. */
  close(): void {
    if (this._state === 'closed') return;
    if (this._state === 'open') {
      this.flush();
      this.sendControl(PACKET_DISCONNECT);
    }
    this.terminate('local', null);
  }

  // ---- ChannelOwner ----

  sendEvent(channel: Channel, type: number, payload: Uint8Array): Promise<void> {
    if (this._state === 'closed') return Promise.reject(new WiremeshError('SESSION_CLOSED', 'the session is closed'));
    const rel = channel.rel;
    if (rel === null) {
      this.enqueue(channel.id, type, payload);
      return this.pacingBackpressure() ?? RESOLVED;
    }
    // Copy: the frame is kept for retransmission and the caller may reuse its buffer at once.
    const wait = rel.enqueue(channel.id, type, payload, this.maxPlain());
    this.relDirty.add(channel);
    this.scheduleFlush();
    return wait ?? RESOLVED;
  }

  closeChannel(channel: Channel): void {
    const rel = channel.rel;
    if (rel !== null && this._state !== 'closed') {
      // The close signal travels in sequence after the data; the channel lingers until it is acknowledged.
      rel.closing = true;
      rel.enqueue(channel.id, CHANNEL_CLOSE_EVENT_TYPE, EMPTY, this.maxPlain());
      this.relDirty.add(channel);
      this.scheduleFlush();
      return;
    }
    if (this.channels.get(channel.id) === channel) this.channels.delete(channel.id);
    if (this._state !== 'closed') this.enqueue(channel.id, CHANNEL_CLOSE_EVENT_TYPE, EMPTY);
  }

  channelDrained(channel: Channel): void {
    const rel = channel.rel;
    if (rel === null || this._state === 'closed') return;
    // Called per frame the application finishes: the receiver's latest packet time is recent enough for
    // the one case that uses it (a closed window reopening makes an ACK due "now"), and saves a clock read.
    rel.receiver.setAvailable(rel.freeFrames);
    const due = rel.receiver.ackDueAt();
    if (due !== null) this.host.armTimer(this, due);
  }

  makeReliable(channel: Channel, options: ReliableOptions): ReliableChannelState {
    const rel = new ReliableChannelState(options);
    this.reliableChannels.add(channel);
    return rel;
  }

  private scheduleFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    this.host.requestFlush(this);
  }

  private wakeReleaseWaiters(id: number): void {
    const waiters = this.releaseWaiters.get(id);
    if (waiters === undefined) return;
    this.releaseWaiters.delete(id);
    for (const w of waiters) w();
  }

  private forgetChannel(channel: Channel, err: Error | null): void {
    if (this.channels.get(channel.id) === channel) {
      this.channels.delete(channel.id);
      this.wakeReleaseWaiters(channel.id);
    }
    this.reliableChannels.delete(channel);
    this.relDirty.delete(channel);
    this.relAckPending.delete(channel);
    channel.rel?.failSenders(err ?? new WiremeshError('CHANNEL_CLOSED', `channel ${channel.id} is closed`));
  }

  // ---- send path ----

  /**
   * Queues one event. Small events are coalesced into the packet being filled (sent when full or at the end
   * of the event-loop turn); an event too big for one packet goes out as its own fragmented frame (spec 9).
   */
  private enqueue(channelId: number, type: number, payload: Uint8Array): void {
    if (this._state === 'awaiting-confirmation') {
      this.holdUntilConfirmed(channelId, type, payload);
      return;
    }
    const maxPlain = this.config.maxPacketSize - SIZE_DATA_HEADER - SIZE_AEAD_TAG;
    const recordSize = eventRecordSize(payload.length);
    this.counters.eventsSent++;
    this.host.stats.eventsSent++;
    if (1 + recordSize + FRAME_TRAILER_MAX_SIZE > maxPlain) {
      this.sealOpenPacket();
      this.sendFragmented(channelId, type, payload);
      return;
    }
    const writer = this.writer ?? (this.writer = new FrameWriter(new Uint8Array(0), 0, 0));
    if (this.openBuf !== null && this.openChannel === channelId && writer.tryAddEvent(type, payload)) return;
    this.sealOpenPacket();
    const buf = this.host.acquireBuffer();
    writer.reset(buf, SIZE_DATA_HEADER, maxPlain);
    writer.begin(channelId);
    writer.tryAddEvent(type, payload);
    this.openBuf = buf;
    this.openChannel = channelId;
    this.scheduleFlush();
  }

  /**
   * Sends what this turn produced: the half-filled coalescing packet, then whatever the reliable channels
   * may send within their peers' windows. Called by the endpoint at the end of the event-loop turn.
   */
  flush(): void {
    this.flushPending = false;
    this.sealOpenPacket();
    if (this._state !== 'open') return;
    if (this.relDirty.size > 0) {
      const now = this.host.clock.now();
      for (const ch of this.relDirty) {
        this.relDirty.delete(ch);
        if (ch.rel !== null) this.pumpReliable(ch, ch.rel, now);
        if (this._state !== 'open') return;
      }
    }
    if (this.relAckPending.size > 0) {
      for (const ch of this.relAckPending) {
        this.relAckPending.delete(ch);
        // Data frames sent above already carried the ACK (ackSent cleared the due time).
        if (ch.rel !== null && ch.rel.receiver.ackDueAt() !== null) this.sendStandaloneAck(ch, ch.rel);
        if (this._state !== 'open') return;
      }
    }
  }

  private sealOpenPacket(): void {
    const buf = this.openBuf;
    if (buf === null) return;
    this.openBuf = null;
    this.openChannel = -1;
    const plainLength = this.writer!.finish();
    this.sealAndSend(PACKET_DATA, buf, plainLength);
  }

  private sendFragmented(channelId: number, type: number, payload: Uint8Array): void {
    this.sendFrameFragments(encodeFrame({ channel: channelId, events: [{ type, payload }] }), payload.length);
  }

  /** Splits one encoded frame into DataFragment packets (spec 4.7, 9). */
  private sendFrameFragments(frame: Uint8Array, eventBytes: number): void {
    const maxFragData = this.config.maxPacketSize - SIZE_DATA_HEADER - SIZE_FRAGMENT_HEADER - SIZE_AEAD_TAG;
    const count = Math.ceil(frame.length / maxFragData);
    if (count > MAX_FRAGMENTS_PER_FRAME) {
      throw new InvalidArgumentError(
        `an event of ${eventBytes} bytes needs ${count} fragments, more than the ${MAX_FRAGMENTS_PER_FRAME} a frame may have: split it into smaller events`,
      );
    }
    const frameId = this.nextFrameId;
    this.nextFrameId = (this.nextFrameId + 1) >>> 0;
    for (let i = 0; i < count; i++) {
      const start = i * maxFragData;
      const chunk = frame.subarray(start, Math.min(frame.length, start + maxFragData));
      const buf = this.host.acquireBuffer();
      writeFragmentHeader(buf, SIZE_DATA_HEADER, frameId, i, count);
      buf.set(chunk, SIZE_DATA_HEADER + SIZE_FRAGMENT_HEADER);
      this.sealAndSend(PACKET_DATA_FRAGMENT, buf, SIZE_FRAGMENT_HEADER + chunk.length);
      if (this._state === 'closed') return;
    }
  }

  private holdUntilConfirmed(channel: number, type: number, payload: Uint8Array): void {
    const held = this.unconfirmed ?? (this.unconfirmed = []);
    if (held.length >= this.config.unconfirmedBufferEvents) {
      this.host.stats.drops.unconfirmed_buffer_full++;
      return;
    }
    // Copy: the caller may reuse its buffer as soon as send() returns.
    held.push({ channel, type, payload: copyBytes(payload) });
  }

  private sealAndSend(type: number, buf: Uint8Array, plainLength: number): void {
    const keys = this.keys;
    const counter = keys.sendCounter;
    if (counter >= MAX_SAFE_COUNTER) {
      // spec 7.2: the counter may never repeat; close and force a new handshake.
      this.terminate('counter-exhausted', null);
      return;
    }
    keys.sendCounter = counter + 1;
    if (counter + 1 === this.config.rekeyAfterMessages && this.isInitiator) {
      // spec 7.3: the message budget is spent; let the timer path start the rekey at once.
      this.host.armTimer(this, 0);
    }
    writeTransportHeader(buf, type, keys.remoteIndex, counter);
    keys.send.sealInPlace(counter, buf, SIZE_DATA_HEADER, plainLength);
    const length = SIZE_DATA_HEADER + plainLength + SIZE_AEAD_TAG;
    this.counters.txPackets++;
    this.counters.txBytes += length;
    const now = this.host.clock.now();
    this.lastSentMs = now;
    const limiter = this.limiter;
    // spec 13: with a rate cap, packets wait for tokens (in order) instead of being dropped.
    if (limiter !== null) {
      // Keep order: once anything waits, everything after it waits too (the timer is already armed).
      const wait = this.paced.length > 0 ? -1 : limiter.take(length, now);
      if (wait !== 0) {
        this.paced.push({ buf, length });
        if (wait > 0) this.armPacing(now + wait);
        return;
      }
    }
    this.host.transmit(buf, length, this.remote.host, this.remote.port);
  }

  private armPacing(atMs: number): void {
    this.pacedAtMs = atMs;
    this.host.armTimer(this, atMs);
  }

  /** Sends the packets whose tokens have accrued; wakes senders once the backlog is small again. */
  private drainPaced(now: number): void {
    const limiter = this.limiter!;
    while (this.paced.length > 0) {
      const head = this.paced.peek()!;
      const wait = limiter.take(head.length, now);
      if (wait > 0) {
        this.armPacing(now + wait);
        break;
      }
      this.paced.shift();
      this.host.transmit(head.buf, head.length, this.remote.host, this.remote.port);
    }
    if (this.paced.length <= this.config.pacedHighWaterPackets && this.pacedWaiters.length > 0) {
      const waiters = this.pacedWaiters;
      this.pacedWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /** A promise that resolves when the rate limiter's backlog is under its high-water mark (null: no wait). */
  private pacingBackpressure(): Promise<void> | null {
    if (this.limiter === null || this.paced.length <= this.config.pacedHighWaterPackets) return null;
    return new Promise<void>((resolve, reject) => this.pacedWaiters.push({ resolve, reject }));
  }

  // ---- reliable channels (spec 11) ----

  private maxPlain(): number {
    return this.config.maxPacketSize - SIZE_DATA_HEADER - SIZE_AEAD_TAG;
  }

  private reliableWriter(): FrameWriter {
    return this.relWriter ?? (this.relWriter = new FrameWriter(new Uint8Array(0), 0, 0));
  }

  /** Packs queued events into frames while the peer's window allows (spec 11.4) and sends them. */
  private pumpReliable(ch: Channel, rel: ReliableChannelState, now: number): void {
    while (this._state === 'open' && rel.sender.canSend()) {
      const frame = rel.takeFrame();
      if (frame === undefined) break;
      this.transmitReliable(ch, rel, rel.sender.push(frame, now), frame);
    }
    rel.wakeSenders();
    const at = rel.sender.nextTimeoutAt();
    if (at !== null) this.host.armTimer(this, at);
  }

  /** (Re)sends one sequenced frame with the current ACK fields piggybacked (spec 11.5). */
  private transmitReliable(ch: Channel, rel: ReliableChannelState, seq: number, frame: SentFrame): void {
    // Piggyback the ACK fields only when they say something new (an ACK is due, or our window moved since
    // we last advertised it): a one-way stream's data frames then carry none, and the peer skips onAck
    // per frame. A lost piggybacked ACK is repaired as a lost standalone one is: the peer's retransmit
    // is a duplicate here, which makes an ACK due again (spec 11.5).
    const ack = rel.receiver.hasNews() ? rel.receiver.ackFields() : NO_ACK;
    if (ack !== NO_ACK) rel.receiver.ackSent();
    const maxPlain = this.maxPlain();
    if (1 + frame.records.length + FRAME_TRAILER_MAX_SIZE <= maxPlain) {
      const buf = this.host.acquireBuffer();
      const writer = this.reliableWriter();
      writer.reset(buf, SIZE_DATA_HEADER, maxPlain);
      writer.begin(ch.id);
      writer.tryAppendRecords(frame.records, frame.events);
      this.sealAndSend(PACKET_DATA, buf, writer.finish(seq, ack.ackSeq, ack.ackBitmap, ack.windowSize));
      return;
    }
    const size = 1 + frame.records.length + FRAME_TRAILER_MAX_SIZE;
    const whole = new Uint8Array(size);
    const writer = new FrameWriter(whole, 0, size);
    writer.begin(ch.id);
    writer.tryAppendRecords(frame.records, frame.events);
    const length = writer.finish(seq, ack.ackSeq, ack.ackBitmap, ack.windowSize);
    this.sendFrameFragments(whole.subarray(0, length), frame.records.length);
  }

  /** A frame with no events and Seq 0 that carries only the ACK fields (spec 10). */
  private sendStandaloneAck(ch: Channel, rel: ReliableChannelState): void {
    const ack = rel.receiver.ackFields();
    rel.receiver.ackSent();
    const buf = this.host.acquireBuffer();
    const writer = this.reliableWriter();
    writer.reset(buf, SIZE_DATA_HEADER, this.maxPlain());
    writer.begin(ch.id);
    this.sealAndSend(PACKET_DATA, buf, writer.finish(0, ack.ackSeq, ack.ackBitmap, ack.windowSize));
  }

  private handleReliableFrame(ch: Channel, rel: ReliableChannelState, frame: Frame, now: number): void {
    if (frame.ackSeq > 0) {
      rel.sender.onAck(frame.ackSeq, frame.ackBitmap, frame.windowSize, now);
      if (rel.closing && rel.idle) {
        this.forgetChannel(ch, null);
        return;
      }
      if (rel.queuedEvents > 0 && rel.sender.canSend()) {
        this.relDirty.add(ch);
        this.scheduleFlush();
      }
    }
    if (frame.seq > 0) {
      const ready = rel.receiver.receive(frame.seq, frame.events, now);
      for (let i = 0; i < ready.length; i++) {
        if (!this.deliverReliable(ch, rel, ready[i]!)) return;
      }
      rel.receiver.setAvailable(ch.closed ? rel.window : rel.freeFrames, now);
      this.relAckPending.add(ch);
      this.scheduleFlush();
    } else if (frame.events.length > 0) {
      // Unsequenced events: the peer did not make this channel reliable; deliver them as they come.
      this.deliverUnsequenced(ch, frame.events);
    }
  }

  /** Delivers one in-order frame; false when it carried the peer's close signal and the channel is gone. */
  private deliverReliable(ch: Channel, rel: ReliableChannelState, events: FrameEvent[]): boolean {
    let closeAt = -1;
    for (let i = 0; i < events.length; i++) {
      if (events[i]!.type === CHANNEL_CLOSE_EVENT_TYPE) {
        closeAt = i;
        break;
      }
    }
    const data = closeAt < 0 ? events : events.slice(0, closeAt);
    if (!ch.closed && data.length > 0) {
      ch.deliverFrame(data);
      this.counters.eventsReceived += data.length;
      this.host.stats.eventsReceived += data.length;
    } else if (data.length > 0) {
      this.host.stats.drops.channel_closed += data.length;
    }
    if (closeAt < 0) return true;
    // spec 10.1: the peer closed the channel. Acknowledge at once so its sender can stop, then evict.
    this.sendStandaloneAck(ch, rel);
    this.forgetChannel(ch, null);
    ch.finish('remote', null);
    return false;
  }

  private deliverUnsequenced(ch: Channel, events: FrameEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      if (ev.type === CHANNEL_CLOSE_EVENT_TYPE) {
        this.forgetChannel(ch, null);
        ch.finish('remote', null);
        return;
      }
      this.counters.eventsReceived++;
      this.host.stats.eventsReceived++;
      if (!ch.deliver(ev)) {
        if (ch.closed) this.host.stats.drops.channel_closed++;
        else this.host.stats.drops.channel_full++;
      }
    }
  }

  /** Runs due reliable timers: standalone ACKs (spec 11.5), retransmits and failure (spec 11.6). */
  private reliableTimers(now: number): void {
    for (const ch of this.reliableChannels) {
      const rel = ch.rel!;
      const ackDue = rel.receiver.ackDueAt();
      if (ackDue !== null && ackDue <= now) this.sendStandaloneAck(ch, rel);
      let guard = 0;
      for (let at = rel.sender.nextTimeoutAt(); at !== null && at <= now && guard < 128; at = rel.sender.nextTimeoutAt(), guard++) {
        const action = rel.sender.onTimeout(now);
        if (action.action === 'retransmit') {
          this.transmitReliable(ch, rel, action.seq, action.item);
        } else if (action.action === 'fail') {
          const err = channelFailedError(ch.id, rel.sender.retries);
          this.forgetChannel(ch, err);
          ch.finish('failed', err);
          break;
        } else {
          break;
        }
        if (this._state !== 'open') return;
      }
    }
  }

  private reliableDeadline(): number {
    let at = Infinity;
    for (const ch of this.reliableChannels) {
      const rel = ch.rel!;
      const a = rel.receiver.ackDueAt();
      if (a !== null && a < at) at = a;
      const t = rel.sender.nextTimeoutAt();
      if (t !== null && t < at) at = t;
    }
    return at;
  }

  private sendControl(type: number): void {
    this.sealAndSend(type, this.host.acquireBuffer(), 0);
  }

  private sendKeepalive(now: number): void {
    this.host.stats.keepalivesSent++;
    this.sendControl(PACKET_KEEPALIVE);
    this.lastSentMs = now;
  }

  // ---- receive path ----

  /**
   * Handles one transport packet (type 4-7) whose header the endpoint validated and whose receiver index
   * named this session. Never throws: every rejection is counted.
   */
  receive(buf: Uint8Array, type: number, receiverIndex: number, counter: number, fromHost: string, fromPort: number): void {
    if (this._state === 'closed') return;
    const drops = this.host.stats.drops;
    let keys: Keypair | null = null;
    let plainLength = -1;
    const staged = this.stagedKeys.length === 0 ? undefined : this.stagedKeys.find((k) => k.localIndex === receiverIndex);
    const prev = this.prevKeys;
    if (staged !== undefined) {
      plainLength = this.open(staged, buf, counter);
      if (plainLength >= 0) {
        keys = staged;
        this.promoteStaged(staged, this.host.clock.now());
      }
    } else if (receiverIndex === this.keys.localIndex) {
      if (prev !== null && prev.localIndex === receiverIndex) {
        // Rekey overlap on the initiator (same index for both generations): try new keys, then old ones.
        const scratch = this.scratchCopy(buf);
        plainLength = this.open(this.keys, buf, counter);
        if (plainLength >= 0) keys = this.keys;
        else {
          buf.set(scratch.subarray(0, buf.length));
          plainLength = this.open(prev, buf, counter);
          if (plainLength >= 0) keys = prev;
        }
      } else {
        plainLength = this.open(this.keys, buf, counter);
        if (plainLength >= 0) keys = this.keys;
      }
    } else if (prev !== null && receiverIndex === prev.localIndex) {
      plainLength = this.open(prev, buf, counter);
      if (plainLength >= 0) keys = prev;
    }
    if (keys === null) {
      if (plainLength === -2) drops.replay++;
      else drops.decrypt++;
      return;
    }
    const now = this.host.clock.now();
    this.lastReceivedMs = now;
    this.counters.rxPackets++;
    this.counters.rxBytes += buf.length;
    // Roaming: an authenticated packet from a new address moves the session there (NAT rebinding).
    if (fromPort !== this.remote.port || fromHost !== this.remote.host) this.remote = { host: fromHost, port: fromPort };
    if (this._state === 'awaiting-confirmation') this.confirm();

    const plain = buf.subarray(SIZE_DATA_HEADER, SIZE_DATA_HEADER + plainLength);
    switch (type) {
      case PACKET_DATA:
        this.lastDataReceivedMs = now;
        this.handleFrame(plain, now);
        return;
      case PACKET_DATA_FRAGMENT:
        this.lastDataReceivedMs = now;
        this.handleFragment(plain, now);
        return;
      case PACKET_KEEPALIVE:
        this.host.stats.keepalivesReceived++;
        return;
      case PACKET_DISCONNECT:
        this.terminate('remote', null);
        return;
    }
  }

  /**
   * Authenticates and decrypts in place with one keypair: spec 8's cheap replay pre-check first, the window
   * moved only after AEAD success. Returns the plaintext length, -1 (forged) or -2 (replayed).
   */
  private open(keys: Keypair, buf: Uint8Array, counter: number): number {
    if (!keys.replay.check(counter)) return -2;
    const n = keys.recv.openInPlace(counter, buf, SIZE_DATA_HEADER, buf.length - SIZE_DATA_HEADER);
    if (n < 0) return -1;
    if (!keys.replay.accept(counter)) return -2;
    return n;
  }

  private scratchCopy(buf: Uint8Array): Uint8Array {
    let s = this.trialScratch;
    if (s === null || s.length < buf.length) s = this.trialScratch = new Uint8Array(Math.max(buf.length, this.config.maxPacketSize));
    s.set(buf);
    return s;
  }

  private confirm(): void {
    this._state = 'open';
    this.emit('confirmed');
    const held = this.unconfirmed;
    this.unconfirmed = null;
    if (held !== null) for (const e of held) this.enqueue(e.channel, e.type, e.payload);
  }

  private handleFragment(plain: Uint8Array, now: number): void {
    const frag = decodeFragment(plain);
    if (!frag.ok) {
      this.host.stats.drops.fragment_malformed++;
      return;
    }
    const r =
      this.reassembler ??
      (this.reassembler = new Reassembler({
        maxIncompleteFrames: this.config.maxIncompleteFrames,
        maxBytes: this.config.maxReassemblyBytes,
        timeoutMs: this.config.reassemblyTimeoutMs,
      }));
    const before = r.drops.duplicate + r.drops.tooManyFrames + r.drops.tooManyBytes + r.drops.inconsistent + r.drops.late;
    const { frameId, fragIndex, fragCount, data } = frag.value;
    const frame = r.add(frameId, fragIndex, fragCount, data, now);
    const after = r.drops.duplicate + r.drops.tooManyFrames + r.drops.tooManyBytes + r.drops.inconsistent + r.drops.late;
    if (after !== before) this.host.stats.drops.fragment_dropped++;
    if (frame !== null) {
      this.host.stats.framesReassembled++;
      this.handleFrame(frame, now);
    } else if (r.pendingFrames > 0) {
      this.host.armTimer(this, now + this.config.reassemblyTimeoutMs);
    }
  }

  private handleFrame(plain: Uint8Array, now: number): void {
    const decoded = decodeFrame(plain);
    if (!decoded.ok) {
      this.host.stats.drops.frame_malformed++;
      return;
    }
    const frame = decoded.value;
    let ch = this.channels.get(frame.channel);
    if (ch === undefined) {
      // A remote-opened channel: only events open it (a stray ACK or close for a forgotten channel does not).
      const first = frame.events[0];
      if (first === undefined || first.type === CHANNEL_CLOSE_EVENT_TYPE) return;
      ch = new Channel(frame.channel, this, this.config.channelBufferEvents);
      this.channels.set(frame.channel, ch);
      // The application may call setReliable() in this handler, before the first event is processed.
      this.emit('channel', ch);
      if (this._state === 'closed') return;
    }
    const rel = ch.rel;
    if (rel !== null) this.handleReliableFrame(ch, rel, frame, now);
    else if (frame.events.length > 0) this.deliverUnsequenced(ch, frame.events);
  }

  // ---- timers ----

  /** The next instant `onTimer` has work to do. */
  nextDeadline(): number {
    if (this._state === 'closed') return Infinity;
    let at = this.lastReceivedMs + this.config.sessionTimeoutMs;
    if (this._state === 'awaiting-confirmation') at = Math.min(at, this.createdMs + this.config.confirmTimeoutMs);
    else at = Math.min(at, this.lastSentMs + this.config.keepaliveIntervalMs);
    if (this.reassembler !== null && this.reassembler.pendingFrames > 0) {
      at = Math.min(at, this.host.clock.now() + this.config.reassemblyTimeoutMs);
    }
    if (this.reliableChannels.size > 0 && this._state === 'open') at = Math.min(at, this.reliableDeadline());
    if (this.paced.length > 0) at = Math.min(at, this.pacedAtMs);
    if (this.prevKeys !== null) at = Math.min(at, this.prevKeysUntilMs);
    if (this.isInitiator && !this.rekeyPending) at = Math.min(at, this.keys.createdMs + this.config.rekeyAfterMs);
    return at;
  }

  onTimer(now: number): void {
    if (this._state === 'closed') return;
    // spec 7.3: close when nothing was received for SessionTimeout.
    if (now - this.lastReceivedMs >= this.config.sessionTimeoutMs) {
      this.terminate('timeout', new WiremeshError('SESSION_TIMEOUT', `no packet from the peer for ${this.config.sessionTimeoutMs} ms`));
      return;
    }
    if (this._state === 'awaiting-confirmation') {
      if (now - this.createdMs >= this.config.confirmTimeoutMs) this.terminate('unconfirmed', null);
      return;
    }
    // spec 7.3: keep the session alive while idle. We send when we have sent nothing for the interval, so a
    // peer that only receives still proves liveness, and a keepalive-only peer is answered in kind.
    if (this.paced.length > 0 && now >= this.pacedAtMs) this.drainPaced(now);
    if (this.prevKeys !== null && now >= this.prevKeysUntilMs) this.retirePrevious(now);
    // spec 7.3: the original initiator starts a new handshake when the keys are old or much used.
    if (
      this.isInitiator &&
      !this.rekeyPending &&
      (now - this.keys.createdMs >= this.config.rekeyAfterMs || this.keys.sendCounter >= this.config.rekeyAfterMessages)
    ) {
      this.rekeyPending = true;
      this.host.startRekey(this);
    }
    if (this.reliableChannels.size > 0) this.reliableTimers(now);
    if (this._state !== 'open') return;
    if (now - this.lastSentMs >= this.config.keepaliveIntervalMs) this.sendKeepalive(now);
    if (this.reassembler !== null) this.reassembler.gc(now);
  }

  /** Closes without telling the peer (timeouts, endpoint shutdown, remote Disconnect). */
  terminate(reason: SessionCloseReason, error: Error | null): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this._closeReason = reason;
    if (this.openBuf !== null) {
      this.openBuf = null;
    }
    this.unconfirmed = null;
    this.paced.clear();
    const pacedWaiters = this.pacedWaiters;
    this.pacedWaiters = [];
    for (const w of pacedWaiters) w.reject(new WiremeshError('SESSION_CLOSED', 'the session closed while a send waited for the rate limiter'));
    this.keys.destroy();
    this.prevKeys?.recv.destroy();
    for (const staged of this.stagedKeys) staged.destroy();
    this.stagedKeys = [];
    this.trialScratch = null;
    this.reassembler = null;
    const chError = error ?? null;
    let closedErr: WiremeshError | null = null;
    for (const ch of this.channels.values()) {
      if (ch.rel !== null && ch.rel.hasWaitingSenders) {
        closedErr ??= new WiremeshError('SESSION_CLOSED', 'the session is closed');
        ch.rel.failSenders(closedErr);
      }
      ch.finish(error ? 'failed' : 'session-closed', chError);
    }
    this.channels.clear();
    for (const id of [...this.releaseWaiters.keys()]) this.wakeReleaseWaiters(id);
    this.reliableChannels.clear();
    this.relDirty.clear();
    this.relAckPending.clear();
    this.host.sessionClosed(this);
    this.emit('close', reason, error);
  }
}
