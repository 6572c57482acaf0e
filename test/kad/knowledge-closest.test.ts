import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BUCKET_COUNT, K, KnowledgeTable, compareDistance, noSubnet, randomIdInBucket, type ReadonlyKadContact } from '../../src/kad/index.js';
import { hex, keyless, seededFill } from './fixtures.js';

const idArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

function bruteForce(t: KnowledgeTable, target: Uint8Array, n: number, filter?: (c: ReadonlyKadContact) => boolean): string[] {
  return t
    .all()
    .filter((c) => filter === undefined || filter(c))
    .sort((a, b) => compareDistance(target, a.id, b.id))
    .slice(0, n)
    .map((c) => hex(c.id));
}

describe('KnowledgeTable.closest', () => {
  it('equals a brute-force sort on random tables', () => {
    fc.assert(
      fc.property(
        idArb,
        // Contacts as (bucket, seed): spread over shallow and deep buckets like a real table and a synthetic full one.
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 255 })), fc.integer()), { maxLength: 300, size: 'max' }),
        fc.oneof(idArb, fc.integer({ min: 0, max: 255 })),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 3 }),
        (self, specs, targetSpec, n, filterMod) => {
          const t = new KnowledgeTable({ self, subnetOf: noSubnet });
          for (const [bucket, seed] of specs) t.observe(keyless(randomIdInBucket(self, bucket, seededFill(seed)), 'h', 1), 0);
          // Targets both arbitrary and near self (same bucket structure), and self itself.
          const target = typeof targetSpec === 'number' ? (targetSpec === 0 ? self : randomIdInBucket(self, targetSpec, seededFill(targetSpec))) : targetSpec;
          const filter = filterMod === 0 ? undefined : (c: ReadonlyKadContact) => c.id[31] % (filterMod + 1) !== 0;
          expect(t.closest(target, n, filter).map((c) => hex(c.id))).toEqual(bruteForce(t, target, n, filter));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns fewer than n when the table is small, and nothing for n <= 0', () => {
    const self = new Uint8Array(32);
    const t = new KnowledgeTable({ self, subnetOf: noSubnet });
    const fill = seededFill(1);
    for (let i = 0; i < 5; i++) t.observe(keyless(randomIdInBucket(self, i, fill), 'h', 1), 0);
    expect(t.closest(self, 20)).toHaveLength(5);
    expect(t.closest(self, 0)).toEqual([]);
    expect(t.closest(self, -3)).toEqual([]);
  });

  it('answers in well under 1 ms on a full table (256 buckets x K)', () => {
    const self = randomIdInBucket(new Uint8Array(32).fill(0x33), 0, seededFill(5));
    const t = new KnowledgeTable({ self, subnetOf: noSubnet });
    const fill = seededFill(7);
    for (let b = 0; b < BUCKET_COUNT; b++) for (let i = 0; i < K; i++) t.observe(keyless(randomIdInBucket(self, b, fill), 'h', 1), 0);
    expect(t.size).toBeGreaterThan(5000);
    const targets = Array.from({ length: 256 }, () => {
      const id = new Uint8Array(32);
      fill(id);
      return id;
    });
    for (let i = 0; i < 200; i++) t.closest(targets[i & 255], K); // warm up
    const rounds = 2000;
    const start = performance.now();
    let sink = 0;
    for (let i = 0; i < rounds; i++) sink += t.closest(targets[i & 255], K).length;
    const perCallMs = (performance.now() - start) / rounds;
    expect(sink).toBe(rounds * K);
    expect(perCallMs).toBeLessThan(0.25);
  });
});
