/**
 * What the node's parts share (the runtime's state and its handles), so each part stays one concept:
 * edges, the control protocol, routing, lookups, rendezvous, learning and maintenance. The Node builds
 * one context in start() and drops it in stop().
 */
import type { Contact, Identity } from '../identity/index.js';
import type { EdgeTable, KnowledgeTable } from '../kad/index.js';
import type { Channel, Clock, Endpoint, Session } from '../session/index.js';
import type { ControlProtocol } from './control-protocol.js';
import type { EdgeManager } from './edge-manager.js';
import type { Learning } from './learning.js';
import type { Lookups } from './lookups.js';
import type { Maintenance } from './maintenance.js';
import type { NatMonitor } from './nat-monitor.js';
import type { ResolvedNodeOptions } from './options.js';
import type { Punching } from './punching.js';
import type { Birthday } from './birthday.js';
import type { ConnectCascade } from './connect-cascade.js';
import type { Relaying } from './relaying.js';
import type { Rendezvous } from './rendezvous.js';
import type { Router } from './router.js';
import type { NodeCounters, NodeDropReason } from './stats.js';

export interface NodeContext {
  readonly identity: Identity;
  readonly self: Uint8Array;
  readonly selfKey: string;
  readonly options: ResolvedNodeOptions;
  readonly clock: Clock;
  readonly knowledge: KnowledgeTable;
  readonly edgeTable: EdgeTable;
  readonly counters: NodeCounters;
  readonly drops: Record<NodeDropReason, number>;
  /** Random per start; tells peers a new session replaces the old one after a restart. */
  readonly bootId: Uint8Array;
  readonly endpoint: Endpoint;
  /** False once stop() began: nothing new is started. */
  running: boolean;
  randomBytes(length: number): Uint8Array;
  /** This node's contact record (identity's encoding), as put in Identify, answers and hellos. */
  selfRecord(): Uint8Array;
  selfContact(): Contact;
  edges: EdgeManager;
  control: ControlProtocol;
  router: Router;
  lookups: Lookups;
  rendezvous: Rendezvous;
  learning: Learning;
  /** Reflexive-address consensus and the NAT classification (issue 6). */
  nat: NatMonitor;
  /** Channel-2 relaying, as relay and as endpoint (issue 6). */
  relaying: Relaying;
  /** PACKET_PUNCH bursts from the node's socket (issue 6). */
  punching: Punching;
  /** The birthday strategy when exactly one side is symmetric (issue 6). */
  birthday: Birthday;
  /** The connect cascade (edge, known address, rendezvous, direct/punch, relay) for connect() and maintenance. */
  cascade: ConnectCascade;
  maintenance: Maintenance | null;
  /** A message for the application (routed DATA or direct), after `hops` links. */
  deliver(from: Uint8Array, data: Uint8Array, direct: boolean, hops: number): void;
  /** A peer opened an application channel on a verified session. */
  incomingChannel(from: Uint8Array, session: Session, channel: Channel): void;
  /** Node events: 'edge', 'edge-closed', 'nat', 'warning'. */
  emit(event: string, payload: unknown): void;
}
