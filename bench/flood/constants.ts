/**
 * Tunables of the flood benchmarks (issue 8 items 3 and 4) and of their scaled-down tests. Units are in the
 * names.
 */

// ---- addresses: every party on its own loopback address, so per-source-IP defences see them apart ----

/** The target node under attack. */
export const TARGET_HOST = '127.0.0.1';
/** The streaming peer node (garbage flood). */
export const LEGIT_HOST = '127.0.0.2';
/** Legitimate peers of the handshake flood: one loopback address each (distinct peers, distinct IPs). */
export function legitDialerHost(i: number): string {
  return `127.77.${(i % 250) + 1}.1`;
}
/** The flooder's sockets are spread over this many loopback addresses 127.66.<i>.1 ("many sources"). */
export const FLOOD_SOURCE_HOSTS = 16;
export function floodSourceHost(i: number): string {
  return `127.66.${(i % FLOOD_SOURCE_HOSTS) + 1}.1`;
}

// ---- flooder ----

/** Source ports of the flooder (sockets, spread over FLOOD_SOURCE_HOSTS addresses). */
export const FLOOD_SOCKETS = 128;
/** At most this many datagrams are sent per event-loop turn (the pacer catches up over later turns). */
export const FLOOD_MAX_BURST = 512;
/** Distinct pre-generated packets the flooder cycles through. */
export const INIT_DISTINCT_PACKETS = 4096;
export const GARBAGE_DISTINCT_PACKETS = 8192;
/** Full-size rates (the issue: 50,000 HandshakeInit/s; the garbage flood runs "at full speed", capped). */
export const FULL_INIT_RATE_PER_SEC = 50_000;
export const FULL_GARBAGE_RATE_PER_SEC = 50_000;
/** Kernel socket buffers of the flooder's sockets (small: replies to the flooder are not its work). */
export const FLOOD_SOCKET_BUFFER_BYTES = 256 * 1024;

/** Garbage flood: one datagram in this many is authenticated garbage of a rogue session (rogue-session.ts). */
export const ROGUE_EVERY = 10;
/** A rogue session is replaced this often (the node closes a peer that has not identified within 5 s). */
export const ROGUE_SESSION_MS = 3_000;

// ---- legitimate peers (handshake flood) ----

/** Endpoints (own static key each) in the legitimate peer process, each with one dial at a time. */
export const LEGIT_DIALERS = 8;
/** Pause between one dialer's handshakes. */
export const LEGIT_PAUSE_MS = 100;
/** A legitimate handshake not finished by then counts as failed (endpoint default retry: 1 s). */
export const LEGIT_DIAL_TIMEOUT_MS = 5_000;
/** Legitimate initiations captured for the flooder to replay. */
export const CAPTURED_INITS = 32;

// ---- streaming peer (garbage flood) ----

/** Application channel streamed from the peer to the target, and its event size. */
export const STREAM_CHANNEL = 16;
export const STREAM_CHUNK_BYTES = 16 * 1024;
/** Routed sends with ack: one every this many ms, up to this many in flight. */
export const ROUTED_SEND_INTERVAL_MS = 20;
export const ROUTED_MAX_IN_FLIGHT = 16;
export const ROUTED_PAYLOAD_BYTES = 256;
/** Valid packets of the peer's session captured for mutation (per packet type). */
export const CAPTURED_PER_TYPE = 64;

// ---- target monitoring ----

/** The target's CPU, memory and receive counters are sampled this often. */
export const SAMPLE_INTERVAL_MS = 250;
/** Event-loop delay histogram resolution (perf_hooks.monitorEventLoopDelay). */
export const ELD_RESOLUTION_MS = 10;

// ---- durations ----

export interface FloodDurations {
  /** Legitimate traffic alone, before the flood. */
  baselineMs: number;
  /** Flood with legitimate traffic. */
  floodMs: number;
  /** The start of the flood left out of its figures (the target reacting, buffers filling). */
  floodWarmupMs: number;
}
export const FULL_HANDSHAKE_DURATIONS: FloodDurations = { baselineMs: 5_000, floodMs: 30_000, floodWarmupMs: 1_000 };
export const FULL_GARBAGE_DURATIONS: FloodDurations = { baselineMs: 5_000, floodMs: 60_000, floodWarmupMs: 1_000 };
export const QUICK_DURATIONS: FloodDurations = { baselineMs: 2_000, floodMs: 4_000, floodWarmupMs: 500 };

export const PEER_CALL_TIMEOUT_MS = 30_000;
