/**
 * Defaults of the overlay scale and churn simulation (bench/overlay.ts, issue 8 item 1). Times are virtual
 * milliseconds unless the name says otherwise.
 */

export const DEFAULT_NODES = 1_000;
export const DEFAULT_BOOTSTRAP_NODES = 5;
export const DEFAULT_MESSAGES = 5_000;
export const DEFAULT_LOOKUPS = 500;
export const DEFAULT_CHURN_MINUTES = 30;
/** Nodes leaving without notice, and as many joining, each simulated minute. */
export const DEFAULT_CHURN_FRACTION = 0.05;
/** Routed messages sent during each simulated minute of churn. */
export const DEFAULT_CHURN_MESSAGES_PER_MINUTE = 500;
export const DEFAULT_SEED = 1;

/** One-way latency of every simulated link, plus a uniform jitter of up to this much. */
export const LINK_LATENCY_MS = 20;
export const LINK_JITTER_MS = 10;
/** Every simulated node binds this port on its own host. */
export const SIM_PORT = 4_000;

/** Nodes start this far apart: 10 joins per second of virtual time. */
export const JOIN_INTERVAL_MS = 100;
/** Convergence is checked this often, and given up on after this long past the last join. */
export const CONVERGENCE_CHECK_MS = 1_000;
export const CONVERGENCE_MAX_MS = 10 * 60_000;

/** End-to-end budget of one acknowledged send (the node's default). */
export const MESSAGE_TIMEOUT_MS = 10_000;
/** Messages of a measurement round leave spread over this long (not all in one instant). */
export const MESSAGE_SPREAD_MS = 5_000;
/** Budget of one rendezvous lookup (find a node by its ID alone). */
export const LOOKUP_TIMEOUT_MS = 5_000;
export const LOOKUP_SPREAD_MS = 5_000;

/** A churn minute: crashes and joins at its start, messages sent during its first part only, so that
 *  every message's ack budget ends before the next wave of crashes. */
export const MINUTE_MS = 60_000;
export const CHURN_SEND_WINDOW_MS = MINUTE_MS - MESSAGE_TIMEOUT_MS - 1_000;
/** Joins of a churn wave are spread over this long. */
export const CHURN_JOIN_SPREAD_MS = 5_000;
