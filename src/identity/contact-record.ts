/**
 * Binary contact record, the form contacts take inside overlay messages (Identify, Neighbors, Reply).
 * All integers big-endian, like every overlay field (DESIGN "Overlay"):
 *
 *   version(1) = 1 | nodeId(32) | edPub(32) | xPub(32) | capabilities(u32) | count(1) |
 *   count x [ family(1) = 4 | 6,  address(4 | 16),  port(u16, 1..65535) ]
 *
 * The keys must hash to the NodeID, so a record cannot pair a victim's NodeID with an attacker's key.
 * The decoder reads untrusted bytes: it never throws, refuses before allocating, copies what it keeps
 * (contacts outlive packet buffers), and reports how many bytes it used so records can be embedded.
 */
import { InvalidArgumentError } from '../errors.js';
import { fail, ok, type DecodeResult } from '../wire/result.js';
import {
  ADDRESS_FAMILY_IPV4,
  ADDRESS_FAMILY_IPV6,
  CONTACT_RECORD_HEADER_BYTES,
  CONTACT_RECORD_VERSION,
  MAX_CONTACT_ADDRESSES,
  NODE_ID_BYTES,
  PUBLIC_KEY_BYTES,
} from './constants.js';
import type { Contact, ContactAddress } from './contact.js';
import { formatIp, parseIpLiteral } from './ip-literal.js';
import { keysMatchNodeId } from './node-id.js';
import { copyBytes } from '../wire/bytes.js';

const NODE_ID_OFFSET = 1;
const ED_OFFSET = NODE_ID_OFFSET + NODE_ID_BYTES;
const X_OFFSET = ED_OFFSET + PUBLIC_KEY_BYTES;
const CAPABILITIES_OFFSET = X_OFFSET + PUBLIC_KEY_BYTES;
const COUNT_OFFSET = CAPABILITIES_OFFSET + 4;
const PORT_BYTES = 2;
const UINT32_MAX = 0xffffffff;
const INT32_MIN = -0x80000000;

export interface DecodeContactRecordOptions {
  /** Refuse records with more addresses than this (TOO_MANY). Clamped to 0..8; default 8. */
  maxAddresses?: number;
}

function checkedAddress(address: ContactAddress, index: number): { family: 4 | 6; bytes: Uint8Array; port: number } {
  const ip = typeof address?.host === 'string' ? parseIpLiteral(address.host) : null;
  if (!ip) {
    throw new InvalidArgumentError(`contact address ${index} host ${JSON.stringify(address?.host)} is not an IP literal`);
  }
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
    throw new InvalidArgumentError(`contact address ${index} port ${String(address.port)} is not in 1..65535`);
  }
  return { family: ip.family, bytes: ip.bytes, port: address.port };
}

/** Encodes `contact`; throws InvalidArgumentError for a contact that would not decode. */
export function encodeContactRecord(contact: Contact): Uint8Array {
  const { nodeId, edPublicKey, xPublicKey, addresses } = contact;
  const rawCapabilities = contact.capabilities ?? 0;
  if (nodeId?.length !== NODE_ID_BYTES || edPublicKey?.length !== PUBLIC_KEY_BYTES || xPublicKey?.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError('a contact needs a 32-byte node ID and two 32-byte public keys');
  }
  if (!keysMatchNodeId(nodeId, edPublicKey, xPublicKey)) {
    throw new InvalidArgumentError("the contact's keys do not hash to its node ID");
  }
  // Bitwise OR of flags yields a signed 32-bit number once bit 31 is set; both spellings are accepted.
  if (!Number.isInteger(rawCapabilities) || rawCapabilities < INT32_MIN || rawCapabilities > UINT32_MAX) {
    throw new InvalidArgumentError(`contact capabilities ${rawCapabilities} are not a 32-bit bitfield`);
  }
  const capabilities = rawCapabilities >>> 0;
  if (addresses.length > MAX_CONTACT_ADDRESSES) {
    throw new InvalidArgumentError(`a contact carries at most ${MAX_CONTACT_ADDRESSES} addresses, got ${addresses.length}`);
  }
  const checked = addresses.map(checkedAddress);
  let size = CONTACT_RECORD_HEADER_BYTES;
  for (const a of checked) size += 1 + a.bytes.length + PORT_BYTES;

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = CONTACT_RECORD_VERSION;
  out.set(nodeId, NODE_ID_OFFSET);
  out.set(edPublicKey, ED_OFFSET);
  out.set(xPublicKey, X_OFFSET);
  view.setUint32(CAPABILITIES_OFFSET, capabilities, false);
  out[COUNT_OFFSET] = checked.length;
  let offset = CONTACT_RECORD_HEADER_BYTES;
  for (const a of checked) {
    out[offset++] = a.family === 4 ? ADDRESS_FAMILY_IPV4 : ADDRESS_FAMILY_IPV6;
    out.set(a.bytes, offset);
    offset += a.bytes.length;
    view.setUint16(offset, a.port, false);
    offset += PORT_BYTES;
  }
  return out;
}

function addressLimit(options: DecodeContactRecordOptions | undefined): number {
  const requested = options?.maxAddresses;
  if (typeof requested !== 'number' || Number.isNaN(requested)) return MAX_CONTACT_ADDRESSES;
  return Math.max(0, Math.min(MAX_CONTACT_ADDRESSES, Math.floor(requested)));
}

/** Decodes one record at the start of `bytes` (trailing bytes are the caller's). Never throws. */
export function decodeContactRecord(
  bytes: Uint8Array,
  options?: DecodeContactRecordOptions,
): DecodeResult<{ contact: Contact; bytesRead: number }> {
  if (!(bytes instanceof Uint8Array)) return fail('TOO_SHORT', 'contact record is not a byte array');
  if (bytes.length < CONTACT_RECORD_HEADER_BYTES) {
    return fail('TOO_SHORT', `contact record needs ${CONTACT_RECORD_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  if (bytes[0] !== CONTACT_RECORD_VERSION) {
    return fail('BAD_FIELD', `contact record version ${bytes[0]} is not supported (expected ${CONTACT_RECORD_VERSION})`);
  }
  const count = bytes[COUNT_OFFSET];
  const limit = addressLimit(options);
  if (count > limit) return fail('TOO_MANY', `contact record has ${count} addresses, limit ${limit}`);

  const addresses: ContactAddress[] = [];
  let offset = CONTACT_RECORD_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset >= bytes.length) return fail('LENGTH_PAST_END', `contact record address ${i} is missing`);
    const family = bytes[offset];
    const length = family === ADDRESS_FAMILY_IPV4 ? 4 : family === ADDRESS_FAMILY_IPV6 ? 16 : 0;
    if (length === 0) return fail('BAD_FIELD', `contact record address ${i} has unknown family ${family}`);
    const end = offset + 1 + length + PORT_BYTES;
    if (end > bytes.length) return fail('LENGTH_PAST_END', `contact record address ${i} runs past the end`);
    const port = (bytes[end - 2] << 8) | bytes[end - 1];
    if (port === 0) return fail('BAD_FIELD', `contact record address ${i} has port 0`);
    addresses.push({ host: formatIp(bytes.subarray(offset + 1, offset + 1 + length)), port });
    offset = end;
  }

  const nodeId = bytes.subarray(NODE_ID_OFFSET, ED_OFFSET);
  const edPublicKey = bytes.subarray(ED_OFFSET, X_OFFSET);
  const xPublicKey = bytes.subarray(X_OFFSET, CAPABILITIES_OFFSET);
  // Last, because it is the only costly check: a hash.
  if (!keysMatchNodeId(nodeId, edPublicKey, xPublicKey)) {
    return fail('KEY_MISMATCH', 'contact record keys do not hash to its node ID');
  }
  const capabilities =
    ((bytes[CAPABILITIES_OFFSET] << 24) |
      (bytes[CAPABILITIES_OFFSET + 1] << 16) |
      (bytes[CAPABILITIES_OFFSET + 2] << 8) |
      bytes[CAPABILITIES_OFFSET + 3]) >>>
    0;
  return ok({
    contact: {
      nodeId: copyBytes(nodeId),
      edPublicKey: copyBytes(edPublicKey),
      xPublicKey: copyBytes(xPublicKey),
      addresses,
      capabilities,
    },
    bytesRead: offset,
  });
}
