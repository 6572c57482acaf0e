/**
 * Overlay wire constants (DESIGN "Edges are Wiresocket sessions", "Overlay"). The Wiresocket event type
 * byte of a frame (spec 10) is the overlay message type, so the overlay needs no framing of its own.
 * Every value here is protocol: nodes must agree on it. All multi-byte integers are big-endian.
 */

/** Version byte at the start of Identify and of every routed envelope. */
export const OVERLAY_VERSION = 1;

// ---- channel plan of a session (DESIGN "Edges") ----

/** Control: identify, ping/pong, lookup/neighbours, leave. Unreliable (spec 10.1 channels). */
export const CONTROL_CHANNEL = 0;
/** Routed overlay messages and direct messages; reliable on both ends (spec 11, per-hop delivery). */
export const ROUTED_CHANNEL = 1;
/** Relay of whole Wiresocket packets (reserved for the NAT issue). */
export const RELAY_CHANNEL = 2;
/** Channels 3..15 are reserved; applications get 16..254 (255 is spec 10.1's close signal). */
export const FIRST_APP_CHANNEL = 16;
export const LAST_APP_CHANNEL = 254;

// ---- control channel event types ----

/** Signed self-introduction bound to the session's handshake hash. */
export const MSG_IDENTIFY = 1;
/** "Your Identify checked out" (empty payload). */
export const MSG_IDENTIFY_ACK = 2;
export const MSG_PING = 3;
export const MSG_PONG = 4;
/** Per-edge request for the contacts the peer knows closest to a target (also the sibling exchange). */
export const MSG_LOOKUP = 5;
/** Answer to a lookup: the nonce it answers and contact records. Accepted only when solicited. */
export const MSG_NEIGHBORS = 6;
/** Graceful shutdown notice (empty payload): drop the edge at once. */
export const MSG_LEAVE = 7;

// ---- routed channel event types ----

/** A signed routed envelope (envelope.ts). */
export const MSG_ROUTED = 16;
/** Opaque application bytes for the session peer itself (sendDirect); the session authenticates it. */
export const MSG_DIRECT = 17;

// ---- payload types inside a routed envelope (signed) ----

export const ROUTED_DATA = 1;
/** End-to-end acknowledgement of a DATA message: payload = its message id. */
export const ROUTED_ACK = 2;
/** Routed lookup: payload = nonce; answered by the target or by the closest node on the way. */
export const ROUTED_LOOKUP = 3;
/** Routed answer to a lookup: same payload as MSG_NEIGHBORS. */
export const ROUTED_NEIGHBORS = 4;
/** Rendezvous hello: nonce and the sender's contact record. */
export const ROUTED_HELLO = 5;
/** Rendezvous reply: the nonce of the hello and the replier's contact record. */
export const ROUTED_REPLY = 6;
/** Routed ping: payload = nonce; the target answers with a signed PONG (the routed round trip time). */
export const ROUTED_PING = 7;
/** Answer to a routed ping: the ping's nonce and the number of links the ping took to arrive. */
export const ROUTED_PONG = 8;
export const MAX_ROUTED_TYPE = ROUTED_PONG;

/** Envelope flag bit: the originator wants a signed ROUTED_ACK for this DATA message. */
export const FLAG_ACK_REQUESTED = 0x01;
/** Flags this version understands; others must be zero. */
export const KNOWN_FLAGS = FLAG_ACK_REQUESTED;

// ---- sizes ----

export const NODE_ID_BYTES = 32;
export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
/** Per-node random value sent in Identify; a new one after a restart tells peers the old session is gone. */
export const BOOT_ID_BYTES = 8;
/** Lookup, ping and neighbour-answer correlation. */
export const LOOKUP_NONCE_BYTES = 8;
/** Rendezvous correlation (nodenet 6: 16 bytes). */
export const RENDEZVOUS_NONCE_BYTES = 16;
/** Routed message id: dedupe key at the destination and the ACK reference. */
export const MESSAGE_ID_BYTES = 16;

// ---- caps (decoders refuse more, before allocating) ----

/** nodenet 4 (MaxHops): TTL is at most 16. */
export const MAX_TTL = 16;
/** nodenet 3: an avoid-set holds at most 3 NodeIDs (one per other disjoint first hop). */
export const MAX_AVOID = 3;
/** Largest routed payload: routed messages are held in memory at every hop; bulk data uses channels. */
export const MAX_ROUTED_PAYLOAD_BYTES = 65_536;
/** Contacts in one neighbour answer: a k-bucket's worth (K = 20). */
export const MAX_NEIGHBORS = 20;
/**
 * Longest contact record carried in any overlay message, so one length byte suffices: identity's record
 * (102-byte header plus 8 addresses of at most 19 bytes = 254) fits.
 */
export const MAX_CONTACT_RECORD_BYTES = 255;
/** Address family bytes (address.ts); NONE encodes "no address" in optional fields. */
export const ADDRESS_FAMILY_NONE = 0;
export const ADDRESS_FAMILY_IPV4 = 4;
export const ADDRESS_FAMILY_IPV6 = 6;
