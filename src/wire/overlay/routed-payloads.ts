/**
 * Payloads carried inside a routed envelope (envelope.ts), by payload type:
 *
 *   ROUTED_DATA       application bytes (opaque)
 *   ROUTED_ACK        messageId(16): the DATA message acknowledged
 *   ROUTED_LOOKUP     nonce(8); the target is the envelope's
 *   ROUTED_NEIGHBORS  neighbors.ts
 *   ROUTED_HELLO      nonce(16) | recordLength(1) | contact record of the sender
 *   ROUTED_REPLY      same layout: the hello's nonce and the replier's record
 *   ROUTED_PING       nonce(8)
 *   ROUTED_PONG       nonce(8) of the ping | pingHops(1): links the ping traversed (1..MAX_TTL)
 *
 * The envelope signature covers these bytes, so none carries a signature of its own.
 */
import { InvalidArgumentError } from '../../errors.js';
import { fail, ok, type DecodeResult } from '../result.js';
import { ByteReader } from './byte-reader.js';
import { LOOKUP_NONCE_BYTES, MAX_CONTACT_RECORD_BYTES, MAX_TTL, MESSAGE_ID_BYTES, RENDEZVOUS_NONCE_BYTES } from './constants.js';

/** Answer to a routed ping. */
export interface RoutedPong {
  nonce: Uint8Array;
  /** Links the ping traversed to reach the answering node (1 = an edge to it; at most MAX_TTL). */
  pingHops: number;
}

export interface Rendezvous {
  nonce: Uint8Array;
  /** Identity's contact record of the sender (a view when decoded). */
  record: Uint8Array;
}

/** A fixed-size payload is valid only at exactly its size. */
function fixed(bytes: Uint8Array, length: number, what: string): DecodeResult<Uint8Array> {
  if (bytes.length < length) return fail('TOO_SHORT', `${what} needs ${length} bytes, got ${bytes.length}`);
  if (bytes.length > length) return fail('TRAILING_BYTES', `${what} is ${length} bytes, got ${bytes.length}`);
  return ok(bytes);
}

export function decodeAckPayload(bytes: Uint8Array): DecodeResult<Uint8Array> {
  return fixed(bytes, MESSAGE_ID_BYTES, 'ack');
}

export function decodeLookupPayload(bytes: Uint8Array): DecodeResult<Uint8Array> {
  return fixed(bytes, LOOKUP_NONCE_BYTES, 'routed lookup');
}

export function encodeRendezvous(m: Rendezvous): Uint8Array {
  if (!(m.nonce instanceof Uint8Array) || m.nonce.length !== RENDEZVOUS_NONCE_BYTES) {
    throw new InvalidArgumentError(`rendezvous nonce must be ${RENDEZVOUS_NONCE_BYTES} bytes`);
  }
  if (!(m.record instanceof Uint8Array) || m.record.length < 1 || m.record.length > MAX_CONTACT_RECORD_BYTES) {
    throw new InvalidArgumentError(`a contact record must be 1..${MAX_CONTACT_RECORD_BYTES} bytes`);
  }
  const out = new Uint8Array(RENDEZVOUS_NONCE_BYTES + 1 + m.record.length);
  out.set(m.nonce, 0);
  out[RENDEZVOUS_NONCE_BYTES] = m.record.length;
  out.set(m.record, RENDEZVOUS_NONCE_BYTES + 1);
  return out;
}

export function decodeRendezvous(bytes: Uint8Array): DecodeResult<Rendezvous> {
  const r = new ByteReader(bytes);
  const nonce = r.view(RENDEZVOUS_NONCE_BYTES, 'rendezvous nonce');
  const length = r.u8('record length');
  if (r.error === null && length === 0) return fail('BAD_FIELD', 'rendezvous carries an empty contact record');
  const record = r.view(length, 'contact record');
  r.end('rendezvous message');
  return r.error === null ? ok({ nonce, record }) : { ok: false, error: r.error };
}

export function encodeRoutedPing(nonce: Uint8Array): Uint8Array {
  if (!(nonce instanceof Uint8Array) || nonce.length !== LOOKUP_NONCE_BYTES) throw new InvalidArgumentError(`routed ping nonce must be ${LOOKUP_NONCE_BYTES} bytes`);
  return Uint8Array.from(nonce);
}

export function decodeRoutedPing(bytes: Uint8Array): DecodeResult<Uint8Array> {
  return fixed(bytes, LOOKUP_NONCE_BYTES, 'routed ping');
}

export function encodeRoutedPong(pong: RoutedPong): Uint8Array {
  if (!(pong.nonce instanceof Uint8Array) || pong.nonce.length !== LOOKUP_NONCE_BYTES) {
    throw new InvalidArgumentError(`routed pong nonce must be ${LOOKUP_NONCE_BYTES} bytes`);
  }
  if (!Number.isInteger(pong.pingHops) || pong.pingHops < 1 || pong.pingHops > MAX_TTL) {
    throw new InvalidArgumentError(`routed pong hop count ${pong.pingHops} is out of range 1..${MAX_TTL}`);
  }
  const out = new Uint8Array(LOOKUP_NONCE_BYTES + 1);
  out.set(pong.nonce, 0);
  out[LOOKUP_NONCE_BYTES] = pong.pingHops;
  return out;
}

export function decodeRoutedPong(bytes: Uint8Array): DecodeResult<RoutedPong> {
  const r = new ByteReader(bytes);
  const nonce = r.view(LOOKUP_NONCE_BYTES, 'routed pong nonce');
  const pingHops = r.u8('routed pong hop count');
  if (r.error === null && (pingHops < 1 || pingHops > MAX_TTL)) return fail('BAD_FIELD', `routed pong hop count ${pingHops} is out of range 1..${MAX_TTL}`);
  r.end('routed pong');
  return r.error === null ? ok({ nonce, pingHops }) : { ok: false, error: r.error };
}
