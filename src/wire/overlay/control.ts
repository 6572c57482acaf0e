/**
 * Small control-channel messages (DESIGN "Edges": channel 0):
 *
 *   Ping   nonce(8)
 *   Pong   nonce(8) | observed address (address.ts): where the ponger sees the pinger
 *   Lookup nonce(8) | target(32): "which contacts do you know closest to target?"
 *   IdentifyAck, Leave: empty
 *
 * Decoders never throw, refuse trailing bytes and return views of the input (copy what you keep).
 */
import { InvalidArgumentError } from '../../errors.js';
import { fail, ok, type DecodeResult } from '../result.js';
import { addressSize, readAddress, writeAddress, type WireAddress } from './address.js';
import { ByteReader } from './byte-reader.js';
import { LOOKUP_NONCE_BYTES, NODE_ID_BYTES } from './constants.js';

export interface Ping {
  nonce: Uint8Array;
}

export interface Pong {
  nonce: Uint8Array;
  observed: WireAddress | null;
}

export interface LookupRequest {
  nonce: Uint8Array;
  target: Uint8Array;
}

function checkBytes(value: Uint8Array, length: number, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new InvalidArgumentError(`${what} must be ${length} bytes`);
  }
}

export function encodePing(ping: Ping): Uint8Array {
  checkBytes(ping.nonce, LOOKUP_NONCE_BYTES, 'ping nonce');
  return Uint8Array.from(ping.nonce);
}

export function decodePing(bytes: Uint8Array): DecodeResult<Ping> {
  const r = new ByteReader(bytes);
  const nonce = r.view(LOOKUP_NONCE_BYTES, 'ping nonce');
  r.end('ping');
  return r.error === null ? ok({ nonce }) : { ok: false, error: r.error };
}

export function encodePong(pong: Pong): Uint8Array {
  checkBytes(pong.nonce, LOOKUP_NONCE_BYTES, 'pong nonce');
  const out = new Uint8Array(LOOKUP_NONCE_BYTES + addressSize(pong.observed));
  out.set(pong.nonce, 0);
  writeAddress(out, LOOKUP_NONCE_BYTES, pong.observed);
  return out;
}

export function decodePong(bytes: Uint8Array): DecodeResult<Pong> {
  const r = new ByteReader(bytes);
  const nonce = r.view(LOOKUP_NONCE_BYTES, 'pong nonce');
  const observed = readAddress(r, 'observed address');
  r.end('pong');
  return r.error === null ? ok({ nonce, observed }) : { ok: false, error: r.error };
}

export function encodeLookupRequest(lookup: LookupRequest): Uint8Array {
  checkBytes(lookup.nonce, LOOKUP_NONCE_BYTES, 'lookup nonce');
  checkBytes(lookup.target, NODE_ID_BYTES, 'lookup target');
  const out = new Uint8Array(LOOKUP_NONCE_BYTES + NODE_ID_BYTES);
  out.set(lookup.nonce, 0);
  out.set(lookup.target, LOOKUP_NONCE_BYTES);
  return out;
}

export function decodeLookupRequest(bytes: Uint8Array): DecodeResult<LookupRequest> {
  const r = new ByteReader(bytes);
  const nonce = r.view(LOOKUP_NONCE_BYTES, 'lookup nonce');
  const target = r.view(NODE_ID_BYTES, 'lookup target');
  r.end('lookup');
  return r.error === null ? ok({ nonce, target }) : { ok: false, error: r.error };
}

/** Empty messages (IdentifyAck, Leave): anything but zero bytes is malformed. */
export function decodeEmpty(bytes: Uint8Array, what: string): DecodeResult<null> {
  return bytes.length === 0 ? ok(null) : fail('TRAILING_BYTES', `${what} must be empty, got ${bytes.length} bytes`);
}
