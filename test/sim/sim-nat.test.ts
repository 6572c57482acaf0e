/**
 * The NAT model (RFC 4787): every mapping x filtering combination, table-driven over the fabric; mapping
 * expiry and refresh (outbound only); hairpinning; private networks; port allocation and exhaustion; and a
 * property test of the pure SimNat against a small model.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SimNat, SimNetwork, type NatBehavior } from '../../src/node/sim/index.js';
import { fire, numberOf, numbered, record } from './fabric.js';

const NAT_IP = '203.0.113.1';
const S1 = '198.51.100.1';
const S2 = '198.51.100.2';
const EI: NatBehavior = 'endpoint-independent';
const AD: NatBehavior = 'address-dependent';
const APD: NatBehavior = 'address-and-port-dependent';

interface Row {
  mapping: NatBehavior;
  filtering: NatBehavior;
  /** Same public port towards S1:7001 as towards S1:7000? */
  sameToOtherPort: boolean;
  /** Same public port towards S2:7000 as towards S1:7000? */
  sameToOtherHost: boolean;
  /** After the private host sent only to S1:7000, is a datagram to its mapped port admitted from ... */
  admitsOtherPort: boolean;
  admitsOtherHost: boolean;
}

const TABLE: Row[] = [
  { mapping: EI, filtering: EI, sameToOtherPort: true, sameToOtherHost: true, admitsOtherPort: true, admitsOtherHost: true },
  { mapping: EI, filtering: AD, sameToOtherPort: true, sameToOtherHost: true, admitsOtherPort: true, admitsOtherHost: false },
  { mapping: EI, filtering: APD, sameToOtherPort: true, sameToOtherHost: true, admitsOtherPort: false, admitsOtherHost: false },
  { mapping: AD, filtering: EI, sameToOtherPort: true, sameToOtherHost: false, admitsOtherPort: true, admitsOtherHost: true },
  { mapping: AD, filtering: AD, sameToOtherPort: true, sameToOtherHost: false, admitsOtherPort: true, admitsOtherHost: false },
  { mapping: AD, filtering: APD, sameToOtherPort: true, sameToOtherHost: false, admitsOtherPort: false, admitsOtherHost: false },
  { mapping: APD, filtering: EI, sameToOtherPort: false, sameToOtherHost: false, admitsOtherPort: true, admitsOtherHost: true },
  { mapping: APD, filtering: AD, sameToOtherPort: false, sameToOtherHost: false, admitsOtherPort: true, admitsOtherHost: false },
  { mapping: APD, filtering: APD, sameToOtherPort: false, sameToOtherHost: false, admitsOtherPort: false, admitsOtherHost: false },
];

function world(mapping: NatBehavior, filtering: NatBehavior, extra: { mappingTimeoutMs?: number; hairpinning?: boolean } = {}) {
  const net = new SimNetwork({ seed: 5, latencyMs: 0 });
  const nat = net.addNat({ publicHost: NAT_IP, mapping, filtering, mappingTimeoutMs: extra.mappingTimeoutMs ?? 30_000, hairpinning: extra.hairpinning });
  const s1a = net.createTransport(S1, 7000);
  const s1b = net.createTransport(S1, 7001);
  const s2 = net.createTransport(S2, 7000);
  return { net, nat, s1a, s1b, s2, at: { s1a: record(net, s1a), s1b: record(net, s1b), s2: record(net, s2) } };
}

describe('SimNat mapping x filtering (RFC 4787)', () => {
  it.each(TABLE)('mapping $mapping, filtering $filtering', async (row) => {
    const { net, nat, s1a, s1b, s2, at } = world(row.mapping, row.filtering);

    // Mapping: one private endpoint talks to three remote endpoints.
    const p = net.createTransport('192.168.1.10', 5000, { behind: nat });
    fire(p, numbered(1), S1, 7000);
    fire(p, numbered(2), S1, 7001);
    fire(p, numbered(3), S2, 7000);
    await net.clock.advance(1);
    const seen = [at.s1a[0]!, at.s1b[0]!, at.s2[0]!];
    expect(seen.map((g) => g.host)).toEqual([NAT_IP, NAT_IP, NAT_IP]);
    const [pa, pb, p2] = seen.map((g) => g.port);
    expect(pb === pa).toBe(row.sameToOtherPort);
    expect(p2 === pa).toBe(row.sameToOtherHost);
    expect(nat.mappings(net.clock.now())).toHaveLength(1 + (row.sameToOtherPort ? 0 : 1) + (row.sameToOtherHost ? 0 : 1));

    // Filtering: another private endpoint talks to S1:7000 only; then all three remotes answer its mapped port.
    const q = net.createTransport('192.168.1.11', 5000, { behind: nat });
    const atQ = record(net, q);
    fire(q, numbered(10), S1, 7000);
    await net.clock.advance(1);
    const qPort = at.s1a[1]!.port;
    fire(s1a, numbered(20), NAT_IP, qPort);
    fire(s1b, numbered(21), NAT_IP, qPort);
    fire(s2, numbered(22), NAT_IP, qPort);
    await net.clock.advance(1);
    const expected = [20, ...(row.admitsOtherPort ? [21] : []), ...(row.admitsOtherHost ? [22] : [])];
    expect(atQ.map((g) => numberOf(g.data))).toEqual(expected);
    // The private host sees the real remote address; the NAT is invisible from inside.
    expect(atQ[0]).toMatchObject({ host: S1, port: 7000 });
    const filtered = 3 - expected.length;
    expect(net.totals().dropped.nat_filtered).toBe(filtered);
    expect(nat.counters.filtered).toBe(filtered);

    // Unsolicited traffic to a port the NAT never handed out is dropped whatever the filter.
    fire(s2, numbered(23), NAT_IP, 12345);
    await net.clock.advance(1);
    expect(net.counters(S2).dropped.nat_no_mapping).toBe(1);
  });
});

describe('SimNat mapping timeout', () => {
  it('expires a mapping mappingTimeoutMs after the last outbound datagram; inbound traffic does not refresh it', async () => {
    const { net, nat, s1a } = world(EI, APD);
    const q = net.createTransport('192.168.1.11', 5000, { behind: nat });
    const atQ = record(net, q);
    const t0 = net.clock.now();
    fire(q, numbered(0), S1, 7000);
    await net.clock.advance(1);
    const port = nat.mappings(net.clock.now())[0]!.publicPort;
    const replyAt = async (ms: number, n: number) => {
      await net.clock.advance(t0 + ms - net.clock.now());
      fire(s1a, numbered(n), NAT_IP, port);
      await net.clock.advance(0);
    };
    await replyAt(10_000, 1);
    await replyAt(20_000, 2);
    await replyAt(29_999, 3);
    await replyAt(30_000, 4); // the replies above did not extend the mapping
    expect(atQ.map((g) => numberOf(g.data))).toEqual([1, 2, 3]);
    expect(net.counters(S1).dropped.nat_no_mapping).toBe(1);
    expect(nat.mappings(net.clock.now())).toEqual([]);
    expect(nat.counters.mappingsExpired).toBe(1);
  });

  it('refreshes the mapping with every outbound datagram', async () => {
    const { net, nat, s1a } = world(APD, APD);
    const q = net.createTransport('192.168.1.11', 5000, { behind: nat });
    const atQ = record(net, q);
    const t0 = net.clock.now();
    fire(q, numbered(0), S1, 7000);
    await net.clock.advance(20_000);
    fire(q, numbered(0), S1, 7000);
    await net.clock.advance(25_000);
    const port = nat.mappings(net.clock.now())[0]!.publicPort;
    fire(s1a, numbered(1), NAT_IP, port); // t0 + 45 s: alive thanks to the refresh at 20 s
    await net.clock.advance(4_999);
    fire(s1a, numbered(2), NAT_IP, port); // t0 + 49.999 s
    await net.clock.advance(1);
    fire(s1a, numbered(3), NAT_IP, port); // t0 + 50 s: 30 s after the last outbound
    await net.clock.advance(0);
    expect(net.clock.now() - t0).toBe(50_000);
    expect(atQ.map((g) => numberOf(g.data))).toEqual([1, 2]);
  });

  it('expires filter permissions one by one, each refreshed by outbound datagrams to that endpoint', async () => {
    const { net, nat, s1a, s2 } = world(EI, APD);
    const q = net.createTransport('192.168.1.11', 5000, { behind: nat });
    const atQ = record(net, q);
    fire(q, numbered(0), S1, 7000);
    await net.clock.advance(20_000);
    fire(q, numbered(0), S2, 7000);
    await net.clock.advance(15_000); // S1's permission (t=0) is gone, the mapping (t=20 s) and S2's are not
    const port = nat.mappings(net.clock.now())[0]!.publicPort;
    fire(s1a, numbered(1), NAT_IP, port);
    fire(s2, numbered(2), NAT_IP, port);
    await net.clock.advance(0);
    expect(atQ.map((g) => numberOf(g.data))).toEqual([2]);
    expect(net.counters(S1).dropped.nat_filtered).toBe(1);
  });

  it('hands out a new port after expiry (sequential), or the private port again (preserve)', async () => {
    for (const [allocation, samePort] of [
      ['sequential', false],
      ['preserve', true],
    ] as const) {
      const net = new SimNetwork({ latencyMs: 0 });
      const nat = net.addNat({ publicHost: NAT_IP, mapping: EI, filtering: EI, mappingTimeoutMs: 1_000, portAllocation: allocation });
      const s = record(net, net.createTransport(S1, 7000));
      const q = net.createTransport('192.168.1.11', 5000, { behind: nat });
      fire(q, numbered(0), S1, 7000);
      await net.clock.advance(1_000);
      fire(q, numbered(1), S1, 7000);
      await net.clock.advance(0);
      expect(s.map((g) => g.host)).toEqual([NAT_IP, NAT_IP]);
      expect(s[1]!.port === s[0]!.port).toBe(samePort);
      if (allocation === 'preserve') expect(s[0]!.port).toBe(5000);
      else expect(s[0]!.port).toBe(20_000);
    }
  });
});

describe('SimNat topology', () => {
  it('drops hairpin traffic unless hairpinning is on, and lets hosts behind one NAT talk directly', async () => {
    for (const hairpinning of [false, true]) {
      const { net, nat } = world(EI, EI, { hairpinning });
      const p1 = net.createTransport('192.168.1.10', 5000, { behind: nat });
      const p2 = net.createTransport('192.168.1.11', 6000, { behind: nat });
      const at2 = record(net, p2);
      fire(p2, numbered(0), S1, 7000);
      await net.clock.advance(1);
      const p2Public = nat.mappings(net.clock.now())[0]!.publicPort;
      fire(p1, numbered(1), NAT_IP, p2Public);
      fire(p1, numbered(2), '192.168.1.11', 6000);
      await net.clock.advance(1);
      const got = at2.map((g) => [numberOf(g.data), g.host]);
      if (hairpinning) {
        // RFC 4787 REQ-9: a hairpinned datagram carries the sender's external address.
        expect(got).toEqual([
          [1, NAT_IP],
          [2, '192.168.1.10'],
        ]);
      } else {
        expect(got).toEqual([[2, '192.168.1.10']]);
        expect(net.counters('192.168.1.10').dropped.hairpin).toBe(1);
      }
    }
  });

  it('keeps private addresses unreachable from the public fabric', async () => {
    const { net, nat, s1a } = world(EI, EI);
    const p = net.createTransport('192.168.1.10', 5000, { behind: nat });
    const atP = record(net, p);
    fire(s1a, numbered(1), '192.168.1.10', 5000);
    await net.clock.advance(1);
    expect(atP).toEqual([]);
    expect(net.counters(S1).dropped.unbound).toBe(1);
  });

  it('routes between hosts behind two different NATs through both translations', async () => {
    const net = new SimNetwork({ latencyMs: 4 });
    const natA = net.addNat({ publicHost: '203.0.113.1', mapping: EI, filtering: EI });
    const natB = net.addNat({ publicHost: '203.0.113.2', mapping: EI, filtering: APD });
    const a = net.createTransport('192.168.1.10', 5000, { behind: natA });
    const b = net.createTransport('10.1.0.2', 6000, { behind: natB });
    const atA = record(net, a);
    const atB = record(net, b);
    // b punches towards a's public address first (what a hole punch does); a then reaches b.
    fire(a, numbered(0), S1, 9); // opens a's mapping (port 20000)
    await net.clock.advance(5);
    const aPublic = natA.mappings(net.clock.now())[0]!.publicPort;
    fire(b, numbered(1), '203.0.113.1', aPublic);
    await net.clock.advance(5);
    const bPublic = natB.mappings(net.clock.now())[0]!.publicPort;
    expect(atA.map((g) => [numberOf(g.data), g.host, g.port])).toEqual([[1, '203.0.113.2', bPublic]]);
    fire(a, numbered(2), '203.0.113.2', bPublic);
    await net.clock.advance(5);
    expect(atB.map((g) => [numberOf(g.data), g.host, g.port])).toEqual([[2, '203.0.113.1', aPublic]]);
  });

  it('refuses placements that make no sense and NATs from another network', () => {
    const net = new SimNetwork();
    const nat = net.addNat({ publicHost: NAT_IP, mapping: EI, filtering: EI });
    expect(() => net.createTransport(NAT_IP, 1)).toThrow(/public address of a NAT/);
    net.createTransport('192.168.1.10', 1, { behind: nat });
    expect(() => net.createTransport('192.168.1.10', 2)).toThrow(/already behind the NAT/);
    net.createTransport(S1, 1);
    expect(() => net.createTransport(S1, 2, { behind: nat })).toThrow(/already on the public network/);
    expect(() => net.addNat({ publicHost: NAT_IP, mapping: EI, filtering: EI })).toThrow(/already in use/);
    expect(() => net.addNat({ publicHost: S1, mapping: EI, filtering: EI })).toThrow(/already in use/);
    const foreign = new SimNetwork().addNat({ publicHost: '203.0.113.50', mapping: EI, filtering: EI });
    expect(() => net.createTransport('192.168.9.9', 1, { behind: foreign })).toThrow(/not made by this network/);
  });

  it('drops new mappings when the port range is exhausted and reuses ports once mappings expire', async () => {
    const net = new SimNetwork({ latencyMs: 0 });
    const nat = net.addNat({ publicHost: NAT_IP, mapping: APD, filtering: APD, portRange: [30_000, 30_001], mappingTimeoutMs: 1_000 });
    const s = record(net, net.createTransport(S1, 7000));
    net.createTransport(S1, 7001).onDatagram(() => {});
    net.createTransport(S1, 7002).onDatagram(() => {});
    const q = net.createTransport('192.168.1.11', 5000, { behind: nat });
    fire(q, numbered(0), S1, 7000);
    fire(q, numbered(1), S1, 7001);
    fire(q, numbered(2), S1, 7002);
    await net.clock.advance(0);
    expect(net.counters('192.168.1.11').dropped.nat_ports_exhausted).toBe(1);
    expect(nat.counters.portsExhausted).toBe(1);
    await net.clock.advance(1_000);
    fire(q, numbered(3), S1, 7000);
    await net.clock.advance(0);
    expect(s.map((g) => g.port)).toEqual([30_000, 30_000]);
  });
});

describe('SimNat (pure)', () => {
  it('validates its options with the fix in the message', () => {
    const ok = { publicHost: NAT_IP, mapping: EI, filtering: EI } as const;
    expect(() => new SimNat({ ...ok, publicHost: 'nat' })).toThrow(/not an IP address/);
    expect(() => new SimNat({ ...ok, mapping: 'cone' as NatBehavior })).toThrow(/mapping 'cone' is unknown/);
    expect(() => new SimNat({ ...ok, filtering: 'strict' as NatBehavior })).toThrow(/filtering 'strict' is unknown/);
    expect(() => new SimNat({ ...ok, mappingTimeoutMs: 0 })).toThrow(/mappingTimeoutMs/);
    expect(() => new SimNat({ ...ok, portRange: [9, 8] })).toThrow(/portRange/);
    expect(() => new SimNat({ ...ok, portAllocation: 'lucky' as 'random' })).toThrow(/portAllocation/);
    expect(new SimNat(ok).mappingTimeoutMs).toBe(120_000);
  });

  it('property: translations agree with a model of RFC 4787 mapping, filtering and outbound-only refresh', () => {
    const T = 10_000;
    const privates = [
      ['192.168.1.2', 4000],
      ['192.168.1.2', 4001],
      ['192.168.1.3', 4000],
    ] as const;
    const remotes = [
      ['198.51.100.1', 80],
      ['198.51.100.1', 81],
      ['198.51.100.2', 80],
      ['198.51.100.3', 443],
    ] as const;
    const behavior = fc.constantFrom(EI, AD, APD);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('out' as const), priv: fc.nat(2), remote: fc.nat(3), dt: fc.integer({ min: 0, max: 8_000 }) }),
      fc.record({ kind: fc.constant('in' as const), pick: fc.nat(), remote: fc.nat(3), dt: fc.integer({ min: 0, max: 8_000 }) }),
    );
    fc.assert(
      fc.property(behavior, behavior, fc.array(op, { maxLength: 60 }), (mapping, filtering, ops) => {
        const nat = new SimNat({ publicHost: NAT_IP, mapping, filtering, mappingTimeoutMs: T });
        interface M {
          port: number;
          last: number;
          priv: readonly [string, number];
          permits: Map<string, number>;
        }
        const model = new Map<string, M>();
        const ports: number[] = [];
        const live = (m: M, now: number) => now - m.last < T;
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          const [rh, rp] = remotes[o.remote]!;
          if (o.kind === 'out') {
            const [ph, pp] = privates[o.priv]!;
            const key = mapping === EI ? `${ph}|${pp}` : mapping === AD ? `${ph}|${pp}|${rh}` : `${ph}|${pp}|${rh}|${rp}`;
            const port = nat.outbound(ph, pp, rh, rp, now);
            expect(port).not.toBeNull();
            const prev = model.get(key);
            if (prev !== undefined && live(prev, now)) {
              expect(port).toBe(prev.port);
            } else {
              for (const m of model.values()) if (live(m, now)) expect(port).not.toBe(m.port);
              model.set(key, { port: port!, last: now, priv: [ph, pp], permits: new Map() });
              ports.push(port!);
            }
            const m = model.get(key)!;
            m.last = now;
            m.permits.set(rh, now);
            m.permits.set(`${rh}|${rp}`, now);
          } else if (ports.length > 0) {
            const port = ports[o.pick % ports.length]!;
            const m = [...model.values()].find((x) => x.port === port && live(x, now));
            const got = nat.inbound(port, rh, rp, now);
            if (m === undefined) {
              expect(got).toEqual({ ok: false, reason: 'nat_no_mapping' });
              continue;
            }
            const permitKey = filtering === AD ? rh : `${rh}|${rp}`;
            const t = m.permits.get(permitKey);
            const admitted = filtering === EI || (t !== undefined && now - t < T);
            if (admitted) expect(got).toEqual({ ok: true, address: { host: m.priv[0], port: m.priv[1] } });
            else expect(got).toEqual({ ok: false, reason: 'nat_filtered' });
          }
        }
        // mappings() lists exactly the live model mappings.
        const livePorts = [...model.values()].filter((m) => live(m, now)).map((m) => m.port).sort();
        expect(nat.mappings(now).map((m) => m.publicPort).sort()).toEqual(livePorts);
      }),
      { numRuns: 400 },
    );
  });
});
