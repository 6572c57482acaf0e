import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MAX_NEXT_HOPS,
  MAX_TTL,
  compareDistance,
  copyAvoidSets,
  decide,
  disjointFirstHops,
  nearestEdges,
  randomIdInBucket,
} from '../../src/kad/index.js';
import { hex, idFromByte, seededFill } from './fixtures.js';

const idArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

// Distances to TARGET (all-zero id) are simply the ids' values.
const TARGET = new Uint8Array(32);
const SELF = idFromByte(0x40);
const CLOSER = [idFromByte(0x01), idFromByte(0x02), idFromByte(0x10), idFromByte(0x3f)];
const FARTHER = [idFromByte(0x41), idFromByte(0x80), idFromByte(0xff)];
const EDGES = [...FARTHER, ...CLOSER].reverse();

function hopsOf(d: ReturnType<typeof decide>): string[] {
  if (d.action !== 'forward') throw new Error(`expected forward, got ${JSON.stringify(d)}`);
  return d.hops.map(hex);
}

describe('decide', () => {
  it('delivers when the target is self, whatever the TTL', () => {
    expect(decide(SELF, { target: SELF.slice(), ttl: 0, avoid: [] }, EDGES)).toEqual({ action: 'deliver' });
    expect(decide(SELF, { target: SELF.slice(), ttl: 9, avoid: [SELF] }, [])).toEqual({ action: 'deliver' });
  });

  it('drops a message that arrives with TTL 0 (or a nonsense TTL) at a non-target', () => {
    for (const ttl of [0, -1, 0.5, Number.NaN]) {
      expect(decide(SELF, { target: TARGET, ttl, avoid: [] }, EDGES)).toEqual({ action: 'drop', reason: 'ttl' });
    }
  });

  it('forwards to strictly closer edges, closest first, with TTL decremented', () => {
    const d = decide(SELF, { target: TARGET, ttl: 5, avoid: [] }, EDGES);
    expect(d).toMatchObject({ action: 'forward', ttl: 4 });
    expect(hopsOf(d)).toEqual(CLOSER.map(hex));
  });

  it('clamps the incoming TTL to 16', () => {
    const d = decide(SELF, { target: TARGET, ttl: 200, avoid: [] }, EDGES);
    expect(d).toMatchObject({ action: 'forward', ttl: MAX_TTL - 1 });
    expect(decide(SELF, { target: TARGET, ttl: 1, avoid: [] }, EDGES)).toMatchObject({ action: 'forward', ttl: 0 });
  });

  it('steers around the avoid-set', () => {
    const d = decide(SELF, { target: TARGET, ttl: 5, avoid: [CLOSER[0].slice(), CLOSER[2].slice()] }, EDGES);
    expect(hopsOf(d)).toEqual([CLOSER[1], CLOSER[3]].map(hex));
  });

  it('never bounces back to the previous hop', () => {
    const d = decide(SELF, { target: TARGET, ttl: 5, avoid: [] }, EDGES, CLOSER[0].slice());
    expect(hopsOf(d)).toEqual(CLOSER.slice(1).map(hex));
  });

  it('drops with no-route when no edge is strictly closer (local optimum)', () => {
    expect(decide(SELF, { target: TARGET, ttl: 5, avoid: [] }, FARTHER)).toEqual({ action: 'drop', reason: 'no-route' });
    expect(decide(SELF, { target: TARGET, ttl: 5, avoid: [] }, [SELF])).toEqual({ action: 'drop', reason: 'no-route' });
    expect(decide(SELF, { target: TARGET, ttl: 5, avoid: CLOSER }, EDGES)).toEqual({ action: 'drop', reason: 'no-route' });
    expect(decide(SELF, { target: TARGET, ttl: 5, avoid: [] }, [])).toEqual({ action: 'drop', reason: 'no-route' });
  });

  it('forwards straight to the target when it is an edge', () => {
    const d = decide(SELF, { target: CLOSER[2], ttl: 3, avoid: [] }, EDGES);
    expect(hopsOf(d)[0]).toBe(hex(CLOSER[2]));
  });

  it('offers at most MAX_NEXT_HOPS hops and ignores malformed edge ids', () => {
    const many = Array.from({ length: 20 }, (_, i) => idFromByte(i + 1));
    const d = decide(SELF, { target: TARGET, ttl: 5, avoid: [] }, [new Uint8Array(3), ...many]);
    expect(hopsOf(d)).toEqual(many.slice(0, MAX_NEXT_HOPS).map(hex));
  });

  it('equals the brute-force rule on random inputs', () => {
    fc.assert(
      fc.property(
        idArb,
        idArb,
        fc.array(idArb, { maxLength: 40, size: 'max' }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.option(fc.nat()),
        fc.integer({ min: -2, max: 40 }),
        (self, target, edges, avoidPicks, excludePick, ttl) => {
          const avoid = edges.length ? avoidPicks.map((i) => edges[i % edges.length]) : [];
          const exclude = excludePick !== null && edges.length ? edges[excludePick % edges.length] : undefined;
          const d = decide(self, { target, ttl, avoid }, edges, exclude);
          if (hex(self) === hex(target)) {
            expect(d).toEqual({ action: 'deliver' });
            return;
          }
          if (Math.min(ttl, MAX_TTL) < 1) {
            expect(d).toEqual({ action: 'drop', reason: 'ttl' });
            return;
          }
          const banned = new Set([...avoid, ...(exclude ? [exclude] : [])].map(hex));
          const expected = edges
            .filter((e) => compareDistance(target, e, self) < 0 && !banned.has(hex(e)))
            .sort((a, b) => compareDistance(target, a, b))
            .slice(0, MAX_NEXT_HOPS)
            .map(hex);
          if (expected.length === 0) {
            expect(d).toEqual({ action: 'drop', reason: 'no-route' });
            return;
          }
          expect(d).toMatchObject({ action: 'forward', ttl: Math.min(ttl, MAX_TTL) - 1 });
          expect(hopsOf(d)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a greedy walk over random overlays strictly approaches the target and ends within the TTL', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const fill = seededFill(seed);
        const nodes = Array.from({ length: 64 }, () => {
          const id = new Uint8Array(32);
          fill(id);
          return id;
        });
        const edgesOf = (i: number) => [1, 2, 5, 11, 23].map((k) => nodes[(i + k) % nodes.length]);
        const target = nodes[seed & 63];
        let at = (seed >>> 6) % nodes.length;
        let ttl = MAX_TTL;
        for (let hop = 0; hop <= MAX_TTL; hop++) {
          const d = decide(nodes[at], { target, ttl, avoid: [] }, edgesOf(at));
          if (d.action !== 'forward') return;
          const next = nodes.findIndex((n) => hex(n) === hex(d.hops[0]));
          expect(compareDistance(target, nodes[next], nodes[at])).toBe(-1);
          expect(d.ttl).toBe(ttl - 1);
          at = next;
          ttl = d.ttl;
        }
        throw new Error('walk outlived its TTL');
      }),
      { numRuns: 100 },
    );
  });
});

describe('disjointFirstHops', () => {
  it('returns up to 3 distinct strictly-closer edges, closest first', () => {
    expect(disjointFirstHops(SELF, TARGET, EDGES).map(hex)).toEqual(CLOSER.slice(0, 3).map(hex));
    expect(disjointFirstHops(SELF, TARGET, EDGES, 5).map(hex)).toEqual(CLOSER.map(hex));
    expect(disjointFirstHops(SELF, TARGET, [CLOSER[1], CLOSER[1].slice(), CLOSER[1]]).map(hex)).toEqual([hex(CLOSER[1])]);
  });
  it('returns fewer when fewer are strictly closer, and none at a local optimum or for self', () => {
    expect(disjointFirstHops(SELF, TARGET, [CLOSER[3], ...FARTHER]).map(hex)).toEqual([hex(CLOSER[3])]);
    expect(disjointFirstHops(SELF, TARGET, FARTHER)).toEqual([]);
    expect(disjointFirstHops(SELF, SELF, EDGES)).toEqual([]);
  });
  it('every hop is strictly closer and the list is sorted (property)', () => {
    fc.assert(
      fc.property(idArb, idArb, fc.array(idArb, { maxLength: 30, size: 'max' }), fc.integer({ min: 1, max: 5 }), (self, target, edges, n) => {
        const hops = disjointFirstHops(self, target, edges, n);
        const closer = new Set(edges.filter((e) => compareDistance(target, e, self) < 0).map(hex));
        expect(hops.length).toBe(Math.min(n, closer.size));
        for (let i = 0; i < hops.length; i++) {
          expect(compareDistance(target, hops[i], self)).toBe(-1);
          if (i > 0) expect(compareDistance(target, hops[i - 1], hops[i])).toBe(-1);
        }
      }),
    );
  });
  it('each copy avoids the other first hops', () => {
    const hops = disjointFirstHops(SELF, TARGET, EDGES);
    const sets = copyAvoidSets(hops);
    expect(sets.map((s) => s.map(hex))).toEqual([
      [hex(hops[1]), hex(hops[2])],
      [hex(hops[0]), hex(hops[2])],
      [hex(hops[0]), hex(hops[1])],
    ]);
  });
});

describe('nearestEdges', () => {
  it('returns the n nearest edges whether or not they are closer than self', () => {
    // Distances to SELF (0x40..): 0x41 -> 0x01, 0x01 -> 0x41, 0x02 -> 0x42, 0x3f -> 0x7f.
    expect(nearestEdges(SELF, EDGES, 3).map(hex)).toEqual([hex(FARTHER[0]), hex(CLOSER[0]), hex(CLOSER[1])]);
    expect(nearestEdges(TARGET, FARTHER, 2, (id) => id[0] === 0x41).map(hex)).toEqual([hex(FARTHER[1]), hex(FARTHER[2])]);
    expect(nearestEdges(TARGET, EDGES, 0)).toEqual([]);
  });
  it('supports lookups toward self (refresh targets in a bucket)', () => {
    const fill = seededFill(3);
    const near = randomIdInBucket(SELF, 20, fill);
    const far = randomIdInBucket(SELF, 1, fill);
    expect(nearestEdges(SELF, [far, near], 1).map(hex)).toEqual([hex(near)]);
  });
});
