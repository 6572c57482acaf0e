/**
 * What the overlay knows about another node: its ID, optionally the two public keys the ID commits to
 * (DESIGN "Identity": NodeID = hash(label || ed25519 pub || x25519 pub)), and where to dial it.
 */

export interface KadAddress {
  host: string;
  port: number;
}

export interface KadContact {
  id: Uint8Array;
  /** Ed25519 public key (32 bytes). Present together with xPublicKey or not at all. */
  edPublicKey?: Uint8Array;
  /** X25519 static key, the Wiresocket static key (32 bytes). */
  xPublicKey?: Uint8Array;
  /** In the order the contact prefers them to be dialled. */
  addresses: KadAddress[];
  /** Self-reported hint bits (nodenet 2: L3 policy, never trusted for security). */
  capabilities?: number;
  /** Set by the knowledge table: when this contact was last observed. */
  lastSeenMs?: number;
}

/** A contact as the tables hand it out: callers must not mutate it (it is the table's own copy). */
export type ReadonlyKadContact = {
  readonly id: Uint8Array;
  readonly edPublicKey?: Uint8Array;
  readonly xPublicKey?: Uint8Array;
  readonly addresses: readonly Readonly<KadAddress>[];
  readonly capabilities?: number;
  readonly lastSeenMs?: number;
};

/** Both keys present: the contact is self-certifying once its keys are checked against its ID. */
export function hasKeys(contact: Pick<KadContact, 'edPublicKey' | 'xPublicKey'>): boolean {
  return contact.edPublicKey !== undefined && contact.xPublicKey !== undefined;
}

export function sameAddresses(a: readonly Readonly<KadAddress>[], b: readonly Readonly<KadAddress>[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].host !== b[i].host || a[i].port !== b[i].port) return false;
  return true;
}

/** Fresh copies of the address records so a stored contact never aliases a caller's (or decoder's) objects. */
export function copyAddresses(addresses: readonly Readonly<KadAddress>[]): KadAddress[] {
  return addresses.map((a) => ({ host: a.host, port: a.port }));
}
