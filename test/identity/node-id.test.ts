import { blake2b } from '@noble/hashes/blake2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { Identity, keysMatchNodeId, leadingZeroBits, nodeIdFromKeys, satisfies } from '../../src/identity/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** An ID with exactly `bits` leading zero bits followed by arbitrary bytes. */
function idWithLeadingZeros(bits: number, tail: Uint8Array): Uint8Array {
  const id = tail.slice();
  for (let i = 0; i < bits; i++) id[i >> 3] &= ~(0x80 >> (i & 7));
  if (bits < 256) id[bits >> 3] |= 0x80 >> (bits & 7);
  return id;
}

describe('nodeIdFromKeys', () => {
  it('is BLAKE2b-256 of the label and both keys', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (ed, x) => {
        const label = new TextEncoder().encode('wiremesh/v1/node-id');
        const expected = blake2b(new Uint8Array([...label, ...ed, ...x]), { dkLen: 32 });
        expect(hex(nodeIdFromKeys(ed, x))).toBe(hex(expected));
      }),
      { numRuns: 50 },
    );
  });

  it('matches the identity and writes into a given buffer', () => {
    const identity = Identity.generate();
    const out = new Uint8Array(32);
    expect(nodeIdFromKeys(identity.edPublicKey, identity.xPublicKey, out)).toBe(out);
    expect(hex(out)).toBe(hex(identity.nodeId));
  });

  it('binds both keys: swapping or changing either changes the ID', () => {
    const { edPublicKey, xPublicKey, nodeId } = Identity.generate();
    expect(keysMatchNodeId(nodeId, edPublicKey, xPublicKey)).toBe(true);
    expect(keysMatchNodeId(nodeId, xPublicKey, edPublicKey)).toBe(false);
    const otherX = xPublicKey.slice();
    otherX[5] ^= 1;
    expect(keysMatchNodeId(nodeId, edPublicKey, otherX)).toBe(false);
    expect(keysMatchNodeId(nodeId.subarray(1), edPublicKey, xPublicKey)).toBe(false);
    expect(keysMatchNodeId(nodeId, edPublicKey.subarray(1), xPublicKey)).toBe(false);
  });

  it('refuses keys of the wrong size', () => {
    expect(() => nodeIdFromKeys(new Uint8Array(31), new Uint8Array(32))).toThrow(InvalidArgumentError);
  });
});

describe('leadingZeroBits and satisfies', () => {
  it('counts leading zero bits big-endian', () => {
    expect(leadingZeroBits(new Uint8Array(32))).toBe(256);
    expect(leadingZeroBits(Uint8Array.from([0x80, ...new Array(31).fill(0)]))).toBe(0);
    expect(leadingZeroBits(Uint8Array.from([0x00, 0x01, ...new Array(30).fill(0xff)]))).toBe(15);
    expect(leadingZeroBits(Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x10, ...new Array(27).fill(0xff)]))).toBe(35);
  });

  it('leadingZeroBits is exact for every count 0..256', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 256 }), bytes32, (bits, tail) => {
        expect(leadingZeroBits(idWithLeadingZeros(bits, tail))).toBe(bits);
      }),
    );
  });

  it('satisfies(id, d) holds exactly when leadingZeroBits(id) >= d, for all d 0..256', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 256 }), fc.integer({ min: 0, max: 256 }), bytes32, (bits, d, tail) => {
        const id = idWithLeadingZeros(bits, tail);
        expect(satisfies(id, d)).toBe(bits >= d);
      }),
      { numRuns: 2000 },
    );
  });

  it('checks the boundaries of the fast 32-bit path', () => {
    for (const bits of [0, 1, 31, 32, 33, 63, 64, 65]) {
      const id = idWithLeadingZeros(bits, new Uint8Array(32).fill(0xff));
      expect(satisfies(id, bits)).toBe(true);
      expect(satisfies(id, bits + 1)).toBe(false);
    }
  });

  it('refuses IDs that are not 32 bytes and difficulties outside 0..256', () => {
    expect(satisfies(new Uint8Array(31), 1)).toBe(false);
    for (const d of [-1, 257, 1.5, NaN]) expect(() => satisfies(new Uint8Array(32), d)).toThrow(InvalidArgumentError);
  });
});
