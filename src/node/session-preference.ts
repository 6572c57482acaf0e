/**
 * Which of two sessions between the same pair of nodes survives (DESIGN "Edges": simultaneous
 * initiations keep the session initiated by the smaller NodeID, so exactly one edge survives). Both
 * ends evaluate the same inputs (the initiator's NodeID and the handshake hash are equal on both sides)
 * and so close the same session. When one node initiated both, the smaller handshake hash wins.
 */
export interface SessionFacts {
  /** NodeID of the side that sent the HandshakeInit. */
  initiatorId: Uint8Array;
  /** The Noise handshake hash (equal on both ends of one session). */
  handshakeHash: Uint8Array;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

/** -1 when `a` is the session to keep, 1 when `b` is (0 only for the same session). */
export function preferSession(a: SessionFacts, b: SessionFacts): -1 | 0 | 1 {
  const byInitiator = compareBytes(a.initiatorId, b.initiatorId);
  if (byInitiator !== 0) return byInitiator < 0 ? -1 : 1;
  const byHash = compareBytes(a.handshakeHash, b.handshakeHash);
  return byHash === 0 ? 0 : byHash < 0 ? -1 : 1;
}
