/**
 * Solicited-only neighbour answers (nodenet 8: 8-byte crypto nonce, 30 s): a node folds a neighbours
 * answer into its knowledge only when it carries the nonce of a lookup this node sent and that has not
 * expired. A per-edge lookup also names the one peer allowed to answer it. A nonce is not consumed by
 * the first answer (the disjoint copies of a routed lookup may end at different nodes) but accepts at
 * most `maxAnswers`. Pure: time is an argument.
 */
export interface PendingLookup {
  expiresAtMs: number;
  /** idKey of the only peer that may answer (per-edge lookups), or undefined (routed lookups). */
  expectedFrom: string | undefined;
  answers: number;
}

export class PendingLookups {
  private readonly lifetimeMs: number;
  private readonly maxAnswers: number;
  private readonly capacity: number;
  private readonly pending = new Map<string, PendingLookup>();

  constructor(lifetimeMs: number, maxAnswers: number, capacity: number) {
    this.lifetimeMs = lifetimeMs;
    this.maxAnswers = maxAnswers;
    this.capacity = capacity;
  }

  get size(): number {
    return this.pending.size;
  }

  issue(nonceKey: string, expectedFrom: string | undefined, nowMs: number): void {
    if (this.pending.size >= this.capacity) {
      this.prune(nowMs);
      if (this.pending.size >= this.capacity) {
        const oldest = this.pending.keys().next();
        if (!oldest.done) this.pending.delete(oldest.value);
      }
    }
    this.pending.set(nonceKey, { expiresAtMs: nowMs + this.lifetimeMs, expectedFrom, answers: 0 });
  }

  /** True when an answer with this nonce from `fromKey` is solicited (and counts it). */
  accept(nonceKey: string, fromKey: string, nowMs: number): boolean {
    const p = this.pending.get(nonceKey);
    if (p === undefined) return false;
    if (p.expiresAtMs <= nowMs) {
      this.pending.delete(nonceKey);
      return false;
    }
    if (p.expectedFrom !== undefined && p.expectedFrom !== fromKey) return false;
    if (p.answers >= this.maxAnswers) return false;
    p.answers++;
    return true;
  }

  prune(nowMs: number): void {
    for (const [key, p] of this.pending) if (p.expiresAtMs <= nowMs) this.pending.delete(key);
  }

  clear(): void {
    this.pending.clear();
  }
}
