/**
 * The two shapes of a contact: identity's self-certifying Contact (records, contact strings) and the
 * knowledge table's KadContact. Conversions copy nothing that is shared with a packet buffer.
 */
import { MAX_CONTACT_ADDRESSES, encodeContactRecord, type Contact } from '../identity/index.js';
import type { KadContact, ReadonlyKadContact } from '../kad/index.js';

export function kadFromContact(c: Contact): KadContact {
  const out: KadContact = {
    id: c.nodeId,
    edPublicKey: c.edPublicKey,
    xPublicKey: c.xPublicKey,
    addresses: c.addresses.map((a) => ({ host: a.host, port: a.port })),
  };
  if (c.capabilities !== undefined) out.capabilities = c.capabilities;
  return out;
}

/** A dialable Contact, or null for a keyless knowledge entry (its X25519 key is unknown). */
export function contactFromKad(k: ReadonlyKadContact): Contact | null {
  if (k.edPublicKey === undefined || k.xPublicKey === undefined) return null;
  return {
    nodeId: k.id,
    edPublicKey: k.edPublicKey,
    xPublicKey: k.xPublicKey,
    addresses: k.addresses.map((a) => ({ host: a.host, port: a.port })),
    capabilities: k.capabilities ?? 0,
  };
}

interface CachedRecord {
  readonly addresses: ReadonlyKadContact['addresses'];
  readonly capabilities: number | undefined;
  readonly record: Uint8Array | null;
}

/**
 * Records of knowledge entries, keyed by the table's own contact object. The table replaces the address
 * array when a contact moves, so an entry is valid while the array and the capabilities are the same.
 * Neighbour answers send the same records again and again; encoding them once saves most of the work.
 */
const recordCache = new WeakMap<ReadonlyKadContact, CachedRecord>();

/** The contact record of a knowledge entry, or null when it has no keys or no encodable address. */
export function recordOfKad(k: ReadonlyKadContact): Uint8Array | null {
  const cached = recordCache.get(k);
  if (cached !== undefined && cached.addresses === k.addresses && cached.capabilities === k.capabilities) return cached.record;
  const record = encodeRecord(k);
  recordCache.set(k, { addresses: k.addresses, capabilities: k.capabilities, record });
  return record;
}

function encodeRecord(k: ReadonlyKadContact): Uint8Array | null {
  const c = contactFromKad(k);
  if (c === null) return null;
  c.addresses = c.addresses.slice(0, MAX_CONTACT_ADDRESSES);
  try {
    return encodeContactRecord(c);
  } catch {
    // A host that is not an IP literal (e.g. learned on a simulator fabric with names) has no record form.
    return null;
  }
}
