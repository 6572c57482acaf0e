/**
 * The overlay node: the public API (DESIGN "Public API shape") over the runtime parts. createNode()
 * validates options; start() loads or makes the identity, binds the one UDP socket, loads persisted
 * knowledge, dials the bootstrap contacts and starts maintenance; stop() says goodbye to every edge,
 * saves the knowledge and leaves nothing running.
 */
import { EventEmitter } from 'node:events';
import { randomFillSync } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, WiremeshError, throwIfAborted, AbortedError, TimeoutError } from '../errors.js';
import {
  Identity,
  MAX_CONTACT_ADDRESSES,
  encodeContactRecord,
  formatContact,
  formatPublicKeys,
  loadOrCreateIdentity,
  mintIdentity,
  parseIpLiteral,
  parseNodeId,
  satisfies,
  type Contact,
  type ContactAddress,
} from '../identity/index.js';
import { EdgeTable, KnowledgeTable, idKey, noSubnet, type EdgePhase } from '../kad/index.js';
import { UNKNOWN_NAT_STATUS, withNatType, type NatStatus } from '../nat/index.js';
import { Endpoint, bindUdpTransport, type Channel, type Session } from '../session/index.js';
import { MAX_ROUTED_PAYLOAD_BYTES, NODE_ID_BYTES } from '../wire/index.js';
import { AsyncQueue } from './async-queue.js';
import {
  ACK_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  DIAL_TIMEOUT_MS,
  KNOWLEDGE_DIR_NAME,
  PING_TIMEOUT_MS,
  RENDEZVOUS_TIMEOUT_MS,
  RANDOM_POOL_BYTES,
} from './constants.js';
import { contactFromKad, recordOfKad } from './contact-forms.js';
import type { NodeContext } from './context.js';
import { ControlProtocol } from './control-protocol.js';
import { EdgeManager, withSignal, type EdgeInfo } from './edge-manager.js';
import { NotRunningError, PowUnmetError } from './errors.js';
import { KnowledgeStore } from './knowledge-store.js';
import { Learning } from './learning.js';
import type { Link } from './link.js';
import { Lookups } from './lookups.js';
import { Maintenance } from './maintenance.js';
import { NatMonitor } from './nat-monitor.js';
import type { ObservedAddress } from './observed-addresses.js';
import { checkAppChannel, resolveNodeOptions, type NodeOptions, type ResolvedNodeOptions } from './options.js';
import { Punching } from './punching.js';
import { Birthday } from './birthday.js';
import { ConnectCascade } from './connect-cascade.js';
import { Relaying, type SessionPath } from './relaying.js';
import { RelayTransport } from './relay-transport.js';
import { Rendezvous } from './rendezvous.js';
import { Router } from './router.js';
import type { RoutedPingResult } from './routed-pings.js';
import { createCounters, createDrops, type NodeStats } from './stats.js';

/** A message for this node: routed by NodeID, or sent directly over an edge (`direct`). */
export interface Delivery {
  from: Uint8Array;
  data: Uint8Array;
  direct: boolean;
  /** Links the message traversed (1 = straight from the sender; 0 = sent to itself). */
  hops: number;
}

/** An application channel a peer opened to this node. */
export interface IncomingChannel {
  from: Uint8Array;
  channel: Channel;
  session: Session;
}

export interface SendOptions {
  /** Resolve only when the target's signed acknowledgement arrives. */
  ack?: boolean;
  signal?: AbortSignal;
  /** With `ack`: reject with TIMEOUT after this long (default 10 s). */
  timeoutMs?: number;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Default 10 s; rejects with TIMEOUT. */
  timeoutMs?: number;
}

export interface OpenChannelOptions extends ConnectOptions {
  /** Reliable (spec 11) or not; default from the node's channelReliability option (reliable). */
  reliable?: boolean;
}

/** Waits for `promise` within options.timeoutMs (default 10 s) and options.signal; TIMEOUT names `what`. */
function withDeadline(promise: Promise<void>, options: ConnectOptions, what: string): Promise<void> {
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} after ${timeoutMs} ms`)), timeoutMs);
  });
  return withSignal(Promise.race([promise, deadline]), options.signal).finally(() => clearTimeout(timer));
}

type NodeState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

function toNodeId(id: Uint8Array | string): Uint8Array {
  if (typeof id === 'string') return parseNodeId(id);
  if (!(id instanceof Uint8Array) || id.length !== NODE_ID_BYTES) {
    throw new InvalidArgumentError(`a node ID is ${NODE_ID_BYTES} bytes (or its text form); got ${id instanceof Uint8Array ? `${id.length} bytes` : typeof id}`);
  }
  return id;
}

function checkPayload(data: unknown): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be a Uint8Array (or Buffer)');
  if (data.length > MAX_ROUTED_PAYLOAD_BYTES) {
    throw new InvalidArgumentError(`a message is at most ${MAX_ROUTED_PAYLOAD_BYTES} bytes, got ${data.length}: use openChannel() for bulk data`);
  }
  return data;
}

/**
 * The system CSPRNG through a small pool: nonces and message ids are a few bytes each, and one
 * randomFillSync call per message costs more than the bytes.
 */
function systemRandom(): (out: Uint8Array) => void {
  const pool = new Uint8Array(RANDOM_POOL_BYTES);
  let used = pool.length;
  return (out) => {
    if (out.length > pool.length) {
      randomFillSync(out);
      return;
    }
    if (used + out.length > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    out.set(pool.subarray(used, used + out.length));
    // Each byte is handed out once.
    pool.fill(0, used, used + out.length);
    used += out.length;
  };
}

function isUnspecified(host: string): boolean {
  return host === '::' || host === '0.0.0.0' || host === '::0';
}

export class Node extends EventEmitter {
  readonly deliveries: AsyncQueue<Delivery>;
  readonly channels: AsyncQueue<IncomingChannel>;
  private readonly opts: ResolvedNodeOptions;
  private identityValue: Identity | undefined;
  private ownsIdentity = false;
  private ctx: NodeContext | null = null;
  private state: NodeState = 'new';
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private store: KnowledgeStore | null = null;
  private addresses: ContactAddress[] = [];
  /** Our own addresses (option or interfaces), before any reflexive address is added. */
  private boundAddresses: ContactAddress[] = [];
  private record: Uint8Array | null = null;
  /** Our NAT type as last classified, advertised in the contact's capability bits. */
  private natType: NatStatus['type'] = 'unknown';
  private readonly onAbort = () => {
    void this.stop();
  };

  constructor(options: NodeOptions) {
    super();
    this.opts = resolveNodeOptions(options);
    this.identityValue = this.opts.identity;
    this.deliveries = new AsyncQueue<Delivery>(this.opts.deliveryBuffer);
    this.channels = new AsyncQueue<IncomingChannel>(this.opts.channelBuffer);
  }

  /** This node's NodeID (available at once with an `identity` option, else after start()). */
  get id(): Uint8Array {
    if (this.identityValue === undefined) throw new NotRunningError('the identity is loaded by start(): await node.start() before reading node.id');
    return this.identityValue.nodeId.slice();
  }

  get identity(): Identity {
    if (this.identityValue === undefined) throw new NotRunningError('the identity is loaded by start(): await node.start() first');
    return this.identityValue;
  }

  /** The copy-pasteable contact string `<keys>@host:port,...` others bootstrap from (after start()). */
  get contact(): string {
    const id = this.identity;
    if (this.addresses.length === 0) return formatPublicKeys(id.edPublicKey, id.xPublicKey);
    return formatContact(this.selfContact());
  }

  get running(): boolean {
    return this.state === 'running';
  }

  start(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return Promise.reject(new NotRunningError('the node was stopped; create a new one'));
    if (this.startPromise !== null) return this.startPromise;
    this.state = 'starting';
    this.startPromise = this.doStart().catch(async (err: unknown) => {
      await this.teardown();
      this.state = 'stopped';
      throw err;
    });
    return this.startPromise;
  }

  /** Graceful: Leave on every edge, save the knowledge, close the socket. Idempotent. */
  stop(): Promise<void> {
    if (this.stopPromise !== null) return this.stopPromise;
    this.stopPromise = (async () => {
      if (this.startPromise !== null) await this.startPromise.catch(() => {});
      if (this.state === 'stopped' && this.ctx === null) {
        this.closeQueues();
        return;
      }
      this.state = 'stopping';
      await this.teardown();
      this.state = 'stopped';
    })();
    return this.stopPromise;
  }

  /** Routes `data` to the node `id`; with `{ ack: true }` resolves when the target confirms. */
  async send(id: Uint8Array | string, data: Uint8Array, options: SendOptions = {}): Promise<void> {
    const ctx = this.live();
    const target = toNodeId(id);
    checkPayload(data);
    throwIfAborted(options.signal);
    const timeoutMs = options.timeoutMs ?? ACK_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError(`timeoutMs must be a positive whole number of ms, got ${timeoutMs}`);
    return ctx.router.send(target, data, { ack: options.ack === true, signal: options.signal, timeoutMs });
  }

  /** Sends `data` over a direct session to `id` (connecting first when needed). */
  async sendDirect(id: Uint8Array | string, data: Uint8Array, options: ConnectOptions = {}): Promise<void> {
    checkPayload(data);
    const link = await this.connectLink(toNodeId(id), options);
    return this.live().router.sendDirect(link, data);
  }

  /**
   * A verified session to `id`: the existing edge, or a dial to its known address, or a rendezvous
   * (routed Hello/Reply by NodeID) and then a direct dial. Rejects with UNROUTABLE, TIMEOUT,
   * POW_UNMET, EDGE_REFUSED or ABORTED.
   */
  async connect(id: Uint8Array | string, options: ConnectOptions = {}): Promise<Session> {
    return (await this.connectLink(toNodeId(id), options)).session;
  }

  /** An application channel (16-254) on the session to `id`. */
  async openChannel(id: Uint8Array | string, channel: number, options: OpenChannelOptions = {}): Promise<Channel> {
    checkAppChannel(channel);
    const session = await this.connect(id, options);
    const reliable = options.reliable ?? this.opts.channelReliability(channel);
    // A channel this node just closed lingers until the peer acknowledges the close; reopening waits for it
    // (bounded like the connect) instead of handing back the dead channel.
    if (session.channelClosing(channel)) {
      await withDeadline(session.channelReleased(channel), options, `channel ${channel} to this peer is still closing`);
    }
    const ch = session.channel(channel);
    if (reliable && !ch.reliable) ch.setReliable();
    if (!reliable && ch.reliable) throw new WiremeshError('INVALID_STATE', `channel ${channel} to this peer is already open as a reliable channel`);
    return ch;
  }

  /** Round-trip time (ms) to a node this node has an edge to. */
  async ping(id: Uint8Array | string, options: ConnectOptions = {}): Promise<number> {
    const ctx = this.live();
    const link = ctx.edges.edgeLink(toNodeId(id));
    if (link === undefined) throw new WiremeshError('NO_EDGE', 'there is no edge to that node: ping() measures direct edges (use connect() first)');
    return ctx.control.ping(link, options.timeoutMs ?? PING_TIMEOUT_MS, options.signal);
  }

  /**
   * Routed round trip to `id` (any node, no edge needed): a signed ping routed over the overlay by NodeID
   * and the target's signed pong back. Resolves with the RTT and the hop counts both ways; rejects with
   * UNROUTABLE (no edges yet), TIMEOUT (default 5 s) or ABORTED. `ping()` measures one edge instead.
   */
  async routedPing(id: Uint8Array | string, options: ConnectOptions = {}): Promise<RoutedPingResult> {
    const ctx = this.live();
    const target = toNodeId(id);
    throwIfAborted(options.signal);
    const timeoutMs = options.timeoutMs ?? PING_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError(`timeoutMs must be a positive whole number of ms, got ${timeoutMs}`);
    return ctx.router.pings.ping(target, timeoutMs, options.signal);
  }

  /**
   * Finds a node by its NodeID alone and resolves with its verified contact (keys and addresses), opening
   * no session: the rendezvous half of connect() (a signed Hello routed to the target, its signed Reply
   * routed back). Rejects with UNROUTABLE (no edges yet), TIMEOUT (default 5 s) or ABORTED.
   */
  async find(id: Uint8Array | string, options: ConnectOptions = {}): Promise<Contact> {
    const ctx = this.live();
    const target = toNodeId(id);
    if (idKey(target) === ctx.selfKey) throw new InvalidArgumentError('a node cannot look itself up: read node.contact');
    throwIfAborted(options.signal);
    const timeoutMs = options.timeoutMs ?? RENDEZVOUS_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError(`timeoutMs must be a positive whole number of ms, got ${timeoutMs}`);
    return ctx.rendezvous.find(target, timeoutMs, options.signal);
  }

  /** Starts a routed lookup toward `target` (learning the contacts around it); false without edges. */
  lookup(target: Uint8Array | string): boolean {
    return this.live().lookups.lookup(toNodeId(target));
  }

  /** The live edges, closest to this node first. */
  edges(): EdgeInfo[] {
    return this.ctx?.edges.edges() ?? [];
  }

  /** Addresses neighbours report seeing this node at (reflexive learning input). */
  observedAddresses(): ObservedAddress[] {
    return this.ctx?.edges.observedAddresses() ?? [];
  }

  /**
   * This node's NAT as its neighbours see it: 'public' (they see us at our own address), 'cone' (they
   * agree on a translated address: `reflexive`), 'symmetric' (they never agree) or 'unknown' (too few
   * reports). An address is confirmed by 3 reporters from 2 subnets; the 'nat' event fires on change.
   */
  nat(): NatStatus {
    const status = this.ctx?.nat.status() ?? UNKNOWN_NAT_STATUS;
    return { type: status.type, reflexive: status.reflexive === null ? null : { ...status.reflexive } };
  }

  /**
   * How the live edge to `id` travels: `{ type: 'direct' }` or `{ type: 'relayed', relay }` (the relay's
   * NodeID); null without an edge. A relayed session moves to a direct path by itself once an
   * authenticated packet arrives straight from the peer, and this answer follows.
   */
  path(id: Uint8Array | string): SessionPath | null {
    const ctx = this.ctx;
    if (ctx === null) return null;
    const link = ctx.edges.edgeLink(toNodeId(id));
    return link === undefined ? null : ctx.relaying.pathOf(link.session.remoteAddress);
  }

  /** Contacts in the knowledge table that carry keys (dialable). */
  knownContacts(): Contact[] {
    if (this.ctx === null) return [];
    const out: Contact[] = [];
    for (const k of this.ctx.knowledge.all()) {
      const c = contactFromKad(k);
      if (c !== null) out.push(c);
    }
    return out;
  }

  stats(): NodeStats {
    const ctx = this.ctx;
    const drops = ctx === null ? createDrops() : { ...ctx.drops };
    const table = ctx?.edgeTable;
    return {
      running: this.state === 'running',
      phase: (table?.phase() ?? 'bootstrap') as EdgePhase,
      edges: {
        total: table?.size ?? 0,
        inbound: table?.inboundCount ?? 0,
        outbound: table?.outboundCount ?? 0,
        siblings: table?.siblings().length ?? 0,
      },
      sessions: ctx?.edges.sessionCount ?? 0,
      knownContacts: ctx?.knowledge.size ?? 0,
      counters: ctx === null ? createCounters() : { ...ctx.counters },
      drops,
      endpoint: ctx?.endpoint.snapshot() ?? null,
    };
  }

  // ---- internals ----

  private live(): NodeContext {
    if (this.state !== 'running' || this.ctx === null) throw new NotRunningError();
    return this.ctx;
  }

  private async connectLink(target: Uint8Array, options: ConnectOptions): Promise<Link> {
    const ctx = this.live();
    if (idKey(target) === ctx.selfKey) throw new InvalidArgumentError('a node cannot connect to itself');
    throwIfAborted(options.signal);
    // An existing edge is the cascade's first step (a relayed one starts looking for a direct path).
    if (ctx.edges.edgeLink(target) === undefined && !satisfies(target, this.opts.difficulty)) {
      throw new PowUnmetError(`that NodeID has less than the network's ${this.opts.difficulty} bits of proof of work`);
    }
    const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError(`timeoutMs must be a positive whole number of ms, got ${timeoutMs}`);
    // The cascade (connect-cascade.ts) is shared with maintenance dials (issue 6 item 5).
    return ctx.cascade.connect(target, { timeoutMs, signal: options.signal });
  }

  private async doStart(): Promise<void> {
    const o = this.opts;
    if (o.signal?.aborted) throw new AbortedError('the node was aborted before it started', { cause: o.signal.reason });
    if (this.identityValue === undefined) {
      if (o.dataDir !== undefined) {
        this.identityValue = (await loadOrCreateIdentity({ dataDir: o.dataDir, difficulty: o.difficulty, signal: o.signal })).identity;
      } else if (o.difficulty > 0) {
        this.identityValue = await mintIdentity({ difficulty: o.difficulty, signal: o.signal });
      } else {
        this.identityValue = Identity.generate();
      }
      this.ownsIdentity = true;
    }
    const identity = this.identityValue;
    const self = identity.nodeId;
    if (o.dataDir !== undefined) {
      this.store = await KnowledgeStore.open(join(o.dataDir, KNOWLEDGE_DIR_NAME), (code, message) => this.warn(code, message));
    }
    const subnetOf = o.noSubnet ? noSubnet : undefined;
    const knowledge = new KnowledgeTable({ self, difficulty: o.difficulty, subnetOf, random: o.random });
    const edgeTable = new EdgeTable({
      self,
      targetDegree: o.targetDegree,
      maxInbound: o.maxInboundEdges,
      subnetOf,
      controlBudget: o.controlBudget,
      forwardBudget: o.forwardBudget,
      backoff: o.maintenance === null ? undefined : { baseMs: o.maintenance.backoffBaseMs, maxMs: o.maintenance.backoffMaxMs },
    });
    let edges: EdgeManager | null = null;
    // The relay hook wraps the socket (relay-transport.ts): relayed peers get virtual addresses.
    const socket = o.transport ?? (await bindUdpTransport({ host: o.host, port: o.port }));
    const transport = new RelayTransport(socket);
    const endpoint = await Endpoint.listen({
      staticKey: { publicKey: identity.xPublicKey, privateKey: identity.xPrivateKey },
      transport,
      clock: o.clock,
      crypto: o.crypto,
      keepaliveIntervalMs: o.keepaliveMs,
      sessionTimeoutMs: o.deadAfterMs,
      acceptPeer: (key, address) => edges !== null && edges.acceptPeer(key, address),
    }).catch(async (err: unknown) => {
      if (o.transport === undefined) await socket.close();
      throw err;
    });
    this.addresses = this.advertisedAddresses(endpoint);
    this.boundAddresses = this.addresses;
    const random = o.random ?? systemRandom();
    const ctx: NodeContext = {
      identity,
      self: self.slice(),
      selfKey: idKey(self),
      options: o,
      clock: o.clock,
      knowledge,
      edgeTable,
      counters: createCounters(),
      drops: createDrops(),
      bootId: (() => {
        const b = new Uint8Array(8);
        random(b);
        return b;
      })(),
      endpoint,
      running: true,
      randomBytes: (length) => {
        const b = new Uint8Array(length);
        random(b);
        return b;
      },
      selfRecord: () => this.selfRecord(),
      selfContact: () => this.selfContact(),
      edges: null as unknown as EdgeManager,
      control: null as unknown as ControlProtocol,
      router: null as unknown as Router,
      lookups: null as unknown as Lookups,
      rendezvous: null as unknown as Rendezvous,
      learning: null as unknown as Learning,
      nat: null as unknown as NatMonitor,
      relaying: null as unknown as Relaying,
      punching: null as unknown as Punching,
      birthday: null as unknown as Birthday,
      cascade: null as unknown as ConnectCascade,
      maintenance: null,
      deliver: (from, data, direct, hops) => this.deliver(from, data, direct, hops),
      incomingChannel: (from, session, channel) => this.incomingChannel(from, session, channel),
      emit: (event, payload) => {
        if (event === 'nat') this.adoptReflexive(payload as NatStatus);
        this.emit(event, payload);
      },
    };
    edges = new EdgeManager(ctx);
    ctx.edges = edges;
    ctx.control = new ControlProtocol(ctx);
    ctx.router = new Router(ctx);
    ctx.lookups = new Lookups(ctx);
    ctx.rendezvous = new Rendezvous(ctx);
    ctx.learning = new Learning(ctx);
    ctx.nat = new NatMonitor(ctx, () => this.boundAddresses);
    ctx.relaying = new Relaying(ctx, transport);
    ctx.punching = new Punching(ctx, socket);
    // Extra sockets for the birthday strategy: UDP on our host when we bind our own socket.
    const openSocket = o.openSocket ?? (o.transport === undefined ? () => bindUdpTransport({ host: o.host, port: 0 }) : undefined);
    ctx.birthday = new Birthday(ctx, socket, transport, openSocket, (peerKey, address) => ctx.relaying.onPathFound(peerKey, address));
    ctx.cascade = new ConnectCascade(ctx);
    if (o.maintenance !== null) ctx.maintenance = new Maintenance(ctx, o.maintenance, () => void this.persist());
    this.ctx = ctx;
    endpoint.on('session', edges.onInboundSession);

    if (this.store !== null) {
      const stored = await this.store.load(self);
      for (const s of stored) ctx.learning.gossip(s.contact);
      ctx.counters.knowledgeLoaded += stored.length;
    }
    for (const contact of o.bootstrap) ctx.learning.firstHand(contact);
    this.state = 'running';
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
    for (const contact of o.bootstrap) {
      if (idKey(contact.nodeId) === ctx.selfKey) continue;
      if (ctx.maintenance !== null) {
        const known = knowledge.get(contact.nodeId);
        if (known !== undefined) ctx.maintenance.dial(known);
      } else {
        ctx.edges.dial(contact, { timeoutMs: DIAL_TIMEOUT_MS, maintained: true }).catch(() => {
          ctx.counters.dialsFailed++;
        });
      }
    }
    ctx.maintenance?.start();
  }

  private async teardown(): Promise<void> {
    const ctx = this.ctx;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (ctx !== null) {
      ctx.running = false;
      ctx.maintenance?.stop();
      const stopped = new NotRunningError('the node stopped');
      ctx.router.close(stopped);
      ctx.rendezvous.close(stopped);
      ctx.punching.close();
      ctx.birthday.close();
      ctx.relaying.close();
      ctx.control.close(stopped);
      ctx.edges.closeAll();
      await this.persist();
      await ctx.endpoint.close();
    }
    if (this.store !== null) {
      await this.store.close().catch((err: Error) => this.warn('KNOWLEDGE_UNAVAILABLE', `closing the knowledge database failed: ${err.message}`));
      this.store = null;
    }
    this.closeQueues();
    this.ctx = null;
    if (this.ownsIdentity) this.identityValue?.destroy();
  }

  private closeQueues(): void {
    this.deliveries.close();
    this.channels.close();
  }

  private async persist(): Promise<void> {
    const ctx = this.ctx;
    const store = this.store;
    if (ctx === null || store === null) return;
    const entries: { record: Uint8Array; id: Uint8Array; lastSeenMs: number }[] = [];
    for (const k of ctx.knowledge.all()) {
      const record = recordOfKad(k);
      if (record !== null) entries.push({ record, id: k.id, lastSeenMs: k.lastSeenMs ?? 0 });
    }
    try {
      await store.save(ctx.self, entries);
      ctx.counters.knowledgeSaves++;
    } catch (err) {
      this.warn('KNOWLEDGE_UNAVAILABLE', `saving the knowledge table failed: ${(err as Error).message}`);
    }
  }

  private warn(code: string, message: string): void {
    // 'warning' with no listener is not special for EventEmitter; stay silent rather than throw.
    this.emit('warning', { code, message });
  }

  private deliver(from: Uint8Array, data: Uint8Array, direct: boolean, hops: number): void {
    const delivery: Delivery = { from, data, direct, hops };
    this.emit('message', delivery);
    if (!this.deliveries.push(delivery) && this.deliveries.capacity > 0 && this.ctx !== null) this.ctx.drops.deliveryQueueFull++;
  }

  private incomingChannel(from: Uint8Array, session: Session, channel: Channel): void {
    const info: IncomingChannel = { from: from.slice(), channel, session };
    const listened = this.listenerCount('channel') > 0;
    this.emit('channel', info);
    if (!this.channels.push(info) && !listened) {
      if (this.ctx !== null) this.ctx.drops.channelQueueFull++;
      channel.close();
    }
  }

  /**
   * A confirmed reflexive address that is not ours (cone NAT) goes first in our contact: it is the one
   * candidate peers outside our network can punch toward and dial; the local ones follow for LAN peers.
   * An explicit `advertise` option is the operator's word and stays as given.
   */
  private adoptReflexive(status: NatStatus): void {
    this.natType = status.type;
    this.record = null;
    if (this.opts.advertise !== undefined || this.ctx === null) return;
    const local = this.boundAddresses;
    // Behind a symmetric NAT the public host (with the latest observed port) goes first instead: a cone
    // peer sprays that host in the birthday strategy (issue 6 item 3).
    const reflexive = status.type === 'cone' ? status.reflexive : status.type === 'symmetric' ? this.ctx.nat.symmetricAddress() : null;
    this.addresses = reflexive === null ? local : [reflexive, ...local].slice(0, MAX_CONTACT_ADDRESSES);
  }

  private selfContact(): Contact {
    const id = this.identity;
    // The NAT type rides in two capability bits (src/nat nat-capabilities.ts): peers pick punch, birthday or relay by it.
    const capabilities = withNatType(this.opts.capabilities, this.natType);
    return { nodeId: id.nodeId, edPublicKey: id.edPublicKey, xPublicKey: id.xPublicKey, addresses: this.addresses, capabilities };
  }

  private selfRecord(): Uint8Array {
    this.record ??= encodeContactRecord(this.selfContact());
    return this.record;
  }

  /** What goes in our contact: the advertise option, the bound address, or the interfaces' addresses. */
  private advertisedAddresses(endpoint: Endpoint): ContactAddress[] {
    if (this.opts.advertise !== undefined) return this.opts.advertise.map((a) => ({ host: a.host, port: a.port }));
    const bound = endpoint.address();
    if (parseIpLiteral(bound.host) !== null && !isUnspecified(bound.host)) return [{ host: bound.host, port: bound.port }];
    if (parseIpLiteral(bound.host) === null && !isUnspecified(bound.host)) return [];
    const v6 = bound.host.includes(':');
    const out: ContactAddress[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const nic of list ?? []) {
        if (nic.internal || (nic.family === 'IPv6' && (!v6 || nic.address.startsWith('fe80')))) continue;
        if (parseIpLiteral(nic.address) === null) continue;
        out.push({ host: nic.address, port: bound.port });
      }
    }
    if (out.length === 0) out.push({ host: v6 ? '::1' : '127.0.0.1', port: bound.port });
    return out.slice(0, MAX_CONTACT_ADDRESSES);
  }
}

/** Validates `options` (one InvalidArgumentError for the first bad one) and returns a node to start(). */
export function createNode(options: NodeOptions = {}): Node {
  return new Node(options);
}

