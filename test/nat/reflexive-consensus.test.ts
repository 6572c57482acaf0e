import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReflexiveConsensus, isReportableIp, reportableHost } from '../../src/nat/index.js';
import { parseIp } from '../../src/kad/index.js';

const at = (host: string, port: number) => ({ host, port });

describe('reportableHost', () => {
  it('ignores loopback, link-local, multicast, unspecified and broadcast', () => {
    for (const h of ['127.0.0.1', '127.9.9.9', '169.254.1.2', '224.0.0.1', '239.255.255.250', '0.0.0.0', '255.255.255.255', '::', '::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '100::1', '100::2:7']) {
      expect(reportableHost(h), h).toBeNull();
    }
  });

  it('keeps public, private and documentation ranges, in canonical text', () => {
    expect(reportableHost('198.51.100.7')).toBe('198.51.100.7');
    expect(reportableHost('10.1.2.3')).toBe('10.1.2.3');
    expect(reportableHost('192.168.1.20')).toBe('192.168.1.20');
    expect(reportableHost('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(reportableHost('[2001:db8::7]')).toBe('2001:db8::7');
    expect(reportableHost('fd00::5')).toBe('fd00::5');
  });

  it('rejects what is not an IP literal', () => {
    expect(reportableHost('example.org')).toBeNull();
    expect(reportableHost('')).toBeNull();
    expect(isReportableIp(parseIp('100.64.0.1')!)).toBe(true);
  });
});

describe('ReflexiveConsensus', () => {
  it('confirms an address once 3 reporters from 2 subnets agree', () => {
    const c = new ReflexiveConsensus();
    c.report('a', '198.51.100.0/24', at('203.0.113.9', 40000));
    c.report('b', '198.51.100.0/24', at('203.0.113.9', 40000));
    expect(c.view().confirmed).toBeNull();
    c.report('c', '198.51.100.0/24', at('203.0.113.9', 40000));
    // Three reporters, one subnet: not enough.
    expect(c.view()).toEqual({ confirmed: null, symmetric: false, symmetricAddress: null, reporters: 3 });
    c.report('d', '192.0.2.0/24', at('203.0.113.9', 40000));
    expect(c.view()).toEqual({ confirmed: { host: '203.0.113.9', port: 40000 }, symmetric: false, symmetricAddress: null, reporters: 4 });
  });

  it('needs 3 distinct reporters: a repeated report replaces the reporter\'s earlier one', () => {
    const c = new ReflexiveConsensus();
    c.report('a', 's1', at('203.0.113.9', 40000));
    c.report('a', 's2', at('203.0.113.9', 40000));
    c.report('b', 's2', at('203.0.113.9', 40000));
    expect(c.size).toBe(2);
    expect(c.view().confirmed).toBeNull();
    c.report('c', 's3', at('203.0.113.9', 40000));
    expect(c.view().confirmed).toEqual({ host: '203.0.113.9', port: 40000 });
    // Reporter a now sees another port (our mapping changed under it): two left agreeing.
    c.report('a', 's1', at('203.0.113.9', 40001));
    expect(c.view().confirmed).toBeNull();
  });

  it('classifies reports that never agree as symmetric', () => {
    const c = new ReflexiveConsensus();
    c.report('a', 's1', at('203.0.113.9', 40000));
    c.report('b', 's2', at('203.0.113.9', 40001));
    expect(c.view().symmetric).toBe(false);
    c.report('c', 's3', at('203.0.113.9', 40002));
    // The public host all agree on, with the latest reporter's port (what a cone peer sprays in the birthday strategy).
    expect(c.view()).toEqual({ confirmed: null, symmetric: true, symmetricAddress: { host: '203.0.113.9', port: 40002 }, reporters: 3 });
    // Two reporters agreeing on one port is what a cone NAT after a rebind looks like: not symmetric.
    c.report('d', 's4', at('203.0.113.9', 40000));
    expect(c.view().symmetric).toBe(false);
  });

  it('does not call disagreement within one subnet symmetric', () => {
    const c = new ReflexiveConsensus();
    for (const [k, p] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) c.report(k, 'one/24', at('203.0.113.9', 40000 + p));
    expect(c.view().symmetric).toBe(false);
  });

  it('ignores reports of loopback, link-local, multicast, unspecified addresses and bad ports', () => {
    const c = new ReflexiveConsensus();
    expect(c.report('a', 's1', at('127.0.0.1', 4000))).toBe(false);
    expect(c.report('b', 's2', at('fe80::1', 4000))).toBe(false);
    expect(c.report('c', 's3', at('224.0.0.5', 4000))).toBe(false);
    expect(c.report('d', 's4', at('0.0.0.0', 4000))).toBe(false);
    expect(c.report('e', 's5', at('203.0.113.9', 0))).toBe(false);
    expect(c.report('f', 's6', at('203.0.113.9', 70000))).toBe(false);
    expect(c.size).toBe(0);
    // An ignored report leaves the reporter's earlier valid one in place.
    c.report('a', 's1', at('203.0.113.9', 4000));
    c.report('a', 's1', at('127.0.0.1', 4000));
    expect(c.size).toBe(1);
  });

  it('treats equal addresses written differently as one address', () => {
    const c = new ReflexiveConsensus();
    c.report('a', 's1', at('::ffff:203.0.113.9', 5000));
    c.report('b', 's2', at('203.0.113.9', 5000));
    c.report('c', 's3', at('203.0.113.9', 5000));
    expect(c.view().confirmed).toEqual({ host: '203.0.113.9', port: 5000 });
  });

  it('drops a reporter\'s report when its edge dies', () => {
    const c = new ReflexiveConsensus();
    for (const k of ['a', 'b', 'c']) c.report(k, `s-${k}`, at('203.0.113.9', 5000));
    expect(c.view().confirmed).not.toBeNull();
    expect(c.remove('b')).toBe(true);
    expect(c.remove('b')).toBe(false);
    expect(c.view()).toEqual({ confirmed: null, symmetric: false, symmetricAddress: null, reporters: 2 });
  });

  it('is bounded: the least recently reporting reporter goes first', () => {
    const c = new ReflexiveConsensus({ capacity: 3 });
    c.report('a', 's1', at('203.0.113.9', 5000));
    c.report('b', 's2', at('203.0.113.9', 5000));
    c.report('c', 's3', at('203.0.113.9', 5000));
    c.report('a', 's1', at('203.0.113.9', 5000)); // a is now the most recent
    c.report('d', 's4', at('198.51.100.1', 6000)); // evicts b
    expect(c.size).toBe(3);
    expect(c.remove('b')).toBe(false);
    expect(c.remove('a')).toBe(true);
  });

  it('picks one deterministic winner when two addresses are confirmed', () => {
    const c = new ReflexiveConsensus();
    for (const k of ['a', 'b', 'c']) c.report(k, `s-${k}`, at('203.0.113.9', 5000));
    for (const k of ['d', 'e', 'f', 'g']) c.report(k, `s-${k}`, at('198.51.100.4', 7000));
    expect(c.view().confirmed).toEqual({ host: '198.51.100.4', port: 7000 });
    c.remove('g');
    // Tie on reporters and subnets: the smaller address text.
    expect(c.view().confirmed).toEqual({ host: '198.51.100.4', port: 7000 });
  });

  it('rejects bad options', () => {
    expect(() => new ReflexiveConsensus({ capacity: 0 })).toThrow(/capacity/);
    expect(() => new ReflexiveConsensus({ minReporters: 1.5 })).toThrow(/minReporters/);
  });

  it('never throws and stays bounded on arbitrary reports', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.string({ maxLength: 70 }),
      fc.constantFrom('127.0.0.1', '::1', 'fe80::1', '203.0.113.9'),
    );
    const op = fc.record({
      remove: fc.boolean(),
      reporter: fc.integer({ min: 0, max: 20 }).map(String),
      subnet: fc.constantFrom('s1', 's2', 's3'),
      host,
      port: fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.constant(5000), fc.double()),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const c = new ReflexiveConsensus({ capacity: 8 });
        for (const o of ops) {
          if (o.remove) c.remove(o.reporter);
          else c.report(o.reporter, o.subnet, { host: o.host, port: o.port });
          const v = c.view();
          expect(c.size).toBeLessThanOrEqual(8);
          expect(v.reporters).toBe(c.size);
          if (v.confirmed !== null) {
            expect(v.symmetric).toBe(false);
            expect(reportableHost(v.confirmed.host)).toBe(v.confirmed.host);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('confirms any address that 3 reporters in 2 subnets report, whatever else is on file', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })), { maxLength: 2 }), (ip, port, noise) => {
        fc.pre(reportableHost(ip) !== null);
        const c = new ReflexiveConsensus();
        noise.forEach(([h, p], i) => c.report(`noise${i}`, `n${i}`, { host: h, port: p }));
        c.report('a', 's1', { host: ip, port });
        c.report('b', 's1', { host: ip, port });
        c.report('c', 's2', { host: ip, port });
        expect(c.view().confirmed).toEqual({ host: reportableHost(ip), port });
      }),
      { numRuns: 200 },
    );
  });
});
