/**
 * Seeded randomness for the overlay simulation: every choice of the benchmark (identities, nonces, which
 * nodes crash, message pairs) comes from a seed, so a run can be repeated.
 */
import { seededBytes } from '../../src/node/sim/index.js';

/** mulberry32 as a byte filler (the same generator as the node tests' fixtures). */
export const seededFiller: (seed: number) => (out: Uint8Array) => void = seededBytes;

/** Uniform choices from a seeded stream. */
export class SeededPicker {
  private readonly fill: (out: Uint8Array) => void;
  private readonly word = new Uint8Array(4);
  private readonly view = new DataView(this.word.buffer);

  constructor(seed: number) {
    this.fill = seededFiller(seed);
  }

  /** A whole number in [0, n). */
  below(n: number): number {
    this.fill(this.word);
    return Math.floor((this.view.getUint32(0) / 0x1_0000_0000) * n);
  }

  /** A uniform real number in [0, 1). */
  fraction(): number {
    this.fill(this.word);
    return this.view.getUint32(0) / 0x1_0000_0000;
  }

  /** Two different elements of `items` (at least two). */
  pair<T>(items: readonly T[]): [T, T] {
    const a = this.below(items.length);
    let b = this.below(items.length - 1);
    if (b >= a) b++;
    return [items[a], items[b]];
  }

  /** `count` distinct elements of `items`, in random order (partial Fisher-Yates on a copy). */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = items.slice();
    const n = Math.min(count, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + this.below(copy.length - i);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  }
}
