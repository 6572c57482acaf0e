/**
 * A cluster of overlay nodes on the simulated network (src/node/sim): the same node code as over UDP, on an
 * in-memory fabric in virtual time. Each node sits on its own host (its own /24, so subnet caps never
 * bite) and gets a seeded identity and nonce generator, so a run depends only on the seed (and the
 * session layer's own key randomness).
 *
 * A crash is what a killed process does: the node's socket goes away without a Leave or a Disconnect
 * (its transport is closed first), then its timers are stopped so it costs nothing any more. Peers only
 * notice through silence (session timeout, retransmissions without an ack).
 */
import { Identity } from '../../src/identity/index.js';
import { createNode, type Node, type NodeOptions } from '../../src/node/index.js';
import { SimNetwork, type SimTransport } from '../../src/node/sim/index.js';
import { SIM_PORT } from './constants.js';
import { SeededPicker, seededFiller } from './seeded.js';

export interface ClusterMember {
  readonly index: number;
  readonly node: Node;
  readonly transport: SimTransport;
  readonly id: Uint8Array;
  /** Hex of the NodeID (map key). */
  readonly key: string;
  readonly startedAtMs: number;
  /** Started and not crashed. */
  alive: boolean;
}

export interface ClusterOptions {
  seed: number;
  latencyMs: number;
  jitterMs: number;
  /** Options every node gets (on top of identity, transport, clock, random, bootstrap). */
  node: Partial<NodeOptions>;
}

/** Hosts 10.a.b.1, one /24 each: 62,500 of them before the pattern repeats. */
export function simHost(index: number): string {
  return `10.${Math.floor(index / 250) % 250}.${index % 250}.1`;
}

function identityFor(seed: number, index: number): Identity {
  const bytes = new Uint8Array(32);
  seededFiller(seed * 1_000_003 + index * 7919 + 1)(bytes);
  return Identity.fromSeed(bytes);
}

export class SimCluster {
  readonly net: SimNetwork;
  readonly members: ClusterMember[] = [];
  readonly picker: SeededPicker;
  private readonly options: ClusterOptions;
  private bootstrapContacts: string[] = [];
  private aliveCache: ClusterMember[] | null = null;
  /** Edges trimmed by nodes that have crashed since (their counters go with them). */
  private trimmedByCrashed = 0;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.net = new SimNetwork({ seed: options.seed, latencyMs: options.latencyMs, jitterMs: options.jitterMs });
    this.picker = new SeededPicker(options.seed * 31 + 7);
  }

  get clock() {
    return this.net.clock;
  }

  /** Members that have not crashed, in start order. */
  alive(): ClusterMember[] {
    this.aliveCache ??= this.members.filter((m) => m.alive);
    return this.aliveCache;
  }

  /** The contacts new nodes bootstrap from (the first `count` members once they run). */
  setBootstrap(members: readonly ClusterMember[]): void {
    this.bootstrapContacts = members.map((m) => m.node.contact);
  }

  /** Starts the next node; it dials the bootstrap contacts. */
  async startNode(): Promise<ClusterMember> {
    const index = this.members.length;
    const transport = this.net.createTransport(simHost(index), SIM_PORT);
    const identity = identityFor(this.options.seed, index);
    const node = createNode({
      ...this.options.node,
      identity,
      transport,
      clock: this.clock,
      random: seededFiller(this.options.seed * 7_919 + 1_000 + index),
      bootstrap: this.bootstrapContacts,
    });
    const member: ClusterMember = {
      index,
      node,
      transport,
      id: identity.nodeId.slice(),
      key: Buffer.from(identity.nodeId).toString('hex'),
      startedAtMs: this.clock.elapsedMs,
      alive: false,
    };
    this.members.push(member);
    await node.start();
    member.alive = true;
    this.aliveCache = null;
    return member;
  }

  /** Kills a node without notice: its socket disappears first, then its timers stop. */
  async crash(member: ClusterMember): Promise<void> {
    if (!member.alive) return;
    member.alive = false;
    this.aliveCache = null;
    this.trimmedByCrashed += member.node.stats().counters.edgesTrimmed;
    await member.transport.close();
    const stopping = member.node.stop();
    await this.clock.settle();
    await stopping;
  }

  /** Edges closed by degree trimming so far, over every node that ever ran. */
  edgesTrimmed(): number {
    let sum = this.trimmedByCrashed;
    for (const m of this.members) if (m.alive) sum += m.node.stats().counters.edgesTrimmed;
    return sum;
  }

  /** Stops every node still running (gracefully: the run is over) and lets the fabric drain. */
  async stopAll(): Promise<void> {
    const stopping = this.members.filter((m) => m.alive).map((m) => {
      m.alive = false;
      return m.node.stop();
    });
    this.aliveCache = null;
    await this.clock.settle();
    await Promise.all(stopping);
    await this.clock.settle();
  }
}
