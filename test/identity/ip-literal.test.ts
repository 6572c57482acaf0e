import { SocketAddress, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, isUnreachableAddress, parseIpLiteral, parseIpv4, parseIpv6 } from '../../src/identity/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const nodeCanonical = (text: string): string => new SocketAddress({ address: text, family: 'ipv6' }).address;
const uncompressed = (b: Uint8Array): string =>
  Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16)).join(':');

describe('IP literals', () => {
  it('parses and formats IPv4', () => {
    expect(hex(parseIpv4('192.0.2.1')!)).toBe('c0000201');
    expect(formatIp(Uint8Array.from([10, 0, 0, 255]))).toBe('10.0.0.255');
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1.2.3.-4', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '']) {
      expect(parseIpv4(bad)).toBeNull();
    }
  });

  it('parses IPv6 forms and prints RFC 5952 text', () => {
    const cases: [string, string][] = [
      ['::', '::'],
      ['::1', '::1'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
      ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ];
    for (const [input, canonical] of cases) {
      const bytes = parseIpv6(input);
      expect(bytes, input).not.toBeNull();
      expect(formatIp(bytes!)).toBe(canonical);
    }
    for (const bad of [':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '::1.2.3', '1.2.3.4::', 'fe80::1%eth0', ':1::', '1:::2', '[::1]']) {
      expect(parseIpv6(bad), bad).toBeNull();
    }
  });

  it('accepts exactly what node:net accepts (differential fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'.split('')), maxLength: 45 }), (text) => {
        const parsed = parseIpLiteral(text);
        expect(parsed?.family === 4).toBe(isIPv4(text));
        expect(parsed?.family === 6).toBe(isIPv6(text));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 8 }), (b, start, length) => {
        // Zero runs make `::` compression interesting.
        b.fill(0, 2 * start, Math.min(16, 2 * (start + length)));
        const text = uncompressed(b);
        expect(isIPv6(text)).toBe(true);
        expect(parseIpLiteral(text)?.family).toBe(6);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips bytes and agrees with node:net canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 8 }), (b, start, length) => {
        b.fill(0, 2 * start, Math.min(16, 2 * (start + length)));
        const text = formatIp(b);
        expect(hex(parseIpv6(text)!)).toBe(hex(b));
        expect(nodeCanonical(text)).toBe(nodeCanonical(uncompressed(b)));
        // node prints ::a.b.c.d for IPv4-compatible addresses, which RFC 5952 no longer recommends.
        const v4Compatible = b.subarray(0, 12).every((x) => x === 0);
        if (!v4Compatible) expect(text).toBe(nodeCanonical(uncompressed(b)));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(hex(parseIpv4(formatIp(b))!)).toBe(hex(b));
      }),
    );
  });

  it('knows which addresses no peer can be reached at', () => {
    for (const text of ['0.0.0.0', '255.255.255.255', '224.0.0.1', '239.1.2.3', '::', 'ff02::1']) {
      expect(isUnreachableAddress(parseIpLiteral(text)!.bytes), text).toBe(true);
    }
    for (const text of ['127.0.0.1', '10.1.2.3', '192.0.2.1', '223.255.255.255', '240.0.0.1', '::1', 'fe80::1', '2001:db8::1']) {
      expect(isUnreachableAddress(parseIpLiteral(text)!.bytes), text).toBe(false);
    }
  });

  it('refuses to format a wrong-size address', () => {
    expect(() => formatIp(new Uint8Array(5))).toThrow(RangeError);
  });
});
