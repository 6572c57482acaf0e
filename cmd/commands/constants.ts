/**
 * Tunables of the node-facing commands (issue 7 items 2-4). Local policy, not protocol values: the CLI
 * talks to its own node only. Units are in the names.
 */

/** Longest time `send --ack`, `connect` and `ping` wait for the network before giving up. */
export const NETWORK_REQUEST_TIMEOUT_MS = 10_000;
/** Bytes `send -` reads from stdin at most (a routed message is capped at 64 KiB by the node). */
export const MAX_SEND_STDIN_BYTES = 64 * 1024;

// ---- pipe / listen streams (channel events and control-socket chunking) ----

/** Application channel `pipe` and `listen` use when --channel is not given (16-254 are the application's). */
export const DEFAULT_PIPE_CHANNEL = 16;
/** Channel event carrying stream bytes. */
export const STREAM_DATA_EVENT = 0;
/** Channel event saying "no more bytes from me" (half close, like a TCP FIN); the channel closes after both. */
export const STREAM_EOF_EVENT = 1;
/**
 * Bytes per channel event. Larger than a datagram on purpose: the session fragments it (spec 10.3) and the
 * per-event costs (promises, window accounting) are paid once per 16 KiB; measured on loopback, 16 KiB
 * events moved 50 MiB about 2.5x faster than 1 KiB events, and 32 KiB gained nothing more.
 */
export const STREAM_EVENT_BYTES = 16 * 1024;
/**
 * Events a stream lets wait in its channel's send queue beyond the peer's window (1 MiB at 16 KiB events).
 * The session's own bound is 1024 events (16 MiB here): too much to hold per stream for a slow receiver.
 */
export const STREAM_QUEUED_EVENTS_MAX = 64;
/** How often a stream whose send queue is over STREAM_QUEUED_EVENTS_MAX looks again (it drains in ms). */
export const STREAM_QUEUE_POLL_MS = 2;
/** Largest DATA frame the node writes to a stream's socket (what the channel had buffered, gathered). */
export const STREAM_SOCKET_FRAME_BYTES = 256 * 1024;
/** Largest stream frame either side accepts (the client's frames are one stdin chunk, 64 KiB typically). */
export const MAX_STREAM_FRAME_BYTES = 1024 * 1024;
/** How long a channel a peer opened waits for `wiremesh listen` before it is closed. */
export const UNCLAIMED_CHANNEL_MS = 10_000;
/** Incoming channels held for a later `listen` at most (a peer cannot make the node hoard channels). */
export const MAX_UNCLAIMED_CHANNELS = 16;
/** How long `run` waits for the node to leave gracefully on SIGINT/SIGTERM before exiting anyway. */
export const SHUTDOWN_GRACE_MS = 5_000;
