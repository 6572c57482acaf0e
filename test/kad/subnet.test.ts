import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isPublicIp, noSubnet, parseIp, subnetOfAddresses, subnetOfHost } from '../../src/kad/index.js';

describe('parseIp', () => {
  it('parses IPv4 dotted quads and refuses ambiguous forms', () => {
    expect(parseIp('198.51.100.7')).toEqual({ family: 4, bytes: new Uint8Array([198, 51, 100, 7]) });
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.x', '', '1..2.3']) {
      expect(parseIp(bad)).toBeUndefined();
    }
  });
  it('parses IPv6 with compression, brackets, zones and an IPv4 tail', () => {
    const full = parseIp('2001:db8:0:7:1:2:3:4')!;
    expect(full.family).toBe(6);
    expect(Buffer.from(full.bytes).toString('hex')).toBe('20010db8000000070001000200030004');
    expect(Buffer.from(parseIp('[2001:db8::1]')!.bytes).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(Buffer.from(parseIp('fe80::1%eth0')!.bytes).toString('hex')).toBe('fe800000000000000000000000000001');
    expect(Buffer.from(parseIp('::')!.bytes).toString('hex')).toBe('0'.repeat(32));
    expect(Buffer.from(parseIp('64:ff9b::192.0.2.33')!.bytes).toString('hex')).toBe('0064ff9b0000000000000000c0000221');
    for (const bad of ['1::2::3', ':1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7::8']) {
      expect(parseIp(bad)).toBeUndefined();
    }
  });
  it('reports IPv4-mapped IPv6 as IPv4 so it shares the /24', () => {
    expect(parseIp('::ffff:198.51.100.7')).toEqual({ family: 4, bytes: new Uint8Array([198, 51, 100, 7]) });
    expect(subnetOfHost('::ffff:198.51.100.7')).toBe(subnetOfHost('198.51.100.200'));
  });
  it('never throws on arbitrary strings and round-trips valid IPv4', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (s) => {
        parseIp(s);
        subnetOfHost(s);
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(Array.from(parseIp(s)!.bytes).join('.')).toBe(s);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        expect(parseIp(s)).toBeDefined();
      }),
    );
  });
  it('round-trips IPv6 bytes through full and compressed text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 8 }), (raw, from, len) => {
        const bytes = raw.slice();
        for (let g = from; g < Math.min(8, from + len); g++) bytes[2 * g] = bytes[2 * g + 1] = 0; // zero runs to compress
        const groups = Array.from({ length: 8 }, (_, g) => ((bytes[2 * g] << 8) | bytes[2 * g + 1]).toString(16));
        const fullText = groups.join(':');
        // WHATWG URL serialises IPv6 in the canonical compressed form (RFC 5952).
        const compressed = new URL(`http://[${fullText}]/`).hostname;
        const mapped = bytes.slice(0, 12).every((b, i) => (i < 10 ? b === 0 : b === 0xff));
        const expected = mapped ? bytes.slice(12) : bytes;
        expect(parseIp(fullText)!.bytes).toEqual(expected);
        expect(parseIp(compressed)!.bytes).toEqual(expected);
      }),
    );
  });
});

describe('subnet keys', () => {
  it('IPv4 counts per /24', () => {
    expect(subnetOfHost('198.51.100.7')).toBe('198.51.100.0/24');
    expect(subnetOfHost('198.51.100.250')).toBe('198.51.100.0/24');
    expect(subnetOfHost('198.51.101.7')).toBe('198.51.101.0/24');
  });
  it('IPv6 counts per /64', () => {
    expect(subnetOfHost('2001:db8:0:7::1')).toBe('2001:db8:0:7::/64');
    expect(subnetOfHost('2001:db8:0:7:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:7::/64');
    expect(subnetOfHost('2001:db8:0:8::1')).toBe('2001:db8:0:8::/64');
  });
  it('a DNS name is its own group', () => {
    expect(subnetOfHost('Node.Example.org')).toBe('name:node.example.org');
  });
  it('a contact counts against its first public address, else its first literal', () => {
    expect(subnetOfAddresses([{ host: '192.168.1.5', port: 1 }, { host: '203.0.113.9', port: 2 }])).toBe('203.0.113.0/24');
    expect(subnetOfAddresses([{ host: '192.168.1.5', port: 1 }, { host: '10.0.0.1', port: 2 }])).toBe('192.168.1.0/24');
    expect(subnetOfAddresses([{ host: 'a.example', port: 1 }, { host: '127.0.0.1', port: 2 }])).toBe('127.0.0.0/24');
    expect(subnetOfAddresses([{ host: 'a.example', port: 1 }])).toBe('name:a.example');
    expect(subnetOfAddresses([])).toBeUndefined();
    expect(noSubnet([{ host: '203.0.113.9', port: 2 }])).toBeUndefined();
  });
  it('classifies public addresses', () => {
    const pub = (h: string) => isPublicIp(parseIp(h)!);
    for (const h of ['8.8.8.8', '203.0.113.1', '2001:db8::1', '100.128.0.1', '172.32.0.1']) expect(pub(h)).toBe(true);
    for (const h of ['10.1.2.3', '127.0.0.1', '172.16.5.5', '192.168.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1']) {
      expect(pub(h)).toBe(false);
    }
  });
});
