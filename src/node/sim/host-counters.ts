/**
 * Per-host datagram counters of the simulated fabric. Every datagram a host sends ends up delivered or
 * dropped for exactly one reason, so tests can check loss rates, partitions and NAT filtering by numbers.
 */

export const SIM_DROP_REASONS = [
  /** Random loss on the link. */
  'loss',
  /** A partition separates sender and receiver (checked at send and again on arrival). */
  'partition',
  /** Nothing is bound at the destination address when the datagram arrives (closed, never bound, private). */
  'unbound',
  /** Bound, but the transport has no datagram handler (a real socket without a 'message' listener). */
  'no_listener',
  /** Sent from behind a NAT to that NAT's own public address while hairpinning is off (RFC 4787 REQ-9). */
  'hairpin',
  /** Arrived at a NAT's public address with no live mapping for that port. */
  'nat_no_mapping',
  /** A live mapping exists but the NAT's filtering rule refuses this source (RFC 4787 section 5). */
  'nat_filtered',
  /** The NAT had no free public port for a new mapping. */
  'nat_ports_exhausted',
] as const;

export type SimDropReason = (typeof SIM_DROP_REASONS)[number];

export interface HostCounters {
  /** Datagrams this host sent (each counted once, however many copies the link made). */
  sent: number;
  sentBytes: number;
  /** Copies of this host's datagrams handed to a receiver (duplicates included). */
  delivered: number;
  /** Extra copies the links made of this host's datagrams. */
  duplicated: number;
  /** Copies of this host's datagrams that were dropped, by reason. */
  dropped: Record<SimDropReason, number>;
  /** Datagrams delivered to this host. */
  received: number;
  receivedBytes: number;
}

export function createHostCounters(): HostCounters {
  const dropped = {} as Record<SimDropReason, number>;
  for (const r of SIM_DROP_REASONS) dropped[r] = 0;
  return { sent: 0, sentBytes: 0, delivered: 0, duplicated: 0, dropped, received: 0, receivedBytes: 0 };
}

export function copyHostCounters(c: HostCounters): HostCounters {
  return { ...c, dropped: { ...c.dropped } };
}

/** Adds `c` into `into` (for network totals). */
export function addHostCounters(into: HostCounters, c: HostCounters): void {
  into.sent += c.sent;
  into.sentBytes += c.sentBytes;
  into.delivered += c.delivered;
  into.duplicated += c.duplicated;
  into.received += c.received;
  into.receivedBytes += c.receivedBytes;
  for (const r of SIM_DROP_REASONS) into.dropped[r] += c.dropped[r];
}

/** All drops of a counters record. */
export function totalDropped(c: HostCounters): number {
  let n = 0;
  for (const r of SIM_DROP_REASONS) n += c.dropped[r];
  return n;
}
