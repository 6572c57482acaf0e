/**
 * Tunables of the simulated network. None of these is a Wiresocket spec constant: they describe the
 * simulation (virtual clock, fabric, NAT model). Units are in the names.
 */

// A fixed virtual epoch (2023-11-14T22:13:20Z): handshake TAI64N timestamps (spec 4.1) look like real ones
// and every run starts from the same instant, which keeps traces reproducible.
export const SIM_EPOCH_MS = 1_700_000_000_000;

// Real event-loop turns the driver yields after each virtual-time step at least, and at most while work
// keeps appearing (an Endpoint flushes coalesced packets on setImmediate; promise chains need turns too).
export const SETTLE_MIN_TURNS = 2;
export const SETTLE_MAX_TURNS = 1_000;

// Steps the driver takes at one virtual instant before it reports a livelock (a timer that re-arms itself
// with delay 0 forever would otherwise hang the test instead of failing it).
export const SAME_INSTANT_STEP_LIMIT = 10_000;

// runUntil gives up after this much virtual time unless told otherwise.
export const RUN_UNTIL_DEFAULT_MAX_MS = 60_000;

// Port 0 binds allocate from the IANA dynamic range, lowest free first (deterministic).
export const EPHEMERAL_PORT_MIN = 49_152;
export const EPHEMERAL_PORT_MAX = 65_535;

// Largest UDP payload over IPv4 (65,535 - 8 UDP - 20 IP); a larger send fails as on a real socket (EMSGSIZE).
export const MAX_DATAGRAM_BYTES = 65_507;

// RFC 4787 REQ-5: a NAT UDP mapping must not expire in less than two minutes (unless the port is well known).
export const NAT_MAPPING_TIMEOUT_MS = 120_000;
// Public ports a NAT hands out by default: the non-privileged range.
export const NAT_PORT_MIN = 1_024;
export const NAT_PORT_MAX = 65_535;
// Where sequential allocation starts, so mapped ports differ visibly from typical private ports in traces.
export const NAT_FIRST_SEQUENTIAL_PORT = 20_000;
// Random allocation tries this many random ports before it scans for a free one.
export const NAT_RANDOM_PORT_ATTEMPTS = 64;
