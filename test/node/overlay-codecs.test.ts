/**
 * Overlay codecs (src/wire/overlay): every decoder returns an error value on arbitrary bytes (never
 * throws), valid values round-trip, and caps are enforced before allocation.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ENVELOPE_TTL_OFFSET,
  FLAG_ACK_REQUESTED,
  MAX_AVOID,
  MAX_CONTACT_RECORD_BYTES,
  MAX_NEIGHBORS,
  MAX_ROUTED_PAYLOAD_BYTES,
  decodeAckPayload,
  decodeEmpty,
  decodeEnvelope,
  decodeIdentify,
  decodeLookupPayload,
  decodeLookupRequest,
  decodeNeighbors,
  decodePing,
  decodePong,
  decodeRendezvous,
  encodeEnvelope,
  encodeIdentify,
  encodeLookupRequest,
  encodeNeighbors,
  encodePing,
  encodePong,
  encodeRendezvous,
  encodeSignedPart,
  setEnvelopeTtl,
  signedPartOf,
  type DecodeResult,
  type WireAddress,
} from '../../src/wire/index.js';
import { CONTACT_RECORD_HEADER_BYTES, MAX_CONTACT_ADDRESSES } from '../../src/identity/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const arbAddress: fc.Arbitrary<WireAddress | null> = fc.oneof(
  fc.constant(null),
  fc.record({ family: fc.constant(4 as const), ip: bytes(4), port: fc.integer({ min: 1, max: 65535 }) }),
  fc.record({ family: fc.constant(6 as const), ip: bytes(16), port: fc.integer({ min: 1, max: 65535 }) }),
);
const arbRecord = fc.uint8Array({ minLength: 1, maxLength: MAX_CONTACT_RECORD_BYTES });
const arbSigned = fc.record({
  payloadType: fc.integer({ min: 1, max: 255 }),
  flags: fc.constantFrom(0, FLAG_ACK_REQUESTED),
  target: bytes(32),
  originEd: bytes(32),
  originX: bytes(32),
  sentMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  messageId: bytes(16),
  payload: fc.uint8Array({ maxLength: 2000 }),
});

const decoders: Array<[string, (b: Uint8Array) => DecodeResult<unknown>]> = [
  ['identify', decodeIdentify],
  ['ping', decodePing],
  ['pong', decodePong],
  ['lookup', decodeLookupRequest],
  ['neighbors', decodeNeighbors],
  ['envelope', decodeEnvelope],
  ['ack', decodeAckPayload],
  ['routed lookup', decodeLookupPayload],
  ['rendezvous', decodeRendezvous],
  ['empty', (b) => decodeEmpty(b, 'leave')],
];

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)));
}

describe('overlay decoders on arbitrary bytes', () => {
  for (const [name, decode] of decoders) {
    it(`${name}: never throws, always returns ok or an error code`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (input) => {
          const r = decode(input);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.error.code).toMatch(/^[A-Z_]+$/);
        }),
        { numRuns: 2000 },
      );
    });
  }

  it('envelope decoder survives mutations of valid envelopes (bit flips, truncation)', () => {
    fc.assert(
      fc.property(arbSigned, fc.nat(), fc.nat({ max: 255 }), fc.nat(), (f, pos, value, cut) => {
        const env = encodeEnvelope(5, [], encodeSignedPart(f), new Uint8Array(64));
        const mutated = env.slice();
        mutated[pos % mutated.length] = value;
        const r1 = decodeEnvelope(mutated);
        expect(typeof r1.ok).toBe('boolean');
        const r2 = decodeEnvelope(env.subarray(0, cut % env.length));
        expect(r2.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('round trips', () => {
  it('identify', () => {
    fc.assert(
      fc.property(bytes(8), arbRecord, arbAddress, bytes(64), (bootId, record, observed, signature) => {
        const enc = encodeIdentify({ bootId, record, observed }, signature);
        const dec = decodeIdentify(enc);
        expect(dec.ok).toBe(true);
        if (!dec.ok) return;
        expect(plain({ ...dec.value, signedPart: undefined })).toEqual(plain({ bootId, record, observed, signature }));
        expect(Array.from(dec.value.signedPart)).toEqual(Array.from(signedPartOf(enc)));
        expect(dec.value.signedPart.length).toBe(enc.length - 64);
      }),
    );
  });

  it('ping, pong, lookup', () => {
    fc.assert(
      fc.property(bytes(8), arbAddress, bytes(32), (nonce, observed, target) => {
        expect(plain(decodePing(encodePing({ nonce })))).toEqual(plain({ ok: true, value: { nonce } }));
        expect(plain(decodePong(encodePong({ nonce, observed })))).toEqual(plain({ ok: true, value: { nonce, observed } }));
        expect(plain(decodeLookupRequest(encodeLookupRequest({ nonce, target })))).toEqual(plain({ ok: true, value: { nonce, target } }));
      }),
    );
  });

  it('neighbors', () => {
    fc.assert(
      fc.property(bytes(8), fc.array(arbRecord, { maxLength: MAX_NEIGHBORS }), (nonce, records) => {
        expect(plain(decodeNeighbors(encodeNeighbors({ nonce, records })))).toEqual(plain({ ok: true, value: { nonce, records } }));
      }),
      { numRuns: 200 },
    );
  });

  it('envelope: all fields, avoid-set up to 3, signed part is exactly the signed bytes', () => {
    fc.assert(
      fc.property(arbSigned, fc.integer({ min: 0, max: 255 }), fc.array(bytes(32), { maxLength: MAX_AVOID }), bytes(64), (f, ttl, avoid, sig) => {
        const signed = encodeSignedPart(f);
        const enc = encodeEnvelope(ttl, avoid, signed, sig);
        const dec = decodeEnvelope(enc);
        expect(dec.ok).toBe(true);
        if (!dec.ok) return;
        const { signedPart, ...rest } = dec.value;
        expect(plain(rest)).toEqual(plain({ ...f, ttl, avoid, signature: sig }));
        expect(Array.from(signedPart)).toEqual(Array.from(signed));
      }),
      { numRuns: 300 },
    );
  });

  it('routed payloads', () => {
    fc.assert(
      fc.property(bytes(16), arbRecord, (nonce, record) => {
        expect(plain(decodeRendezvous(encodeRendezvous({ nonce, record })))).toEqual(plain({ ok: true, value: { nonce, record } }));
        expect(decodeAckPayload(nonce).ok).toBe(true);
        expect(decodeLookupPayload(nonce.subarray(0, 8)).ok).toBe(true);
      }),
    );
  });
});

describe('envelope details', () => {
  const f = {
    payloadType: 1,
    flags: 0,
    target: new Uint8Array(32).fill(1),
    originEd: new Uint8Array(32).fill(2),
    originX: new Uint8Array(32).fill(3),
    sentMs: 1_700_000_000_123,
    messageId: new Uint8Array(16).fill(4),
    payload: Uint8Array.of(9, 8, 7),
  };

  it('puts the TTL at a fixed offset and patches it in place without touching the signed part', () => {
    const enc = encodeEnvelope(16, [new Uint8Array(32).fill(7)], encodeSignedPart(f), new Uint8Array(64).fill(5));
    expect(enc[ENVELOPE_TTL_OFFSET]).toBe(16);
    const before = decodeEnvelope(enc);
    const signedBefore = before.ok ? Array.from(before.value.signedPart) : [];
    setEnvelopeTtl(enc, 3);
    const after = decodeEnvelope(enc);
    expect(after.ok && after.value.ttl).toBe(3);
    expect(after.ok && Array.from(after.value.signedPart)).toEqual(signedBefore);
    expect(after.ok && after.value.sentMs).toBe(1_700_000_000_123);
  });

  it('refuses more than 3 avoid entries, unknown flags, payload type 0, a wrong version and trailing bytes', () => {
    const signed = encodeSignedPart(f);
    const good = encodeEnvelope(1, [], signed, new Uint8Array(64));
    const tooManyAvoid = good.slice();
    tooManyAvoid[2] = 4;
    expect(decodeEnvelope(tooManyAvoid)).toMatchObject({ ok: false, error: { code: 'TOO_MANY' } });
    const flags = good.slice();
    flags[4] = 0x80;
    expect(decodeEnvelope(flags)).toMatchObject({ ok: false, error: { code: 'BAD_FIELD' } });
    const type0 = good.slice();
    type0[3] = 0;
    expect(decodeEnvelope(type0)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_TYPE' } });
    const version = good.slice();
    version[0] = 2;
    expect(decodeEnvelope(version)).toMatchObject({ ok: false, error: { code: 'BAD_VERSION' } });
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expect(decodeEnvelope(trailing)).toMatchObject({ ok: false, error: { code: 'TRAILING_BYTES' } });
  });

  it('caps the payload at 64 KiB in the encoder and the decoder (before reading it)', () => {
    expect(() => encodeSignedPart({ ...f, payload: new Uint8Array(MAX_ROUTED_PAYLOAD_BYTES + 1) })).toThrow(/at most 65536/);
    const atCap = encodeSignedPart({ ...f, payload: new Uint8Array(MAX_ROUTED_PAYLOAD_BYTES) });
    expect(decodeEnvelope(encodeEnvelope(1, [], atCap, new Uint8Array(64))).ok).toBe(true);
    // A forged length of 64 KiB + 1 with no bytes behind it is refused as too big, not read.
    const header = encodeSignedPart({ ...f, payload: new Uint8Array(0) });
    const forged = new Uint8Array(header.length + 2);
    forged.set(header.subarray(0, header.length - 1));
    forged.set([0x81, 0x80, 0x04], header.length - 1); // varint 65537
    const env = encodeEnvelope(1, [], forged.subarray(0, header.length + 2), new Uint8Array(64));
    expect(decodeEnvelope(env)).toMatchObject({ ok: false, error: { code: 'BAD_SIZE' } });
  });
});

describe('neighbours caps', () => {
  it('refuses more than 20 contacts before allocating, and empty records', () => {
    const n = new Uint8Array(9 + 2 * 21);
    n[8] = 21;
    expect(decodeNeighbors(n)).toMatchObject({ ok: false, error: { code: 'TOO_MANY' } });
    const claims = new Uint8Array(9 + 3);
    claims[8] = 20; // 20 contacts cannot fit in 3 bytes
    expect(decodeNeighbors(claims)).toMatchObject({ ok: false, error: { code: 'LENGTH_PAST_END' } });
    const empty = Uint8Array.from([...new Uint8Array(8), 1, 0, 0]);
    expect(decodeNeighbors(empty)).toMatchObject({ ok: false, error: { code: 'BAD_FIELD' } });
    expect(() => encodeNeighbors({ nonce: new Uint8Array(8), records: Array.from({ length: 21 }, () => Uint8Array.of(1)) })).toThrow(/at most 20/);
  });

  it('the record cap fits the largest contact record identity can produce', () => {
    expect(CONTACT_RECORD_HEADER_BYTES + MAX_CONTACT_ADDRESSES * (1 + 16 + 2)).toBeLessThanOrEqual(MAX_CONTACT_RECORD_BYTES);
  });
});

describe('addresses', () => {
  it('refuses unknown families and port 0', () => {
    const pong = encodePong({ nonce: new Uint8Array(8), observed: { family: 4, ip: Uint8Array.of(1, 2, 3, 4), port: 9 } });
    const badFamily = pong.slice();
    badFamily[8] = 5;
    expect(decodePong(badFamily)).toMatchObject({ ok: false, error: { code: 'BAD_FIELD' } });
    const port0 = pong.slice();
    port0[13] = 0;
    port0[14] = 0;
    expect(decodePong(port0)).toMatchObject({ ok: false, error: { code: 'BAD_FIELD' } });
  });

  it('decoded addresses do not alias the packet buffer', () => {
    const pong = encodePong({ nonce: new Uint8Array(8), observed: { family: 4, ip: Uint8Array.of(10, 0, 0, 1), port: 4242 } });
    const dec = decodePong(pong);
    pong.fill(0);
    expect(dec.ok && Array.from(dec.value.observed!.ip)).toEqual([10, 0, 0, 1]);
  });
});
