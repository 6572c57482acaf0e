/**
 * Neighbours answer (control MSG_NEIGHBORS and routed ROUTED_NEIGHBORS; nodenet 3 "Neighbors"):
 *
 *   nonce(8) | count(1) <= 20 | count x [ length(1) >= 1 | contact record ]
 *
 * Records are identity's self-certifying contact records, carried as opaque bytes; the node layer
 * decodes each one (checking that its keys hash to its NodeID). The count is checked before anything
 * is allocated.
 */
import { InvalidArgumentError } from '../../errors.js';
import { fail, ok, type DecodeResult } from '../result.js';
import { ByteReader } from './byte-reader.js';
import { LOOKUP_NONCE_BYTES, MAX_CONTACT_RECORD_BYTES, MAX_NEIGHBORS } from './constants.js';

export interface Neighbors {
  nonce: Uint8Array;
  /** Contact records (views of the input when decoded). */
  records: Uint8Array[];
}

export function encodeNeighbors(n: Neighbors): Uint8Array {
  if (!(n.nonce instanceof Uint8Array) || n.nonce.length !== LOOKUP_NONCE_BYTES) {
    throw new InvalidArgumentError(`neighbours nonce must be ${LOOKUP_NONCE_BYTES} bytes`);
  }
  if (n.records.length > MAX_NEIGHBORS) {
    throw new InvalidArgumentError(`a neighbours answer carries at most ${MAX_NEIGHBORS} contacts, got ${n.records.length}`);
  }
  let size = LOOKUP_NONCE_BYTES + 1;
  for (const rec of n.records) {
    if (!(rec instanceof Uint8Array) || rec.length < 1 || rec.length > MAX_CONTACT_RECORD_BYTES) {
      throw new InvalidArgumentError(`a contact record must be 1..${MAX_CONTACT_RECORD_BYTES} bytes`);
    }
    size += 1 + rec.length;
  }
  const out = new Uint8Array(size);
  out.set(n.nonce, 0);
  out[LOOKUP_NONCE_BYTES] = n.records.length;
  let at = LOOKUP_NONCE_BYTES + 1;
  for (const rec of n.records) {
    out[at++] = rec.length;
    out.set(rec, at);
    at += rec.length;
  }
  return out;
}

export function decodeNeighbors(bytes: Uint8Array): DecodeResult<Neighbors> {
  const r = new ByteReader(bytes);
  const nonce = r.view(LOOKUP_NONCE_BYTES, 'neighbours nonce');
  const count = r.u8('contact count');
  if (r.error !== null) return { ok: false, error: r.error };
  if (count > MAX_NEIGHBORS) return fail('TOO_MANY', `neighbours answer has ${count} contacts, limit ${MAX_NEIGHBORS}`);
  // Each record needs at least 2 bytes (length + 1): refuse an impossible count before allocating.
  if (count * 2 > r.remaining) return fail('LENGTH_PAST_END', `neighbours answer claims ${count} contacts in ${r.remaining} bytes`);
  const records: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.u8(`contact ${i} length`);
    if (r.error === null && length === 0) return fail('BAD_FIELD', `contact ${i} is empty`);
    records.push(r.view(length, `contact ${i}`));
  }
  r.end('neighbours answer');
  return r.error === null ? ok({ nonce, records }) : { ok: false, error: r.error };
}
