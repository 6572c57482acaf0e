/**
 * kad: NodeID math, the knowledge table, the live-edge table and the greedy next-hop decision. Pure code:
 * no sockets, no timers; time is always a `nowMs` argument. Imports only src/errors and src/identity.
 *
 * Choices where DESIGN and the nodenet digest are silent (for the next engineer):
 * - Target degree 24 outbound edges, not nodenet's 64 (see DEFAULT_TARGET_DEGREE): 16 siblings + 8
 *   fingers, since each wiremesh edge is a full Wiresocket session. Phase bands follow nodenet and are
 *   squeezed consistently for a smaller target.
 * - A contact counts against the subnet of its first public IP address, else its first IP literal
 *   (subnet.ts), so home LAN addresses do not cap unrelated nodes. Tests on loopback pass `noSubnet`.
 * - Keys are verified with identity's real NodeID hash by default; both keys or none.
 * - A keyless observation of a keyed contact refreshes its recency only.
 * - remove() frees a slot without promotion; markDead()/confirm(dead) promote a stashed newcomer.
 * - disjointFirstHops() never pads with hops that are not strictly closer; an empty result means self
 *   is the greedy terminus. Lookups that must leave anyway use nearestEdges().
 * - decide() offers at most MAX_NEXT_HOPS (8) hops, filtered before the cut (avoid/exclude first).
 */
export * from './constants.js';
export * from './contact.js';
export * from './node-id.js';
export * from './subnet.js';
export * from './knowledge-table.js';
export * from './edge-budget.js';
export * from './dial-backoff.js';
export * from './edge-table.js';
export * from './decide.js';
export * from './degree-trim.js';
