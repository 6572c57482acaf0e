/**
 * The proof-of-work inner loop shared by worker threads and in-process minting: draw random seeds from
 * the CSPRNG in batches, derive each NodeID, stop at the first one with enough leading zero bits.
 * Everything is preallocated; one attempt allocates nothing on the native provider.
 */
import { randomFillSync } from 'node:crypto';
import { GRIND_BATCH_SEEDS, NODE_ID_BYTES, SEED_BYTES } from './constants.js';
import type { SeedHasher } from './key-provider.js';
import { satisfies } from './node-id.js';
import { copyBytes } from '../wire/bytes.js';

export class SeedGrinder {
  /** Seeds tried so far. */
  attempts = 0;
  private readonly batch = new Uint8Array(GRIND_BATCH_SEEDS * SEED_BYTES);
  private readonly seeds: Uint8Array[] = [];
  private readonly nodeId = new Uint8Array(NODE_ID_BYTES);

  constructor(
    private readonly hasher: SeedHasher,
    private readonly difficulty: number,
  ) {
    for (let i = 0; i < GRIND_BATCH_SEEDS; i++) this.seeds.push(this.batch.subarray(i * SEED_BYTES, (i + 1) * SEED_BYTES));
  }

  /** Tries one batch of fresh seeds; returns a copy of the first winning seed, or null. */
  tryBatch(): Uint8Array | null {
    randomFillSync(this.batch);
    const { seeds, nodeId, hasher, difficulty } = this;
    for (let i = 0; i < seeds.length; i++) {
      hasher.nodeIdOfSeed(seeds[i], nodeId);
      this.attempts++;
      if (satisfies(nodeId, difficulty)) return copyBytes(seeds[i]);
    }
    return null;
  }

  /** Zeroes the seed batch and the hasher's secret intermediates. */
  wipe(): void {
    this.batch.fill(0);
    this.nodeId.fill(0);
    this.hasher.wipe();
  }
}
