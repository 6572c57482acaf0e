/**
 * Overlay constants (DESIGN "Overlay", after nodenet: research/nodenet.md sections 2, 4, 8) and the kad
 * layer's tunables. Times are in milliseconds, rates per second.
 *
 * The first group is network-wide: every node must agree on it (changing it changes routing behaviour
 * other nodes rely on). The second group is local policy that a deployment may tune.
 */

// ---- network-wide (protocol) constants ----

/** A NodeID is a 256-bit big-endian integer. */
export const NODE_ID_BYTES = 32;
export const NODE_ID_BITS = 256;
/** nodenet 2: one bucket per common-prefix length with self; CPL 256 is self and is never stored. */
export const BUCKET_COUNT = 256;
/** nodenet 2: contacts per bucket (Kademlia k). */
export const K = 20;
/** nodenet 2: newcomers stashed per full bucket while an incumbent is probed. */
export const REPLACEMENT_CACHE_SIZE = K;
/** nodenet 2 / DESIGN: at most 8 known contacts per /24 (IPv4) or /64 (IPv6) across the whole table. */
export const SUBNET_CAP = 8;
export const IPV4_SUBNET_PREFIX_BITS = 24;
export const IPV6_SUBNET_PREFIX_BITS = 64;
/** nodenet 2: the 16 live edges closest to self are siblings; all others are fingers. */
export const SIBLINGS = 16;
/** nodenet 2 (KMin): hard floor of self-maintained edges, equal to the disjoint-path count. */
export const DEGREE_FLOOR = 3;
/** nodenet 4: origination launches one copy per disjoint first hop. */
export const DISJOINT_PATHS = 3;
/** nodenet 2 / DESIGN: peer-initiated live edges accepted at most. */
export const MAX_INBOUND_EDGES = 256;
/** nodenet 4 (MaxHops): a routed message's TTL is clamped to this at every hop. */
export const MAX_TTL = 16;
/** nodenet 3: an avoid-set holds at most this many NodeIDs (= DISJOINT_PATHS). */
export const MAX_AVOID = 3;
/** nodenet 3 (MaxEnvelopeAge): a routed envelope is fresh within +-30 s of its send time. */
export const FRESHNESS_MS = 30_000;

// ---- local tunables ----

/**
 * Self-maintained edges wanted in steady state. nodenet uses 64 QUIC connections; a wiremesh edge is a
 * Wiresocket session with its own keepalive, rekey and reliable-channel state, so we aim lower: 16
 * siblings plus 8 fingers (inbound edges add more fingers on top). Greedy XOR routing needs the
 * siblings for convergence; fingers only shorten paths.
 */
export const DEFAULT_TARGET_DEGREE = 24;
/** nodenet 2 (LowWater): at or below this many outgoing edges the node is in the 'urgent' phase. */
export const LOW_WATER_EDGES = 8;
/** nodenet 2 (FillHysteresis): 'normal' is kept while outgoing edges >= target - 4. */
export const FILL_HYSTERESIS = 4;
/** nodenet 2 (LiveSubnetCap): soft preference, at most 2 live edges per subnet. */
export const LIVE_SUBNET_CAP = 2;
/**
 * Hard cap on live edges counted against one /24 or /64 (eclipse defence, issue 8 item 5): an inbound
 * edge from a subnet that already holds this many is refused, and maintenance never dials into such a
 * subnet. Without it, one /24 with many valid identities could hold every inbound slot of a victim
 * (up to MAX_INBOUND_EDGES) and carry all its routed traffic. Equal to SUBNET_CAP: a subnet never holds
 * more of a node's edges than of its knowledge table. An application's own connect() is not capped.
 */
export const MAX_EDGES_PER_SUBNET = SUBNET_CAP;
/** nodenet 2: dials wanted per maintenance round, by phase. */
export const DIALS_PER_ROUND = {
  bootstrap: 8,
  critical: 8,
  urgent: 4,
  fill: 2,
  normal: 0,
} as const;
/** Dials per round spent on contacts that would become siblings, even in the 'normal' phase. */
export const SIBLING_REPAIR_DIALS_PER_ROUND = 2;
/**
 * Degree trimming (degree-trim.ts): live edges (both directions) above which surplus inbound edges are
 * closed. Above a typical node's degree (16 siblings, the fill to the target degree and about one finger
 * per bucket each way: mean 37 at 200 and 53 at 1,000 simulated nodes, docs/figures/overlay.md) and far
 * below the hard MAX_INBOUND_EDGES, so that a hub (a bootstrap node, an old node everybody knows) stays
 * bounded whatever the size of the network. It must stay well above the typical degree: when most
 * nodes sit at the cap, trimmed peers only move their edges from one full node to the next.
 */
export const DEGREE_CAP = 64;
/** A new edge is never trimmed for this long: a joiner learns its neighbourhood through its first edges. */
export const TRIM_GRACE_MS = 10_000;
/** Edges a bucket keeps whatever the cap (progress at every greedy hop, plus one spare). */
export const TRIM_BUCKET_FLOOR = 2;
/**
 * Edges trimmed per maintenance round at most: a hub sheds load gradually, 32 edges or a quarter of its
 * surplus per round, whichever is more. A fixed 32 could not keep up with a bootstrap node's inflow while
 * 1,000 nodes joined at 10 per second (50 new edges per 5 s round): its surplus kept growing through the
 * join phase and 35 s after the last join it still held 232 edges against the cap of 64 (bench/overlay).
 */
export const TRIMS_PER_ROUND = 32;
export const TRIM_SURPLUS_SHARE_PER_ROUND = 0.25;
/**
 * A peer that closed our edge with a Leave is not redialed for this long (EdgeTable.noteLeft): it is
 * shutting down, or shedding surplus edges and would only trim the new edge again.
 */
export const LEFT_REDIAL_HOLD_MS = 10 * 60_000;
/** nodenet 2: candidate pool asked from the knowledge table is max(4 x wanted, 16). */
export const CANDIDATE_POOL_FACTOR = 4;
export const CANDIDATE_POOL_MIN = 16;
/** A dial that neither succeeded nor failed after this long no longer blocks re-dialling the contact. */
export const DIAL_PENDING_EXPIRY_MS = 30_000;
/** nodenet 5: dial backoff doubles from 1 s up to 5 min. */
export const DIAL_BACKOFF_BASE_MS = 1_000;
export const DIAL_BACKOFF_MAX_MS = 5 * 60_000;
/** nodenet 5 (markDeadFails): this many consecutive failures at the backoff ceiling mean "dead". */
export const DIAL_FAILURES_BEFORE_DEAD = 3;
/** Bound on remembered backoff entries (memory cap against contact churn). */
export const MAX_BACKOFF_ENTRIES = 4096;
/** nodenet 4 (hopCandidates): next hops offered by decide(), tried in order for local repair. */
export const MAX_NEXT_HOPS = 8;
/** nodenet 8: per-edge control bucket (Siblings, RelayRequest, RelayBind). */
export const CONTROL_BURST = 32;
export const CONTROL_RATE_PER_S = 16;
/** nodenet 8: per-edge forward bucket (every routed message and direct app frame). */
export const FORWARD_BURST = 1024;
export const FORWARD_RATE_PER_S = 512;
/** nodenet 5 (BucketStaleAfter): a populated bucket without news for this long gets a refresh lookup. */
export const BUCKET_STALE_AFTER_MS = 15 * 60_000;
/** Addresses accepted per contact (the wire's coordinate cap, nodenet 3: 16). */
export const MAX_CONTACT_ADDRESSES = 16;
