/** What a node needs to reach a peer: its keys (which certify its NodeID) and where it listens. */

/** One UDP endpoint: an IP literal (IPv4 dotted quad or IPv6 without brackets) and a port 1..65535. */
export interface ContactAddress {
  host: string;
  port: number;
}

export interface Contact {
  /** BLAKE2b-256 of the keys (see node-id.ts); parsers and decoders check it. */
  nodeId: Uint8Array;
  edPublicKey: Uint8Array;
  xPublicKey: Uint8Array;
  addresses: ContactAddress[];
  /** Self-reported capability bits (e.g. CAP_RELAY); hints, never trusted for security. */
  capabilities?: number;
}
