/**
 * Identify (control channel, MSG_IDENTIFY; DESIGN "Edges"): after the Wiresocket handshake each side
 * introduces itself. The contact record (identity's self-certifying format: NodeID, Ed25519 and X25519
 * keys, capabilities, listen addresses) travels as opaque bytes; the node layer decodes and checks it.
 *
 *   version(1) = 1 | bootId(8) | recordLength(1) | record | observed address (address.ts) | signature(64)
 *
 * The signature is Ed25519 by the record's key over the session's handshake hash followed by every byte
 * before the signature (`signedPart`), in the domain the node layer names: channel binding, so an
 * Identify cannot be replayed into another session.
 */
import { InvalidArgumentError } from '../../errors.js';
import { fail, ok, type DecodeResult } from '../result.js';
import { addressSize, readAddress, writeAddress, type WireAddress } from './address.js';
import { ByteReader } from './byte-reader.js';
import { BOOT_ID_BYTES, MAX_CONTACT_RECORD_BYTES, OVERLAY_VERSION, SIGNATURE_BYTES } from './constants.js';

export interface IdentifyFields {
  bootId: Uint8Array;
  /** The sender's contact record (identity's encodeContactRecord). */
  record: Uint8Array;
  /** Where the sender sees the peer's packets come from, when it can tell. */
  observed: WireAddress | null;
}

export interface Identify extends IdentifyFields {
  signature: Uint8Array;
  /** View of the bytes the signature covers after the handshake hash. */
  signedPart: Uint8Array;
}

function checkFields(f: IdentifyFields): void {
  if (!(f.bootId instanceof Uint8Array) || f.bootId.length !== BOOT_ID_BYTES) {
    throw new InvalidArgumentError(`bootId must be ${BOOT_ID_BYTES} bytes`);
  }
  if (!(f.record instanceof Uint8Array) || f.record.length < 1 || f.record.length > MAX_CONTACT_RECORD_BYTES) {
    throw new InvalidArgumentError(`a contact record must be 1..${MAX_CONTACT_RECORD_BYTES} bytes, got ${f.record?.length}`);
  }
}

/** Encodes Identify; pass 64 zero bytes as `signature` to get the bytes to sign (`signedPartOf`). */
export function encodeIdentify(fields: IdentifyFields, signature: Uint8Array): Uint8Array {
  checkFields(fields);
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    throw new InvalidArgumentError(`signature must be ${SIGNATURE_BYTES} bytes`);
  }
  const out = new Uint8Array(1 + BOOT_ID_BYTES + 1 + fields.record.length + addressSize(fields.observed) + SIGNATURE_BYTES);
  out[0] = OVERLAY_VERSION;
  out.set(fields.bootId, 1);
  out[1 + BOOT_ID_BYTES] = fields.record.length;
  out.set(fields.record, 2 + BOOT_ID_BYTES);
  const at = writeAddress(out, 2 + BOOT_ID_BYTES + fields.record.length, fields.observed);
  out.set(signature, at);
  return out;
}

/** The part of an encoded Identify that its signature covers (everything but the signature). */
export function signedPartOf(encodedIdentify: Uint8Array): Uint8Array {
  return encodedIdentify.subarray(0, encodedIdentify.length - SIGNATURE_BYTES);
}

/** Never throws. bootId, record and signature are views of `bytes`; copy what you keep. */
export function decodeIdentify(bytes: Uint8Array): DecodeResult<Identify> {
  const r = new ByteReader(bytes);
  const version = r.u8('version');
  if (r.error === null && version !== OVERLAY_VERSION) return fail('BAD_VERSION', `identify version ${version} is not supported`);
  const bootId = r.view(BOOT_ID_BYTES, 'boot id');
  const recordLength = r.u8('record length');
  if (r.error === null && recordLength === 0) return fail('BAD_FIELD', 'identify carries an empty contact record');
  const record = r.view(recordLength, 'contact record');
  const observed = readAddress(r, 'observed address');
  const signedEnd = r.offset;
  const signature = r.view(SIGNATURE_BYTES, 'signature');
  r.end('identify');
  if (r.error !== null) return { ok: false, error: r.error };
  return ok({ bootId, record, observed, signature, signedPart: bytes.subarray(0, signedEnd) });
}
