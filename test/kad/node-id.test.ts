import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  commonPrefixLength,
  compareDistance,
  idFromKey,
  idKey,
  idsEqual,
  leadingZeroBits,
  randomIdInBucket,
  satisfiesDifficulty,
  xorDistance,
} from '../../src/kad/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { idFromByte, seededFill } from './fixtures.js';

const idArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Reference: distance as a BigInt. */
function distance(a: Uint8Array, b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(xorDistance(a, b)).toString('hex'));
}

describe('xorDistance', () => {
  it('xors byte by byte', () => {
    const a = idFromByte(0b1010_0000, 0x0f);
    const b = idFromByte(0b0110_0000, 0xf0);
    const d = xorDistance(a, b);
    expect(d[0]).toBe(0b1100_0000);
    expect(d[31]).toBe(0xff);
  });
  it('writes into a supplied buffer', () => {
    const out = new Uint8Array(32);
    expect(xorDistance(idFromByte(1), idFromByte(3), out)).toBe(out);
    expect(out[0]).toBe(2);
  });
  it('refuses wrong-length ids', () => {
    expect(() => xorDistance(new Uint8Array(31), new Uint8Array(32))).toThrow(InvalidArgumentError);
  });
});

describe('compareDistance is a strict total order around a target', () => {
  it('agrees with the integer distance', () => {
    fc.assert(
      fc.property(idArb, idArb, idArb, (t, a, b) => {
        const da = distance(t, a);
        const db = distance(t, b);
        expect(compareDistance(t, a, b)).toBe(da < db ? -1 : da > db ? 1 : 0);
      }),
    );
  });
  it('is antisymmetric and zero only for equal ids', () => {
    fc.assert(
      fc.property(idArb, idArb, idArb, (t, a, b) => {
        const ab = compareDistance(t, a, b);
        expect(compareDistance(t, b, a)).toBe(-ab as -1 | 0 | 1);
        expect(ab === 0).toBe(idsEqual(a, b));
      }),
    );
  });
  it('is transitive', () => {
    fc.assert(
      fc.property(idArb, idArb, idArb, idArb, (t, a, b, c) => {
        const sorted = [a, b, c].sort((x, y) => compareDistance(t, x, y));
        expect(compareDistance(t, sorted[0], sorted[1])).toBeLessThanOrEqual(0);
        expect(compareDistance(t, sorted[1], sorted[2])).toBeLessThanOrEqual(0);
        expect(compareDistance(t, sorted[0], sorted[2])).toBeLessThanOrEqual(0);
      }),
    );
  });
  it('decides on the first differing byte', () => {
    const t = new Uint8Array(32);
    const a = idFromByte(0, 0xff); // far in the low bytes
    const b = idFromByte(1, 0); // farther in the top byte
    expect(compareDistance(t, a, b)).toBe(-1);
  });
});

describe('commonPrefixLength', () => {
  it('is symmetric and 256 only for equal ids', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const c = commonPrefixLength(a, b);
        expect(c).toBe(commonPrefixLength(b, a));
        expect(c === 256).toBe(idsEqual(a, b));
        expect(c).toBeGreaterThanOrEqual(0);
      }),
    );
  });
  it('counts leading equal bits', () => {
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    b[2] = 0b0001_0000;
    expect(commonPrefixLength(a, b)).toBe(19);
    b[2] = 0;
    b[31] = 1;
    expect(commonPrefixLength(a, b)).toBe(255);
    expect(commonPrefixLength(a, idFromByte(0x80))).toBe(0);
  });
  it('equals the bit length rule of the xor distance', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const d = distance(a, b);
        const expected = d === 0n ? 256 : 256 - d.toString(2).length;
        expect(commonPrefixLength(a, b)).toBe(expected);
      }),
    );
  });
});

describe('idKey / idFromKey', () => {
  it('round-trips any id as 64 lowercase hex chars', () => {
    fc.assert(
      fc.property(idArb, (id) => {
        const key = idKey(id);
        expect(key).toMatch(/^[0-9a-f]{64}$/);
        expect(key).toBe(Buffer.from(id).toString('hex'));
        expect(idFromKey(key)).toEqual(id);
        expect(idFromKey(key.toUpperCase())).toEqual(id);
      }),
    );
  });
  it('refuses bad keys with InvalidArgumentError', () => {
    expect(() => idFromKey('ab')).toThrow(InvalidArgumentError);
    expect(() => idFromKey('g'.repeat(64))).toThrow(InvalidArgumentError);
    expect(() => idKey(new Uint8Array(33))).toThrow(InvalidArgumentError);
  });
  it('never throws anything but InvalidArgumentError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          const id = idFromKey(s);
          expect(idKey(id)).toBe(s.toLowerCase());
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidArgumentError);
        }
      }),
    );
  });
});

describe('randomIdInBucket', () => {
  it('has exactly the requested common prefix with self', () => {
    fc.assert(
      fc.property(idArb, fc.integer({ min: 0, max: 255 }), fc.integer(), (self, bucket, seed) => {
        const id = randomIdInBucket(self, bucket, seededFill(seed));
        expect(commonPrefixLength(self, id)).toBe(bucket);
      }),
    );
  });
  it('randomises the bits after the bucket bit', () => {
    const self = new Uint8Array(32);
    const a = randomIdInBucket(self, 3, seededFill(1));
    const b = randomIdInBucket(self, 3, seededFill(2));
    expect(idsEqual(a, b)).toBe(false);
    expect(a[0] >> 4).toBe(0b0001);
  });
  it('refuses out-of-range buckets', () => {
    expect(() => randomIdInBucket(new Uint8Array(32), 256)).toThrow(InvalidArgumentError);
    expect(() => randomIdInBucket(new Uint8Array(32), -1)).toThrow(InvalidArgumentError);
  });
});

describe('proof of work', () => {
  it('leadingZeroBits counts zero bits from the top', () => {
    expect(leadingZeroBits(new Uint8Array(32))).toBe(256);
    expect(leadingZeroBits(idFromByte(0x80))).toBe(0);
    const id = new Uint8Array(32);
    id[1] = 0x01;
    expect(leadingZeroBits(id)).toBe(15);
  });
  it('satisfiesDifficulty agrees with leadingZeroBits for every difficulty', () => {
    fc.assert(
      fc.property(idArb, fc.integer({ min: 0, max: 24 }), fc.integer({ min: -5, max: 260 }), (raw, zeros, d) => {
        // Force some leading zeros so high difficulties are exercised too.
        const id = raw.slice();
        for (let bit = 0; bit < zeros; bit++) id[bit >> 3] &= ~(0x80 >> (bit & 7));
        const expected = d <= 0 ? true : d > 256 ? false : leadingZeroBits(id) >= d;
        expect(satisfiesDifficulty(id, d)).toBe(expected);
      }),
    );
  });
  it('boundaries', () => {
    const id = new Uint8Array(32);
    id[2] = 0x10; // 19 leading zeros
    expect(satisfiesDifficulty(id, 19)).toBe(true);
    expect(satisfiesDifficulty(id, 20)).toBe(false);
    expect(satisfiesDifficulty(new Uint8Array(32), 256)).toBe(true);
    expect(satisfiesDifficulty(new Uint8Array(32), 257)).toBe(false);
    expect(satisfiesDifficulty(idFromByte(0xff), 0)).toBe(true);
  });
});
