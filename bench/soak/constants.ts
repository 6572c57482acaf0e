/**
 * Tunables of the real-socket soak (issue 8 item 2): node processes on loopback driven with random routed
 * sends, channel opens and closes, sampled for growth. Units are in the names.
 */

// ---- the run ----

export const DEFAULT_SOAK_NODES = 50;
export const DEFAULT_SOAK_SECONDS = 300;
export const DEFAULT_SOAK_SEED = 1;
/** A soak needs a bootstrap and at least two joiners to have random pairs with routing between them. */
export const MIN_SOAK_NODES = 3;
export const MAX_SOAK_NODES = 200;
/** Three thirds of at least a few samples each are needed to judge growth. */
export const MIN_SOAK_SECONDS = 6;
export const MAX_SOAK_SECONDS = 24 * 3600;

/** Routed sends with `{ ack: true }` started per second, over the whole overlay. */
export const DEFAULT_SENDS_PER_SEC = 20;
/** Channel sessions (open, echo, verify, hold, close) started per second, over the whole overlay. */
export const DEFAULT_CHANNELS_PER_SEC = 2;
/** The orchestrator draws operations this often (each tick draws from the per-second rates). */
export const SCHEDULE_TICK_MS = 50;

/** At most this many operations of each kind in flight per source process; more are skipped (counted). */
export const MAX_INFLIGHT_SENDS_PER_NODE = 16;
export const MAX_INFLIGHT_CHANNELS_PER_NODE = 3;

// ---- one operation ----

/** Routed payload bytes: a header naming the message, then filler derived from the message number. */
export const SEND_MIN_BYTES = 64;
export const SEND_MAX_BYTES = 2_048;
/** The ack timeout of each routed send (the node's default, spelled out). */
export const SEND_ACK_TIMEOUT_MS = 10_000;

/** Application channels 16-254 (DESIGN): a pair's two directions use disjoint halves (even/odd ids). */
export const FIRST_APP_CHANNEL = 16;
export const APP_CHANNELS_PER_DIRECTION = 119;
export const ECHO_REQUEST_EVENT_TYPE = 1;
export const ECHO_REPLY_EVENT_TYPE = 2;
export const CHANNEL_MIN_EVENTS = 1;
export const CHANNEL_MAX_EVENTS = 32;
export const CHANNEL_EVENT_MAX_BYTES = 8_192;
/** A channel stays open this long after its echoes were verified, then the opener closes it. */
export const CHANNEL_MAX_HOLD_MS = 3_000;
/** The whole channel operation (connect, echo, verify) must finish within this. */
export const CHANNEL_OP_TIMEOUT_MS = 20_000;

// ---- convergence before traffic ----

/** Traffic starts once every node has this many edges (or after the wait below). */
export const WARMUP_MIN_EDGES = 4;
export const WARMUP_MAX_MS = 30_000;
export const WARMUP_POLL_MS = 250;
/** Nodes are started this many at a time (a tsx process start costs most of a second of CPU). */
export const START_BATCH = 5;

/**
 * `--maintenance fast`: maintenance for an overlay that converges in seconds. The default is the node's
 * own timings (as deployed): the first 50-process runs with these fast timings spent most of their CPU on
 * maintenance, which on the shared 2-core machine was enough to starve the overlay (docs/figures/soak.md).
 */
export const FAST_SOAK_MAINTENANCE = {
  tickMs: 500,
  selfLookupMs: 5_000,
  siblingExchangeMs: 5_000,
  bucketRefreshCheckMs: 10_000,
  backoffBaseMs: 250,
  backoffMaxMs: 5_000,
  dialTimeoutMs: 2_000,
} as const;

// ---- sampling and growth ----

/**
 * Every process samples itself this often (after a full GC, so heap readings are live data only). A GC of
 * a 15 MB heap costs a few ms: every 5 s it stays well under 1 % of a core for 50 processes together.
 */
export const DEFAULT_SAMPLE_MS = 5_000;
/** Resolution of the event-loop delay histogram (a libuv timer per process; coarse keeps wakeups few). */
export const LOOP_DELAY_RESOLUTION_MS = 50;
/**
 * Growth criterion: for each process, the maximum of a metric over the last third of the traffic phase may
 * exceed its maximum over the second third by at most this fraction plus the absolute slack. The first third
 * is warm-up (JIT, dedupe window filling for 60 s, edges forming); a leak keeps climbing into the last third.
 */
export const HEAP_GROWTH_FRACTION = 0.15;
export const HEAP_GROWTH_SLACK_BYTES = 2 * 1024 * 1024;
export const HANDLE_GROWTH_FRACTION = 0.25;
export const HANDLE_GROWTH_SLACK = 4;
/**
 * Sessions may exceed the number of peers by this many: two sessions to one peer live briefly while
 * duplicate resolution (node/index.ts header) closes one. More means sessions are not being closed.
 */
export const SESSION_SLACK = 4;
/** Fewer samples than this in a third and the growth verdict says so instead of guessing. */
export const MIN_SAMPLES_PER_THIRD = 2;

// ---- processes ----

/** Generous: on the shared 2-core machine a tsx process start has taken over 30 s under load. */
export const CHILD_START_TIMEOUT_MS = 120_000;
export const CHILD_REQUEST_TIMEOUT_MS = 15_000;
/** After SIGTERM a process has this long to stop its node and exit before it is killed (and counted). */
export const CHILD_STOP_GRACE_MS = 15_000;
/** After node.stop(), the child waits up to this long for its handles to close before reporting leaks. */
export const CHILD_LEAK_WAIT_MS = 2_000;
export const STDERR_KEEP_CHARS = 4_000;
/** After the traffic phase, in-flight operations get this long to settle before shutdown. */
export const DRAIN_MAX_MS = 25_000;
