/**
 * Reflexive-address consensus (DESIGN "NAT traversal"; issue 6 item 1). Every neighbour reports the
 * address it sees our packets come from (Identify, Pong). One report per reporter, latest wins:
 *
 * - An address is confirmed when at least REFLEXIVE_MIN_REPORTERS reporters from at least
 *   REFLEXIVE_MIN_SUBNETS subnets agree on it (ip and port). Requiring several subnets keeps one network
 *   (or one operator with many nodes in one /24) from planting a false address on its own.
 * - Reports that never agree mean address-dependent mapping ("symmetric"): as many reporters from as many
 *   subnets, all seeing the same public IP, each at a port no other reporter saw. A cone NAT that rebinds
 *   after a mapping expiry still has two reporters agreeing on some port, so it is not called symmetric.
 * - Reports of loopback, link-local, multicast and unspecified addresses are ignored (address-scope.ts).
 * - The store is bounded; a reporter whose edge dies is removed by the caller (remove()).
 *
 * Pure: no I/O, no clock. The caller gives each reporter a stable key and the subnet it sits in.
 */
import { InvalidArgumentError } from '../errors.js';
import { reportableHost } from './address-scope.js';
import { MAX_REFLEXIVE_REPORTS, REFLEXIVE_MIN_REPORTERS, REFLEXIVE_MIN_SUBNETS } from './constants.js';

/** An address as a host string (IP literal) and a port. */
export interface ReflexiveAddress {
  readonly host: string;
  readonly port: number;
}

export interface ReflexiveConsensusOptions {
  /** Reports kept at most (default MAX_REFLEXIVE_REPORTS). */
  capacity?: number;
  /** Agreeing reporters needed (default REFLEXIVE_MIN_REPORTERS). */
  minReporters?: number;
  /** Distinct subnets among them (default REFLEXIVE_MIN_SUBNETS). */
  minSubnets?: number;
}

/** What the reports currently say. */
export interface ConsensusView {
  /** The confirmed reflexive address, or null. */
  readonly confirmed: ReflexiveAddress | null;
  /** No confirmed address and the reports disagree the way an address-dependent mapping makes them. */
  readonly symmetric: boolean;
  /**
   * When symmetric: the NAT's public host all those reporters agree on, with the port the most recent of
   * them saw (a mapping toward that reporter only). The host is what a cone peer sprays in the birthday
   * strategy; the port only marks the address as ours. Else null.
   */
  readonly symmetricAddress: ReflexiveAddress | null;
  /** Reporters with a report on file. */
  readonly reporters: number;
}

interface Report {
  readonly subnet: string;
  readonly host: string;
  readonly port: number;
}

interface Tally {
  readonly host: string;
  readonly port: number;
  reporters: number;
  readonly subnets: Set<string>;
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min}, got ${value}`);
  return value;
}

export class ReflexiveConsensus {
  private readonly capacity: number;
  private readonly minReporters: number;
  private readonly minSubnets: number;
  /** Insertion order = least recently reporting first (a re-report moves to the end). */
  private readonly byReporter = new Map<string, Report>();
  private cached: ConsensusView | null = null;

  constructor(options: ReflexiveConsensusOptions = {}) {
    this.capacity = checkCount('capacity', options.capacity ?? MAX_REFLEXIVE_REPORTS, 1);
    this.minReporters = checkCount('minReporters', options.minReporters ?? REFLEXIVE_MIN_REPORTERS, 1);
    this.minSubnets = checkCount('minSubnets', options.minSubnets ?? REFLEXIVE_MIN_SUBNETS, 1);
  }

  get size(): number {
    return this.byReporter.size;
  }

  /**
   * Records that `reporterKey` (in `reporterSubnet`) sees us at `address`. Returns false (and changes
   * nothing) when the address is not a reportable IP literal or the port is out of range.
   */
  report(reporterKey: string, reporterSubnet: string, address: ReflexiveAddress): boolean {
    const host = reportableHost(address.host);
    const port = address.port;
    if (host === null || !Number.isInteger(port) || port < 1 || port > 65535) return false;
    const previous = this.byReporter.get(reporterKey);
    if (previous !== undefined) {
      this.byReporter.delete(reporterKey);
    } else if (this.byReporter.size >= this.capacity) {
      const oldest = this.byReporter.keys().next();
      if (!oldest.done) this.byReporter.delete(oldest.value);
    }
    this.byReporter.set(reporterKey, { subnet: reporterSubnet, host, port });
    this.cached = null;
    return true;
  }

  /** Forgets `reporterKey`'s report (its edge died); true when there was one. */
  remove(reporterKey: string): boolean {
    const removed = this.byReporter.delete(reporterKey);
    if (removed) this.cached = null;
    return removed;
  }

  view(): ConsensusView {
    this.cached ??= this.compute();
    return this.cached;
  }

  private compute(): ConsensusView {
    const byAddress = new Map<string, Tally>();
    const byHost = new Map<string, { reporters: number; subnets: Set<string>; ports: Set<number> }>();
    for (const r of this.byReporter.values()) {
      const key = `${r.host} ${r.port}`;
      let t = byAddress.get(key);
      if (t === undefined) {
        t = { host: r.host, port: r.port, reporters: 0, subnets: new Set() };
        byAddress.set(key, t);
      }
      t.reporters++;
      t.subnets.add(r.subnet);
      let h = byHost.get(r.host);
      if (h === undefined) {
        h = { reporters: 0, subnets: new Set(), ports: new Set() };
        byHost.set(r.host, h);
      }
      h.reporters++;
      h.subnets.add(r.subnet);
      h.ports.add(r.port);
    }
    let best: Tally | null = null;
    for (const t of byAddress.values()) {
      if (t.reporters < this.minReporters || t.subnets.size < this.minSubnets) continue;
      if (best === null || better(t, best)) best = t;
    }
    if (best !== null) return { confirmed: { host: best.host, port: best.port }, symmetric: false, symmetricAddress: null, reporters: this.byReporter.size };
    let symmetricHost: string | null = null;
    for (const [host, h] of byHost) {
      // Every reporter saw its own port: a new mapping per destination.
      if (h.reporters >= this.minReporters && h.subnets.size >= this.minSubnets && h.ports.size === h.reporters) symmetricHost = host;
    }
    let symmetricAddress: ReflexiveAddress | null = null;
    if (symmetricHost !== null) {
      // Insertion order is report order: the last report from that host is the most recent.
      for (const r of this.byReporter.values()) if (r.host === symmetricHost) symmetricAddress = { host: r.host, port: r.port };
    }
    return { confirmed: null, symmetric: symmetricHost !== null, symmetricAddress, reporters: this.byReporter.size };
  }
}

/** More reporters, then more subnets, then the smaller address text: one deterministic winner. */
function better(a: Tally, b: Tally): boolean {
  if (a.reporters !== b.reporters) return a.reporters > b.reporters;
  if (a.subnets.size !== b.subnets.size) return a.subnets.size > b.subnets.size;
  if (a.host !== b.host) return a.host < b.host;
  return a.port < b.port;
}
