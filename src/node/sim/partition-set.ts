/**
 * Network partitions: pairs of host groups that cannot reach each other. Hosts are named as on the fabric; a
 * datagram carries every name of its sender and receiver (a host behind a NAT is also reachable as its NAT's
 * public host), and it is blocked when any sender name is on one side of a partition and any receiver name
 * on the other.
 */
import { InvalidArgumentError } from '../../errors.js';

interface Partition {
  readonly a: ReadonlySet<string>;
  readonly b: ReadonlySet<string>;
}

export class PartitionSet {
  private readonly partitions: Partition[] = [];

  get active(): number {
    return this.partitions.length;
  }

  /** Cuts every path between a host of `groupA` and a host of `groupB`, both ways. */
  add(groupA: readonly string[], groupB: readonly string[]): void {
    const a = hostGroup('groupA', groupA);
    const b = hostGroup('groupB', groupB);
    for (const host of a) {
      if (b.has(host)) throw new InvalidArgumentError(`host ${host} is in both partition groups: put each host on one side`);
    }
    this.partitions.push({ a, b });
  }

  clear(): void {
    this.partitions.length = 0;
  }

  /** True when a partition separates any name of the sender from any name of the receiver. */
  blocks(senderNames: readonly (string | null)[], receiverNames: readonly (string | null)[]): boolean {
    for (const p of this.partitions) {
      if ((anyIn(p.a, senderNames) && anyIn(p.b, receiverNames)) || (anyIn(p.b, senderNames) && anyIn(p.a, receiverNames))) {
        return true;
      }
    }
    return false;
  }
}

function anyIn(set: ReadonlySet<string>, names: readonly (string | null)[]): boolean {
  for (const n of names) if (n !== null && set.has(n)) return true;
  return false;
}

function hostGroup(name: string, hosts: readonly string[]): Set<string> {
  if (!Array.isArray(hosts) || hosts.length === 0 || hosts.some((h) => typeof h !== 'string' || h.length === 0)) {
    throw new InvalidArgumentError(`partition ${name} must be a non-empty list of host addresses`);
  }
  return new Set(hosts);
}
