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
/**
 * Relayed pairs one client may open at one relay (issue 8 item 5, relay abuse): the client that sends the
 * first FORWARD of a pair is charged for it, so one neighbour cannot take every slot (and each slot's
 * bytes/s) by naming every other neighbour of the relay; being the target of many pairs costs nothing.
 */
export const RELAY_MAX_SESSIONS_PER_PEER = 8;
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

// ---- NAT type in the contact record (issue 6 items 1 and 5) ----

/** The NAT type sits in bits 1-2 of a contact's capabilities (bit 0 is CAP_RELAY): see nat-capabilities.ts. */
export const NAT_CAPABILITY_SHIFT = 1;
export const NAT_CAPABILITY_MASK = 0b11 << NAT_CAPABILITY_SHIFT;
/**
 * Bit 3, set only in the contact record a rendezvous Hello carries: "I take my birthday role for this
 * Hello, take yours". Without it (a maintenance dial) the answering side does not spray. Receivers strip
 * it before they learn the contact; old nodes ignore it like any unknown capability bit.
 */
export const CAP_BIRTHDAY_ASK = 1 << 3;

// ---- birthday strategy: exactly one side symmetric (issue 6 item 3; hyperdht's holepuncher) ----

/**
 * Extra sockets the symmetric side opens, each probing the cone side's one address: every socket gets its
 * own NAT mapping (a random public port), and each is a "birthday" the cone side's spray may hit.
 * hyperdht opens up to 256.
 */
export const BIRTHDAY_SOCKETS = 256;
/** Distinct random ports the cone side sprays on the symmetric side's public host (from its one socket). */
export const BIRTHDAY_SPRAY_PORTS = 1_024;
/** Spray pace, ports per second (1,024 ports take 4 s; hyperdht sprays 50/s for up to 35 s). */
export const BIRTHDAY_SPRAY_PER_S = 256;
/**
 * Each extra socket re-probes this often while the attempt lasts, so a port the cone side sprayed after
 * the socket's first probe (its NAT did not admit that probe yet) is answered within a second.
 */
export const BIRTHDAY_PROBE_INTERVAL_MS = 1_000;
/** One attempt (spray or sockets) lasts this long; unpinned extra sockets are closed at its end. */
export const BIRTHDAY_ATTEMPT_MS = 8_000;
/** Granularity of the pacing timer of both roles. */
export const BIRTHDAY_TICK_MS = 50;
/**
 * Global cap on birthday datagrams per node (spray and probes together), per second; the bucket holds
 * one second's worth. Both roles at their pace need 512/s.
 */
export const BIRTHDAY_PACKETS_PER_S = 1_000;
/**
 * Birthday attempts running at once per node (hyperdht: one random punch at a time). More than one: a
 * cone node may be the spraying side for several symmetric peers at once, and a peer whose attempt
 * finds our side busy has spent its own for nothing. The datagram rate above stays the global cap.
 */
export const MAX_CONCURRENT_BIRTHDAY_ATTEMPTS = 4;
/**
 * An attempt toward one peer starts at least this long after the previous one toward it started
 * (hyperdht: 20 s between random punches). The answering side (it takes its role on the caller's
 * Hello) allows half of it, so the two sides' clocks never skip different rounds.
 */
export const BIRTHDAY_MIN_INTERVAL_MS = 10_000;
/** Peers whose last attempt time is remembered (oldest forgotten first). */
export const MAX_BIRTHDAY_PEERS = 1_024;
/**
 * Ports a randomizing NAT hands out: Linux nf_nat picks from 1024-65535 for a source port >= 1024 (and
 * our sockets' ports are); RFC 6056 recommends the same range.
 */
export const BIRTHDAY_PORT_MIN = 1_024;
export const BIRTHDAY_PORT_MAX = 65_535;
