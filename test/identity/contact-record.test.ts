import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  CAP_RELAY,
  Identity,
  decodeContactRecord,
  encodeContactRecord,
  formatIp,
  nodeIdFromKeys,
  type Contact,
} from '../../src/identity/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const identity = Identity.fromSeed(new Uint8Array(32).fill(5));
const base = { nodeId: identity.nodeId, edPublicKey: identity.edPublicKey, xPublicKey: identity.xPublicKey };

const addressArb = fc
  .oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
  .chain((b) => fc.record({ host: fc.constant(formatIp(b)), port: fc.integer({ min: 1, max: 65535 }) }));

const contactArb = fc
  .record({
    ed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    x: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    addresses: fc.array(addressArb, { maxLength: 8 }),
    capabilities: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .map(
    ({ ed, x, addresses, capabilities }): Contact => ({
      nodeId: nodeIdFromKeys(ed, x),
      edPublicKey: ed,
      xPublicKey: x,
      addresses,
      capabilities,
    }),
  );

function decodeOk(bytes: Uint8Array, options?: { maxAddresses?: number }) {
  const result = decodeContactRecord(bytes, options);
  if (!result.ok) throw new Error(`decode failed: ${result.error.code} ${result.error.message}`);
  return result.value;
}

function errorCode(bytes: Uint8Array, options?: { maxAddresses?: number }): string {
  const result = decodeContactRecord(bytes, options);
  expect(result.ok).toBe(false);
  return result.ok ? 'OK' : result.error.code;
}

describe('contact record codec', () => {
  it('lays out every field at its documented offset, big-endian', () => {
    const record = encodeContactRecord({
      ...base,
      // Signed (bitwise OR sets bit 31), stored as the same 32 bits.
      capabilities: CAP_RELAY | 0x80000000,
      addresses: [
        { host: '1.2.3.4', port: 0x1f90 },
        { host: '2001:db8::1', port: 443 },
      ],
    });
    expect(record.length).toBe(128);
    expect(record[0]).toBe(1);
    expect(hex(record.subarray(1, 33))).toBe(hex(identity.nodeId));
    expect(hex(record.subarray(33, 65))).toBe(hex(identity.edPublicKey));
    expect(hex(record.subarray(65, 97))).toBe(hex(identity.xPublicKey));
    expect(hex(record.subarray(97, 101))).toBe('80000001');
    expect(record[101]).toBe(2);
    expect(hex(record.subarray(102, 109))).toBe('04010203041f90');
    expect(hex(record.subarray(109, 128))).toBe('0620010db800000000000000000000000101bb');
    const { contact, bytesRead } = decodeOk(record);
    expect(bytesRead).toBe(128);
    expect(contact.capabilities).toBe(0x80000001);
    expect(contact.addresses).toEqual([
      { host: '1.2.3.4', port: 0x1f90 },
      { host: '2001:db8::1', port: 443 },
    ]);
  });

  it('round-trips valid contacts and reports bytesRead before trailing bytes', () => {
    fc.assert(
      fc.property(contactArb, fc.uint8Array({ maxLength: 20 }), (contact, trailing) => {
        const record = encodeContactRecord(contact);
        const { contact: decoded, bytesRead } = decodeOk(new Uint8Array([...record, ...trailing]));
        expect(bytesRead).toBe(record.length);
        expect(hex(decoded.nodeId)).toBe(hex(contact.nodeId));
        expect(hex(decoded.edPublicKey)).toBe(hex(contact.edPublicKey));
        expect(hex(decoded.xPublicKey)).toBe(hex(contact.xPublicKey));
        expect(decoded.capabilities).toBe(contact.capabilities);
        expect(decoded.addresses).toEqual(contact.addresses);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes, including damaged valid records', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -5, max: 20 }), (bytes, maxAddresses) => {
        const result = decodeContactRecord(bytes, { maxAddresses });
        if (!result.ok) expect(typeof result.error.message).toBe('string');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(contactArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.nat(), (contact, flips, cut) => {
        const record = encodeContactRecord(contact);
        for (const [at, bits] of flips) record[at % record.length] ^= bits;
        const result = decodeContactRecord(record.subarray(0, record.length - (cut % (record.length + 1))));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses keys that do not hash to the claimed NodeID (KEY_MISMATCH)', () => {
    fc.assert(
      fc.property(contactArb, fc.integer({ min: 1, max: 96 }), fc.integer({ min: 1, max: 255 }), (contact, at, bits) => {
        const record = encodeContactRecord(contact);
        record[at] ^= bits;
        expect(errorCode(record)).toBe('KEY_MISMATCH');
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every truncation', () => {
    const record = encodeContactRecord({ ...base, addresses: [{ host: '1.2.3.4', port: 1 }, { host: '::1', port: 2 }] });
    for (let length = 0; length < record.length; length++) {
      expect(['TOO_SHORT', 'LENGTH_PAST_END']).toContain(errorCode(record.subarray(0, length)));
    }
    expect(errorCode(record.subarray(0, 101))).toBe('TOO_SHORT');
    expect(errorCode(record.subarray(0, 102))).toBe('LENGTH_PAST_END');
  });

  it('caps the address count before reading addresses', () => {
    const three = encodeContactRecord({ ...base, addresses: [1, 2, 3].map((i) => ({ host: `10.0.0.${i}`, port: i })) });
    expect(errorCode(three, { maxAddresses: 2 })).toBe('TOO_MANY');
    expect(decodeOk(three, { maxAddresses: 3 }).contact.addresses).toHaveLength(3);
    const nine = three.slice(0, 102);
    nine[101] = 9;
    expect(errorCode(nine, { maxAddresses: 50 })).toBe('TOO_MANY');
    expect(errorCode(nine)).toBe('TOO_MANY');
  });

  it('refuses unknown versions, families and port 0', () => {
    const record = encodeContactRecord({ ...base, addresses: [{ host: '1.2.3.4', port: 1 }] });
    const badVersion = record.slice();
    badVersion[0] = 2;
    expect(errorCode(badVersion)).toBe('BAD_FIELD');
    const badFamily = record.slice();
    badFamily[102] = 5;
    expect(errorCode(badFamily)).toBe('BAD_FIELD');
    const portZero = record.slice();
    portZero[107] = 0;
    portZero[108] = 0;
    expect(errorCode(portZero)).toBe('BAD_FIELD');
  });

  it('returns copies that do not alias the packet buffer', () => {
    const record = encodeContactRecord({ ...base, addresses: [] });
    const { contact } = decodeOk(record);
    record.fill(0);
    expect(hex(contact.nodeId)).toBe(hex(identity.nodeId));
    expect(contact.capabilities).toBe(0);
  });

  it('refuses to encode contacts that would not decode', () => {
    const nine = Array.from({ length: 9 }, (_, i) => ({ host: `10.0.0.${i}`, port: 1 }));
    expect(() => encodeContactRecord({ ...base, addresses: nine })).toThrow(InvalidArgumentError);
    expect(() => encodeContactRecord({ ...base, addresses: [{ host: 'example.com', port: 1 }] })).toThrow(InvalidArgumentError);
    expect(() => encodeContactRecord({ ...base, addresses: [{ host: '1.2.3.4', port: 70000 }] })).toThrow(InvalidArgumentError);
    expect(() => encodeContactRecord({ ...base, addresses: [], capabilities: -(2 ** 31) - 1 })).toThrow(InvalidArgumentError);
    expect(() => encodeContactRecord({ ...base, addresses: [], capabilities: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => encodeContactRecord({ ...base, addresses: [], capabilities: 2 ** 32 })).toThrow(InvalidArgumentError);
    expect(() => encodeContactRecord({ ...base, xPublicKey: base.edPublicKey, addresses: [] })).toThrow(/do not hash/);
  });
});
