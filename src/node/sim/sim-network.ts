/**
 * The in-memory datagram fabric: many Endpoints (or Nodes) in one process, each on its own simulated
 * address, with latency, jitter, loss, duplication, partitions and NAT routers, all in virtual time on one
 * VirtualClock and all random choices from one seeded stream. The same seed and the same script give the
 * same trace.
 *
 * Addressing. Every host IP has one place, fixed when it is first bound: on the public fabric, or behind
 * exactly one NAT (`createTransport(ip, port, { behind: nat })`), or it is a NAT's public IP. A datagram from
 * a host behind a NAT to a host behind the same NAT goes straight across that private network; any other
 * leaves through the NAT (translated) and crosses the public fabric, where a private IP is unreachable.
 *
 * Link conditions are keyed by the hosts a datagram travels between on its network: on the public fabric
 * the sender's public host (its NAT's public IP when it is behind one) and the host it is addressed to; on a
 * private network the two private hosts. Partitions accept either name of a host behind a NAT.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError, WiremeshError } from '../../errors.js';
import type { UdpAddress } from '../../session/transport.js';
import { EPHEMERAL_PORT_MAX, EPHEMERAL_PORT_MIN, MAX_DATAGRAM_BYTES } from './constants.js';
import {
  addHostCounters,
  copyHostCounters,
  createHostCounters,
  type HostCounters,
  type SimDropReason,
} from './host-counters.js';
import { PERFECT_LINK, resolveLinkConditions, type LinkConditions } from './link-conditions.js';
import { PartitionSet } from './partition-set.js';
import { SeededRandom } from './seeded-random.js';
import { SimNat, type SimNatOptions } from './sim-nat.js';
import { SimTransport, type DatagramFabric } from './sim-transport.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimNetworkOptions extends Partial<LinkConditions> {
  /** Seed of every random choice (loss, jitter, duplication, NAT port allocation). Default 1. */
  seed?: number;
  /** The clock to schedule deliveries on (default: a new VirtualClock). Give it to every Endpoint too. */
  clock?: VirtualClock;
  /** Called for every datagram sent, delivered or dropped (debugging, determinism checks). */
  trace?: (event: SimDatagramEvent) => void;
}

export interface SimTransportOptions {
  /** Put the host behind this NAT (made by `addNat` of the same network). */
  behind?: SimNat;
}

export interface SimLinkOptions {
  /** Set only the direction from `a` to `b` (default: both directions). */
  oneWay?: boolean;
}

export interface SimDatagramEvent {
  readonly kind: 'send' | 'deliver' | 'drop';
  readonly atMs: number;
  /** Sequence number of the datagram within this network (copies share it). */
  readonly id: number;
  /** send: the sender's bound address; deliver and drop: the source as the receiver would see it. */
  readonly from: UdpAddress;
  /** send and drop: the address the datagram is sent to; deliver: the receiving transport's bound address. */
  readonly to: UdpAddress;
  readonly length: number;
  readonly reason: SimDropReason | null;
}

interface HostRecord {
  readonly host: string;
  readonly nat: SimNat | null;
  readonly ports: Map<number, SimTransport>;
  readonly counters: HostCounters;
}

interface InFlight {
  readonly id: number;
  readonly sender: HostRecord;
  /** The sender's NAT public host when the datagram crosses the public fabric from behind a NAT. */
  readonly senderPublic: string | null;
  /** Source as the receiver sees it (after outbound translation). */
  readonly srcHost: string;
  readonly srcPort: number;
  readonly dstHost: string;
  readonly dstPort: number;
  /** Delivered inside this NAT's private network instead of over the public fabric. */
  readonly lan: SimNat | null;
  readonly data: Buffer;
}

const UNSPECIFIED_HOSTS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

export class SimNetwork implements DatagramFabric {
  readonly clock: VirtualClock;
  readonly seed: number;
  private readonly random: SeededRandom;
  private readonly trace: ((event: SimDatagramEvent) => void) | null;
  private defaults: LinkConditions;
  private readonly links = new Map<string, LinkConditions>();
  private readonly partitions = new PartitionSet();
  private readonly hosts = new Map<string, HostRecord>();
  private readonly nats = new Map<string, SimNat>();
  private datagrams = 0;
  private inFlightCount = 0;
  // `done` callbacks of sends, completed together on the next real turn (a socket reports completion later).
  private doneFns: Array<(err: Error | null) => void> = [];
  private doneErrs: Array<Error | null> = [];
  private doneScheduled = false;
  private readonly arriveBound = (d: InFlight): void => this.arrive(d);

  constructor(options: SimNetworkOptions = {}) {
    const seed = options.seed ?? 1;
    this.random = new SeededRandom(seed);
    this.seed = seed;
    this.clock = options.clock ?? new VirtualClock();
    this.trace = options.trace ?? null;
    this.defaults = resolveLinkConditions(PERFECT_LINK, options);
  }

  /** Conditions of every path without its own `setLink` entry. */
  get defaultConditions(): LinkConditions {
    return this.defaults;
  }

  /** Datagram copies scheduled for delivery and not yet arrived. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Changes the conditions of every path without its own link entry (fields left out stay as they are). */
  setDefaultConditions(conditions: Partial<LinkConditions>): void {
    this.defaults = resolveLinkConditions(this.defaults, conditions);
  }

  /**
   * Gives the path between hosts `a` and `b` its own conditions; fields left out are taken from the current
   * defaults. Later default changes do not touch it.
   */
  setLink(a: string, b: string, conditions: Partial<LinkConditions>, options: SimLinkOptions = {}): void {
    checkHostName(a);
    checkHostName(b);
    const resolved = resolveLinkConditions(this.defaults, conditions);
    this.links.set(linkKey(a, b), resolved);
    if (options.oneWay !== true) this.links.set(linkKey(b, a), resolved);
  }

  /** Returns the path between `a` and `b` to the default conditions. */
  clearLink(a: string, b: string, options: SimLinkOptions = {}): void {
    this.links.delete(linkKey(a, b));
    if (options.oneWay !== true) this.links.delete(linkKey(b, a));
  }

  /** Cuts every path between a host in `groupA` and a host in `groupB` (both ways) until `heal()`. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.partitions.add(groupA, groupB);
  }

  /** Removes every partition. */
  heal(): void {
    this.partitions.clear();
  }

  /** Adds a NAT router with the public IP `options.publicHost`; bind hosts behind it with `{ behind: nat }`. */
  addNat(options: SimNatOptions): SimNat {
    const host = options?.publicHost;
    if (typeof host === 'string' && (this.nats.has(host) || this.hosts.has(host))) {
      throw new InvalidArgumentError(`host ${host} is already in use on this network: give the NAT an address of its own`);
    }
    // Each NAT draws from its own stream, so NAT traffic never shifts the loss and jitter draws of others.
    const nat = new SimNat(options, ((this.seed % 0x1_0000_0000) * 31 + this.nats.size + 1) >>> 0);
    if (UNSPECIFIED_HOSTS.has(nat.publicHost)) {
      throw new InvalidArgumentError(`NAT publicHost ${nat.publicHost} is unspecified: give the NAT a concrete address`);
    }
    this.nats.set(nat.publicHost, nat);
    return nat;
  }

  /**
   * Binds a transport at `host:port` (port 0: the lowest free port from 49152). Throws ADDRESS_IN_USE when
   * the address is taken, INVALID_ARGUMENT for a bad address or a host placed elsewhere before.
   */
  createTransport(host: string, port = 0, options: SimTransportOptions = {}): SimTransport {
    if (typeof host !== 'string' || isIP(host) === 0) {
      throw new InvalidArgumentError(`host '${String(host)}' is not an IP address: use e.g. 10.0.0.1 or fd00::1`);
    }
    if (UNSPECIFIED_HOSTS.has(host)) {
      throw new InvalidArgumentError(`host ${host} is unspecified: bind each simulated host to its own address, e.g. 10.0.0.1`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidArgumentError(`port ${String(port)} is out of range: use a number from 0 to 65535`);
    }
    const behind = options.behind ?? null;
    if (behind !== null && this.nats.get(behind.publicHost) !== behind) {
      throw new InvalidArgumentError('the NAT was not made by this network: create it with network.addNat()');
    }
    if (this.nats.has(host)) {
      throw new InvalidArgumentError(`host ${host} is the public address of a NAT: bind hosts behind it with { behind: nat } and a private address`);
    }
    let record = this.hosts.get(host);
    if (record !== undefined && record.nat !== behind) {
      const where = record.nat === null ? 'on the public network' : `behind the NAT ${record.nat.publicHost}`;
      throw new InvalidArgumentError(`host ${host} is already ${where}: a host address has one place; use another address`);
    }
    if (record === undefined) {
      record = { host, nat: behind, ports: new Map(), counters: createHostCounters() };
      this.hosts.set(host, record);
    }
    const bound = port === 0 ? freeEphemeralPort(record) : port;
    if (bound === null) {
      throw new WiremeshError('ADDRESS_IN_USE', `no free port on simulated host ${host}: close some transports`);
    }
    if (record.ports.has(bound)) {
      throw new WiremeshError('ADDRESS_IN_USE', `UDP port ${host}:${bound} is already in use: close the other transport or choose another port`);
    }
    const transport = new SimTransport(this, host, bound, behind);
    record.ports.set(bound, transport);
    return transport;
  }

  /** Counters of one host (zeros for a host never bound). A copy. */
  counters(host: string): HostCounters {
    const record = this.hosts.get(host);
    return record === undefined ? createHostCounters() : copyHostCounters(record.counters);
  }

  /** The sum over all hosts. */
  totals(): HostCounters {
    const sum = createHostCounters();
    for (const r of this.hosts.values()) addHostCounters(sum, r.counters);
    return sum;
  }

  // ---- DatagramFabric ----

  transmit(from: SimTransport, buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    const err = this.checkSend(from, buf, length, host, port);
    if (err !== null) {
      this.completeLater(done, err);
      return;
    }
    const sender = this.hosts.get(from.host)!;
    const id = ++this.datagrams;
    sender.counters.sent++;
    sender.counters.sentBytes += length;
    if (this.trace !== null) this.emit('send', id, from.host, from.port, host, port, length, null);
    this.route(from, sender, id, buf, length, host, port);
    this.completeLater(done, null);
  }

  unbind(transport: SimTransport): void {
    const record = this.hosts.get(transport.host);
    if (record !== undefined && record.ports.get(transport.port) === transport) record.ports.delete(transport.port);
  }

  // ---- internals ----

  private checkSend(from: SimTransport, buf: Uint8Array, length: number, host: string, port: number): Error | null {
    if (from.closed) return new WiremeshError('CLOSED', 'the socket is closed');
    if (!(buf instanceof Uint8Array) || !Number.isInteger(length) || length < 0 || length > buf.length) {
      return new InvalidArgumentError(`send length ${String(length)} is invalid: use 0 to the buffer's length`);
    }
    if (length > MAX_DATAGRAM_BYTES) {
      return new WiremeshError('MESSAGE_TOO_BIG', `a datagram of ${length} bytes exceeds the UDP maximum of ${MAX_DATAGRAM_BYTES}`);
    }
    if (typeof host !== 'string' || isIP(host) === 0) {
      return new InvalidArgumentError(`destination host '${String(host)}' is not an IP address`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return new InvalidArgumentError(`destination port ${String(port)} is out of range: use 1-65535`);
    }
    return null;
  }

  /** Send-time decisions: private network or NAT translation, partition, loss, latency, duplication. */
  private route(from: SimTransport, sender: HostRecord, id: number, buf: Uint8Array, length: number, host: string, port: number): void {
    const nat = from.behind;
    let srcHost = from.host;
    let srcPort = from.port;
    let lan: SimNat | null = null;
    let senderPublic: string | null = null;
    if (nat !== null) {
      const dest = this.hosts.get(host);
      if (dest !== undefined && dest.nat === nat) {
        lan = nat;
      } else {
        // RFC 4787 REQ-9 (hairpinning): off by default, as on many consumer NATs.
        if (host === nat.publicHost && !nat.hairpinning) {
          this.dropAtSend(sender, id, from, host, port, length, 'hairpin');
          return;
        }
        const mapped = nat.outbound(from.host, from.port, host, port, this.clock.now());
        if (mapped === null) {
          this.dropAtSend(sender, id, from, host, port, length, 'nat_ports_exhausted');
          return;
        }
        senderPublic = nat.publicHost;
        srcHost = nat.publicHost;
        srcPort = mapped;
      }
    }
    if (this.partitions.active > 0 && this.partitions.blocks([from.host, senderPublic], [host])) {
      this.dropAtSend(sender, id, from, host, port, length, 'partition');
      return;
    }
    const link = this.linkFor(senderPublic ?? from.host, host);
    if (this.random.chance(link.loss)) {
      this.dropAtSend(sender, id, from, host, port, length, 'loss');
      return;
    }
    this.schedule(link, { id, sender, senderPublic, srcHost, srcPort, dstHost: host, dstPort: port, lan, data: copyOf(buf, length) });
    if (this.random.chance(link.duplicate)) {
      sender.counters.duplicated++;
      // Each copy gets its own buffer: the receiver may decrypt in place.
      this.schedule(link, { id, sender, senderPublic, srcHost, srcPort, dstHost: host, dstPort: port, lan, data: copyOf(buf, length) });
    }
  }

  private linkFor(fromHost: string, toHost: string): LinkConditions {
    if (this.links.size === 0) return this.defaults;
    return this.links.get(linkKey(fromHost, toHost)) ?? this.defaults;
  }

  private schedule(link: LinkConditions, d: InFlight): void {
    const delay = link.jitterMs > 0 ? link.latencyMs + this.random.next() * link.jitterMs : link.latencyMs;
    this.inFlightCount++;
    this.clock.scheduleEvent(this.arriveBound, d, delay);
  }

  /** Arrival-time decisions: partition, NAT inbound translation and filtering, binding, handler. */
  private arrive(d: InFlight): void {
    this.inFlightCount--;
    const now = this.clock.now();
    let target: SimTransport | undefined;
    let receiverPrivate: string | null = null;
    if (this.partitions.active > 0 && this.partitions.blocks([d.sender.host, d.senderPublic], [d.dstHost])) {
      this.dropOnArrival(d, 'partition');
      return;
    }
    if (d.lan !== null) {
      const rec = this.hosts.get(d.dstHost);
      target = rec !== undefined && rec.nat === d.lan ? rec.ports.get(d.dstPort) : undefined;
    } else {
      const nat = this.nats.get(d.dstHost);
      if (nat !== undefined) {
        const r = nat.inbound(d.dstPort, d.srcHost, d.srcPort, now);
        if (!r.ok) {
          this.dropOnArrival(d, r.reason);
          return;
        }
        receiverPrivate = r.address.host;
        if (this.partitions.active > 0 && this.partitions.blocks([d.sender.host, d.senderPublic], [receiverPrivate])) {
          this.dropOnArrival(d, 'partition');
          return;
        }
        const rec = this.hosts.get(receiverPrivate);
        target = rec !== undefined && rec.nat === nat ? rec.ports.get(r.address.port) : undefined;
      } else {
        const rec = this.hosts.get(d.dstHost);
        // A private host is not reachable from the public fabric by its private address.
        target = rec !== undefined && rec.nat === null ? rec.ports.get(d.dstPort) : undefined;
      }
    }
    if (target === undefined) {
      this.dropOnArrival(d, 'unbound');
      return;
    }
    const handler = target.handler;
    if (handler === null) {
      this.dropOnArrival(d, 'no_listener');
      return;
    }
    d.sender.counters.delivered++;
    const receiver = this.hosts.get(target.host)!;
    receiver.counters.received++;
    receiver.counters.receivedBytes += d.data.length;
    if (this.trace !== null) this.emit('deliver', d.id, d.srcHost, d.srcPort, target.host, target.port, d.data.length, null);
    handler(d.data, d.srcHost, d.srcPort);
  }

  private dropAtSend(sender: HostRecord, id: number, from: SimTransport, host: string, port: number, length: number, reason: SimDropReason): void {
    sender.counters.dropped[reason]++;
    if (this.trace !== null) this.emit('drop', id, from.host, from.port, host, port, length, reason);
  }

  private dropOnArrival(d: InFlight, reason: SimDropReason): void {
    d.sender.counters.dropped[reason]++;
    if (this.trace !== null) this.emit('drop', d.id, d.srcHost, d.srcPort, d.dstHost, d.dstPort, d.data.length, reason);
  }

  private emit(
    kind: SimDatagramEvent['kind'],
    id: number,
    fromHost: string,
    fromPort: number,
    toHost: string,
    toPort: number,
    length: number,
    reason: SimDropReason | null,
  ): void {
    this.trace!({
      kind,
      atMs: this.clock.now(),
      id,
      from: { host: fromHost, port: fromPort },
      to: { host: toHost, port: toPort },
      length,
      reason,
    });
  }

  private completeLater(done: (err: Error | null) => void, err: Error | null): void {
    this.doneFns.push(done);
    this.doneErrs.push(err);
    if (this.doneScheduled) return;
    this.doneScheduled = true;
    setImmediate(() => this.completeSends());
  }

  private completeSends(): void {
    this.doneScheduled = false;
    const fns = this.doneFns;
    const errs = this.doneErrs;
    // Fresh arrays: a callback may send again, which queues for the next turn.
    this.doneFns = [];
    this.doneErrs = [];
    for (let i = 0; i < fns.length; i++) fns[i]!(errs[i]!);
  }
}

function linkKey(a: string, b: string): string {
  return `${a}>${b}`;
}

function checkHostName(host: string): void {
  if (typeof host !== 'string' || isIP(host) === 0) {
    throw new InvalidArgumentError(`link host '${String(host)}' is not an IP address`);
  }
}

/** A copy with its own ArrayBuffer, as a real socket hands each received datagram over. */
function copyOf(buf: Uint8Array, length: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(length);
  copy.set(length === buf.length ? buf : buf.subarray(0, length));
  return copy;
}

function freeEphemeralPort(record: HostRecord): number | null {
  for (let p = EPHEMERAL_PORT_MIN; p <= EPHEMERAL_PORT_MAX; p++) if (!record.ports.has(p)) return p;
  return null;
}
