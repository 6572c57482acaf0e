/**
 * Spec constants and tunables of the session layer (Wiresocket v1). Units are in the names.
 * A flat list on purpose: other engineers append to it.
 */

// spec 7.3: send a keepalive when data has been idle this long.
export const KEEPALIVE_INTERVAL_MS = 10_000;
// spec 7.3: close the session when nothing was received for this long.
export const SESSION_TIMEOUT_MS = 180_000;
// spec 7.3: start a new handshake once the session is this old.
export const REKEY_AFTER_MS = 180_000;
// spec 7.3: start a new handshake after this many packets sent.
export const REKEY_AFTER_MESSAGES = 2 ** 60;
// spec 4.1 / 12: a HandshakeInit timestamp may differ from our clock by at most this much.
export const MAX_TIMESTAMP_SKEW_MS = 180_000;
// spec 6.1 / 12: the cookie secret is rotated this often.
export const COOKIE_ROTATION_MS = 120_000;

// spec 8 / 12: the replay bitmap is 64 words x 64 bits (held as 128 x 32-bit words here).
export const REPLAY_WINDOW_WORDS = 64;
// spec 8 / 12: the replay window covers [head - 4095, head].
export const REPLAY_WINDOW_SIZE = 4096;

// spec 9.2 / 12: at most this many partial frames are buffered per session (configurable).
export const MAX_INCOMPLETE_FRAMES = 64;
// spec 9.2: incomplete fragment sets are dropped after this much inactivity.
export const REASSEMBLY_TIMEOUT_MS = 2 * KEEPALIVE_INTERVAL_MS;
// Tunable (not in the spec): cap on the memory held for all partial frames of one session.
export const MAX_REASSEMBLY_BYTES = 8 * 1024 * 1024;
// spec 4.7 / 12: frag_count is a uint16, 1-65535.
export const MAX_FRAGMENTS_PER_FRAME = 65_535;
// Tunable: how many recently finished frame ids (completed, expired or abandoned) are remembered so a
// late fragment cannot start a new partial set for them. Bounded memory: one ring of this many ids.
export const REASSEMBLY_RETIRED_FRAME_IDS = 256;
// Tunable: bytes of index charged per expected fragment of a partial frame (two uint32 per fragment:
// where its bytes sit and how long they are). Charged against MAX_REASSEMBLY_BYTES.
export const REASSEMBLY_INDEX_BYTES_PER_FRAGMENT = 8;

// spec 13: the session send limiter's burst capacity is this many seconds of its rate.
export const SEND_RATE_BURST_FACTOR = 2;

// spec 11.4 / 12: initial and default receive window, in frames.
export const RELIABLE_WINDOW = 256;
// spec 11.6 / 12: first retransmit timeout, and the value it returns to after progress.
export const BASE_RTO_MS = 200;
// spec 11.6 / 12: the retransmit timeout doubles up to this cap.
export const MAX_RTO_MS = 30_000;
// spec 11.6 / 12: consecutive retransmits without progress before the channel is closed.
export const MAX_RETRIES = 10;
// spec 11.5 / 12: a standalone ACK goes out at most this long after the first unacknowledged receipt.
export const ACK_DELAY_MS = 20;
// spec 11.3 / 12: the receiver buffers frames at most this many ahead of the next expected one.
export const RELIABLE_OOO_WINDOW = 64;
// Tunable (sender-side loss detection, wire-compatible): a pending frame is presumed lost once a
// transmission made this many transmissions after its own has been acknowledged (as TCP's DupThresh).
export const LOSS_REORDER_FRAMES = 3;
// Tunable: the sender keeps at most this many sequence numbers from the oldest unacknowledged frame
// on. The receiver drops frames more than RELIABLE_OOO_WINDOW ahead of a gap (spec 11.3), so sending
// further ahead is wasted whenever anything is lost or reordered.
export const RELIABLE_SEND_AHEAD = RELIABLE_OOO_WINDOW + 1;
// Tunable: a peer's advertised WindowSize is clamped to this, which bounds our retransmit buffer and
// keeps every in-flight sequence number well inside half of the 32-bit sequence space.
export const RELIABLE_MAX_PEER_WINDOW = 65_536;
// spec 11.1: reliable sequence numbers are uint32 and 0 means "unreliable"; wiremesh numbers them
// 1..2^32-1 and wraps from 2^32-1 back to 1, so the space has 2^32-1 values.
export const RELIABLE_SEQ_SPACE = 2 ** 32 - 1;

// ---- handshake flood defences (spec 6 "under load"; issue 8 item 3) ----
// Tunable: above this many HandshakeInits with a valid MAC1 per second the responder is under load and
// demands cookies (MAC2) before any Diffie-Hellman work.
export const COOKIE_THRESHOLD_PER_SEC = 2000;
// Tunable: ...or when the Diffie-Hellman work of answering initiations (consume, respond, create the
// session) took more than this many ms of one second. A time budget calibrates itself: on a slow or busy
// machine it engages before the kernel's socket buffer overflows (WireGuard watches its queue length instead,
// which a Node.js socket does not expose).
export const HANDSHAKE_BUDGET_MS_PER_SEC = 50;
// Tunable (WireGuard's UNDER_LOAD_AFTER_TIME): once the threshold was crossed, the responder stays under
// load this long after the last second in which it was crossed, so a flood cannot buy DH work at the
// start of every second.
export const UNDER_LOAD_HOLD_MS = 1000;
// Tunable (WireGuard's ratelimiter: 20 packets/s, burst 5, per source IP): under load, initiations with a
// valid cookie are admitted to the DH at most at this rate per source IP.
export const HANDSHAKES_PER_SOURCE_PER_SEC = 20;
export const HANDSHAKE_BURST_PER_SOURCE = 5;
// Tunable: under load, CookieReplies (each costs a keyed hash, an XChaCha20-Poly1305 seal and a send) go to
// one source IP at most at this rate; the rest of that source's initiations are dropped unanswered.
export const COOKIE_REPLIES_PER_SOURCE_PER_SEC = 50;
export const COOKIE_REPLY_BURST_PER_SOURCE = 50;
// Tunable: and at most this many CookieReplies per second in all (sources may be spoofed or many), which
// bounds the responder's CPU spent on a flood of initiations that carry no cookie.
export const COOKIE_REPLIES_PER_SEC = 10_000;
// Tunable: source IPs the per-source limiters track at most (memory bound); when full, sources not yet
// tracked are refused until idle entries expire (as WireGuard's table does).
export const RATE_LIMITED_SOURCES_MAX = 16_384;

// Tunable: reliable channels cut their frame staging buffers (kept until acknowledged, spec 11) from slabs
// of this many bytes: about 13 default-size frames per allocation instead of one allocation per frame.
export const RELIABLE_STAGING_SLAB_BYTES = 16 * 1024;

// ---- native fast path (native-transport.ts, docs/decisions.md "Native fast path") ----
// spec 13: requested SO_RCVBUF / SO_SNDBUF of a session socket (Linux clamps to rmem_max / wmem_max).
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
// Tunable: smallest bytes per datagram slot of the native send and receive arenas (an endpoint with a
// larger maxPacketSize gets that). Covers the default 1232-byte MaxPacketSize (spec 9) and handshakes;
// larger sends go alone, larger received datagrams are cut and then fail their checks (counted as
// malformed or decrypt drops).
export const NATIVE_SLOT_BYTES = 2048;
// Tunable: datagrams per sendmmsg call; a full batch is sent at once, the rest at the end of the turn.
export const NATIVE_SEND_BATCH_DATAGRAMS = 64;
// Tunable: datagrams per recvmmsg call (one call into JavaScript per batch). Bounded so one batch of
// coalesced 64-byte events (about 17 per packet) fits a channel's default 1024-event buffer.
export const NATIVE_RECV_BATCH_DATAGRAMS = 32;
// Tunable: a received batch smaller than this is copied out datagram by datagram (the arena is reused);
// from this size on the datagrams are views of the arena and the arena is replaced, so a retained event
// keeps at most one arena alive that was at least this full.
export const NATIVE_RECV_COPY_BELOW_DATAGRAMS = 8;

// ---- handshake retries ----
// An initiator answers a HandshakeResp to any of its last this-many initiations (the current one and the
// ones its retries replaced). Retries go every handshakeRetryMs (1 s) with a fresh ephemeral key; keeping
// only the newest made any round trip longer than that livelock (found by the soak, docs/figures/soak.md).
// Three cover round trips up to about 3 s at 2 extra DH pairs per late response.
export const ANSWERABLE_INITIATIONS = 3;
