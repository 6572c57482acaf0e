/**
 * The routed envelope (channel 1, MSG_ROUTED; DESIGN "Overlay"):
 *
 *   version(1) = 1 | ttl(1) | avoidCount(1) <= 3 | avoid(32 x avoidCount)
 *   | signed part:  payloadType(1) | flags(1) | target(32) | originEd(32) | originX(32)
 *                   | sentMs(u64) | messageId(16) | payloadLength(varint) <= 64 KiB | payload
 *   | signature(64)
 *
 * TTL and the avoid-set change per hop and per copy, so they sit before the signed part and are not
 * signed (tampering with them only wastes hops, nodenet 3). Everything a receiver acts on is signed, and
 * the signed part is one contiguous run of bytes: signing and verifying need no copy, and a forwarder
 * patches the TTL byte in place (`setEnvelopeTtl`) and re-sends the same bytes. The originator's NodeID is
 * not carried: it is the hash of the two keys, so it cannot disagree with them.
 */
import { InvalidArgumentError } from '../../errors.js';
import { encodeVarint, varintSize } from '../varint.js';
import { fail, ok, type DecodeResult } from '../result.js';
import { ByteReader } from './byte-reader.js';
import {
  KEY_BYTES,
  KNOWN_FLAGS,
  MAX_AVOID,
  MAX_ROUTED_PAYLOAD_BYTES,
  MESSAGE_ID_BYTES,
  NODE_ID_BYTES,
  OVERLAY_VERSION,
  SIGNATURE_BYTES,
} from './constants.js';

/** Byte offset of the TTL: forwarders patch it in place. */
export const ENVELOPE_TTL_OFFSET = 1;
/** Fixed bytes of the signed part before the payload length. */
const SIGNED_HEADER_BYTES = 1 + 1 + NODE_ID_BYTES + KEY_BYTES + KEY_BYTES + 8 + MESSAGE_ID_BYTES;

export interface EnvelopeSignedFields {
  payloadType: number;
  flags: number;
  target: Uint8Array;
  originEd: Uint8Array;
  originX: Uint8Array;
  /** Originator's clock at sending, ms since the Unix epoch (freshness check). */
  sentMs: number;
  messageId: Uint8Array;
  payload: Uint8Array;
}

export interface RoutedEnvelope extends EnvelopeSignedFields {
  ttl: number;
  avoid: Uint8Array[];
  /** View of the signed bytes (what the signature covers, after the domain label). */
  signedPart: Uint8Array;
  signature: Uint8Array;
}

function checkLength(value: Uint8Array, length: number, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) throw new InvalidArgumentError(`${what} must be ${length} bytes`);
}

/** Encodes the signed part of an envelope (sign it, then `encodeEnvelope`). */
export function encodeSignedPart(f: EnvelopeSignedFields): Uint8Array {
  if (!Number.isInteger(f.payloadType) || f.payloadType < 1 || f.payloadType > 255) {
    throw new InvalidArgumentError(`payload type ${f.payloadType} is out of range 1..255`);
  }
  if (!Number.isInteger(f.flags) || (f.flags & ~KNOWN_FLAGS) !== 0) throw new InvalidArgumentError(`unknown envelope flags ${f.flags}`);
  checkLength(f.target, NODE_ID_BYTES, 'target');
  checkLength(f.originEd, KEY_BYTES, 'originator Ed25519 key');
  checkLength(f.originX, KEY_BYTES, 'originator X25519 key');
  checkLength(f.messageId, MESSAGE_ID_BYTES, 'message id');
  if (!Number.isSafeInteger(f.sentMs) || f.sentMs < 0) throw new InvalidArgumentError(`sentMs ${f.sentMs} is not a time`);
  if (!(f.payload instanceof Uint8Array) || f.payload.length > MAX_ROUTED_PAYLOAD_BYTES) {
    throw new InvalidArgumentError(`a routed payload is at most ${MAX_ROUTED_PAYLOAD_BYTES} bytes, got ${f.payload?.length}: use a channel for bulk data`);
  }
  const out = new Uint8Array(SIGNED_HEADER_BYTES + varintSize(f.payload.length) + f.payload.length);
  out[0] = f.payloadType;
  out[1] = f.flags;
  let at = 2;
  out.set(f.target, at);
  at += NODE_ID_BYTES;
  out.set(f.originEd, at);
  at += KEY_BYTES;
  out.set(f.originX, at);
  at += KEY_BYTES;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, Math.floor(f.sentMs / 0x1_0000_0000), false);
  view.setUint32(at + 4, f.sentMs >>> 0, false);
  at += 8;
  out.set(f.messageId, at);
  at += MESSAGE_ID_BYTES;
  at = encodeVarint(f.payload.length, out, at);
  out.set(f.payload, at);
  return out;
}

/** Total bytes of an envelope with `avoidCount` avoid entries around a signed part. */
export function envelopeSize(avoidCount: number, signedPartLength: number): number {
  return 3 + avoidCount * NODE_ID_BYTES + signedPartLength + SIGNATURE_BYTES;
}

/**
 * Writes a whole envelope into `out` from offset 0 (which must hold `envelopeSize` bytes) and returns
 * the written view; `out` may be a reused scratch buffer.
 */
export function writeEnvelope(out: Uint8Array, ttl: number, avoid: readonly Uint8Array[], signedPart: Uint8Array, signature: Uint8Array): Uint8Array {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new InvalidArgumentError(`ttl ${ttl} is out of range 0..255`);
  if (avoid.length > MAX_AVOID) throw new InvalidArgumentError(`an avoid-set holds at most ${MAX_AVOID} ids`);
  checkLength(signature, SIGNATURE_BYTES, 'signature');
  const size = envelopeSize(avoid.length, signedPart.length);
  if (out.length < size) throw new InvalidArgumentError(`envelope needs ${size} bytes, the buffer has ${out.length}`);
  out[0] = OVERLAY_VERSION;
  out[ENVELOPE_TTL_OFFSET] = ttl;
  out[2] = avoid.length;
  let at = 3;
  for (const id of avoid) {
    checkLength(id, NODE_ID_BYTES, 'avoid-set entry');
    out.set(id, at);
    at += NODE_ID_BYTES;
  }
  out.set(signedPart, at);
  at += signedPart.length;
  out.set(signature, at);
  return out.subarray(0, size);
}

export function encodeEnvelope(ttl: number, avoid: readonly Uint8Array[], signedPart: Uint8Array, signature: Uint8Array): Uint8Array {
  return writeEnvelope(new Uint8Array(envelopeSize(avoid.length, signedPart.length)), ttl, avoid, signedPart, signature);
}

/** Patches the TTL of an encoded envelope in place (a no-op on a buffer too short to be one). */
export function setEnvelopeTtl(envelope: Uint8Array, ttl: number): void {
  if (envelope.length > ENVELOPE_TTL_OFFSET) envelope[ENVELOPE_TTL_OFFSET] = ttl & 0xff;
}

/** Never throws. Every byte field is a view of `bytes`: copy what outlives the packet. */
export function decodeEnvelope(bytes: Uint8Array): DecodeResult<RoutedEnvelope> {
  const r = new ByteReader(bytes);
  const version = r.u8('version');
  if (r.error === null && version !== OVERLAY_VERSION) return fail('BAD_VERSION', `envelope version ${version} is not supported`);
  const ttl = r.u8('ttl');
  const avoidCount = r.u8('avoid count');
  if (r.error === null && avoidCount > MAX_AVOID) return fail('TOO_MANY', `avoid-set has ${avoidCount} entries, limit ${MAX_AVOID}`);
  const avoid: Uint8Array[] = [];
  for (let i = 0; i < avoidCount && r.error === null; i++) avoid.push(r.view(NODE_ID_BYTES, 'avoid-set entry'));
  const signedStart = r.offset;
  const payloadType = r.u8('payload type');
  if (r.error === null && payloadType === 0) return fail('UNKNOWN_TYPE', 'payload type 0 is not assigned');
  const flags = r.u8('flags');
  if (r.error === null && (flags & ~KNOWN_FLAGS) !== 0) return fail('BAD_FIELD', `unknown envelope flags 0x${flags.toString(16)}`);
  const target = r.view(NODE_ID_BYTES, 'target');
  const originEd = r.view(KEY_BYTES, 'originator Ed25519 key');
  const originX = r.view(KEY_BYTES, 'originator X25519 key');
  const sentMs = r.u64('send time');
  const messageId = r.view(MESSAGE_ID_BYTES, 'message id');
  const payloadLength = r.varint('payload length');
  if (r.error === null && payloadLength > MAX_ROUTED_PAYLOAD_BYTES) {
    return fail('BAD_SIZE', `routed payload of ${payloadLength} bytes exceeds ${MAX_ROUTED_PAYLOAD_BYTES}`);
  }
  const payload = r.view(payloadLength, 'payload');
  const signedEnd = r.offset;
  const signature = r.view(SIGNATURE_BYTES, 'signature');
  r.end('envelope');
  if (r.error !== null) return { ok: false, error: r.error };
  return ok({
    ttl,
    avoid,
    payloadType,
    flags,
    target,
    originEd,
    originX,
    sentMs,
    messageId,
    payload,
    signedPart: bytes.subarray(signedStart, signedEnd),
    signature,
  });
}
