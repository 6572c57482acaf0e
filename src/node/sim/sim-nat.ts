/**
 * A NAT router in the RFC 4787 vocabulary: hosts behind it share its public address. Pure state: each call
 * takes `nowMs`, and the SimNetwork calls `outbound` when a private host sends through the NAT and `inbound`
 * when a datagram reaches the public address.
 *
 * - Mapping (RFC 4787 section 4.1): which outbound datagrams share a public port. Endpoint-independent: one
 *   port per private ip:port ("cone"). Address-dependent: one per private ip:port and remote IP.
 *   Address-and-port-dependent: one per private ip:port and remote ip:port ("symmetric").
 * - Filtering (section 5): which inbound datagrams a live mapping admits. Endpoint-independent ("full
 *   cone"): any source. Address-dependent ("restricted cone"): sources whose IP the private endpoint sent
 *   to through this mapping. Address-and-port-dependent ("port-restricted"): sources whose ip:port it sent to.
 * - Timeout (section 4.3): a mapping, and each permission a filter keeps, lives `mappingTimeoutMs` after
 *   the last OUTBOUND datagram that used it; inbound traffic does not refresh (REQ-6 allows either; the
 *   stricter choice is what keepalive logic must survive).
 * - Hairpinning (section 6) is off unless asked for: the network drops a private host's datagram to its own
 *   NAT's public address.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../errors.js';
import type { UdpAddress } from '../../session/transport.js';
import {
  NAT_FIRST_SEQUENTIAL_PORT,
  NAT_MAPPING_TIMEOUT_MS,
  NAT_PORT_MAX,
  NAT_PORT_MIN,
  NAT_RANDOM_PORT_ATTEMPTS,
} from './constants.js';
import { SeededRandom } from './seeded-random.js';

export type NatBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
export type NatMappingBehavior = NatBehavior;
export type NatFilteringBehavior = NatBehavior;

/** How a new mapping's public port is chosen: next free in order, the private port when free, or seeded random. */
export type NatPortAllocation = 'sequential' | 'preserve' | 'random';

const BEHAVIORS: readonly NatBehavior[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const ALLOCATIONS: readonly NatPortAllocation[] = ['sequential', 'preserve', 'random'];

export interface SimNatOptions {
  /** The NAT's public IP address on the fabric. */
  publicHost: string;
  mapping: NatMappingBehavior;
  filtering: NatFilteringBehavior;
  /** Idle time after the last outbound datagram before a mapping expires (default 120,000: RFC 4787 REQ-5). */
  mappingTimeoutMs?: number;
  /** Default 'sequential' (from port 20000). */
  portAllocation?: NatPortAllocation;
  /** Public ports the NAT may hand out, inclusive (default 1024-65535). */
  portRange?: readonly [number, number];
  /** Deliver a private host's datagrams to its own NAT's public address back inside (default false). */
  hairpinning?: boolean;
}

/** A live mapping as seen from outside. */
export interface NatMapping {
  readonly privateHost: string;
  readonly privatePort: number;
  readonly publicPort: number;
  /** The remote IP the mapping is bound to (address-dependent and symmetric mappings), else null. */
  readonly remoteHost: string | null;
  /** The remote port the mapping is bound to (symmetric mappings only), else null. */
  readonly remotePort: number | null;
  readonly createdMs: number;
  readonly lastOutboundMs: number;
}

export type NatInboundResult =
  | { readonly ok: true; readonly address: UdpAddress }
  | { readonly ok: false; readonly reason: 'nat_no_mapping' | 'nat_filtered' };

export interface NatCounters {
  mappingsCreated: number;
  mappingsExpired: number;
  /** Outbound datagrams translated. */
  translatedOut: number;
  /** Inbound datagrams translated to a private endpoint. */
  translatedIn: number;
  /** Inbound datagrams for a port with no live mapping. */
  noMapping: number;
  /** Inbound datagrams a live mapping's filter refused. */
  filtered: number;
  /** New mappings refused for want of a free public port. */
  portsExhausted: number;
}

interface MappingState {
  readonly key: string;
  readonly privateHost: string;
  readonly privatePort: number;
  readonly publicPort: number;
  readonly remoteHost: string | null;
  readonly remotePort: number | null;
  readonly createdMs: number;
  lastOutboundMs: number;
  /** Filter permissions: remote IP (address-dependent) or ip|port (address-and-port-dependent) -> last outbound. */
  readonly permits: Map<string, number>;
}

export class SimNat {
  readonly publicHost: string;
  readonly mapping: NatMappingBehavior;
  readonly filtering: NatFilteringBehavior;
  readonly mappingTimeoutMs: number;
  readonly portAllocation: NatPortAllocation;
  readonly hairpinning: boolean;
  readonly portMin: number;
  readonly portMax: number;
  readonly counters: NatCounters = {
    mappingsCreated: 0,
    mappingsExpired: 0,
    translatedOut: 0,
    translatedIn: 0,
    noMapping: 0,
    filtered: 0,
    portsExhausted: 0,
  };
  private readonly byKey = new Map<string, MappingState>();
  private readonly byPort = new Map<number, MappingState>();
  private readonly random: SeededRandom;
  private nextPort: number;
  private lastSweepMs = -Infinity;

  /** `seed` drives random port allocation only. A SimNetwork derives it from its own seed. */
  constructor(options: SimNatOptions, seed = 1) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('NAT options are required');
    if (typeof options.publicHost !== 'string' || isIP(options.publicHost) === 0) {
      throw new InvalidArgumentError(`NAT publicHost '${String(options.publicHost)}' is not an IP address: use e.g. 203.0.113.1`);
    }
    if (!BEHAVIORS.includes(options.mapping)) {
      throw new InvalidArgumentError(`NAT mapping '${String(options.mapping)}' is unknown: use ${BEHAVIORS.join(', ')}`);
    }
    if (!BEHAVIORS.includes(options.filtering)) {
      throw new InvalidArgumentError(`NAT filtering '${String(options.filtering)}' is unknown: use ${BEHAVIORS.join(', ')}`);
    }
    const timeout = options.mappingTimeoutMs ?? NAT_MAPPING_TIMEOUT_MS;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new InvalidArgumentError(`NAT mappingTimeoutMs ${String(timeout)} is invalid: use a positive number of ms`);
    }
    const allocation = options.portAllocation ?? 'sequential';
    if (!ALLOCATIONS.includes(allocation)) {
      throw new InvalidArgumentError(`NAT portAllocation '${String(allocation)}' is unknown: use ${ALLOCATIONS.join(', ')}`);
    }
    const [min, max] = options.portRange ?? [NAT_PORT_MIN, NAT_PORT_MAX];
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new InvalidArgumentError(`NAT portRange [${String(min)}, ${String(max)}] is invalid: use two ports 1-65535, lowest first`);
    }
    this.publicHost = options.publicHost;
    this.mapping = options.mapping;
    this.filtering = options.filtering;
    this.mappingTimeoutMs = timeout;
    this.portAllocation = allocation;
    this.hairpinning = options.hairpinning ?? false;
    this.portMin = min;
    this.portMax = max;
    this.nextPort = NAT_FIRST_SEQUENTIAL_PORT >= min && NAT_FIRST_SEQUENTIAL_PORT <= max ? NAT_FIRST_SEQUENTIAL_PORT : min;
    this.random = new SeededRandom(seed);
  }

  /**
   * Translates a datagram from `privateHost:privatePort` to `remoteHost:remotePort`: returns the public port
   * it leaves from (creating or refreshing the mapping and the filter permission), or null when no public
   * port is free.
   */
  outbound(privateHost: string, privatePort: number, remoteHost: string, remotePort: number, nowMs: number): number | null {
    this.sweep(nowMs);
    const key = this.mappingKey(privateHost, privatePort, remoteHost, remotePort);
    let m = this.byKey.get(key);
    if (m !== undefined && this.expired(m, nowMs)) {
      this.drop(m);
      m = undefined;
    }
    if (m === undefined) {
      const port = this.allocatePort(privatePort, nowMs);
      if (port === null) {
        this.counters.portsExhausted++;
        return null;
      }
      const bound = this.mapping !== 'endpoint-independent';
      m = {
        key,
        privateHost,
        privatePort,
        publicPort: port,
        remoteHost: bound ? remoteHost : null,
        remotePort: this.mapping === 'address-and-port-dependent' ? remotePort : null,
        createdMs: nowMs,
        lastOutboundMs: nowMs,
        permits: new Map(),
      };
      this.byKey.set(key, m);
      this.byPort.set(port, m);
      this.counters.mappingsCreated++;
    }
    m.lastOutboundMs = nowMs;
    if (this.filtering !== 'endpoint-independent') m.permits.set(this.permitKey(remoteHost, remotePort), nowMs);
    this.counters.translatedOut++;
    return m.publicPort;
  }

  /** Translates a datagram from `remoteHost:remotePort` to the public `publicPort`, or says why it is dropped. */
  inbound(publicPort: number, remoteHost: string, remotePort: number, nowMs: number): NatInboundResult {
    this.sweep(nowMs);
    const m = this.byPort.get(publicPort);
    if (m === undefined || this.expired(m, nowMs)) {
      if (m !== undefined) this.drop(m);
      this.counters.noMapping++;
      return NO_MAPPING;
    }
    if (this.filtering !== 'endpoint-independent') {
      const t = m.permits.get(this.permitKey(remoteHost, remotePort));
      if (t === undefined || nowMs - t >= this.mappingTimeoutMs) {
        this.counters.filtered++;
        return FILTERED;
      }
    }
    this.counters.translatedIn++;
    return { ok: true, address: { host: m.privateHost, port: m.privatePort } };
  }

  /** The live mappings at `nowMs`, oldest first. */
  mappings(nowMs: number): NatMapping[] {
    const out: NatMapping[] = [];
    for (const m of this.byKey.values()) {
      if (this.expired(m, nowMs)) continue;
      out.push({
        privateHost: m.privateHost,
        privatePort: m.privatePort,
        publicPort: m.publicPort,
        remoteHost: m.remoteHost,
        remotePort: m.remotePort,
        createdMs: m.createdMs,
        lastOutboundMs: m.lastOutboundMs,
      });
    }
    return out.sort((a, b) => a.createdMs - b.createdMs || a.publicPort - b.publicPort);
  }

  private mappingKey(privateHost: string, privatePort: number, remoteHost: string, remotePort: number): string {
    switch (this.mapping) {
      case 'endpoint-independent':
        return `${privateHost}|${privatePort}`;
      case 'address-dependent':
        return `${privateHost}|${privatePort}|${remoteHost}`;
      case 'address-and-port-dependent':
        return `${privateHost}|${privatePort}|${remoteHost}|${remotePort}`;
    }
  }

  private permitKey(remoteHost: string, remotePort: number): string {
    return this.filtering === 'address-dependent' ? remoteHost : `${remoteHost}|${remotePort}`;
  }

  private expired(m: MappingState, nowMs: number): boolean {
    return nowMs - m.lastOutboundMs >= this.mappingTimeoutMs;
  }

  private drop(m: MappingState): void {
    this.byKey.delete(m.key);
    if (this.byPort.get(m.publicPort) === m) this.byPort.delete(m.publicPort);
    this.counters.mappingsExpired++;
  }

  /** Forgets expired mappings and permissions; at most once per timeout period, so memory stays bounded cheaply. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < this.mappingTimeoutMs) return;
    this.lastSweepMs = nowMs;
    for (const m of [...this.byKey.values()]) {
      if (this.expired(m, nowMs)) {
        this.drop(m);
        continue;
      }
      for (const [k, t] of m.permits) if (nowMs - t >= this.mappingTimeoutMs) m.permits.delete(k);
    }
  }

  private portFree(port: number, nowMs: number): boolean {
    const m = this.byPort.get(port);
    if (m === undefined) return true;
    if (!this.expired(m, nowMs)) return false;
    this.drop(m);
    return true;
  }

  private allocatePort(privatePort: number, nowMs: number): number | null {
    if (this.portAllocation === 'preserve' && privatePort >= this.portMin && privatePort <= this.portMax && this.portFree(privatePort, nowMs)) {
      return privatePort;
    }
    if (this.portAllocation === 'random') {
      for (let i = 0; i < NAT_RANDOM_PORT_ATTEMPTS; i++) {
        const p = this.random.intBetween(this.portMin, this.portMax);
        if (this.portFree(p, nowMs)) return p;
      }
    }
    // Sequential scan: the next free port after the last one handed out, wrapping once around the range.
    const span = this.portMax - this.portMin + 1;
    for (let i = 0; i < span; i++) {
      const p = this.nextPort;
      this.nextPort = p >= this.portMax ? this.portMin : p + 1;
      if (this.portFree(p, nowMs)) return p;
    }
    return null;
  }
}

const NO_MAPPING: NatInboundResult = Object.freeze({ ok: false, reason: 'nat_no_mapping' });
const FILTERED: NatInboundResult = Object.freeze({ ok: false, reason: 'nat_filtered' });
