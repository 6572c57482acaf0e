/**
 * NAT traversal, the pure parts (DESIGN "NAT traversal"; issue 6). No sockets, no timers: the node
 * (src/node) feeds in what its neighbours report and acts on the answers.
 *
 * - Reflexive-address consensus: reports (reporter, reporter's subnet, observed address) -> a confirmed
 *   address once 3 reporters from 2 subnets agree; reports that never agree -> symmetric mapping.
 *   Loopback, link-local, multicast and unspecified reports are ignored; the store is bounded.
 * - NAT status: 'public' | 'cone' | 'symmetric' | 'unknown' plus the confirmed reflexive address.
 * - Hole punching: which candidates get PACKET_PUNCH probes, and the probe itself.
 * - NAT type exchange: two capability bits of the signed contact record (nat-capabilities.ts).
 * - Strategy by NAT pair (punch, birthday, relay first) and the birthday strategy's port plan, hit
 *   probability and global budget (birthday-plan.ts).
 * - Relay: channel-2 frames carrying whole Wiresocket packets (FORWARD, DELIVER, REFUSED) and a
 *   relay's caps (sessions, bytes/s, packets/s per pair, idle timeout).
 */
export * from './constants.js';
export { isReportableIp, reportableHost } from './address-scope.js';
export {
  ReflexiveConsensus,
  type ConsensusView,
  type ReflexiveAddress,
  type ReflexiveConsensusOptions,
} from './reflexive-consensus.js';
export { UNKNOWN_NAT_STATUS, classifyNat, sameNatStatus, type NatStatus, type NatType } from './nat-status.js';
export {
  RELAY_REFUSAL_REASONS,
  decodeRelayPacket,
  decodeRelayRefusal,
  encodeRelayPacket,
  encodeRelayRefusal,
  type RelayPacketFrame,
  type RelayRefusalFrame,
  type RelayRefusalReason,
} from './relay-frame.js';
export { RelayBudget, type RelayAdmission, type RelayBudgetOptions } from './relay-budget.js';
export { PUNCH_PACKET, punchCandidates } from './punch-plan.js';
export { natTypeOfCapabilities, withNatType } from './nat-capabilities.js';
export {
  BirthdayBudget,
  birthdayHitProbability,
  sprayPorts,
  traversalPlan,
  type BirthdayRole,
  type TraversalPlan,
} from './birthday-plan.js';
