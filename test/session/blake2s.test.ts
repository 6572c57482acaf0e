/**
 * The unrolled BLAKE2s against two independent implementations (OpenSSL through node:crypto for the
 * unkeyed hash, @noble for keyed MACs) and the RFC 7693 appendix B vector.
 */
import { createHash } from 'node:crypto';
import { blake2s } from '@noble/hashes/blake2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake2s256 } from '../../src/session/blake2s.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('blake2s256', () => {
  it('matches the RFC 7693 appendix B vector ("abc", 256-bit)', () => {
    expect(hex(blake2s256(null, [new TextEncoder().encode('abc')]))).toBe(
      '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
    );
  });

  it('hashes like OpenSSL for every length across block boundaries, however the input is split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
        const at = Math.min(cut, data.length);
        const ours = hex(blake2s256(null, [data.subarray(0, at), data.subarray(at)]));
        expect(ours).toBe(createHash('blake2s256').update(data).digest('hex'));
      }),
      { numRuns: 400 },
    );
  });

  it('computes keyed MACs like @noble for keys of 1..32 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), (key, data) => {
        expect(hex(blake2s256(key, [data]))).toBe(hex(blake2s(data, { key })));
      }),
      { numRuns: 400 },
    );
  });

  it('writes into a caller buffer and leaves the inputs untouched', () => {
    const key = new Uint8Array(32).fill(7);
    const data = new Uint8Array(100).fill(9);
    const out = new Uint8Array(32);
    expect(blake2s256(key, [data], out)).toBe(out);
    expect(key.every((b) => b === 7) && data.every((b) => b === 9)).toBe(true);
    expect(hex(out)).toBe(hex(blake2s(data, { key })));
  });
});
