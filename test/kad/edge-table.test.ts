import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DIAL_PENDING_EXPIRY_MS,
  EdgeTable,
  KnowledgeTable,
  SIBLINGS,
  compareDistance,
  noSubnet,
  randomIdInBucket,
  type KadContact,
} from '../../src/kad/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { hex, hostInOwnSubnet, idInBucket, keyed, seededFill, verifyFakeBinding } from './fixtures.js';

const SELF = new Uint8Array(32).fill(0xa5);

function ids(count: number, seed: number): Uint8Array[] {
  const fill = seededFill(seed);
  return Array.from({ length: count }, (_, i) => randomIdInBucket(SELF, i % 12, fill));
}

function addOutbound(t: EdgeTable, list: Uint8Array[], now = 0): void {
  list.forEach((id, i) => expect(t.add({ id, inbound: false, address: { host: hostInOwnSubnet(i), port: 1 } }, now).added).toBe(true));
}

describe('EdgeTable admission', () => {
  it('refuses self, duplicates, malformed ids and inbound edges past the cap', () => {
    const t = new EdgeTable({ self: SELF, maxInbound: 2 });
    const [a, b, c, d] = ids(4, 1);
    expect(t.shouldAccept(SELF, false)).toEqual({ accept: false, reason: 'self' });
    expect(t.shouldAccept(new Uint8Array(5), true)).toEqual({ accept: false, reason: 'bad-id' });
    expect(t.add({ id: a, inbound: true }, 0).added).toBe(true);
    expect(t.add({ id: a, inbound: false }, 0)).toEqual({ added: false, reason: 'duplicate' });
    expect(t.add({ id: b, inbound: true }, 0).added).toBe(true);
    expect(t.shouldAccept(c, true)).toEqual({ accept: false, reason: 'inbound-full' });
    expect(t.add({ id: c, inbound: true }, 0)).toEqual({ added: false, reason: 'inbound-full' });
    // The inbound cap does not limit self-maintained edges.
    expect(t.add({ id: d, inbound: false }, 0).added).toBe(true);
    expect([t.size, t.inboundCount, t.outboundCount]).toEqual([3, 2, 1]);
    expect(t.remove(a)?.inbound).toBe(true);
    expect(t.shouldAccept(c, true)).toEqual({ accept: true });
    expect(t.remove(a)).toBeUndefined();
  });

  it('validates its options', () => {
    expect(() => new EdgeTable({ self: SELF, targetDegree: 3 })).toThrow(InvalidArgumentError);
    expect(() => new EdgeTable({ self: SELF, maxInbound: -1 })).toThrow(InvalidArgumentError);
    expect(() => new EdgeTable({ self: new Uint8Array(2) })).toThrow(InvalidArgumentError);
  });

  it('keeps its own copy of the id and refreshes lastSeen on touch', () => {
    const t = new EdgeTable({ self: SELF });
    const [a] = ids(1, 2);
    const original = hex(a);
    t.add({ id: a, inbound: false, address: { host: '203.0.113.1', port: 9 } }, 100);
    a[0] ^= 0xff;
    const edge = t.all()[0];
    expect(hex(edge.id)).toBe(original);
    expect(edge.subnet).toBe('203.0.113.0/24');
    expect(t.touch(edge.id, 250)).toBe(true);
    expect(t.get(edge.id)!.lastSeenMs).toBe(250);
    expect(t.touch(edge.id, 200)).toBe(true);
    expect(t.get(edge.id)!.lastSeenMs).toBe(250);
    expect(t.touch(new Uint8Array(32), 1)).toBe(false);
  });
});

describe('siblings and fingers', () => {
  it('the 16 closest live edges to self are siblings, after any sequence of adds and removes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 120, size: 'max' }), (ops) => {
        const pool = ids(41, 3);
        const t = new EdgeTable({ self: SELF, subnetOf: noSubnet });
        const violations: string[] = [];
        ops.forEach(([add, i], step) => {
          if (add) t.add({ id: pool[i], inbound: i % 3 === 0 }, 0);
          else t.remove(pool[i]);
          // Compared with plain checks and one assertion per run: expect() per element is slow.
          const all = t.all();
          const sorted = [...all].sort((x, y) => compareDistance(SELF, x.id, y.id));
          const order = all.map((e) => hex(e.id)).join();
          if (order !== sorted.map((e) => hex(e.id)).join()) violations.push(`step ${step}: order`);
          if (t.ids().map(hex).join() !== order) violations.push(`step ${step}: ids()`);
          sorted.forEach((e, rank) => {
            if (e.kind !== (rank < SIBLINGS ? 'sibling' : 'finger')) violations.push(`step ${step}: rank ${rank} is ${e.kind}`);
          });
          if (t.siblings().length !== Math.min(SIBLINGS, all.length)) violations.push(`step ${step}: siblings()`);
          if (t.fingers().length !== Math.max(0, all.length - SIBLINGS)) violations.push(`step ${step}: fingers()`);
        });
        expect(violations).toEqual([]);
        // The table holds exactly the ids whose last operation was an add.
        const present = new Map<number, boolean>();
        for (const [add, i] of ops) present.set(i, add);
        const expected = [...present].filter(([, add]) => add).map(([i]) => hex(pool[i]));
        expect(t.all().map((e) => hex(e.id)).sort()).toEqual(expected.sort());
      }),
      { numRuns: 100 },
    );
  });

  it('ids() is cached until the table changes', () => {
    const t = new EdgeTable({ self: SELF });
    const [a, b] = ids(2, 4);
    t.add({ id: a, inbound: false }, 0);
    const first = t.ids();
    expect(t.ids()).toBe(first);
    t.add({ id: b, inbound: false }, 0);
    expect(t.ids()).not.toBe(first);
    expect(t.ids()).toHaveLength(2);
  });
});

describe('phases', () => {
  it('follow the outbound count: bootstrap, critical <= 3, urgent <= 8, fill, normal >= target with hysteresis 4', () => {
    const t = new EdgeTable({ self: SELF, subnetOf: noSubnet });
    const pool = ids(30, 5);
    const seen: string[] = [t.phase()];
    for (let i = 0; i < 24; i++) {
      t.add({ id: pool[i], inbound: false }, 0);
      seen.push(t.phase());
    }
    expect(seen).toEqual([
      'bootstrap',
      ...Array(3).fill('critical'),
      ...Array(5).fill('urgent'),
      ...Array(15).fill('fill'),
      'normal',
    ]);
    // Inbound edges never count.
    t.add({ id: pool[24], inbound: true }, 0);
    t.remove(pool[0]);
    expect([t.outboundCount, t.phase()]).toEqual([23, 'normal']);
    for (let i = 1; i <= 3; i++) t.remove(pool[i]);
    expect([t.outboundCount, t.phase()]).toEqual([20, 'normal']);
    t.remove(pool[4]);
    expect([t.outboundCount, t.phase()]).toEqual([19, 'fill']);
    // Climbing back needs the full target again.
    t.add({ id: pool[0], inbound: false }, 0);
    expect(t.phase()).toBe('fill');
  });

  it('squeeze consistently for a small target', () => {
    const t = new EdgeTable({ self: SELF, targetDegree: 5, subnetOf: noSubnet });
    const pool = ids(5, 6);
    const seen = pool.map((id) => (t.add({ id, inbound: false }, 0), t.phase()));
    expect(seen).toEqual(['critical', 'critical', 'critical', 'urgent', 'normal']);
  });
});

describe('edge budgets', () => {
  it('charges control and forward buckets per edge; unregistered peers get nothing', () => {
    const t = new EdgeTable({ self: SELF });
    const [a, b, stranger] = ids(3, 7);
    t.add({ id: a, inbound: false }, 0);
    t.add({ id: b, inbound: true }, 0);
    let control = 0;
    for (let i = 0; i < 100; i++) if (t.edgeBudget.take(a, 'control', 0)) control++;
    expect(control).toBe(32);
    expect(t.edgeBudget.take(a, 'forward', 0)).toBe(true);
    expect(t.edgeBudget.take(b, 'control', 0)).toBe(true);
    expect(t.edgeBudget.take(stranger, 'forward', 0)).toBe(false);
    expect(t.edgeBudget.take(a, 'control', 1000)).toBe(true);
    // The record itself works too (no lookup), but not once the edge is gone.
    const record = t.get(b)!;
    let forward = 0;
    for (let i = 0; i < 2000; i++) if (t.edgeBudget.take(record, 'forward', 0)) forward++;
    expect(forward).toBe(1024);
    t.remove(b);
    expect(t.edgeBudget.take(record, 'control', 5000)).toBe(false);
    expect(t.edgeBudget.take(b, 'control', 5000)).toBe(false);
  });
});

function knowledgeWith(contacts: KadContact[]): KnowledgeTable {
  const k = new KnowledgeTable({ self: SELF, subnetOf: noSubnet, verifyKeys: verifyFakeBinding });
  for (const c of contacts) expect(k.observe(c, 0).status).toBe('added');
  return k;
}

describe('wanted', () => {
  it('bootstrap wants the 8 dialable contacts closest to self', () => {
    const fill = seededFill(8);
    const contacts = Array.from({ length: 20 }, (_, i) => keyed(randomIdInBucket(SELF, i % 10, fill), hostInOwnSubnet(i)));
    const k = knowledgeWith(contacts);
    const t = new EdgeTable({ self: SELF });
    const expected = [...contacts].sort((x, y) => compareDistance(SELF, x.id, y.id)).slice(0, 8);
    expect(t.wanted(k, 0).map((c) => hex(c.id))).toEqual(expected.map((c) => hex(c.id)));
  });

  it('skips live, address-less, pending, backing-off and caller-skipped contacts', () => {
    const fill = seededFill(9);
    const contacts = Array.from({ length: 14 }, (_, i) => keyed(randomIdInBucket(SELF, 0, fill), hostInOwnSubnet(i)));
    const sorted = [...contacts].sort((x, y) => compareDistance(SELF, x.id, y.id));
    sorted[1].addresses = [];
    const k = knowledgeWith(contacts);
    const t = new EdgeTable({ self: SELF });
    t.add({ id: sorted[0].id, inbound: false, address: sorted[0].addresses[0] }, 0); // live (phase: critical, 8 wanted)
    t.noteDialStarted(sorted[2].id, 0); // in flight: also uses one of the 8 dials
    const failure = t.noteDialFailed(sorted[3].id, 0);
    expect(failure.retryAtMs).toBe(1000);
    const skipped = hex(sorted[4].id);
    const got = t.wanted(k, 10, (id) => hex(id) === skipped).map((c) => hex(c.id));
    expect(got).toEqual(sorted.slice(5, 12).map((c) => hex(c.id)));
    // After the backoff and the pending expiry both are offered again.
    const later = t.wanted(k, DIAL_PENDING_EXPIRY_MS, (id) => hex(id) === skipped).map((c) => hex(c.id));
    expect(later.slice(0, 2)).toEqual([hex(sorted[2].id), hex(sorted[3].id)]);
    expect(later).toHaveLength(8);
  });

  it('prefers subnets under the live cap, then falls back to saturated ones', () => {
    const fill = seededFill(10);
    const crowdedIds = Array.from({ length: 6 }, () => randomIdInBucket(SELF, 5, fill)); // closest to self
    const diverseIds = Array.from({ length: 4 }, () => randomIdInBucket(SELF, 1, fill));
    const crowded = crowdedIds.map((id, i) => keyed(id, `198.51.100.${i + 1}`));
    const diverse = diverseIds.map((id, i) => keyed(id, hostInOwnSubnet(i)));
    const k = knowledgeWith([...crowded, ...diverse]);
    const t = new EdgeTable({ self: SELF });
    const got = t.wanted(k, 0).map((c) => c.addresses[0].host);
    const crowdedSorted = [...crowded].sort((x, y) => compareDistance(SELF, x.id, y.id)).map((c) => c.addresses[0].host);
    const diverseSorted = [...diverse].sort((x, y) => compareDistance(SELF, x.id, y.id)).map((c) => c.addresses[0].host);
    expect(got).toEqual([...crowdedSorted.slice(0, 2), ...diverseSorted, ...crowdedSorted.slice(2, 4)]);
    // A live edge in the subnet uses up part of the cap.
    t.add({ id: crowdedIds[5], inbound: true, address: { host: '198.51.100.200', port: 1 } }, 0);
    expect(t.liveSubnetLoad('198.51.100.0/24')).toBe(1);
    const again = t.wanted(k, 0).map((c) => c.addresses[0].host);
    expect(again.slice(0, 1)).toEqual(crowdedSorted.filter((h) => h !== '198.51.100.6').slice(0, 1));
    expect(again.slice(1, 5).sort()).toEqual([...diverseSorted].sort());
  });

  it('in the normal phase only wants contacts that would become siblings, two at a time', () => {
    const fill = seededFill(11);
    const t = new EdgeTable({ self: SELF, targetDegree: 24 });
    // 24 live edges in buckets 2..7: siblings are the ones in the deepest buckets.
    const live = Array.from({ length: 24 }, (_, i) => randomIdInBucket(SELF, 2 + (i % 6), fill));
    addOutbound(t, live);
    expect(t.phase()).toBe('normal');
    const far = Array.from({ length: 5 }, (_, i) => keyed(randomIdInBucket(SELF, 0, fill), hostInOwnSubnet(100 + i)));
    const near = Array.from({ length: 3 }, (_, i) => keyed(randomIdInBucket(SELF, 30, fill), hostInOwnSubnet(200 + i)));
    const onlyFar = knowledgeWith(far);
    expect(t.wanted(onlyFar, 0)).toEqual([]);
    const k = knowledgeWith([...far, ...near]);
    const got = t.wanted(k, 0).map((c) => hex(c.id));
    const nearSorted = [...near].sort((x, y) => compareDistance(SELF, x.id, y.id)).map((c) => hex(c.id));
    expect(got).toEqual(nearSorted.slice(0, 2));
    t.noteDialStarted(near[0].id, 0);
    t.noteDialStarted(near[1].id, 0);
    expect(t.wanted(k, 1)).toEqual([]);
  });

  it('with a target below 16 the normal phase dials nothing more', () => {
    const fill = seededFill(17);
    const t = new EdgeTable({ self: SELF, targetDegree: 6 });
    addOutbound(t, Array.from({ length: 6 }, () => randomIdInBucket(SELF, 1, fill)));
    expect(t.phase()).toBe('normal');
    const k = knowledgeWith(Array.from({ length: 4 }, (_, i) => keyed(randomIdInBucket(SELF, 40, fill), hostInOwnSubnet(300 + i))));
    expect(t.wanted(k, 0)).toEqual([]);
    t.remove(t.all()[0].id);
    expect(t.phase()).toBe('urgent'); // 5 edges: below target, at the squeezed low-water mark
    t.remove(t.all()[0].id);
    expect(t.wanted(k, 0)).toHaveLength(4);
  });
});

describe('replacementFor', () => {
  it('offers the dialable contact closest to the dropped edge', () => {
    const fill = seededFill(12);
    const dropped = randomIdInBucket(SELF, 0, fill);
    const sameRegion = keyed(randomIdInBucket(dropped, 40, fill), hostInOwnSubnet(1));
    const farther = keyed(randomIdInBucket(dropped, 3, fill), hostInOwnSubnet(2));
    const addressless: KadContact = { ...keyed(randomIdInBucket(dropped, 60, fill), hostInOwnSubnet(3)), addresses: [] };
    const k = knowledgeWith([farther, sameRegion, addressless, keyed(dropped, hostInOwnSubnet(4))]);
    const t = new EdgeTable({ self: SELF });
    expect(hex(t.replacementFor(dropped, k, 0)!.id)).toBe(hex(sameRegion.id));
    t.noteDialStarted(sameRegion.id, 0);
    expect(hex(t.replacementFor(dropped, k, 0)!.id)).toBe(hex(farther.id));
    expect(t.replacementFor(dropped, k, 0, () => true)).toBeUndefined();
  });

  it('prefers a subnet under the live cap and falls back when every candidate is saturated', () => {
    const fill = seededFill(13);
    const dropped = randomIdInBucket(SELF, 0, fill);
    const crowdedNear = keyed(randomIdInBucket(dropped, 50, fill), '198.51.100.1');
    const diverseFar = keyed(randomIdInBucket(dropped, 2, fill), '203.0.113.1');
    const t = new EdgeTable({ self: SELF });
    const [x, y] = ids(2, 14);
    t.add({ id: x, inbound: false, address: { host: '198.51.100.9', port: 1 } }, 0);
    t.add({ id: y, inbound: false, address: { host: '198.51.100.10', port: 1 } }, 0);
    expect(hex(t.replacementFor(dropped, knowledgeWith([crowdedNear, diverseFar]), 0)!.id)).toBe(hex(diverseFar.id));
    expect(hex(t.replacementFor(dropped, knowledgeWith([crowdedNear]), 0)!.id)).toBe(hex(crowdedNear.id));
  });
});

describe('dial bookkeeping', () => {
  it('a successful add clears the pending dial and the backoff', () => {
    const fill = seededFill(15);
    const c = keyed(idInBucket(SELF, 3, fill), hostInOwnSubnet(1));
    const k = knowledgeWith([c]);
    const t = new EdgeTable({ self: SELF });
    t.noteDialFailed(c.id, 0);
    t.noteDialStarted(c.id, 1);
    expect(t.pendingDialCount(1)).toBe(1);
    t.add({ id: c.id, inbound: false }, 2);
    expect(t.pendingDialCount(2)).toBe(0);
    t.remove(c.id);
    expect(t.wanted(k, 3).map((x) => hex(x.id))).toEqual([hex(c.id)]);
  });

  it('reports exhaustion once the backoff ladder is spent', () => {
    const t = new EdgeTable({ self: SELF, backoff: { baseMs: 10, maxMs: 10, failuresBeforeDead: 3 } });
    const [a] = ids(1, 16);
    expect([0, 1, 2].map((i) => t.noteDialFailed(a, i * 100).exhausted)).toEqual([false, false, true]);
  });
});
