/**
 * Tunables of the node-facing commands (issue 7 items 2-4). Local policy, not protocol values: the CLI
 * talks to its own node only. Units are in the names.
 */

/** Longest time `send --ack`, `connect` and `ping` wait for the network before giving up. */
export const NETWORK_REQUEST_TIMEOUT_MS = 10_000;
/** Per-edge ping timeout when `peers` measures round trips (a dead edge must not stall the table). */
export const PEERS_PING_TIMEOUT_MS = 1_000;
/** Bytes `send -` reads from stdin at most (a routed message is capped at 64 KiB by the node). */
export const MAX_SEND_STDIN_BYTES = 64 * 1024;

// ---- pipe / listen streams (channel events and control-socket chunking) ----

/** Application channel `pipe` and `listen` use when --channel is not given (16-254 are the application's). */
export const DEFAULT_PIPE_CHANNEL = 16;
/** Channel event carrying stream bytes. */
export const STREAM_DATA_EVENT = 0;
/** Channel event saying "no more bytes from me" (half close, like a TCP FIN); the channel closes after both. */
export const STREAM_EOF_EVENT = 1;
/** Bytes per channel event: one event fits one UDP datagram (no fragmentation, spec 10.3). */
export const STREAM_EVENT_BYTES = 1024;
/** Bytes per control-socket read or write request (base64 in one JSON line, well under the 1 MiB line cap). */
export const STREAM_CONTROL_CHUNK_BYTES = 64 * 1024;
/** Write requests a pipe client keeps in flight (the control connection allows 8 requests in flight). */
export const STREAM_WRITES_IN_FLIGHT = 2;
/** How long a channel a peer opened waits for `wiremesh listen` before it is closed. */
export const UNCLAIMED_CHANNEL_MS = 10_000;
/** Incoming channels held for a later `listen` at most (a peer cannot make the node hoard channels). */
export const MAX_UNCLAIMED_CHANNELS = 16;
/** How long `run` waits for the node to leave gracefully on SIGINT/SIGTERM before exiting anyway. */
export const SHUTDOWN_GRACE_MS = 5_000;
