/**
 * Node counters (DESIGN "Overlay": every drop counted in stats(); nodenet 8). Monotonic; `stats()`
 * returns a snapshot together with the edge and endpoint state.
 */
import type { EdgePhase } from '../kad/index.js';
import type { EndpointStats } from '../session/index.js';

/** Every reason the node drops a message or refuses a peer. */
export const NODE_DROP_REASONS = [
  /** An overlay message that does not decode. */
  'malformed',
  /** Overlay traffic on a session whose peer has not passed Identify. */
  'unverifiedLink',
  /** Over a per-edge control or forward token bucket. */
  'edgeRateLimited',
  /** Over the per-originator bucket (lookups, neighbour answers, hellos). */
  'originatorRateLimited',
  /** An originator or peer below the proof-of-work difficulty. */
  'subPow',
  /** A routed envelope outside the freshness window. */
  'stale',
  /** A routed envelope whose signature does not verify. */
  'badSignature',
  'ttlExpired',
  /** No live edge is closer to the target (and the message is not a lookup). */
  'noRoute',
  /** Every candidate next hop failed or was congested (local repair exhausted). */
  'nextHopFailed',
  /** A routed message already delivered here. */
  'duplicate',
  /** A neighbours answer, reply, ack or pong matching no pending request of ours. */
  'unsolicited',
  /** A reply or ack signed by someone other than the node it claims to answer for. */
  'forgedReply',
  /** An Identify that does not check out (keys, session key, signature). */
  'identifyFailed',
  /** Edge refused: self, wrong NodeID for the dialed contact, or the application's policy. */
  'edgeRefused',
  /** Inbound edge cap reached. */
  'inboundFull',
  /** An inbound edge (or handshake) from a subnet already holding kad's MAX_EDGES_PER_SUBNET of our edges. */
  'subnetFull',
  /** A contact the knowledge table refused because its subnet already has SUBNET_CAP contacts there. */
  'knowledgeSubnetFull',
  /** node.deliveries was full (the 'message' event still fired). */
  'deliveryQueueFull',
  /** node.channels was full and nobody listened to 'channel': the channel was closed. */
  'channelQueueFull',
  /** An overlay message or payload type this version does not know. */
  'unknownType',
  /** A peer opened a channel in the reserved range 2-15 or 255. */
  'reservedChannel',
  /** A routed message claiming to come from this node. */
  'ownMessage',
  /** A contact record that does not decode, or that the knowledge table refused. */
  'badContact',
  /** A handler threw (a bug): the message was dropped and the node kept running. */
  'internalError',
] as const;

export type NodeDropReason = (typeof NODE_DROP_REASONS)[number];

export interface NodeCounters {
  /** Routed messages this node originated (each copy counts once per first hop). */
  originated: number;
  forwarded: number;
  /** Routed DATA messages handed to the application (and direct messages). */
  delivered: number;
  acksSent: number;
  acksReceived: number;
  lookupsSent: number;
  lookupsAnswered: number;
  hellosAnswered: number;
  /** Routed pings this node sent, and those it answered with a routed pong (issue 7). */
  routedPingsSent: number;
  routedPingsAnswered: number;
  rendezvousCompleted: number;
  edgesEstablished: number;
  edgesClosed: number;
  /** Surplus inbound edges this node closed with a Leave to keep its degree bounded (src/kad/degree-trim.ts). */
  edgesTrimmed: number;
  dialsStarted: number;
  dialsFailed: number;
  contactsLearned: number;
  probesStarted: number;
  knowledgeSaves: number;
  knowledgeLoaded: number;
  /** Packets (and their bytes) this node relayed between two neighbours on channel 2. */
  relayedPackets: number;
  relayedBytes: number;
  /** FORWARD frames refused (not relaying, no edge to the target, or over a cap). */
  relayRefused: number;
  /** relayRefused by reason (the REFUSED frame's reason): no edge to the target, session caps, rate caps. */
  relayRefusedNoEdge: number;
  relayRefusedSessionsFull: number;
  relayRefusedRateLimited: number;
  /** connect() results by path. */
  connectsRelayed: number;
  /** Hole-punch bursts started, and those skipped at the concurrency cap. */
  punchBursts: number;
  punchBurstsSkipped: number;
  /** Birthday attempts (one side symmetric) started, skipped (budget or no socket), paths found, datagrams sent. */
  birthdayAttempts: number;
  birthdaySkipped: number;
  birthdayFound: number;
  birthdayPackets: number;
  /** Relayed sessions put on trial toward a direct path, and those that moved to it. */
  upgradeTrials: number;
  pathUpgrades: number;
}

export interface NodeStats {
  running: boolean;
  phase: EdgePhase;
  edges: { total: number; inbound: number; outbound: number; siblings: number };
  /** Sessions, including those still in the Identify exchange. */
  sessions: number;
  knownContacts: number;
  counters: NodeCounters;
  drops: Record<NodeDropReason, number>;
  endpoint: EndpointStats | null;
}

export function createCounters(): NodeCounters {
  return {
    originated: 0,
    forwarded: 0,
    delivered: 0,
    acksSent: 0,
    acksReceived: 0,
    lookupsSent: 0,
    lookupsAnswered: 0,
    hellosAnswered: 0,
    routedPingsSent: 0,
    routedPingsAnswered: 0,
    rendezvousCompleted: 0,
    edgesEstablished: 0,
    edgesClosed: 0,
    edgesTrimmed: 0,
    dialsStarted: 0,
    dialsFailed: 0,
    contactsLearned: 0,
    probesStarted: 0,
    knowledgeSaves: 0,
    knowledgeLoaded: 0,
    relayedPackets: 0,
    relayedBytes: 0,
    relayRefused: 0,
    relayRefusedNoEdge: 0,
    relayRefusedSessionsFull: 0,
    relayRefusedRateLimited: 0,
    connectsRelayed: 0,
    punchBursts: 0,
    punchBurstsSkipped: 0,
    birthdayAttempts: 0,
    birthdaySkipped: 0,
    birthdayFound: 0,
    birthdayPackets: 0,
    upgradeTrials: 0,
    pathUpgrades: 0,
  };
}

export function createDrops(): Record<NodeDropReason, number> {
  const drops = {} as Record<NodeDropReason, number>;
  for (const r of NODE_DROP_REASONS) drops[r] = 0;
  return drops;
}
