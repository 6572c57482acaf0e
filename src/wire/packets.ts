/**
 * Wiresocket packet layouts (spec 3, 4). All integers little-endian.
 *
 * Decoders return zero-copy `subarray` views into their input and never throw. Size errors: a buffer shorter
 * than the layout gives TOO_SHORT, a longer fixed-size packet gives BAD_SIZE. Encoders take trusted values
 * and throw InvalidArgumentError on a wrong field size or an `out` buffer without room.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  HANDSHAKE_INIT_MAC1_OFFSET,
  HANDSHAKE_INIT_MAC2_OFFSET,
  HANDSHAKE_RESP_MAC1_OFFSET,
  HANDSHAKE_RESP_MAC2_OFFSET,
  MAX_SAFE_COUNTER,
  MAX_UINT16,
  MAX_UINT32,
  MIN_SIZE_DATA,
  MIN_SIZE_DATA_FRAGMENT,
  OFFSET_COUNTER,
  OFFSET_FIRST_INDEX,
  OFFSET_RESP_RECEIVER_INDEX,
  PACKET_COOKIE_REPLY,
  PACKET_DATA,
  PACKET_DATA_FRAGMENT,
  PACKET_DISCONNECT,
  PACKET_HANDSHAKE_INIT,
  PACKET_HANDSHAKE_RESP,
  PACKET_KEEPALIVE,
  SIZE_COOKIE_NONCE,
  SIZE_COOKIE_REPLY,
  SIZE_DATA_HEADER,
  SIZE_DISCONNECT,
  SIZE_ENCRYPTED_COOKIE,
  SIZE_ENCRYPTED_NIL,
  SIZE_ENCRYPTED_STATIC,
  SIZE_ENCRYPTED_TIMESTAMP,
  SIZE_EPHEMERAL,
  SIZE_FRAGMENT_HEADER,
  SIZE_HANDSHAKE_INIT,
  SIZE_HANDSHAKE_RESP,
  SIZE_KEEPALIVE,
  SIZE_MAC,
} from './constants.js';
import type { DecodeError, DecodeErrorCode, DecodeResult } from './result.js';

/** spec 4.1 */
export interface HandshakeInitPacket {
  senderIndex: number;
  /** 32 bytes */
  ephemeral: Uint8Array;
  /** 48 bytes */
  encryptedStatic: Uint8Array;
  /** 28 bytes */
  encryptedTimestamp: Uint8Array;
  /** 16 bytes */
  mac1: Uint8Array;
  /** 16 bytes */
  mac2: Uint8Array;
}

/** spec 4.2 */
export interface HandshakeRespPacket {
  senderIndex: number;
  receiverIndex: number;
  /** 32 bytes */
  ephemeral: Uint8Array;
  /** 16 bytes */
  encryptedNil: Uint8Array;
  /** 16 bytes */
  mac1: Uint8Array;
  /** 16 bytes */
  mac2: Uint8Array;
}

/** spec 4.3 */
export interface CookieReplyPacket {
  receiverIndex: number;
  /** 24 bytes */
  nonce: Uint8Array;
  /** 32 bytes */
  encryptedCookie: Uint8Array;
}

/** spec 4.7: the plaintext sub-header of a DataFragment. */
export interface FragmentHeader {
  frameId: number;
  fragIndex: number;
  fragCount: number;
}

// Field offsets (spec 4.1-4.3).
const INIT_EPHEMERAL = 8;
const INIT_STATIC = INIT_EPHEMERAL + SIZE_EPHEMERAL; // 40
const INIT_TIMESTAMP = INIT_STATIC + SIZE_ENCRYPTED_STATIC; // 88
const RESP_EPHEMERAL = 12;
const RESP_NIL = RESP_EPHEMERAL + SIZE_EPHEMERAL; // 44
const COOKIE_NONCE = 8;
const COOKIE_ENCRYPTED = COOKIE_NONCE + SIZE_COOKIE_NONCE; // 32
// spec 4.7: fragment sub-header offsets inside the plaintext.
const FRAG_FRAME_ID = 0;
const FRAG_INDEX = 4;
const FRAG_COUNT = 6;

const TWO_POW_32 = 0x1_0000_0000;
/** The high 32-bit word of a counter that is at most MAX_SAFE_COUNTER (2^53-1). */
const MAX_SAFE_COUNTER_HIGH = Math.floor(MAX_SAFE_COUNTER / TWO_POW_32);

function decodeError(code: DecodeErrorCode, message: string): DecodeError {
  return Object.freeze({ code, message });
}

// Frozen, shared error values: the transport validator allocates nothing, even when it rejects.
const ERROR_EMPTY = decodeError('TOO_SHORT', 'the packet is empty');
const ERROR_UNKNOWN_TYPE = decodeError('UNKNOWN_TYPE', 'the packet type tag is not a Wiresocket type');
const ERROR_NOT_TRANSPORT = decodeError('WRONG_TYPE', 'a handshake packet is not a transport packet');
const ERROR_RESERVED = decodeError('RESERVED_NONZERO', 'the reserved bytes 1..3 are not zero');
const ERROR_TRANSPORT_SHORT = decodeError('TOO_SHORT', 'the transport packet is shorter than its minimum size');
const ERROR_TRANSPORT_SIZE = decodeError('BAD_SIZE', 'a keepalive or disconnect packet must be exactly 32 bytes');
const ERROR_COUNTER = decodeError('BAD_FIELD', 'the counter exceeds 2^53-1');
const ERROR_FRAGMENT_SHORT = decodeError('TOO_SHORT', 'the fragment plaintext is shorter than its 8-byte header');
const ERROR_FRAG_COUNT_ZERO = decodeError('BAD_FIELD', 'frag_count is 0');
const ERROR_FRAG_INDEX = decodeError('BAD_FIELD', 'frag_index is not below frag_count');

/** The type tag (spec 3), or -1 for an empty buffer. */
export function packetType(buf: Uint8Array): number {
  return buf.length === 0 ? -1 : buf[0];
}

function readUint32(buf: Uint8Array, offset: number): number {
  return (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0;
}

function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}

function readUint16(buf: Uint8Array, offset: number): number {
  return buf[offset] | (buf[offset + 1] << 8);
}

function reservedAreZero(buf: Uint8Array): boolean {
  return (buf[1] | buf[2] | buf[3]) === 0;
}

/** Checks the type tag, exact size and reserved bytes shared by the three handshake-phase packets. */
function checkFixedPacket(buf: Uint8Array, type: number, size: number, name: string): DecodeError | null {
  if (buf.length === 0) return ERROR_EMPTY;
  if (buf[0] !== type) return decodeError('WRONG_TYPE', `expected a ${name} (type ${type}), got type ${buf[0]}`);
  if (buf.length < size) return decodeError('TOO_SHORT', `a ${name} is ${size} bytes, got ${buf.length}`);
  if (buf.length > size) return decodeError('BAD_SIZE', `a ${name} is ${size} bytes, got ${buf.length}`);
  if (!reservedAreZero(buf)) return ERROR_RESERVED;
  return null;
}

/** spec 4.1 */
export function decodeHandshakeInit(buf: Uint8Array): DecodeResult<HandshakeInitPacket> {
  const error = checkFixedPacket(buf, PACKET_HANDSHAKE_INIT, SIZE_HANDSHAKE_INIT, 'HandshakeInit');
  if (error !== null) return { ok: false, error };
  return {
    ok: true,
    value: {
      senderIndex: readUint32(buf, OFFSET_FIRST_INDEX),
      ephemeral: buf.subarray(INIT_EPHEMERAL, INIT_STATIC),
      encryptedStatic: buf.subarray(INIT_STATIC, INIT_TIMESTAMP),
      encryptedTimestamp: buf.subarray(INIT_TIMESTAMP, HANDSHAKE_INIT_MAC1_OFFSET),
      mac1: buf.subarray(HANDSHAKE_INIT_MAC1_OFFSET, HANDSHAKE_INIT_MAC2_OFFSET),
      mac2: buf.subarray(HANDSHAKE_INIT_MAC2_OFFSET, SIZE_HANDSHAKE_INIT),
    },
  };
}

/** spec 4.2 */
export function decodeHandshakeResp(buf: Uint8Array): DecodeResult<HandshakeRespPacket> {
  const error = checkFixedPacket(buf, PACKET_HANDSHAKE_RESP, SIZE_HANDSHAKE_RESP, 'HandshakeResp');
  if (error !== null) return { ok: false, error };
  return {
    ok: true,
    value: {
      senderIndex: readUint32(buf, OFFSET_FIRST_INDEX),
      receiverIndex: readUint32(buf, OFFSET_RESP_RECEIVER_INDEX),
      ephemeral: buf.subarray(RESP_EPHEMERAL, RESP_NIL),
      encryptedNil: buf.subarray(RESP_NIL, HANDSHAKE_RESP_MAC1_OFFSET),
      mac1: buf.subarray(HANDSHAKE_RESP_MAC1_OFFSET, HANDSHAKE_RESP_MAC2_OFFSET),
      mac2: buf.subarray(HANDSHAKE_RESP_MAC2_OFFSET, SIZE_HANDSHAKE_RESP),
    },
  };
}

/** spec 4.3 */
export function decodeCookieReply(buf: Uint8Array): DecodeResult<CookieReplyPacket> {
  const error = checkFixedPacket(buf, PACKET_COOKIE_REPLY, SIZE_COOKIE_REPLY, 'CookieReply');
  if (error !== null) return { ok: false, error };
  return {
    ok: true,
    value: {
      receiverIndex: readUint32(buf, OFFSET_FIRST_INDEX),
      nonce: buf.subarray(COOKIE_NONCE, COOKIE_ENCRYPTED),
      encryptedCookie: buf.subarray(COOKIE_ENCRYPTED, SIZE_COOKIE_REPLY),
    },
  };
}

function assertUint32(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw new InvalidArgumentError(`${name} must be an integer in 0..2^32-1, got ${value}`);
  }
}

function assertUint16(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT16) {
    throw new InvalidArgumentError(`${name} must be an integer in 0..65535, got ${value}`);
  }
}

function assertFieldSize(field: Uint8Array, size: number, name: string): void {
  if (field.length !== size) {
    throw new InvalidArgumentError(`${name} must be ${size} bytes, got ${field.length}`);
  }
}

/** The exact-size view of `out` to encode into, or a new buffer when `out` is not given. */
function target(size: number, out: Uint8Array | undefined, name: string): Uint8Array {
  if (out === undefined) return new Uint8Array(size);
  if (out.length < size) {
    throw new InvalidArgumentError(`a ${name} needs a ${size}-byte buffer, got ${out.length} bytes`);
  }
  return out.subarray(0, size);
}

/** Type tag, then the three reserved zero bytes (spec 4: every packet starts this way). */
function writeTypeAndReserved(out: Uint8Array, type: number): void {
  out[0] = type;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
}

/** spec 4.1. Writes into `out` (at least 148 bytes) when given; returns the exact 148-byte view. */
export function encodeHandshakeInit(p: HandshakeInitPacket, out?: Uint8Array): Uint8Array {
  assertUint32(p.senderIndex, 'senderIndex');
  assertFieldSize(p.ephemeral, SIZE_EPHEMERAL, 'ephemeral');
  assertFieldSize(p.encryptedStatic, SIZE_ENCRYPTED_STATIC, 'encryptedStatic');
  assertFieldSize(p.encryptedTimestamp, SIZE_ENCRYPTED_TIMESTAMP, 'encryptedTimestamp');
  assertFieldSize(p.mac1, SIZE_MAC, 'mac1');
  assertFieldSize(p.mac2, SIZE_MAC, 'mac2');
  const buf = target(SIZE_HANDSHAKE_INIT, out, 'HandshakeInit');
  writeTypeAndReserved(buf, PACKET_HANDSHAKE_INIT);
  writeUint32(buf, OFFSET_FIRST_INDEX, p.senderIndex);
  buf.set(p.ephemeral, INIT_EPHEMERAL);
  buf.set(p.encryptedStatic, INIT_STATIC);
  buf.set(p.encryptedTimestamp, INIT_TIMESTAMP);
  buf.set(p.mac1, HANDSHAKE_INIT_MAC1_OFFSET);
  buf.set(p.mac2, HANDSHAKE_INIT_MAC2_OFFSET);
  return buf;
}

/** spec 4.2. Writes into `out` (at least 92 bytes) when given; returns the exact 92-byte view. */
export function encodeHandshakeResp(p: HandshakeRespPacket, out?: Uint8Array): Uint8Array {
  assertUint32(p.senderIndex, 'senderIndex');
  assertUint32(p.receiverIndex, 'receiverIndex');
  assertFieldSize(p.ephemeral, SIZE_EPHEMERAL, 'ephemeral');
  assertFieldSize(p.encryptedNil, SIZE_ENCRYPTED_NIL, 'encryptedNil');
  assertFieldSize(p.mac1, SIZE_MAC, 'mac1');
  assertFieldSize(p.mac2, SIZE_MAC, 'mac2');
  const buf = target(SIZE_HANDSHAKE_RESP, out, 'HandshakeResp');
  writeTypeAndReserved(buf, PACKET_HANDSHAKE_RESP);
  writeUint32(buf, OFFSET_FIRST_INDEX, p.senderIndex);
  writeUint32(buf, OFFSET_RESP_RECEIVER_INDEX, p.receiverIndex);
  buf.set(p.ephemeral, RESP_EPHEMERAL);
  buf.set(p.encryptedNil, RESP_NIL);
  buf.set(p.mac1, HANDSHAKE_RESP_MAC1_OFFSET);
  buf.set(p.mac2, HANDSHAKE_RESP_MAC2_OFFSET);
  return buf;
}

/** spec 4.3. Writes into `out` (at least 64 bytes) when given; returns the exact 64-byte view. */
export function encodeCookieReply(p: CookieReplyPacket, out?: Uint8Array): Uint8Array {
  assertUint32(p.receiverIndex, 'receiverIndex');
  assertFieldSize(p.nonce, SIZE_COOKIE_NONCE, 'nonce');
  assertFieldSize(p.encryptedCookie, SIZE_ENCRYPTED_COOKIE, 'encryptedCookie');
  const buf = target(SIZE_COOKIE_REPLY, out, 'CookieReply');
  writeTypeAndReserved(buf, PACKET_COOKIE_REPLY);
  writeUint32(buf, OFFSET_FIRST_INDEX, p.receiverIndex);
  buf.set(p.nonce, COOKIE_NONCE);
  buf.set(p.encryptedCookie, COOKIE_ENCRYPTED);
  return buf;
}

/**
 * Hot-path check of a transport packet (spec 4.4-4.7) before any lookup or decryption: type 4..7, reserved
 * bytes zero, Data >= 32 bytes, Keepalive and Disconnect exactly 32, DataFragment >= 40, counter <= 2^53-1.
 * Returns null when valid; allocates nothing.
 */
export function validateTransportPacket(buf: Uint8Array): DecodeError | null {
  const length = buf.length;
  if (length === 0) return ERROR_EMPTY;
  const type = buf[0];
  if (type < PACKET_DATA || type > PACKET_DATA_FRAGMENT) {
    // editor's note 9: tag 0 and 8..255 are not Wiresocket packets; 1..3 are, but not transport ones.
    return type >= PACKET_HANDSHAKE_INIT && type <= PACKET_COOKIE_REPLY ? ERROR_NOT_TRANSPORT : ERROR_UNKNOWN_TYPE;
  }
  if (length < SIZE_DATA_HEADER) return ERROR_TRANSPORT_SHORT;
  if (!reservedAreZero(buf)) return ERROR_RESERVED;
  switch (type) {
    case PACKET_DATA:
      if (length < MIN_SIZE_DATA) return ERROR_TRANSPORT_SHORT;
      break;
    case PACKET_DISCONNECT:
    case PACKET_KEEPALIVE:
      // spec 4.5, 4.6: header + tag of an empty plaintext, nothing else.
      if (length < SIZE_KEEPALIVE) return ERROR_TRANSPORT_SHORT;
      if (length > SIZE_DISCONNECT) return ERROR_TRANSPORT_SIZE;
      break;
    default:
      if (length < MIN_SIZE_DATA_FRAGMENT) return ERROR_TRANSPORT_SHORT;
  }
  if (readUint32(buf, OFFSET_COUNTER + 4) > MAX_SAFE_COUNTER_HIGH) return ERROR_COUNTER;
  return null;
}

/** receiver_index (uint32 LE at byte 4) of a transport packet or CookieReply; the caller has checked the length. */
export function readReceiverIndex(buf: Uint8Array): number {
  return readUint32(buf, OFFSET_FIRST_INDEX);
}

/** counter (uint64 LE at byte 8) as a number; exact when `validateTransportPacket` accepted the packet. */
export function readCounter(buf: Uint8Array): number {
  return readUint32(buf, OFFSET_COUNTER) + readUint32(buf, OFFSET_COUNTER + 4) * TWO_POW_32;
}

/**
 * Writes the 16-byte transport header (spec 4.4-4.7): type, three zero reserved bytes, receiver_index,
 * counter. Allocates nothing. Throws InvalidArgumentError on out-of-range values or a buffer under 16 bytes.
 */
export function writeTransportHeader(out: Uint8Array, type: number, receiverIndex: number, counter: number): void {
  if (type < PACKET_DATA || type > PACKET_DATA_FRAGMENT || !Number.isInteger(type)) {
    throw new InvalidArgumentError(`transport packet type must be 4..7, got ${type}`);
  }
  assertUint32(receiverIndex, 'receiverIndex');
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new InvalidArgumentError(`counter must be an integer in 0..2^53-1, got ${counter}`);
  }
  if (out.length < SIZE_DATA_HEADER) {
    throw new InvalidArgumentError(`a transport header needs 16 bytes, got ${out.length}`);
  }
  writeTypeAndReserved(out, type);
  writeUint32(out, OFFSET_FIRST_INDEX, receiverIndex);
  const low = counter % TWO_POW_32;
  writeUint32(out, OFFSET_COUNTER, low);
  writeUint32(out, OFFSET_COUNTER + 4, (counter - low) / TWO_POW_32);
}

/**
 * Allocation-free check of a fragment plaintext (spec 4.7): at least 8 bytes, frag_count >= 1,
 * frag_index < frag_count. Returns null when valid.
 */
export function validateFragment(plain: Uint8Array): DecodeError | null {
  if (plain.length < SIZE_FRAGMENT_HEADER) return ERROR_FRAGMENT_SHORT;
  const fragCount = readUint16(plain, FRAG_COUNT);
  if (fragCount === 0) return ERROR_FRAG_COUNT_ZERO;
  if (readUint16(plain, FRAG_INDEX) >= fragCount) return ERROR_FRAG_INDEX;
  return null;
}

/** frame_id of a fragment plaintext that `validateFragment` accepted. */
export function readFragmentFrameId(plain: Uint8Array): number {
  return readUint32(plain, FRAG_FRAME_ID);
}

/** frag_index of a fragment plaintext that `validateFragment` accepted. */
export function readFragmentIndex(plain: Uint8Array): number {
  return readUint16(plain, FRAG_INDEX);
}

/** frag_count of a fragment plaintext that `validateFragment` accepted. */
export function readFragmentCount(plain: Uint8Array): number {
  return readUint16(plain, FRAG_COUNT);
}

/** Decodes a fragment plaintext (spec 4.7); `data` is a view of the bytes after the 8-byte sub-header. */
export function decodeFragment(plain: Uint8Array): DecodeResult<FragmentHeader & { data: Uint8Array }> {
  const error = validateFragment(plain);
  if (error !== null) return { ok: false, error };
  return {
    ok: true,
    value: {
      frameId: readUint32(plain, FRAG_FRAME_ID),
      fragIndex: readUint16(plain, FRAG_INDEX),
      fragCount: readUint16(plain, FRAG_COUNT),
      data: plain.subarray(SIZE_FRAGMENT_HEADER),
    },
  };
}

/**
 * Writes the 8-byte fragment sub-header (spec 4.7) at `out[offset]`. Throws InvalidArgumentError when a value
 * is out of range, frag_count is 0, frag_index >= frag_count, or `out` has no room.
 */
export function writeFragmentHeader(
  out: Uint8Array,
  offset: number,
  frameId: number,
  fragIndex: number,
  fragCount: number,
): void {
  assertUint32(frameId, 'frameId');
  assertUint16(fragIndex, 'fragIndex');
  assertUint16(fragCount, 'fragCount');
  if (fragCount === 0 || fragIndex >= fragCount) {
    throw new InvalidArgumentError(`fragIndex must be below fragCount (1..65535), got ${fragIndex} of ${fragCount}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + SIZE_FRAGMENT_HEADER > out.length) {
    throw new InvalidArgumentError(`no room for an 8-byte fragment header at offset ${offset} of ${out.length} bytes`);
  }
  writeUint32(out, offset + FRAG_FRAME_ID, frameId);
  out[offset + FRAG_INDEX] = fragIndex & 0xff;
  out[offset + FRAG_INDEX + 1] = fragIndex >>> 8;
  out[offset + FRAG_COUNT] = fragCount & 0xff;
  out[offset + FRAG_COUNT + 1] = fragCount >>> 8;
}
