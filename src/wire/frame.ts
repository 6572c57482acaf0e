/**
 * Frame codec (spec 10): the plaintext of a Data packet or of a reassembled DataFragment set.
 *
 * Byte 0 is the raw channel id; the rest is Protocol Buffers wire format: field-1 LEN records (one event each:
 * type byte + payload; editor's note 7: at least one byte), then the zero-omitted reliability fields Seq (2,
 * varint), AckSeq (3, varint), AckBitmap (4, I64 LE), WindowSize (5, varint). The decoder reads them in any
 * order and lets the last occurrence win, as a proto decoder does.
 */
import { InvalidArgumentError, WiremeshError } from '../errors.js';
import {
  FRAME_TAG_ACK_BITMAP,
  FRAME_TAG_ACK_SEQ,
  FRAME_TAG_EVENT,
  FRAME_TAG_SEQ,
  FRAME_TAG_WINDOW_SIZE,
  FRAME_TRAILER_MAX_SIZE,
  MAX_CHANNELS,
  MAX_EVENTS_PER_FRAME,
  MAX_UINT32,
  MAX_UINT64,
  SIZE_ACK_BITMAP,
} from './constants.js';
import type { DecodeError, DecodeErrorCode, DecodeResult } from './result.js';
import { encodeVarint, readVarint, varintSize, type VarintCursor } from './varint.js';

export interface FrameEvent {
  /** 0..254 application-defined, 255 = channel close (spec 10.1). */
  type: number;
  payload: Uint8Array;
}

export interface Frame {
  channel: number;
  events: FrameEvent[];
  /** Absent fields are 0 (spec 10: zero-omitted). */
  seq: number;
  ackSeq: number;
  ackBitmap: bigint;
  windowSize: number;
}

/** What `encodeFrame` and `frameSize` take: omitted reliability fields are 0. */
export interface FrameFields {
  channel: number;
  events: readonly FrameEvent[];
  seq?: number;
  ackSeq?: number;
  ackBitmap?: bigint;
  windowSize?: number;
}

function decodeError(code: DecodeErrorCode, message: string): DecodeError {
  return Object.freeze({ code, message });
}

// Frozen, shared error values: a rejected frame costs no allocation.
const ERROR_NO_CHANNEL = decodeError('TOO_SHORT', 'the frame is empty: it has no channel byte');
const ERROR_EMPTY_EVENT = decodeError(
  'EMPTY_EVENT',
  'an event record has length 0; it must hold at least the type byte',
);
const ERROR_EVENT_PAST_END = decodeError('LENGTH_PAST_END', 'an event record runs past the end of the frame');
const ERROR_BITMAP_PAST_END = decodeError('LENGTH_PAST_END', 'the 8-byte AckBitmap runs past the end of the frame');
const ERROR_BAD_TAG = decodeError(
  'BAD_TAG',
  'the frame holds a field number or wire type that spec 10 does not define',
);
const ERROR_NOT_UINT32 = decodeError('BAD_FIELD', 'Seq, AckSeq or WindowSize exceeds 2^32-1');
const ERROR_TOO_MANY_EVENTS = decodeError('TOO_MANY', 'the frame holds more events than the decoder accepts');

const MASK_32 = 0xffff_ffffn;
const INITIAL_EVENT_SLOTS = 64;
const EMPTY = new Uint8Array(0);

/** Wire bytes of one event record: tag, length varint, type byte, payload (spec 10). */
export function eventRecordSize(payloadLength: number): number {
  return 1 + varintSize(1 + payloadLength) + 1 + payloadLength;
}

function assertByte(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= MAX_CHANNELS) {
    throw new InvalidArgumentError(`${name} must be an integer in 0..255, got ${value}`);
  }
}

function assertUint32(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw new InvalidArgumentError(`${name} must be an integer in 0..2^32-1, got ${value}`);
  }
}

function assertUint64(value: bigint, name: string): void {
  if (value < 0n || value > MAX_UINT64) {
    throw new InvalidArgumentError(`${name} must be in 0..2^64-1, got ${value}`);
  }
}

function assertTrailer(seq: number, ackSeq: number, ackBitmap: bigint, windowSize: number): void {
  assertUint32(seq, 'seq');
  assertUint32(ackSeq, 'ackSeq');
  assertUint64(ackBitmap, 'ackBitmap');
  assertUint32(windowSize, 'windowSize');
}

/** Bytes of the non-zero reliability fields. */
function trailerSize(seq: number, ackSeq: number, ackBitmap: bigint, windowSize: number): number {
  let size = 0;
  if (seq !== 0) size += 1 + varintSize(seq);
  if (ackSeq !== 0) size += 1 + varintSize(ackSeq);
  if (ackBitmap !== 0n) size += 1 + SIZE_ACK_BITMAP;
  if (windowSize !== 0) size += 1 + varintSize(windowSize);
  return size;
}

function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}

function readUint32(buf: Uint8Array, offset: number): number {
  return (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0;
}

/** Writes one event record at `pos` (room checked by the caller); returns the offset after it. */
function writeEvent(out: Uint8Array, pos: number, type: number, payload: Uint8Array): number {
  out[pos] = FRAME_TAG_EVENT;
  let p = encodeVarint(1 + payload.length, out, pos + 1);
  out[p++] = type;
  out.set(payload, p);
  return p + payload.length;
}

/** Appends the non-zero reliability fields in field order 2, 3, 4, 5 (spec 10); returns the offset after them. */
function writeTrailer(
  out: Uint8Array,
  pos: number,
  seq: number,
  ackSeq: number,
  ackBitmap: bigint,
  windowSize: number,
): number {
  let p = pos;
  if (seq !== 0) {
    out[p] = FRAME_TAG_SEQ;
    p = encodeVarint(seq, out, p + 1);
  }
  if (ackSeq !== 0) {
    out[p] = FRAME_TAG_ACK_SEQ;
    p = encodeVarint(ackSeq, out, p + 1);
  }
  if (ackBitmap !== 0n) {
    out[p] = FRAME_TAG_ACK_BITMAP;
    writeUint32(out, p + 1, Number(ackBitmap & MASK_32));
    writeUint32(out, p + 5, Number(ackBitmap >> 32n));
    p += 1 + SIZE_ACK_BITMAP;
  }
  if (windowSize !== 0) {
    out[p] = FRAME_TAG_WINDOW_SIZE;
    p = encodeVarint(windowSize, out, p + 1);
  }
  return p;
}

/** Exact encoded size of `frame`; throws InvalidArgumentError on out-of-range fields. */
export function frameSize(frame: FrameFields): number {
  assertByte(frame.channel, 'channel');
  const seq = frame.seq ?? 0;
  const ackSeq = frame.ackSeq ?? 0;
  const ackBitmap = frame.ackBitmap ?? 0n;
  const windowSize = frame.windowSize ?? 0;
  assertTrailer(seq, ackSeq, ackBitmap, windowSize);
  let size = 1;
  for (const event of frame.events) {
    assertByte(event.type, 'event type');
    size += eventRecordSize(event.payload.length);
  }
  return size + trailerSize(seq, ackSeq, ackBitmap, windowSize);
}

/**
 * Encodes `frame` at `out[offset]` (or into a new exact-size buffer when `out` is not given; `offset` is then
 * ignored) and returns the view of the written bytes. Throws InvalidArgumentError when a field is out of range
 * or `out` has no room.
 */
export function encodeFrame(frame: FrameFields, out?: Uint8Array, offset = 0): Uint8Array {
  const size = frameSize(frame);
  let buf: Uint8Array;
  let start: number;
  if (out === undefined) {
    buf = new Uint8Array(size);
    start = 0;
  } else {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > out.length) {
      throw new InvalidArgumentError(
        `a ${size}-byte frame does not fit at offset ${offset} of a ${out.length}-byte buffer`,
      );
    }
    buf = out;
    start = offset;
  }
  buf[start] = frame.channel;
  let pos = start + 1;
  for (const event of frame.events) pos = writeEvent(buf, pos, event.type, event.payload);
  pos = writeTrailer(buf, pos, frame.seq ?? 0, frame.ackSeq ?? 0, frame.ackBitmap ?? 0n, frame.windowSize ?? 0);
  return buf.subarray(start, pos);
}

/**
 * Allocation-free frame parser for the receive path. `read` validates a whole frame and records where each
 * event lies; the accessors then read the parsed fields. Positions are offsets into the buffer given to
 * `read`, which the reader keeps a reference to until the next `read`.
 */
export class FrameReader {
  channel = 0;
  seq = 0;
  ackSeq = 0;
  windowSize = 0;
  /** Low and high 32-bit words of AckBitmap, so reading it needs no bigint. */
  ackBitmapLow = 0;
  ackBitmapHigh = 0;

  private buf: Uint8Array = EMPTY;
  private count = 0;
  /** Per event: offset of its type byte, offset after its payload. Grows by doubling, never shrinks. */
  private slots = new Uint32Array(2 * INITIAL_EVENT_SLOTS);
  private readonly cursor: VarintCursor = { value: 0, next: 0 };
  private readonly maxEvents: number;

  /** `maxEvents` caps the events of one frame (TOO_MANY beyond it). */
  constructor(maxEvents: number = MAX_EVENTS_PER_FRAME) {
    if (!Number.isInteger(maxEvents) || maxEvents < 0) {
      throw new InvalidArgumentError(`maxEvents must be a non-negative integer, got ${maxEvents}`);
    }
    this.maxEvents = maxEvents;
  }

  /**
   * Parses the frame in `buf[start, end)`. Returns null when it is well formed, else the error; never throws
   * on any bytes. After an error the accessors hold unspecified values.
   */
  read(buf: Uint8Array, start = 0, end: number = buf.length): DecodeError | null {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) {
      throw new InvalidArgumentError(`frame range [${start}, ${end}) is not inside a ${buf.length}-byte buffer`);
    }
    this.buf = buf;
    this.count = 0;
    this.seq = 0;
    this.ackSeq = 0;
    this.windowSize = 0;
    this.ackBitmapLow = 0;
    this.ackBitmapHigh = 0;
    if (start === end) return ERROR_NO_CHANNEL;
    this.channel = buf[start];
    const cursor = this.cursor;
    let pos = start + 1;
    while (pos < end) {
      let tag = buf[pos];
      if (tag < 0x80) {
        pos++;
      } else {
        // A proto decoder accepts tags in longer (non-minimal) varint form too.
        const error = readVarint(buf, pos, cursor, end);
        if (error !== null) return error;
        tag = cursor.value;
        pos = cursor.next;
      }
      switch (tag) {
        case FRAME_TAG_EVENT: {
          const error = readVarint(buf, pos, cursor, end);
          if (error !== null) return error;
          const length = cursor.value;
          pos = cursor.next;
          // editor's note 7: the body holds at least the type byte.
          if (length === 0) return ERROR_EMPTY_EVENT;
          if (length > end - pos) return ERROR_EVENT_PAST_END;
          if (this.count === this.maxEvents) return ERROR_TOO_MANY_EVENTS;
          this.addSlot(pos, pos + length);
          pos += length;
          break;
        }
        case FRAME_TAG_SEQ:
        case FRAME_TAG_ACK_SEQ:
        case FRAME_TAG_WINDOW_SIZE: {
          const error = readVarint(buf, pos, cursor, end);
          if (error !== null) return error;
          // spec 10: Seq, AckSeq and WindowSize are uint32.
          if (cursor.value > MAX_UINT32) return ERROR_NOT_UINT32;
          pos = cursor.next;
          if (tag === FRAME_TAG_SEQ) this.seq = cursor.value;
          else if (tag === FRAME_TAG_ACK_SEQ) this.ackSeq = cursor.value;
          else this.windowSize = cursor.value;
          break;
        }
        case FRAME_TAG_ACK_BITMAP:
          if (end - pos < SIZE_ACK_BITMAP) return ERROR_BITMAP_PAST_END;
          this.ackBitmapLow = readUint32(buf, pos);
          this.ackBitmapHigh = readUint32(buf, pos + 4);
          pos += SIZE_ACK_BITMAP;
          break;
        default:
          return ERROR_BAD_TAG;
      }
    }
    return null;
  }

  private addSlot(typeOffset: number, end: number): void {
    const index = 2 * this.count;
    if (index === this.slots.length) {
      const grown = new Uint32Array(this.slots.length * 2);
      grown.set(this.slots);
      this.slots = grown;
    }
    this.slots[index] = typeOffset;
    this.slots[index + 1] = end;
    this.count++;
  }

  /** Forgets the buffer of the last `read` (so the reader does not keep it alive) and the parsed events. */
  clear(): void {
    this.buf = EMPTY;
    this.count = 0;
  }

  /** The buffer of the last `read`. */
  get buffer(): Uint8Array {
    return this.buf;
  }

  get eventCount(): number {
    return this.count;
  }

  /** AckBitmap as a bigint (0n when absent). */
  get ackBitmap(): bigint {
    if (this.ackBitmapLow === 0 && this.ackBitmapHigh === 0) return 0n;
    return (BigInt(this.ackBitmapHigh) << 32n) | BigInt(this.ackBitmapLow);
  }

  /** Event type byte of event `i` (0 <= i < eventCount). */
  eventType(i: number): number {
    return this.buf[this.slots[2 * i]];
  }

  /** Offset in `buffer` of the payload of event `i`. */
  eventPayloadOffset(i: number): number {
    return this.slots[2 * i] + 1;
  }

  /** Payload length of event `i`. */
  eventPayloadLength(i: number): number {
    return this.slots[2 * i + 1] - this.slots[2 * i] - 1;
  }

  /** Zero-copy view of the payload of event `i`. */
  eventPayload(i: number): Uint8Array {
    return this.buf.subarray(this.slots[2 * i] + 1, this.slots[2 * i + 1]);
  }
}

/** Parser reused by `decodeFrame`; safe because parsing is synchronous and it is released before returning. */
const sharedReader = new FrameReader();

/** Decodes a frame (spec 10); event payloads are views into `buf`. Never throws on any bytes. */
export function decodeFrame(buf: Uint8Array): DecodeResult<Frame> {
  const reader = sharedReader;
  const error = reader.read(buf);
  if (error !== null) {
    reader.clear();
    return { ok: false, error };
  }
  const events: FrameEvent[] = new Array<FrameEvent>(reader.eventCount);
  for (let i = 0; i < events.length; i++) {
    events[i] = { type: reader.eventType(i), payload: reader.eventPayload(i) };
  }
  const frame: Frame = {
    channel: reader.channel,
    events,
    seq: reader.seq,
    ackSeq: reader.ackSeq,
    ackBitmap: reader.ackBitmap,
    windowSize: reader.windowSize,
  };
  reader.clear();
  return { ok: true, value: frame };
}

const STATE_IDLE = 0;
const STATE_OPEN = 1;
const STATE_FINISHED = 2;

/**
 * Coalesces events into one frame directly in a caller's buffer, without allocating (spec 10: multiple events
 * may be packed into one frame). It always keeps FRAME_TRAILER_MAX_SIZE bytes free so `finish` fits.
 * Reusable: `begin` starts a new frame at the same offset, `reset` moves it to another buffer.
 */
export class FrameWriter {
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private limit = 0;
  private pos = 0;
  private count = 0;
  private eventsEnd = 0;
  private state = STATE_IDLE;

  /**
   * Writes into `buf[offset, offset + capacity)`. `begin` needs capacity for a channel byte plus the largest
   * trailer; a smaller one (e.g. an empty placeholder buffer) is allowed until then.
   */
  constructor(buf: Uint8Array, offset: number, capacity: number) {
    this.reset(buf, offset, capacity);
  }

  reset(buf: Uint8Array, offset: number, capacity: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(capacity) || offset < 0 || offset + capacity > buf.length) {
      throw new InvalidArgumentError(
        `capacity ${capacity} at offset ${offset} does not fit a ${buf.length}-byte buffer`,
      );
    }
    this.buf = buf;
    this.start = offset;
    this.limit = offset + capacity;
    this.pos = offset;
    this.count = 0;
    this.state = STATE_IDLE;
  }

  /** Starts a new frame: writes the channel byte and forgets any previous frame. */
  begin(channel: number): void {
    assertByte(channel, 'channel');
    if (this.limit - this.start < 1 + FRAME_TRAILER_MAX_SIZE) {
      throw new InvalidArgumentError(
        `frame capacity must be at least ${1 + FRAME_TRAILER_MAX_SIZE} bytes, got ${this.limit - this.start}`,
      );
    }
    this.buf[this.start] = channel;
    this.pos = this.start + 1;
    this.count = 0;
    this.state = STATE_OPEN;
  }

  /**
   * Appends an event when it fits while leaving room for the largest trailer; returns false (nothing written)
   * otherwise.
   */
  tryAddEvent(type: number, payload: Uint8Array): boolean {
    if (this.state !== STATE_OPEN) throw new WiremeshError('INVALID_STATE', 'call begin() before adding events');
    assertByte(type, 'event type');
    if (this.pos + eventRecordSize(payload.length) + FRAME_TRAILER_MAX_SIZE > this.limit) return false;
    this.pos = writeEvent(this.buf, this.pos, type, payload);
    this.count++;
    return true;
  }

  /**
   * Appends already-encoded event records (the bytes `records` returned for an earlier frame) when they fit
   * with room for the largest trailer; false (nothing written) otherwise. Reliable channels re-send a
   * frame's events this way with fresh ACK fields (spec 11.6).
   */
  tryAppendRecords(records: Uint8Array, eventCount: number): boolean {
    if (this.state !== STATE_OPEN) throw new WiremeshError('INVALID_STATE', 'call begin() before adding events');
    if (this.pos + records.length + FRAME_TRAILER_MAX_SIZE > this.limit) return false;
    this.buf.set(records, this.pos);
    this.pos += records.length;
    this.count += eventCount;
    return true;
  }

  /** The event records written since `begin` (a view; copy it to keep it past the next `begin`). */
  get records(): Uint8Array {
    if (this.state === STATE_IDLE) return this.buf.subarray(this.start, this.start);
    return this.buf.subarray(this.start + 1, this.state === STATE_FINISHED ? this.eventsEnd : this.pos);
  }

  /** Largest payload `tryAddEvent` would accept now, or -1 when not even an empty one fits or no frame is open. */
  get maxPayloadLength(): number {
    if (this.state !== STATE_OPEN) return -1;
    const room = this.limit - this.pos - FRAME_TRAILER_MAX_SIZE;
    // A record is tag + length varint (k bytes) + type + payload: take the smallest k that can describe it.
    for (let k = 1; k <= 8; k++) {
      const length = room - 2 - k;
      if (length < 0) return -1;
      if (varintSize(length + 1) <= k) return length;
    }
    return -1;
  }

  get eventCount(): number {
    return this.count;
  }

  /** Bytes written since the offset so far (after `finish`: the whole frame). */
  get length(): number {
    return this.pos - this.start;
  }

  /** Appends the non-zero reliability fields (order 2, 3, 4, 5) and returns the frame's total size in bytes. */
  finish(seq = 0, ackSeq = 0, ackBitmap = 0n, windowSize = 0): number {
    if (this.state !== STATE_OPEN) throw new WiremeshError('INVALID_STATE', 'call begin() before finish()');
    assertTrailer(seq, ackSeq, ackBitmap, windowSize);
    this.eventsEnd = this.pos;
    this.pos = writeTrailer(this.buf, this.pos, seq, ackSeq, ackBitmap, windowSize);
    this.state = STATE_FINISHED;
    return this.pos - this.start;
  }
}
