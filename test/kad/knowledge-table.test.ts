import { describe, it, expect } from 'vitest';
import { K, KnowledgeTable, SUBNET_CAP, commonPrefixLength, noSubnet, type KadContact } from '../../src/kad/index.js';
import { nodeIdFromKeys } from '../../src/identity/index.js';
import { boundKeys, hex, hostInOwnSubnet, idInBucket, keyed, keyless, seededFill, verifyFakeBinding } from './fixtures.js';

const SELF = new Uint8Array(32).fill(0x5a);

function table(difficulty = 0): KnowledgeTable {
  return new KnowledgeTable({ self: SELF, difficulty, verifyKeys: verifyFakeBinding, random: seededFill(99) });
}

/** Fills bucket `b` with K keyed contacts in distinct subnets, seen at t = 0..K-1 (so the first is least recent). */
function fillBucket(t: KnowledgeTable, b: number, seed: number, subnetBase = 0): KadContact[] {
  const fill = seededFill(seed);
  const out: KadContact[] = [];
  for (let i = 0; i < K; i++) {
    const c = keyed(idInBucket(SELF, b, fill), hostInOwnSubnet(subnetBase + i));
    expect(t.observe(c, i).status).toBe('added');
    out.push(c);
  }
  return out;
}

describe('KnowledgeTable basics', () => {
  it('stores by common prefix with self, most recently seen first', () => {
    const t = table();
    const fill = seededFill(1);
    const a = keyed(idInBucket(SELF, 3, fill), '203.0.113.1');
    const b = keyed(idInBucket(SELF, 3, fill), '203.0.114.1');
    expect(t.observe(a, 10)).toEqual({ status: 'added' });
    expect(t.observe(b, 20)).toEqual({ status: 'added' });
    expect(t.size).toBe(2);
    expect(t.bucketLength(3)).toBe(2);
    expect(t.all().map((c) => hex(c.id))).toEqual([hex(b.id), hex(a.id)]);
    expect(t.observe(a, 30).status).toBe('refreshed');
    expect(t.all().map((c) => hex(c.id))).toEqual([hex(a.id), hex(b.id)]);
    expect(t.get(a.id)?.lastSeenMs).toBe(30);
    expect(t.has(b.id)).toBe(true);
  });

  it('never stores self and refuses malformed contacts', () => {
    const t = table();
    expect(t.observe(keyed(SELF.slice(), '203.0.113.1'), 0)).toEqual({ status: 'rejected', reason: 'self' });
    expect(t.observe({ id: new Uint8Array(31), addresses: [] }, 0)).toEqual({ status: 'rejected', reason: 'bad-id' });
    const id = idInBucket(SELF, 0, seededFill(2));
    expect(t.observe({ id, addresses: [{ host: '203.0.113.1', port: 0 }] }, 0).reason).toBe('bad-address');
    expect(t.observe({ id, addresses: [{ host: '', port: 1 }] }, 0).reason).toBe('bad-address');
    const many = Array.from({ length: 17 }, (_, i) => ({ host: '203.0.113.1', port: 1000 + i }));
    expect(t.observe({ id, addresses: many }, 0).reason).toBe('bad-address');
    expect(t.observe({ id, addresses: [], capabilities: -1 }, 0).reason).toBe('bad-capabilities');
    expect(t.size).toBe(0);
  });

  it('keeps its own copies of ids, keys and addresses', () => {
    const t = table();
    const c = keyed(idInBucket(SELF, 1, seededFill(3)), '203.0.113.1');
    const idHex = hex(c.id);
    t.observe(c, 0);
    c.addresses[0].host = '6.6.6.6';
    c.edPublicKey![0] ^= 1;
    const storedId = t.all()[0].id;
    c.id[0] ^= 1;
    expect(hex(storedId)).toBe(idHex);
    const stored = t.get(storedId)!;
    expect(stored.addresses[0].host).toBe('203.0.113.1');
    expect(hex(stored.edPublicKey!)).toBe(hex(boundKeys(storedId).edPublicKey));
  });

  it('a same-address refresh does not replace the stored address list', () => {
    const t = table();
    const c = keyed(idInBucket(SELF, 1, seededFill(4)), '203.0.113.1');
    t.observe(c, 0);
    const before = t.get(c.id)!.addresses;
    t.observe(keyed(c.id.slice(), '203.0.113.1'), 5);
    expect(t.get(c.id)!.addresses).toBe(before);
    t.observe(keyed(c.id.slice(), '203.0.113.2'), 6);
    expect(t.get(c.id)!.addresses).toEqual([{ host: '203.0.113.2', port: 7000 }]);
  });

  it('refresh merges: empty addresses and missing capabilities do not clobber', () => {
    const t = table();
    const c: KadContact = { ...keyed(idInBucket(SELF, 2, seededFill(5)), '203.0.113.1'), capabilities: 3 };
    t.observe(c, 0);
    expect(t.observe({ id: c.id, ...boundKeys(c.id), addresses: [] }, 1).status).toBe('refreshed');
    expect(t.get(c.id)).toMatchObject({ addresses: [{ host: '203.0.113.1', port: 7000 }], capabilities: 3, lastSeenMs: 1 });
    t.observe({ ...keyed(c.id, '203.0.113.1'), capabilities: 1 }, 2);
    expect(t.get(c.id)!.capabilities).toBe(1);
  });
});

describe('key binding', () => {
  it('refuses keys that do not hash to the id, and half a key pair', () => {
    const t = table();
    const id = idInBucket(SELF, 0, seededFill(6));
    const forged = { id, edPublicKey: new Uint8Array(32).fill(1), xPublicKey: new Uint8Array(32).fill(2), addresses: [{ host: '203.0.113.1', port: 1 }] };
    expect(t.observe(forged, 0)).toEqual({ status: 'rejected', reason: 'key-mismatch' });
    expect(t.observe({ id, edPublicKey: boundKeys(id).edPublicKey, addresses: [] }, 0)).toEqual({ status: 'rejected', reason: 'bad-keys' });
    expect(t.observe({ id, ...boundKeys(id), xPublicKey: new Uint8Array(31), addresses: [] }, 0).reason).toBe('bad-keys');
    expect(t.size).toBe(0);
  });

  it('a forged observation of a known contact changes nothing', () => {
    const t = table();
    const honest = keyed(idInBucket(SELF, 0, seededFill(7)), '198.51.100.7', 9000);
    t.observe(honest, 0);
    const forged = { id: honest.id, edPublicKey: new Uint8Array(32), xPublicKey: new Uint8Array(32), addresses: [{ host: '6.6.6.6', port: 1 }] };
    expect(t.observe(forged, 5).reason).toBe('key-mismatch');
    expect(t.get(honest.id)).toMatchObject({ addresses: [{ host: '198.51.100.7', port: 9000 }], lastSeenMs: 0 });
  });

  it('a keyless observation never rewrites a keyed contact', () => {
    const t = table();
    const honest: KadContact = { ...keyed(idInBucket(SELF, 0, seededFill(8)), '198.51.100.7', 9000), capabilities: 2 };
    t.observe(honest, 0);
    const poison: KadContact = { id: honest.id.slice(), addresses: [{ host: '6.6.6.6', port: 1 }], capabilities: 1 };
    expect(t.observe(poison, 5).status).toBe('refreshed');
    const stored = t.get(honest.id)!;
    expect(stored.addresses).toEqual([{ host: '198.51.100.7', port: 9000 }]);
    expect(stored.capabilities).toBe(2);
    expect(hex(stored.xPublicKey!)).toBe(hex(boundKeys(honest.id).xPublicKey));
    expect(t.subnetLoad('6.6.6.0/24')).toBe(0);
  });

  it('a keyless contact is upgraded by a verified keyed observation', () => {
    const t = table();
    const id = idInBucket(SELF, 4, seededFill(9));
    t.observe(keyless(id, '203.0.113.1'), 0);
    expect(t.get(id)!.edPublicKey).toBeUndefined();
    expect(t.observe(keyed(id, '203.0.113.9'), 1).status).toBe('refreshed');
    expect(hex(t.get(id)!.edPublicKey!)).toBe(hex(boundKeys(id).edPublicKey));
    expect(t.get(id)!.addresses[0].host).toBe('203.0.113.9');
  });
});

describe('proof of work', () => {
  function idWithZeros(zeros: number): Uint8Array {
    const id = new Uint8Array(32).fill(0xff);
    for (let bit = 0; bit < zeros; bit++) id[bit >> 3] &= ~(0x80 >> (bit & 7));
    return id;
  }
  it('refuses newcomers below the difficulty and keyless newcomers when difficulty > 0', () => {
    const t = table(8);
    expect(t.observe(keyed(idWithZeros(7), '203.0.113.1'), 0)).toEqual({ status: 'rejected', reason: 'pow' });
    expect(t.observe(keyless(idWithZeros(12), '203.0.113.2'), 0)).toEqual({ status: 'rejected', reason: 'keyless' });
    expect(t.observe(keyed(idWithZeros(8), '203.0.113.3'), 0).status).toBe('added');
    expect(t.size).toBe(1);
  });
  it('difficulty 0 admits keyless contacts', () => {
    const t = table(0);
    expect(t.observe(keyless(idWithZeros(0), '203.0.113.1'), 0).status).toBe('added');
  });
});

describe('eviction handshake', () => {
  it('a full bucket stashes the newcomer and asks to probe the least recently seen incumbent', () => {
    const t = table();
    const incumbents = fillBucket(t, 0, 10);
    const newcomer = keyed(idInBucket(SELF, 0, seededFill(11)), hostInOwnSubnet(500));
    const r = t.observe(newcomer, 100);
    expect(r.status).toBe('pending');
    expect(hex(r.probe!)).toBe(hex(incumbents[0].id));
    expect(t.size).toBe(K);
    expect(t.has(newcomer.id)).toBe(false);
    expect(t.replacementCount).toBe(1);
  });

  it('confirm alive keeps the incumbent and the next probe is another one', () => {
    const t = table();
    const incumbents = fillBucket(t, 0, 12);
    const newcomer = keyed(idInBucket(SELF, 0, seededFill(13)), hostInOwnSubnet(500));
    const first = t.observe(newcomer, 100).probe!;
    expect(t.confirm(first, true, 101)).toEqual({ status: 'kept' });
    expect(t.has(first)).toBe(true);
    expect(t.get(first)!.lastSeenMs).toBe(101);
    expect(t.has(newcomer.id)).toBe(false);
    const second = t.observe(newcomer, 102);
    expect(second.status).toBe('pending');
    expect(hex(second.probe!)).toBe(hex(incumbents[1].id));
  });

  it('confirm dead evicts the incumbent and promotes the freshest newcomer', () => {
    const t = table();
    fillBucket(t, 0, 14);
    const fill = seededFill(15);
    const older = keyed(idInBucket(SELF, 0, fill), hostInOwnSubnet(500));
    const fresher = keyed(idInBucket(SELF, 0, fill), hostInOwnSubnet(501));
    t.observe(older, 100);
    const probe = t.observe(fresher, 101).probe!;
    const r = t.confirm(probe, false, 102);
    expect(r.status).toBe('evicted');
    expect(hex(r.promoted!.id)).toBe(hex(fresher.id));
    expect(t.has(probe)).toBe(false);
    expect(t.has(fresher.id)).toBe(true);
    expect(t.size).toBe(K);
    expect(t.replacementCount).toBe(1);
    expect(t.subnetLoad(`11.1.245.0/24`)).toBe(1); // fresher: 501 = 1 * 256 + 245
  });

  it('a flood of newcomers never evicts without a failed probe and keeps only K stashed', () => {
    const t = table();
    const incumbents = fillBucket(t, 0, 16);
    const fill = seededFill(17);
    let last: KadContact | undefined;
    for (let i = 0; i < 100; i++) {
      last = keyed(idInBucket(SELF, 0, fill), hostInOwnSubnet(1000 + i));
      expect(t.observe(last, 100 + i).status).toBe('pending');
    }
    for (const c of incumbents) expect(t.has(c.id)).toBe(true);
    expect(t.replacementCount).toBe(K);
    const r = t.confirm(incumbents[0].id, false, 300);
    expect(hex(r.promoted!.id)).toBe(hex(last!.id));
  });

  it('promotion skips a stashed newcomer whose subnet filled up meanwhile', () => {
    const t = table();
    fillBucket(t, 0, 18);
    const fill = seededFill(19);
    const diverse = keyed(idInBucket(SELF, 0, fill), '203.0.113.1');
    const crowded = keyed(idInBucket(SELF, 0, fill), '198.51.100.50');
    // 7 contacts of 198.51.100.0/24 elsewhere: the crowded newcomer still fits when stashed.
    for (let i = 0; i < SUBNET_CAP - 1; i++) t.observe(keyed(idInBucket(SELF, 10 + i, fill), `198.51.100.${i + 1}`), 50);
    const probe = t.observe(diverse, 100).probe!;
    expect(t.observe(crowded, 101).status).toBe('pending');
    // The subnet reaches its cap before the probe fails.
    expect(t.observe(keyed(idInBucket(SELF, 20, fill), '198.51.100.99'), 102).status).toBe('added');
    expect(t.subnetLoad('198.51.100.0/24')).toBe(SUBNET_CAP);
    // Re-announcing the crowded newcomer now is refused outright.
    expect(t.observe(crowded, 103)).toEqual({ status: 'rejected', reason: 'subnet-full' });
    const r = t.confirm(probe, false, 104);
    expect(hex(r.promoted!.id)).toBe(hex(diverse.id));
    expect(t.has(crowded.id)).toBe(false);
    expect(t.subnetLoad('198.51.100.0/24')).toBe(SUBNET_CAP);
    expect(t.replacementCount).toBe(1);
  });

  it('confirm of an unknown id reports unknown', () => {
    expect(table().confirm(new Uint8Array(32), false, 0)).toEqual({ status: 'unknown' });
  });
});

describe('markDead and remove', () => {
  it('markDead evicts and promotes; remove frees the slot without promoting', () => {
    const t = table();
    const incumbents = fillBucket(t, 1, 20);
    const fill = seededFill(21);
    const a = keyed(idInBucket(SELF, 1, fill), hostInOwnSubnet(600));
    const b = keyed(idInBucket(SELF, 1, fill), hostInOwnSubnet(601));
    t.observe(a, 100);
    t.observe(b, 101);
    const dead = t.markDead(incumbents[5].id);
    expect(dead.removed).toBe(true);
    expect(hex(dead.promoted!.id)).toBe(hex(b.id));
    expect(t.remove(incumbents[6].id)).toBe(true);
    expect(t.size).toBe(K - 1);
    expect(t.has(a.id)).toBe(false);
    expect(t.replacementCount).toBe(1);
    // A stashed contact can be forgotten too.
    expect(t.remove(a.id)).toBe(true);
    expect(t.replacementCount).toBe(0);
    expect(t.remove(a.id)).toBe(false);
    expect(t.markDead(a.id)).toEqual({ removed: false });
  });
  it('the freed slot takes the next newcomer directly', () => {
    const t = table();
    const incumbents = fillBucket(t, 1, 22);
    t.remove(incumbents[0].id);
    expect(t.observe(keyed(idInBucket(SELF, 1, seededFill(23)), hostInOwnSubnet(700)), 5).status).toBe('added');
  });
  it('promotion keeps most-recently-seen-first order', () => {
    const t = table();
    fillBucket(t, 2, 24); // seen at 0..19
    const newcomer = keyed(idInBucket(SELF, 2, seededFill(25)), hostInOwnSubnet(800));
    t.observe(newcomer, 7.5);
    const probe = t.all()[K - 1].id; // seen at 0
    t.confirm(probe, false, 30);
    const seen = t.all().map((c) => c.lastSeenMs!);
    expect(seen).toEqual([...seen].sort((x, y) => y - x));
    expect(seen).toContain(7.5);
  });
});

describe('subnet caps', () => {
  it('at most 8 contacts per IPv4 /24 across the whole table', () => {
    const t = table();
    const fill = seededFill(30);
    for (let i = 0; i < SUBNET_CAP; i++) expect(t.observe(keyed(idInBucket(SELF, i * 3, fill), `198.51.100.${i + 1}`), 0).status).toBe('added');
    const ninth = keyed(idInBucket(SELF, 40, fill), '198.51.100.200');
    expect(t.observe(ninth, 0)).toEqual({ status: 'rejected', reason: 'subnet-full' });
    expect(t.observe(keyed(idInBucket(SELF, 40, fill), '198.51.101.1'), 0).status).toBe('added');
    t.remove(t.all().find((c) => c.addresses[0].host === '198.51.100.1')!.id);
    expect(t.observe(ninth, 1).status).toBe('added');
  });

  it('at most 8 contacts per IPv6 /64', () => {
    const t = table();
    const fill = seededFill(31);
    for (let i = 0; i < SUBNET_CAP; i++) expect(t.observe(keyed(idInBucket(SELF, i, fill), `2001:db8:0:7::${i + 1}`), 0).status).toBe('added');
    expect(t.observe(keyed(idInBucket(SELF, 9, fill), '2001:db8:0:7:ffff::1'), 0).reason).toBe('subnet-full');
    expect(t.observe(keyed(idInBucket(SELF, 9, fill), '2001:db8:0:8::1'), 0).status).toBe('added');
    expect(t.subnetLoad('2001:db8:0:7::/64')).toBe(SUBNET_CAP);
  });

  it('an address change into a full subnet is refused and changes nothing; a change elsewhere moves the count', () => {
    const t = table();
    const fill = seededFill(32);
    for (let i = 0; i < SUBNET_CAP; i++) t.observe(keyed(idInBucket(SELF, i, fill), `198.51.100.${i + 1}`), 0);
    const mover = keyed(idInBucket(SELF, 20, fill), '203.0.113.5');
    t.observe(mover, 0);
    expect(t.observe(keyed(mover.id, '198.51.100.77'), 1)).toEqual({ status: 'rejected', reason: 'subnet-full' });
    expect(t.get(mover.id)).toMatchObject({ addresses: [{ host: '203.0.113.5', port: 7000 }], lastSeenMs: 0 });
    expect(t.observe(keyed(mover.id, '192.0.2.5'), 2).status).toBe('refreshed');
    expect(t.subnetLoad('203.0.113.0/24')).toBe(0);
    expect(t.subnetLoad('192.0.2.0/24')).toBe(1);
    // Moving within the same subnet is always allowed.
    const member = t.all().find((c) => c.addresses[0].host === '198.51.100.1')!;
    expect(t.observe(keyed(member.id, '198.51.100.250'), 3).status).toBe('refreshed');
  });

  it('the caps are inert with noSubnet', () => {
    const t = new KnowledgeTable({ self: SELF, subnetOf: noSubnet, verifyKeys: verifyFakeBinding });
    const fill = seededFill(33);
    for (let i = 0; i < 3 * SUBNET_CAP; i++) expect(t.observe(keyed(idInBucket(SELF, i, fill), '127.0.0.1', 7000 + i), 0).status).toBe('added');
  });
});

describe('staleBuckets', () => {
  it('returns populated buckets without news for maxAge, most stale first, with targets inside them', () => {
    const t = table();
    const fill = seededFill(40);
    const a = keyed(idInBucket(SELF, 0, fill), '203.0.113.1');
    t.observe(a, 0);
    t.observe(keyed(idInBucket(SELF, 5, fill), '203.0.114.1'), 1000);
    t.observe(keyed(idInBucket(SELF, 9, fill), '203.0.115.1'), 500_000);
    const maxAge = 15 * 60_000;
    expect(t.staleBuckets(maxAge - 1, maxAge)).toEqual([]);
    const stale = t.staleBuckets(maxAge + 1000, maxAge);
    expect(stale.map((s) => s.bucket)).toEqual([0, 5]);
    for (const s of stale) expect(commonPrefixLength(SELF, s.target)).toBe(s.bucket);
    // Refreshing a contact freshens its bucket.
    t.observe(a, maxAge + 1000);
    expect(t.staleBuckets(maxAge + 1000, maxAge).map((s) => s.bucket)).toEqual([5]);
  });
});

describe('default key verifier (the real NodeID hash from src/identity)', () => {
  it('accepts keys that hash to the id and refuses any other pairing', () => {
    const t = new KnowledgeTable({ self: SELF });
    const ed = new Uint8Array(32).fill(7);
    const x = new Uint8Array(32).fill(9);
    const id = nodeIdFromKeys(ed, x);
    const address = [{ host: '203.0.113.1', port: 7000 }];
    expect(t.observe({ id, edPublicKey: ed, xPublicKey: x, addresses: address }, 0).status).toBe('added');
    const other = new Uint8Array(32).fill(8);
    expect(t.observe({ id: nodeIdFromKeys(other, x), edPublicKey: ed, xPublicKey: x, addresses: address }, 0)).toEqual({
      status: 'rejected',
      reason: 'key-mismatch',
    });
    // Swapping the two keys changes the hash: both keys are bound, in order.
    expect(t.observe({ id, edPublicKey: x, xPublicKey: ed, addresses: address }, 1).reason).toBe('key-mismatch');
    expect(t.get(id)!.lastSeenMs).toBe(0);
  });
});
