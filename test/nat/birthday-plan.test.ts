/**
 * The pure parts of NAT-type exchange and the birthday strategy (issue 6 items 1, 3 and 5): the NAT type
 * in two capability bits of the signed contact record, the strategy by NAT pair, the spray plan, the
 * hit probability and the global budget.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAP_RELAY, Identity, decodeContactRecord, encodeContactRecord } from '../../src/identity/index.js';
import {
  BIRTHDAY_PACKETS_PER_S,
  BIRTHDAY_PORT_MAX,
  BIRTHDAY_PORT_MIN,
  BIRTHDAY_SOCKETS,
  BIRTHDAY_SPRAY_PORTS,
  BirthdayBudget,
  birthdayHitProbability,
  natTypeOfCapabilities,
  sprayPorts,
  traversalPlan,
  withNatType,
  type NatType,
} from '../../src/nat/index.js';
import { mulberry32Words } from '../../src/node/sim/index.js';

const TYPES: NatType[] = ['unknown', 'public', 'cone', 'symmetric'];

describe('NAT type in the contact record capabilities', () => {
  it('round-trips every type and keeps every other bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...TYPES), (caps, type) => {
        const out = withNatType(caps, type);
        expect(natTypeOfCapabilities(out)).toBe(type);
        expect(out >>> 0).toBe(out);
        expect((out & ~0b110) >>> 0).toBe((caps & ~0b110) >>> 0);
      }),
    );
    expect(withNatType(CAP_RELAY, 'symmetric')).toBe(CAP_RELAY | 0b110);
    expect(natTypeOfCapabilities(undefined)).toBe('unknown');
    expect(natTypeOfCapabilities(CAP_RELAY)).toBe('unknown');
  });

  it('travels in the signed contact record unchanged (an old decoder reads the same bits)', () => {
    const id = Identity.fromSeed(new Uint8Array(32).fill(7));
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.boolean(), (type, relay) => {
        const contact = { nodeId: id.nodeId, edPublicKey: id.edPublicKey, xPublicKey: id.xPublicKey, addresses: [{ host: '203.0.113.5', port: 4242 }], capabilities: withNatType(relay ? CAP_RELAY : 0, type) };
        const decoded = decodeContactRecord(encodeContactRecord(contact));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(natTypeOfCapabilities(decoded.value.contact.capabilities)).toBe(type);
        expect((decoded.value.contact.capabilities! & CAP_RELAY) !== 0).toBe(relay);
      }),
      { numRuns: 40 },
    );
    id.destroy();
  });
});

describe('strategy by NAT pair', () => {
  it('relays two symmetric sides, birthday for exactly one, punches the rest', () => {
    expect(traversalPlan('symmetric', 'symmetric')).toEqual({ punch: false, birthday: null, relayFirst: true });
    expect(traversalPlan('symmetric', 'cone')).toEqual({ punch: true, birthday: 'sockets', relayFirst: true });
    expect(traversalPlan('cone', 'symmetric')).toEqual({ punch: true, birthday: 'spray', relayFirst: true });
    for (const own of TYPES) {
      for (const peer of TYPES) {
        const plan = traversalPlan(own, peer);
        const oneSymmetric = (own === 'symmetric') !== (peer === 'symmetric');
        const birthdayPair = oneSymmetric && (own === 'cone' || peer === 'cone');
        expect(plan.birthday !== null).toBe(birthdayPair);
        expect(plan.punch).toBe(!(own === 'symmetric' && peer === 'symmetric'));
      }
    }
    // A symmetric node reaches a public one by dialing it: no birthday, no relay first.
    expect(traversalPlan('symmetric', 'public')).toEqual({ punch: true, birthday: null, relayFirst: false });
  });
});

describe('spray plan', () => {
  it('draws distinct ports in range, never an excluded one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.integer(), fc.array(fc.integer({ min: 1024, max: 65535 }), { maxLength: 8 }), (count, seed, exclude) => {
        const ports = sprayPorts(count, mulberry32Words(seed), exclude);
        expect(ports.length).toBe(count);
        expect(new Set(ports).size).toBe(count);
        for (const p of ports) {
          expect(p).toBeGreaterThanOrEqual(BIRTHDAY_PORT_MIN);
          expect(p).toBeLessThanOrEqual(BIRTHDAY_PORT_MAX);
          expect(exclude).not.toContain(p);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('stops at the size of a small range', () => {
    expect(sprayPorts(10, mulberry32Words(1), [], 2000, 2004).sort()).toEqual([2000, 2001, 2002, 2003, 2004]);
    expect(sprayPorts(10, mulberry32Words(1), [2001], 2000, 2004).sort()).toEqual([2000, 2002, 2003, 2004]);
  });
});

describe('birthday hit probability', () => {
  it('is exact on small ranges', () => {
    expect(birthdayHitProbability(1, 1, 10)).toBeCloseTo(0.1, 12);
    // 1 - C(8,2)/C(10,2) = 1 - 28/45
    expect(birthdayHitProbability(2, 2, 10)).toBeCloseTo(1 - 28 / 45, 12);
    expect(birthdayHitProbability(5, 6, 10)).toBe(1);
    expect(birthdayHitProbability(0, 100, 10)).toBe(0);
  });

  it('matches a seeded simulation of the default plan', () => {
    const p = birthdayHitProbability(BIRTHDAY_SOCKETS, BIRTHDAY_SPRAY_PORTS);
    // 1 - (1 - 256/64512)^1024 ~ 0.983
    expect(p).toBeGreaterThan(0.98);
    expect(p).toBeLessThan(0.99);
    const random = mulberry32Words(42);
    let hits = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const mapped = new Set(sprayPorts(BIRTHDAY_SOCKETS, random));
      if (sprayPorts(BIRTHDAY_SPRAY_PORTS, random).some((port) => mapped.has(port))) hits++;
    }
    // Binomial(200, 0.983): 4 standard deviations is about 0.036.
    expect(Math.abs(hits / trials - p)).toBeLessThan(0.04);
  });
});

describe('birthday budget', () => {
  it('spaces attempts per peer (the answering side allows half), caps concurrency, and rates datagrams globally', () => {
    const b = new BirthdayBudget({ maxAttempts: 2 });
    expect(b.startAttempt('p', 0)).toBe(true);
    expect(b.startAttempt('p', 0)).toBe(false);
    expect(b.startAttempt('q', 0)).toBe(true);
    // Two running: a third peer waits for one to end.
    expect(b.canStart('r', 0)).toBe(false);
    b.endAttempt();
    expect(b.startAttempt('r', 0)).toBe(true);
    b.endAttempt();
    b.endAttempt();
    expect(b.startAttempt('p', 4_999)).toBe(false);
    expect(b.canStart('p', 5_000, true)).toBe(true);
    expect(b.canStart('p', 5_000)).toBe(false);
    expect(b.startAttempt('p', 10_000)).toBe(true);
    expect(b.take(5_000, 10_000)).toBe(BIRTHDAY_PACKETS_PER_S);
    expect(b.take(10, 10_000)).toBe(0);
    expect(b.take(1_000, 10_100)).toBe(BIRTHDAY_PACKETS_PER_S / 10);
    // Refills to one second's worth, no more.
    expect(b.take(5_000, 20_000)).toBe(BIRTHDAY_PACKETS_PER_S);
  });
});
