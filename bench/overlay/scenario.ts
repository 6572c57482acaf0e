/**
 * The overlay scale and churn scenario (issue 8 item 1), on the simulated network in virtual time:
 * 1. join: `bootstrapNodes` nodes start first (each bootstrapping from those before it), then the rest,
 *    one every JOIN_INTERVAL_MS, each bootstrapping from the `bootstrapNodes`;
 * 2. convergence: virtual time from the last join until every live node has live edges to its 16
 *    XOR-closest live nodes (convergence.ts), checked every second;
 * 3. steady-state figures: degree distribution, memory per node (heap after GC), `messages` routed
 *    acknowledged messages between random pairs (delivery rate, hop counts), `lookups` finds by ID;
 * 4. churn, each simulated minute for `minutes` minutes: a `churnFraction` of the nodes (never the
 *    bootstrap nodes, which stand for the well-known infrastructure) crash without notice and as many
 *    fresh nodes join through the bootstrap nodes (spread over the first seconds of the minute), while
 *    `churnMessagesPerMinute` routed messages leave at random instants of the minute's send window;
 *    each minute reports its delivery rate.
 */
import { distribution, type Distribution } from './distribution.js';
import { SimCluster, type ClusterMember } from './cluster.js';
import {
  CHURN_JOIN_SPREAD_MS,
  CHURN_SEND_WINDOW_MS,
  CONVERGENCE_CHECK_MS,
  CONVERGENCE_MAX_MS,
  JOIN_INTERVAL_MS,
  LINK_JITTER_MS,
  LINK_LATENCY_MS,
  LOOKUP_SPREAD_MS,
  MESSAGE_SPREAD_MS,
  MINUTE_MS,
} from './constants.js';
import { ConvergenceTracker, trueNeighbourhoods } from './convergence.js';
import { heapAfterGc } from './heap.js';
import { lookupRound, messageRound, type LookupRound, type MessageRound } from './rounds.js';
import type { NodeOptions } from '../../src/node/index.js';

export interface ScenarioOptions {
  nodes: number;
  bootstrapNodes: number;
  messages: number;
  lookups: number;
  minutes: number;
  churnFraction: number;
  churnMessagesPerMinute: number;
  seed: number;
  /** Node options on top of the defaults (the bench uses the node's defaults). */
  node?: Partial<NodeOptions>;
  /** Wall-time limit: no churn minute starts after this much real time (the figures say so). */
  maxWallMs?: number;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
}

export interface DegreeFigures {
  total: Distribution;
  inbound: Distribution;
  outbound: Distribution;
}

export interface ChurnMinute {
  minute: number;
  alive: number;
  crashed: number;
  joined: number;
  round: MessageRound;
  /** acked / sent */
  deliveryRate: number;
  edgesTrimmed: number;
  wallMs: number;
}

export interface ScenarioResult {
  options: Omit<ScenarioOptions, 'log' | 'node' | 'maxWallMs'>;
  /** Churn minutes skipped because the wall-time limit was reached (0: the run is complete). */
  churnMinutesSkipped: number;
  joinVirtualMs: number;
  joinWallMs: number;
  /** Virtual ms from the last join until 99 % and 100 % of nodes had their full neighbourhood; null: not within CONVERGENCE_MAX_MS. */
  convergence99Ms: number | null;
  convergenceMs: number | null;
  convergedFraction: number;
  convergenceWallMs: number;
  degree: DegreeFigures;
  knownContacts: Distribution;
  heapBytesPerNode: number;
  messages: MessageRound;
  hops: Distribution;
  lookups: LookupRound;
  steadyWallMs: number;
  churn: ChurnMinute[];
  churnWallMs: number;
  edgesTrimmedBeforeChurn: number;
  totalWallMs: number;
  /** CPU time of this process (user + system) over the run: less sensitive than wall time to other load. */
  cpuMs: number;
  virtualMs: number;
  /** Timers still pending on the virtual clock after every node stopped (0: nothing leaked). */
  timersLeftAfterStop: number;
}

function degreeFigures(members: readonly ClusterMember[]): DegreeFigures {
  const stats = members.map((m) => m.node.stats().edges);
  return {
    total: distribution(stats.map((s) => s.total)),
    inbound: distribution(stats.map((s) => s.inbound)),
    outbound: distribution(stats.map((s) => s.outbound)),
  };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function trimmedSoFar(cluster: SimCluster): number {
  return cluster.edgesTrimmed();
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const heapBefore = heapAfterGc();
  const cluster = new SimCluster({ seed: options.seed, latencyMs: LINK_LATENCY_MS, jitterMs: LINK_JITTER_MS, node: { deliveryBuffer: 0, ...options.node } });
  let result: Omit<ScenarioResult, 'timersLeftAfterStop'>;
  try {
    result = await run(cluster, options, heapBefore);
  } finally {
    await cluster.stopAll();
  }
  return { ...result, timersLeftAfterStop: cluster.clock.pendingTimers };
}

async function run(cluster: SimCluster, options: ScenarioOptions, heapBefore: number): Promise<Omit<ScenarioResult, 'timersLeftAfterStop'>> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const clock = cluster.clock;
  // 1. join
  const boot: ClusterMember[] = [];
  for (let i = 0; i < Math.min(options.bootstrapNodes, options.nodes); i++) {
    cluster.setBootstrap(boot);
    boot.push(await cluster.startNode());
    await clock.advance(JOIN_INTERVAL_MS);
  }
  cluster.setBootstrap(boot);
  for (let i = boot.length; i < options.nodes; i++) {
    await cluster.startNode();
    await clock.advance(JOIN_INTERVAL_MS);
    if (i % 100 === 0) log(`join: ${i}/${options.nodes} nodes, ${((performance.now() - t0) / 1000).toFixed(1)} s wall`);
  }
  const joinVirtualMs = clock.elapsedMs;
  const joinWallMs = performance.now() - t0;

  // 2. convergence
  const t1 = performance.now();
  const tracker = new ConvergenceTracker(trueNeighbourhoods(cluster.alive()));
  const n = tracker.size;
  let convergence99Ms: number | null = null;
  let convergenceMs: number | null = null;
  let complete = tracker.check();
  const startMs = clock.elapsedMs;
  while (clock.elapsedMs - startMs < CONVERGENCE_MAX_MS) {
    if (convergence99Ms === null && complete >= 0.99 * n) convergence99Ms = clock.elapsedMs - startMs;
    if (complete === n) {
      convergenceMs = clock.elapsedMs - startMs;
      break;
    }
    await clock.advance(CONVERGENCE_CHECK_MS);
    complete = tracker.check();
    if ((clock.elapsedMs - startMs) % 30_000 === 0) log(`convergence: ${complete}/${n} complete after ${(clock.elapsedMs - startMs) / 1000} s virtual`);
  }
  const convergenceWallMs = performance.now() - t1;
  log(`converged: ${complete}/${n} in ${convergenceMs === null ? 'more than' : ''} ${((convergenceMs ?? CONVERGENCE_MAX_MS) / 1000).toFixed(0)} s virtual`);

  // 3. steady state
  const t2 = performance.now();
  const degree = degreeFigures(cluster.alive());
  const knownContacts = distribution(cluster.alive().map((m) => m.node.stats().knownContacts));
  const heapBytesPerNode = (heapAfterGc() - heapBefore) / n;
  const messages = await messageRound(cluster, options.messages, MESSAGE_SPREAD_MS);
  log(`messages: ${messages.acked}/${messages.sent} acked, ${messages.received} received`);
  const lookups = await lookupRound(cluster, options.lookups, LOOKUP_SPREAD_MS);
  log(`lookups: ${lookups.found}/${lookups.started} found`);
  const steadyWallMs = performance.now() - t2;
  const edgesTrimmedBeforeChurn = trimmedSoFar(cluster);
  const hopsNow = distribution(messages.hops);
  log(
    `steady state: degree mean ${degree.total.mean.toFixed(1)} p99 ${degree.total.p99} max ${degree.total.max} (inbound max ${degree.inbound.max}), ` +
      `hops mean ${hopsNow.mean.toFixed(2)} p99 ${hopsNow.p99} max ${hopsNow.max}, heap ${(heapBytesPerNode / 1024).toFixed(0)} KiB/node, ` +
      `${edgesTrimmedBeforeChurn} edges trimmed, cpu ${(cpuSeconds(cpu0)).toFixed(1)} s, virtual ${(clock.elapsedMs / 1000).toFixed(0)} s`,
  );

  // 4. churn
  const t3 = performance.now();
  const churn: ChurnMinute[] = [];
  const protectedSet = new Set(boot);
  let churnMinutesSkipped = 0;
  for (let minute = 1; minute <= options.minutes; minute++) {
    if (options.maxWallMs !== undefined && performance.now() - t0 > options.maxWallMs) {
      churnMinutesSkipped = options.minutes - minute + 1;
      log(`wall-time limit reached: stopping churn after ${minute - 1} of ${options.minutes} simulated minutes`);
      break;
    }
    const tm = performance.now();
    const minuteStart = clock.elapsedMs;
    const trimmedBefore = trimmedSoFar(cluster);
    const candidates = cluster.alive().filter((m) => !protectedSet.has(m));
    const count = Math.round(options.churnFraction * cluster.alive().length);
    const victims = cluster.picker.sample(candidates, count);
    for (const v of victims) await cluster.crash(v);
    const joinStep = Math.max(1, Math.floor(CHURN_JOIN_SPREAD_MS / Math.max(1, count)));
    let joined = 0;
    const roundPromise = messageRound(cluster, options.churnMessagesPerMinute, CHURN_SEND_WINDOW_MS);
    // The round drives the clock; joins are started by timers at their instants in the first seconds.
    for (let j = 0; j < count; j++) {
      clock.setTimer(() => {
        cluster.startNode().then(
          () => joined++,
          (err: unknown) => log(`a joining node failed to start: ${(err as Error).message}`),
        );
      }, j * joinStep);
    }
    const round = await roundPromise;
    const rest = minuteStart + MINUTE_MS - clock.elapsedMs;
    if (rest > 0) await clock.advance(rest);
    const trimmedAfter = trimmedSoFar(cluster);
    const entry: ChurnMinute = {
      minute,
      alive: cluster.alive().length,
      crashed: victims.length,
      joined,
      round,
      deliveryRate: round.sent === 0 ? 1 : round.acked / round.sent,
      edgesTrimmed: Math.max(0, trimmedAfter - trimmedBefore),
      wallMs: performance.now() - tm,
    };
    churn.push(entry);
    log(`churn minute ${minute}: ${victims.length} crashed, ${joined} joined, delivery ${round.acked}/${round.sent} (${(entry.deliveryRate * 100).toFixed(2)} %), ${(entry.wallMs / 1000).toFixed(1)} s wall`);
  }
  const churnWallMs = performance.now() - t3;
  return {
    options: {
      nodes: options.nodes,
      bootstrapNodes: options.bootstrapNodes,
      messages: options.messages,
      lookups: options.lookups,
      minutes: options.minutes,
      churnFraction: options.churnFraction,
      churnMessagesPerMinute: options.churnMessagesPerMinute,
      seed: options.seed,
    },
    churnMinutesSkipped,
    joinVirtualMs,
    joinWallMs,
    convergence99Ms,
    convergenceMs,
    convergedFraction: complete / n,
    convergenceWallMs,
    degree,
    knownContacts,
    heapBytesPerNode,
    messages,
    hops: distribution(messages.hops),
    lookups,
    steadyWallMs,
    churn,
    churnWallMs,
    edgesTrimmedBeforeChurn,
    totalWallMs: performance.now() - t0,
    cpuMs: cpuSeconds(cpu0) * 1000,
    virtualMs: clock.elapsedMs,
  };
}
