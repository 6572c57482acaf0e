/**
 * Which routed messages this node already handled as their destination (DESIGN "Overlay": each routed
 * message is delivered once, dedupe by message id within the freshness window). Keys name the verified
 * originator and its message id, so nobody can pre-empt another originator's ids. Bounded: at capacity
 * the oldest entry goes (a replay of it would then need to beat the freshness check, which it cannot
 * for long). Pure: time is an argument.
 */
export interface SeenEntry {
  expiresAtMs: number;
  /** When this node last sent an ack for the message (0: never). */
  lastAckMs: number;
}

export class SeenMessages {
  readonly capacity: number;
  private readonly entries = new Map<string, SeenEntry>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records `key` as seen until `retainUntilMs`. Returns undefined for a first sighting, or the existing
   * entry (a duplicate); either way the entry lives at least until `retainUntilMs`.
   */
  record(key: string, nowMs: number, retainUntilMs: number): SeenEntry | undefined {
    const existing = this.entries.get(key);
    if (existing !== undefined && existing.expiresAtMs > nowMs) {
      if (retainUntilMs > existing.expiresAtMs) existing.expiresAtMs = retainUntilMs;
      return existing;
    }
    if (existing !== undefined) this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.evict(nowMs);
    this.entries.set(key, { expiresAtMs: retainUntilMs, lastAckMs: 0 });
    return undefined;
  }

  get(key: string): SeenEntry | undefined {
    return this.entries.get(key);
  }

  /** Drops expired entries (insertion order is arrival order, so expired ones cluster at the front). */
  prune(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAtMs <= nowMs) this.entries.delete(key);
    }
  }

  private evict(nowMs: number): void {
    this.prune(nowMs);
    if (this.entries.size < this.capacity) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
