import { hkdfSync } from 'node:crypto';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NativeHkdfSha256 } from '../../src/identity/native-hkdf.js';
import { loadSodium } from '../../src/identity/sodium-binding.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sodium = loadSodium();

function nativeHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) {
  const hkdf = new NativeHkdfSha256(sodium!, salt);
  const prk = new Uint8Array(32);
  hkdf.extract(ikm, prk);
  hkdf.setPrk(prk);
  const okm = new Uint8Array(length);
  hkdf.expand(info, okm);
  return { prk, okm };
}

describe.skipIf(!sodium)('NativeHkdfSha256', () => {
  it('matches RFC 5869 test case 1', () => {
    const { prk, okm } = nativeHkdf(hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(toHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('matches RFC 5869 test case 3 (empty salt and info)', () => {
    const { prk, okm } = nativeHkdf(hex('0b'.repeat(22)), new Uint8Array(0), new Uint8Array(0), 42);
    expect(toHex(prk)).toBe('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
    expect(toHex(okm)).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  it('equals @noble/hashes and node:crypto on random inputs, long salts included', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 100 }),
        fc.uint8Array({ minLength: 0, maxLength: 150 }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.integer({ min: 1, max: 200 }),
        (ikm, salt, info, length) => {
          const { prk, okm } = nativeHkdf(ikm, salt, info, length);
          expect(toHex(prk)).toBe(toHex(extract(sha256, ikm, salt)));
          expect(toHex(okm)).toBe(toHex(expand(sha256, prk, info, length)));
          expect(toHex(okm)).toBe(Buffer.from(hkdfSync('sha256', ikm, salt, info, length)).toString('hex'));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps working after wipe and leaves no PRK-dependent state behind', () => {
    const hkdf = new NativeHkdfSha256(sodium!, new Uint8Array([1, 2, 3]));
    const first = nativeHkdf(new Uint8Array(32).fill(7), new Uint8Array([1, 2, 3]), new Uint8Array([9]), 32).okm;
    const prk = new Uint8Array(32);
    hkdf.extract(new Uint8Array(32).fill(7), prk);
    hkdf.setPrk(prk);
    hkdf.wipe();
    // After wipe the PRK pads are gone: expanding without setPrk gives a different (keyless) result.
    const afterWipe = new Uint8Array(32);
    hkdf.expand(new Uint8Array([9]), afterWipe);
    expect(toHex(afterWipe)).not.toBe(toHex(first));
    hkdf.setPrk(prk);
    const again = new Uint8Array(32);
    hkdf.expand(new Uint8Array([9]), again);
    expect(toHex(again)).toBe(toHex(first));
  });

  it('refuses outputs longer than 255 blocks', () => {
    const hkdf = new NativeHkdfSha256(sodium!, new Uint8Array(0));
    hkdf.setPrk(new Uint8Array(32));
    expect(() => hkdf.expand(new Uint8Array(0), new Uint8Array(255 * 32 + 1))).toThrow(RangeError);
  });
});
