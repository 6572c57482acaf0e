/**
 * Node runtime constants (DESIGN "Edges", "Overlay"; nodenet sections 5 and 8). Protocol values first
 * (every node must agree), then local tunables, which NodeOptions may override. Times in ms.
 */
import { FRESHNESS_MS } from '../kad/index.js';

// ---- protocol ----

/** Signature domain of Identify: binds the Ed25519 key to one session's handshake hash (DESIGN "Edges"). */
export const IDENTIFY_DOMAIN = 'wiremesh/v1/identify';
/** Signature domain of the routed envelope's signed part (DESIGN "Overlay"). */
export const ENVELOPE_DOMAIN = 'wiremesh/v1/routed-envelope';
/** nodenet 3 (MaxEnvelopeAge): a routed envelope is fresh within +-30 s of its send time. */
export const ENVELOPE_FRESHNESS_MS = FRESHNESS_MS;

// ---- edges ----

/** Identify is resent this often until the peer acknowledges it (the control channel is unreliable). */
export const IDENTIFY_RETRY_MS = 300;
/** A session whose Identify exchange has not completed after this long is closed (anti-slowloris). */
export const IDENTIFY_TIMEOUT_MS = 5_000;
/** Wiresocket keepalive on edges (spec 7.3 default; DESIGN "NAT traversal": NAT nodes need <= 10 s). */
export const EDGE_KEEPALIVE_MS = 10_000;
/** An edge with no packet for this long is dead: its session times out and the edge is reaped (nodenet 5: DeadSibling 45 s). */
export const EDGE_DEAD_AFTER_MS = 45_000;
/** Handshake budget of one dial attempt to one address. */
export const DIAL_TIMEOUT_MS = 5_000;
/** Dials in flight at once from maintenance (nodenet 5: 4 dialers; 8 concurrent fan-out). */
export const MAX_CONCURRENT_DIALS = 8;
/** A next hop whose routed send queue holds this many events is skipped (local repair, never blocks). */
export const FORWARD_QUEUE_LIMIT = 512;
/**
 * A next hop whose routed channel retransmitted this many times in a row without an acknowledgement
 * (200 + 400 ms at spec 11.6 defaults) is presumed dead and skipped until it acknowledges again.
 */
export const SUSPECT_HOP_RETRIES = 2;

// ---- routed messages ----

/** Default budget for `send(..., { ack: true })`. */
export const ACK_TIMEOUT_MS = 10_000;
/** First end-to-end retransmission of an unacknowledged message; the interval doubles. */
export const ACK_RETRY_MS = 1_000;
/** An acknowledged send that found no usable edge yet (edge being set up or swapped) tries again this soon. */
export const UNSENT_RETRY_MS = 100;
/** A duplicate of an ack-requested message is acknowledged again at most this often. */
export const REACK_MIN_INTERVAL_MS = 250;
/** Messages remembered for dedupe (bounded memory). Entries live twice the freshness window. */
export const DEDUPE_CAPACITY = 65_536;
export const DEDUPE_RETENTION_MS = 2 * ENVELOPE_FRESHNESS_MS;

// ---- control protocol and rendezvous ----

/** nodenet 8: a lookup nonce stays valid (solicited) for 30 s. */
export const LOOKUP_PENDING_MS = 30_000;
/** Answers accepted per lookup nonce (one per disjoint copy, and then some). */
export const MAX_ANSWERS_PER_LOOKUP = 8;
/** Outstanding lookups remembered at once (oldest forgotten first). */
export const MAX_PENDING_LOOKUPS = 1_024;
/** Default rendezvous budget and its Hello retransmission interval. */
export const RENDEZVOUS_TIMEOUT_MS = 5_000;
export const RENDEZVOUS_RETRY_MS = 1_000;
/** Copies of one Hello (same originator and nonce) arriving within this window get one answer. */
export const HELLO_COPY_WINDOW_MS = RENDEZVOUS_RETRY_MS / 2;
/** Default budget of `connect()` (rendezvous plus dial). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** A direct dial to an address already in the knowledge table, before falling back to rendezvous. */
export const KNOWN_ADDRESS_DIAL_TIMEOUT_MS = 1_000;
/**
 * After a rendezvous, the direct dial gets this long when a relay could take over (issue 6 item 5: direct
 * with a short budget, then relay), else the full DIAL_TIMEOUT_MS.
 */
export const DIRECT_DIAL_BEFORE_RELAY_MS = 2_000;
/** Budget of one dial through one relay (handshake and Identify over two hops). */
export const RELAY_DIAL_TIMEOUT_MS = 3_000;
/** Default budget of `ping()`. */
export const PING_TIMEOUT_MS = 5_000;

// ---- defences (nodenet 8) ----

/** Per-originator bucket (lookup answers, neighbour folds, hello answers), keyed on the verified originator. */
export const ORIGINATOR_BURST = 32;
export const ORIGINATOR_RATE_PER_S = 16;
/** Originator buckets kept at most; eviction drops refilled buckets first, then the fullest. */
export const MAX_ORIGINATOR_BUCKETS = 4_096;
/** Reflexive address reports kept (one per reporter). */
export const MAX_OBSERVED_REPORTS = 1_024;

// ---- maintenance (nodenet 5 defaults) ----

export const MAINTENANCE_TICK_MS = 5_000;
export const SELF_LOOKUP_MS = 60_000;
export const SIBLING_EXCHANGE_MS = 30_000;
export const BUCKET_REFRESH_CHECK_MS = 60_000;
/** Stale buckets refreshed per check (and as many empty ones looked into). */
export const BUCKET_REFRESHES_PER_CHECK = 2;
/** Empty buckets looked into right after joining. */
export const JOIN_EMPTY_BUCKET_LOOKUPS = 8;
/** A self-lookup is not repeated sooner than this, however many edges come up. */
export const MIN_SELF_LOOKUP_INTERVAL_MS = 1_000;
/** nodenet 2: eviction probes pending at most, and started per tick. */
export const MAX_PROBES = 16;
export const PROBES_PER_TICK = 2;
/** Finger dials (into buckets without a live edge) started per maintenance round. */
export const FINGER_DIALS_PER_TICK = 2;
/**
 * A bucket with live nodes but no edge and nobody dialable in it (every contact there trimmed us, left
 * or failed) gets a lookup toward a random ID in it, to learn other contacts there, at most this often.
 */
export const UNCOVERED_BUCKET_LOOKUP_MS = 30_000;
/** Knowledge table saved this often (and on stop). */
export const PERSIST_INTERVAL_MS = 60_000;

// ---- persistence and randomness ----

/** Directory of the knowledge database inside the data directory. */
export const KNOWLEDGE_DIR_NAME = 'knowledge';
/** Layout version of the stored knowledge (meta value and every contact value start with it). */
export const KNOWLEDGE_FORMAT_VERSION = 1;
/** Bytes drawn from the system CSPRNG at a time for nonces and message ids. */
export const RANDOM_POOL_BYTES = 4_096;

// ---- application surface ----

/** `node.deliveries` buffer; beyond it messages still reach 'message' listeners but not the iterator. */
export const DELIVERY_BUFFER = 1_024;
/** `node.channels` buffer of incoming application channels. */
export const CHANNEL_BUFFER = 64;

// ---- round trip times (issue 7: `wiremesh ping` and `peers`) ----

/** Every live edge is pinged on its control channel this often (and once when it comes up): its RTT. */
export const EDGE_PING_INTERVAL_MS = 15_000;
/** Budget of one periodic edge ping (a lost ping or pong only skips that sample). */
export const EDGE_PING_TIMEOUT_MS = 5_000;
/** Weight of a new sample in an edge's smoothed RTT (RFC 6298's alpha = 1/8). */
export const RTT_SMOOTHING = 1 / 8;
/** Routed pings in flight at once from this node (each holds a timer and an entry until answered). */
export const MAX_ROUTED_PINGS_IN_FLIGHT = 256;

// ---- relayed -> direct upgrade (issue 6 item 4) ----

/** A relayed edge this node dialed looks for a direct path first this long after it came up ... */
export const UPGRADE_FIRST_DELAY_MS = 1_000;
/** ... then again after twice the previous delay, at most this long (bounded backoff, for as long as it is relayed). */
export const UPGRADE_MAX_DELAY_MS = 60_000;
/** Packets of a relayed session are copied straight to the peer's candidates for this long per trial. */
export const UPGRADE_TRIAL_MS = 3_000;
/** Pings sent on the session during a trial (evenly spread), so an idle session has packets to copy. */
export const UPGRADE_TRIAL_PINGS = 3;
/** A birthday path found before its relayed edge was up is still tried when the edge comes up this soon. */
export const FOUND_PATH_TTL_MS = 10_000;
/** ... and is retried this often meanwhile (the peer's relayed dial is on its way). */
export const FOUND_PATH_RETRY_MS = 250;
