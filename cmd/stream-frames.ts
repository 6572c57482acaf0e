/**
 * Binary frames of a `pipe`/`listen` stream on the control socket (issue 7 item 4). A stream starts as a
 * JSON-lines request (`stream.open`); once the node answers with the `{"stream":..,"peer":..}` event, that
 * connection carries only these frames, both ways, until the node closes it:
 *
 *   type(1) | length(u32, big-endian) | payload(length)
 *
 *   DATA   bytes of the stream (client -> node: stdin; node -> client: what the peer sent)
 *   EOF    empty: no more DATA from this side (a half close, like TCP's FIN)
 *   END    node -> client, last frame: JSON {"bytesIn":n,"bytesOut":n} once both directions ended
 *   ERROR  node -> client, last frame: JSON {"code":"...","message":"..."} (the stream failed)
 *
 * Raw bytes instead of base64 in JSON: nothing is encoded or parsed per byte, and the Unix socket's own flow
 * control is the backpressure between the client and the node. Pure: no I/O. The reader never throws on
 * untrusted bytes: an unknown type or an oversized frame is an error value.
 */
import { fail, ok, type DecodeResult } from '../src/wire/result.js';

export const FRAME_DATA = 1;
export const FRAME_EOF = 2;
export const FRAME_END = 3;
export const FRAME_ERROR = 4;
/** Bytes before a frame's payload. */
export const FRAME_HEADER_BYTES = 5;

export interface StreamFrame {
  type: number;
  /** A view: of the pushed chunk when the frame arrived whole in it, else of a buffer assembled for it. */
  payload: Buffer;
}

/** The 5-byte header of a frame with `length` payload bytes. */
export function frameHeader(type: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header[0] = type;
  header.writeUInt32BE(length, 1);
  return header;
}

/** A whole frame in one buffer (small frames: EOF, END, ERROR, and DATA gathered for one write). */
export function encodeFrame(type: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export function encodeJsonFrame(type: number, value: unknown): Buffer {
  return encodeFrame(type, Buffer.from(JSON.stringify(value)));
}

/**
 * Splits a byte stream into frames. Payloads are views of the pushed chunks (no copy) when a frame arrives
 * whole inside one chunk; a frame split across chunks is assembled once, when its last byte arrives. The
 * chunks must not be reused by the caller (a net socket hands out a fresh buffer per chunk).
 */
export class FrameReader {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes the held frame needs before it can be decoded (its header, then header + payload). */
  private needed = 0;
  private failed = false;

  constructor(
    private readonly maxPayloadBytes: number,
    private readonly allowedTypes: readonly number[],
  ) {}

  /** Bytes held for an unfinished frame. */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  /** Feeds a chunk; returns the complete frames in it, or the first error (every later push fails too). */
  push(chunk: Buffer): DecodeResult<StreamFrame[]> {
    if (this.failed) return fail('BAD_FIELD', 'the stream already failed');
    let bytes = chunk;
    if (this.heldBytes > 0) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.needed) return ok([]);
      bytes = Buffer.concat(this.held, this.heldBytes);
      this.held.length = 0;
      this.heldBytes = 0;
    }
    const frames: StreamFrame[] = [];
    let at = 0;
    while (bytes.length - at >= FRAME_HEADER_BYTES) {
      const type = bytes[at]!;
      const length = bytes.readUInt32BE(at + 1);
      if (!this.allowedTypes.includes(type)) return this.fail(`frame type ${type} is not expected here`);
      if (length > this.maxPayloadBytes) return this.fail(`a frame of ${length} bytes exceeds the limit of ${this.maxPayloadBytes}`);
      if (bytes.length - at - FRAME_HEADER_BYTES < length) {
        this.needed = FRAME_HEADER_BYTES + length;
        break;
      }
      frames.push({ type, payload: bytes.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) });
      at += FRAME_HEADER_BYTES + length;
    }
    if (at < bytes.length) {
      if (bytes.length - at < FRAME_HEADER_BYTES) this.needed = FRAME_HEADER_BYTES;
      this.held.push(bytes.subarray(at));
      this.heldBytes = bytes.length - at;
    }
    return ok(frames);
  }

  private fail(message: string): DecodeResult<StreamFrame[]> {
    this.failed = true;
    this.held.length = 0;
    this.heldBytes = 0;
    return fail('BAD_FIELD', message);
  }
}
