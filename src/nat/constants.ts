/**
 * NAT-layer constants (DESIGN "NAT traversal"; issue 6 item 1). Protocol rules first (every node applies
 * the same consensus), then local tunables.
 */

// ---- reflexive-address consensus (DESIGN "NAT traversal") ----

/** An observed address is confirmed once at least this many distinct reporters agree on it. */
export const REFLEXIVE_MIN_REPORTERS = 3;
/** ... and those reporters sit in at least this many different subnets (/24 or /64), so one network cannot vote alone. */
export const REFLEXIVE_MIN_SUBNETS = 2;

// ---- tunables ----

/** Reports kept at most (one per reporter; the least recently reporting reporter goes first). */
export const MAX_REFLEXIVE_REPORTS = 1_024;

// ---- relay (DESIGN "NAT traversal"; issue 6 item 4), channel 2 event types ----

/** Endpoint -> relay: forward this Wiresocket packet to the node named in the frame. */
export const RELAY_FORWARD = 1;
/** Relay -> endpoint: a Wiresocket packet from the node named in the frame. */
export const RELAY_DELIVER = 2;
/** Relay -> endpoint: packets for the named node are not forwarded (reason in the frame). */
export const RELAY_REFUSED = 3;
/**
 * Largest Wiresocket packet a relay carries: a full-size datagram (spec: packets fit one UDP datagram;
 * 65,507 is the IPv4 UDP payload limit).
 */
export const MAX_RELAYED_PACKET_BYTES = 65_507;

/** Relayed endpoint pairs one relay serves at once (local tunable). */
export const RELAY_MAX_SESSIONS = 64;
/** Per relayed pair: bytes and packets per second (the bucket holds one second's worth). */
export const RELAY_BYTES_PER_S = 4 * 1024 * 1024;
export const RELAY_PACKETS_PER_S = 4_096;
/** A relayed pair with no packet for this long is forgotten (well above the 10 s keepalive). */
export const RELAY_IDLE_TIMEOUT_MS = 60_000;

// ---- hole punching (DESIGN "NAT traversal"; issue 6 item 2) ----

/** Punch rounds per burst and the gap between them (issue 6: "5 rounds, 50 ms apart"). */
export const PUNCH_ROUNDS = 5;
export const PUNCH_INTERVAL_MS = 50;
/** Candidate addresses punched per peer at most (local and reflexive; the rest is ignored). */
export const MAX_PUNCH_CANDIDATES = 4;
/** Bursts running at once per node; a burst beyond this is not started (cheap to skip, costly to flood). */
export const MAX_CONCURRENT_PUNCH_BURSTS = 8;
/**
 * A punch probe: the Wiresocket type byte 0 (editor's note 9: every receiver drops tag 0) and three zero
 * bytes, so the datagram is as short as a valid packet header and carries nothing.
 */
export const PUNCH_PACKET_BYTES = 4;
