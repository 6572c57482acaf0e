/**
 * Where our neighbours see us (DESIGN "NAT traversal": every neighbour reports the address it sees us
 * at, in Identify and Pong). One report per reporter, latest wins, bounded; a reporter's report goes when
 * its edge does. The consensus rule (3 reporters, 2 subnets) belongs to the NAT layer; this keeps the raw
 * reports and their tallies. Pure.
 */
export interface ObservedAddress {
  address: string;
  reporters: number;
}

export class ObservedAddresses {
  private readonly capacity: number;
  private readonly byReporter = new Map<string, string>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.byReporter.size;
  }

  report(reporterKey: string, address: string): void {
    if (!this.byReporter.has(reporterKey) && this.byReporter.size >= this.capacity) {
      const oldest = this.byReporter.keys().next();
      if (!oldest.done) this.byReporter.delete(oldest.value);
    }
    this.byReporter.delete(reporterKey);
    this.byReporter.set(reporterKey, address);
  }

  remove(reporterKey: string): void {
    this.byReporter.delete(reporterKey);
  }

  /** Reported addresses, most reporters first (ties: address order). */
  tally(): ObservedAddress[] {
    const counts = new Map<string, number>();
    for (const a of this.byReporter.values()) counts.set(a, (counts.get(a) ?? 0) + 1);
    return [...counts]
      .map(([address, reporters]) => ({ address, reporters }))
      .sort((a, b) => b.reporters - a.reporters || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }
}
