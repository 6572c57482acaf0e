/**
 * The IPC messages between the soak orchestrator and its node processes (Node's child_process 'message'
 * channel, JSON-serialised). Requests carry a number the reply echoes; samples and the final report are
 * pushed by the child on its own.
 */

/** What a child needs to start its node. */
export interface ChildConfig {
  index: number;
  host: string;
  bootstrap: string[];
  /** Maintenance timings, or null for the node's defaults. */
  maintenance: Record<string, number> | null;
  sampleMs: number;
}

/** A routed send with `{ ack: true }` of message `msgNo` to the node `to` (hex NodeID). */
export interface SendOp {
  kind: 'send';
  msgNo: number;
  to: string;
  bytes: number;
  timeoutMs: number;
}

/** Open `channel` to `to`, send `sizes.length` events, read and verify their echoes, hold, close. */
export interface ChannelOp {
  kind: 'channel';
  opNo: number;
  to: string;
  channel: number;
  sizes: number[];
  holdMs: number;
  timeoutMs: number;
}

export type Operation = SendOp | ChannelOp;

export type Request =
  | { kind: 'start'; config: ChildConfig }
  | { kind: 'op'; op: Operation }
  | { kind: 'status' };

export interface RequestMessage {
  type: 'request';
  reqId: number;
  body: Request;
}

export type ReplyMessage = { type: 'reply'; reqId: number; ok: true; value: unknown } | { type: 'reply'; reqId: number; ok: false; error: string };

export interface StartedValue {
  id: string;
  contact: string;
}

export interface StatusValue {
  edges: number;
  sessions: number;
  knownContacts: number;
}

/** The result of one operation (an operation that failed resolves with ok false; it is not an IPC error). */
export interface OpResult {
  ok: boolean;
  /** The error code (TIMEOUT, UNROUTABLE, CHANNEL_CLOSED, ...) or message when not ok. */
  error: string | null;
  ms: number;
  /** Channel operations: the channel was opened (openChannel resolved). */
  opened: boolean;
  /** Channel operations: echoed events and bytes that matched what was sent. */
  eventsVerified: number;
  bytesVerified: number;
  /** Channel operations: echoed events whose bytes differed from what was sent. */
  mismatches: number;
  /** Channel operations: the opener closed the channel. */
  closed: boolean;
}

/** One sample of a process, taken after a full GC. */
export interface Sample {
  /** Wall-clock ms (Date.now()). */
  t: number;
  heapUsed: number;
  rss: number;
  external: number;
  /** process.getActiveResourcesInfo() counted by kind (UDPWrap, Timeout, PipeWrap, ...). */
  resources: Record<string, number>;
  /** Pending ref'd timers made by setTimeout/setInterval since the process started (trackTimers, test/support/resources.ts). */
  liveTimers: number;
  edges: number;
  inbound: number;
  outbound: number;
  sessions: number;
  knownContacts: number;
  /** Channels this process has open as opener or echoer. */
  openChannels: number;
  inflightOps: number;
  /** CPU time (user + system) since the previous sample, ms, and as a percentage of one core. */
  cpuMs: number;
  cpuPercent: number;
  /** Event-loop delay since the previous sample (perf_hooks histogram), ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Endpoint counters (monotonic): packets, handshakes, rekeys, transport drops. */
  rxPackets: number;
  txPackets: number;
  handshakesCompleted: number;
  rekeys: number;
  endpointDrops: number;
}

/** What a receiver saw of the routed messages, keyed by message number. */
export interface ReceiverLedger {
  /** [msgNo, times delivered] for every message number delivered here at least once. */
  counts: Array<[number, number]>;
  /** Deliveries whose payload did not decode as a soak message or whose filler bytes were wrong. */
  corrupt: number;
  /** Deliveries whose payload names a sender other than the authenticated originator. */
  wrongSender: number;
  /** Deliveries whose payload names another node as the target. */
  wrongTarget: number;
}

export interface EchoSideCounts {
  /** Channels peers opened to this process. */
  accepted: number;
  /** ... of which the peer closed gracefully (the iteration ended). */
  closedByPeer: number;
  /** ... of which ended with an error (session closed, retries exhausted). */
  failed: number;
  eventsEchoed: number;
  /** Echo sends that rejected. */
  echoErrors: number;
}

/** Pushed by the child after SIGTERM: node.stop() done, then this, then exit 0. */
export interface FinalReport {
  ledger: ReceiverLedger;
  echo: EchoSideCounts;
  /** Resource kinds that grew between before node.start() and after node.stop() (e.g. 'Timeout: +1'). */
  leaksAfterStop: string[];
  stopMs: number;
  /** node.stats() just before stop(): counters and the non-zero drops. */
  counters: Record<string, number>;
  drops: Record<string, number>;
}

export type ChildMessage =
  | { type: 'ready' }
  | ReplyMessage
  | { type: 'sample'; sample: Sample }
  | { type: 'final'; report: FinalReport };
