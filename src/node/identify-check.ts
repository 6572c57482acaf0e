/**
 * Building and checking Identify (DESIGN "Edges"): the edge counts only after NodeID = hash(keys), the
 * record's X25519 key is the session's authenticated static key, the proof of work holds and the
 * Ed25519 signature over the handshake hash verifies. Checks run cheapest first; the signature last.
 * No I/O: the caller passes the session's facts.
 */
import { Identity, decodeContactRecord, satisfies, type Contact } from '../identity/index.js';
import { idKey } from '../kad/index.js';
import { copyBytes, decodeIdentify, encodeIdentify, signedPartOf, SIGNATURE_BYTES, type IdentifyFields, type WireAddress } from '../wire/index.js';
import { IDENTIFY_DOMAIN } from './constants.js';

export interface VerifiedPeer {
  id: Uint8Array;
  /** idKey(id): the map key for this peer. */
  key: string;
  edPublicKey: Uint8Array;
  xPublicKey: Uint8Array;
  bootId: Uint8Array;
  /** The peer's own signed statement of where it listens and what it offers. */
  contact: Contact;
  /** Where the peer sees our packets come from. */
  observed: WireAddress | null;
}

export type IdentifyCheck =
  | { ok: true; peer: VerifiedPeer }
  | { ok: false; reason: 'malformed' | 'identifyFailed' | 'subPow' | 'badSignature'; message: string };

const ZERO_SIGNATURE = new Uint8Array(SIGNATURE_BYTES);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Our Identify for one session, signed over its handshake hash. */
export function buildIdentify(identity: Identity, handshakeHash: Uint8Array, fields: IdentifyFields): Uint8Array {
  const bytes = encodeIdentify(fields, ZERO_SIGNATURE);
  const signedPart = signedPartOf(bytes);
  const signature = identity.sign(IDENTIFY_DOMAIN, concat(handshakeHash, signedPart));
  bytes.set(signature, signedPart.length);
  return bytes;
}

/** Checks a peer's Identify received on the session with `handshakeHash` and `remoteStaticKey`. */
export function checkIdentify(bytes: Uint8Array, handshakeHash: Uint8Array, remoteStaticKey: Uint8Array, difficulty: number): IdentifyCheck {
  const decoded = decodeIdentify(bytes);
  if (!decoded.ok) return { ok: false, reason: 'malformed', message: `identify does not decode: ${decoded.error.message}` };
  const identify = decoded.value;
  // The record decoder checks that its keys hash to its NodeID.
  const record = decodeContactRecord(identify.record);
  if (!record.ok) return { ok: false, reason: 'identifyFailed', message: `identify carries a bad contact record: ${record.error.message}` };
  const contact = record.value.contact;
  if (!sameBytes(contact.xPublicKey, remoteStaticKey)) {
    return { ok: false, reason: 'identifyFailed', message: "the identify's X25519 key is not the key that authenticated the session" };
  }
  if (!satisfies(contact.nodeId, difficulty)) {
    return { ok: false, reason: 'subPow', message: `the peer's NodeID has less than ${difficulty} bits of proof of work` };
  }
  if (!Identity.verify(IDENTIFY_DOMAIN, concat(handshakeHash, identify.signedPart), identify.signature, contact.edPublicKey)) {
    return { ok: false, reason: 'badSignature', message: 'the identify signature does not verify' };
  }
  return {
    ok: true,
    peer: {
      id: contact.nodeId,
      key: idKey(contact.nodeId),
      edPublicKey: contact.edPublicKey,
      xPublicKey: contact.xPublicKey,
      bootId: copyBytes(identify.bootId),
      contact,
      observed: identify.observed,
    },
  };
}

export { sameBytes };
