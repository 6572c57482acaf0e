/**
 * Degree trimming as pure logic (src/kad/degree-trim.ts): which surplus inbound edges a node closes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SIBLINGS, commonPrefixLength, compareDistance, ranksAmongSiblings, surplusEdges, type TrimCandidate, type TrimPolicy } from '../../src/kad/index.js';
import { idInBucket, seededFill } from './fixtures.js';

const SELF = new Uint8Array(32).fill(0x5a);
const NOW = 1_000_000;
const POLICY: TrimPolicy = { degreeCap: 40, graceMs: 10_000, bucketFloor: 2, maxPerRound: 1_000, surplusShare: 0 };

interface Edge extends TrimCandidate {
  bucket: number;
}

/** `count` edges in `bucket`, added `ageMs` ago (older first when ages differ by index). */
function edgesIn(bucket: number, count: number, inbound: boolean, fill: (out: Uint8Array) => void, ageMs = 60_000): Edge[] {
  return Array.from({ length: count }, (_, i) => ({ id: idInBucket(SELF, bucket, fill), inbound, addedMs: NOW - ageMs - i * 1_000, bucket }));
}

function sorted(edges: Edge[]): Edge[] {
  return edges.slice().sort((a, b) => compareDistance(SELF, a.id, b.id));
}

/** A hub: a few deep sibling edges, then many inbound edges in the far buckets. */
function hub(fill: (out: Uint8Array) => void): Edge[] {
  return sorted([
    ...edgesIn(30, 6, false, fill),
    ...edgesIn(25, 6, true, fill),
    ...edgesIn(20, 6, false, fill),
    ...edgesIn(0, 60, true, fill),
    ...edgesIn(1, 30, true, fill),
    ...edgesIn(2, 14, true, fill),
    ...edgesIn(3, 4, false, fill),
  ]);
}

describe('surplusEdges', () => {
  it('closes nothing at or below the degree cap', () => {
    const edges = sorted(edgesIn(0, 40, true, seededFill(1)));
    expect(surplusEdges(SELF, edges, NOW, POLICY)).toEqual([]);
    expect(surplusEdges(SELF, edges.slice(0, 10), NOW, POLICY)).toEqual([]);
  });

  it('brings a hub down to the cap, taking inbound edges from the fullest buckets first', () => {
    const edges = hub(seededFill(2));
    const victims = surplusEdges(SELF, edges, NOW, POLICY);
    expect(edges.length - victims.length).toBe(POLICY.degreeCap);
    for (const v of victims) expect(v.inbound).toBe(true);
    const left = edges.filter((e) => !victims.includes(e));
    const per = (list: Edge[], b: number) => list.filter((e) => e.bucket === b).length;
    // The k-bucket shape: the far buckets are levelled, the small ones untouched.
    expect(per(left, 0)).toBeLessThanOrEqual(per(left, 1) + 1);
    expect(per(left, 1)).toBeLessThanOrEqual(per(left, 0) + 1);
    expect(per(left, 3)).toBe(4);
    expect(per(left, 30) + per(left, 25) + per(left, 20)).toBe(18);
  });

  it('never closes siblings, the sibling neighbourhood, outbound edges or edges in their grace period', () => {
    const fill = seededFill(3);
    const young = edgesIn(0, 20, true, fill, 1_000);
    const edges = sorted([...edgesIn(12, SIBLINGS + 5, true, fill), ...edgesIn(0, 30, false, fill), ...young]);
    // 71 edges, cap 40, but nothing is eligible: 16 siblings and 5 neighbours (the farthest sibling's bucket),
    // 30 outbound, 20 inbound 1 to 20 s old, younger than the 30 s grace period.
    const policy = { ...POLICY, graceMs: 30_000 };
    expect(surplusEdges(SELF, edges, NOW, policy)).toEqual([]);
    // Once the young edges are old enough, they go (and only they).
    const later = surplusEdges(SELF, edges, NOW + policy.graceMs, policy);
    expect(later.length).toBe(20);
    for (const v of later) expect(young).toContain(v);
  });

  it('keeps bucketFloor edges in every bucket even when the cap is not reached', () => {
    const fill = seededFill(4);
    const edges = sorted([...edgesIn(40, SIBLINGS, false, fill), ...edgesIn(0, 3, true, fill), ...edgesIn(1, 3, true, fill), ...edgesIn(2, 3, true, fill)]);
    const victims = surplusEdges(SELF, edges, NOW, { ...POLICY, degreeCap: 10 });
    expect(victims.length).toBe(3);
    for (const b of [0, 1, 2]) expect(edges.filter((e) => e.bucket === b && !victims.includes(e)).length).toBe(2);
  });

  it('closes the youngest eligible edge of a bucket first and at most maxPerRound per call', () => {
    const fill = seededFill(5);
    const far = edgesIn(0, 10, true, fill);
    const edges = sorted([...edgesIn(40, SIBLINGS, false, fill), ...far]);
    const victims = surplusEdges(SELF, edges, NOW, { ...POLICY, degreeCap: 20, maxPerRound: 3 });
    expect(victims.length).toBe(3);
    const youngestFirst = far.slice().sort((a, b) => b.addedMs - a.addedMs).slice(0, 3);
    expect(victims).toEqual(youngestFirst);
  });

  it('closes a share of a large surplus per call when that is more than maxPerRound', () => {
    const fill = seededFill(7);
    const far = [...edgesIn(0, 30, true, fill), ...edgesIn(1, 30, true, fill), ...edgesIn(2, 30, true, fill)];
    const edges = sorted([...edgesIn(40, SIBLINGS, false, fill), ...far]);
    const policy = { ...POLICY, degreeCap: 10, maxPerRound: 3, surplusShare: 0.25 };
    const surplus = edges.length - 10;
    expect(surplusEdges(SELF, edges, NOW, policy).length).toBe(Math.ceil(surplus * 0.25));
    // A small surplus still gets maxPerRound.
    expect(surplusEdges(SELF, edges, NOW, { ...policy, degreeCap: edges.length - 8 }).length).toBe(3);
  });

  it('spares an edge whose peer has this node among its siblings (isPeersSibling)', () => {
    const fill = seededFill(6);
    const far = edgesIn(0, 10, true, fill);
    const edges = sorted([...edgesIn(40, SIBLINGS, false, fill), ...far]);
    const spared = new Set([far[0], far[1]].map((e) => e.id));
    const victims = surplusEdges(SELF, edges, NOW, { ...POLICY, degreeCap: 16 }, (id) => spared.has(id));
    expect(victims.length).toBe(8);
    for (const v of victims) expect(spared.has(v.id)).toBe(false);
  });

  it('ranksAmongSiblings: self counts as a sibling of peer while fewer than SIBLINGS known nodes are closer to peer', () => {
    const fill = seededFill(7);
    const peer = idInBucket(SELF, 3, fill);
    // Nodes sharing more leading bits with peer than self does are closer to peer than self.
    const closer = (count: number) => Array.from({ length: count }, () => ({ id: idInBucket(peer, 10, fill) }));
    const farther = Array.from({ length: 30 }, () => ({ id: idInBucket(peer, 0, fill) }));
    expect(ranksAmongSiblings(SELF, peer, [])).toBe(true);
    expect(ranksAmongSiblings(SELF, peer, [...closer(SIBLINGS - 1), ...farther])).toBe(true);
    expect(ranksAmongSiblings(SELF, peer, [...closer(SIBLINGS), ...farther])).toBe(false);
  });

  it('property: the result is a set of distinct, eligible, inbound edges and never more than the excess', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ bucket: fc.integer({ min: 0, max: 14 }), inbound: fc.boolean(), ageMs: fc.integer({ min: 0, max: 120_000 }) }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (specs, cap, seed) => {
          const fill = seededFill(seed);
          const edges = sorted(specs.map((s) => ({ id: idInBucket(SELF, s.bucket, fill), inbound: s.inbound, addedMs: NOW - s.ageMs, bucket: s.bucket })));
          const policy = { ...POLICY, degreeCap: cap };
          const victims = surplusEdges(SELF, edges, NOW, policy);
          expect(new Set(victims).size).toBe(victims.length);
          expect(victims.length).toBeLessThanOrEqual(Math.max(0, edges.length - cap));
          const siblings = new Set(edges.slice(0, SIBLINGS));
          const farthestSibling = edges[Math.min(SIBLINGS, edges.length) - 1];
          for (const v of victims) {
            expect(edges).toContain(v);
            expect(v.inbound).toBe(true);
            expect(siblings.has(v)).toBe(false);
            expect(NOW - v.addedMs).toBeGreaterThanOrEqual(policy.graceMs);
            expect(commonPrefixLength(SELF, v.id)).toBeLessThan(commonPrefixLength(SELF, farthestSibling.id));
          }
          for (let b = 0; b <= 14; b++) {
            const before = edges.filter((e) => e.bucket === b).length;
            const after = before - victims.filter((v) => v.bucket === b).length;
            if (before > policy.bucketFloor) expect(after).toBeGreaterThanOrEqual(policy.bucketFloor);
            else expect(after).toBe(before);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
