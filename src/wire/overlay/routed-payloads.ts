/**
 * Payloads carried inside a routed envelope (envelope.ts), by payload type:
 *
 *   ROUTED_DATA       application bytes (opaque)
 *   ROUTED_ACK        messageId(16): the DATA message acknowledged
 *   ROUTED_LOOKUP     nonce(8); the target is the envelope's
 *   ROUTED_NEIGHBORS  neighbors.ts
 *   ROUTED_HELLO      nonce(16) | recordLength(1) | contact record of the sender
 *   ROUTED_REPLY      same layout: the hello's nonce and the replier's record
 *
 * The envelope signature covers these bytes, so none carries a signature of its own.
 */
import { InvalidArgumentError } from '../../errors.js';
import { fail, ok, type DecodeResult } from '../result.js';
import { ByteReader } from './byte-reader.js';
import { LOOKUP_NONCE_BYTES, MAX_CONTACT_RECORD_BYTES, MESSAGE_ID_BYTES, RENDEZVOUS_NONCE_BYTES } from './constants.js';

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
