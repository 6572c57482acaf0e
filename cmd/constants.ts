/**
 * The CLI's defaults, limits and tunables (issue 7). Nothing here is a protocol value: the CLI talks to
 * the local node only, so every number is local policy a deployment may change. Units are in the names.
 */

// ---- Configuration (issue 7 item 7: flags > WIREMESH_* environment > <dataDir>/config.json > defaults) ----

/** Data directory when neither --data-dir nor WIREMESH_DATA_DIR is given (issue 7: `./.wiremesh`). */
export const DEFAULT_DATA_DIR = './.wiremesh';
/** UDP listen address of `wiremesh run` by default (issue 7: `0.0.0.0:4242`). */
export const DEFAULT_LISTEN = '0.0.0.0:4242';
/** Log level by default. */
export const DEFAULT_LOG_LEVEL = 'info' satisfies (typeof LOG_LEVELS)[number];
/** Prefix of every environment variable the CLI reads, e.g. WIREMESH_LISTEN. */
export const ENV_PREFIX = 'WIREMESH_';
/** Name of the optional config file inside the data directory. */
export const CONFIG_FILE_NAME = 'config.json';
/** A config file holds a handful of keys; anything bigger is a mistake, not a config. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024;
/** Log levels accepted by --log-level, lowest first (pino's names; `silent` logs nothing). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

// ---- Control socket (issue 7 item 3) ------------------------------------------------------------------

/** File name of the control socket inside the data directory. */
export const CONTROL_SOCKET_NAME = 'control.sock';
/** Socket file permissions: only the node's user may talk to it (issue 7: mode 0600). */
export const CONTROL_SOCKET_MODE = 0o600;
/** umask while binding, so the socket is never reachable by others, not even before the chmod. */
export const CONTROL_SOCKET_UMASK = 0o177;
/** Permissions of a data directory the control server creates (same as the identity's seed directory). */
export const CONTROL_DATA_DIR_MODE = 0o700;
/**
 * Longest socket path the kernel takes (Linux sun_path is 108 bytes including the terminating NUL;
 * macOS allows 104). Longer paths fail to bind with an obscure error, so they are refused up front.
 */
export const MAX_SOCKET_PATH_BYTES = 103;
/** Longest request or response line, in bytes without the newline. */
export const MAX_CONTROL_LINE_BYTES = 1024 * 1024;
/** Connections the control server serves at once; more are answered BUSY and closed. */
export const MAX_CONTROL_CONNECTIONS = 16;
/** Requests one connection may have running at once; more are answered BUSY. */
export const MAX_CONTROL_IN_FLIGHT = 8;
/** Malformed lines tolerated on one connection before the server hangs up. */
export const MAX_CONTROL_BAD_LINES = 8;
/** Unread output queued for one connection before the server hangs up on a client that stopped reading. */
export const MAX_CONTROL_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Longest command name in a request. */
export const MAX_CONTROL_COMMAND_CHARS = 64;
/** Longest string request id. */
export const MAX_CONTROL_ID_CHARS = 128;
/** How long a connection we hang up on (limit reached, protocol error) may take to read our last words. */
export const CONTROL_LINGER_MS = 1_000;
/** How long the client (and the server's check for a live predecessor) waits for the socket to accept. */
export const CONTROL_CONNECT_TIMEOUT_MS = 2_000;

// ---- Metrics (issue 7 item 6) ---------------------------------------------------------------------------

/** Prefix of every exported metric name. */
export const METRIC_PREFIX = 'wiremesh_';
/** Suffix of counter names (Prometheus naming convention for monotonic totals). */
export const COUNTER_SUFFIX = '_total';
/** The one path that serves metrics. */
export const METRICS_PATH = '/metrics';
/** Label name of a nested stats map when the caller names none for it. */
export const DEFAULT_METRIC_LABEL = 'kind';

// ---- Output ---------------------------------------------------------------------------------------------

/** How often a progress line is redrawn in place on a terminal. */
export const PROGRESS_REDRAW_INTERVAL_MS = 200;
/** How often a progress line is printed when stderr is not a terminal (a log file must not flood). */
export const PROGRESS_PLAIN_INTERVAL_MS = 5_000;
/** Progress samples the transfer rate is averaged over (one per update, at most this many). */
export const PROGRESS_RATE_WINDOW_SAMPLES = 16;
/** Oldest sample age the rate window keeps: the rate reflects the last few seconds, not the whole run. */
export const PROGRESS_RATE_WINDOW_MS = 3_000;
/** Spaces between table columns. */
export const TABLE_COLUMN_GAP = 2;
