import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  HANDSHAKE_INIT_MAC1_OFFSET,
  HANDSHAKE_INIT_MAC2_OFFSET,
  HANDSHAKE_RESP_MAC1_OFFSET,
  HANDSHAKE_RESP_MAC2_OFFSET,
  SIZE_COOKIE_REPLY,
  SIZE_HANDSHAKE_INIT,
  SIZE_HANDSHAKE_RESP,
  decodeCookieReply,
  decodeHandshakeInit,
  decodeHandshakeResp,
  encodeCookieReply,
  encodeHandshakeInit,
  encodeHandshakeResp,
  packetType,
  type CookieReplyPacket,
  type DecodeResult,
  type HandshakeInitPacket,
  type HandshakeRespPacket,
} from '../../src/wire/index.js';
import { InvalidArgumentError } from '../../src/errors.js';

/** Bytes start, start+1, ... (mod 256): each field gets recognisable content. */
function run(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

function errorCode<T>(r: DecodeResult<T>): string {
  return r.ok ? 'ok' : r.error.code;
}

/** A HandshakeInit built byte by byte from spec 4.1. */
function handBuiltInit(): Uint8Array {
  const b = new Uint8Array(148);
  b[0] = 0x01;
  b.set([0x01, 0x02, 0x03, 0x04], 4); // sender_index 0x04030201 LE
  b.set(run(32, 0x10), 8);
  b.set(run(48, 0x40), 40);
  b.set(run(28, 0x80), 88);
  b.set(run(16, 0xa0), 116);
  b.set(run(16, 0xc0), 132);
  return b;
}

describe('HandshakeInit (spec 4.1)', () => {
  it('decodes every field at its offset', () => {
    const b = handBuiltInit();
    const r = decodeHandshakeInit(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.senderIndex).toBe(0x04030201);
    expect(r.value.ephemeral).toEqual(run(32, 0x10));
    expect(r.value.encryptedStatic).toEqual(run(48, 0x40));
    expect(r.value.encryptedTimestamp).toEqual(run(28, 0x80));
    expect(r.value.mac1).toEqual(run(16, 0xa0));
    expect(r.value.mac2).toEqual(run(16, 0xc0));
    expect(HANDSHAKE_INIT_MAC1_OFFSET).toBe(116);
    expect(HANDSHAKE_INIT_MAC2_OFFSET).toBe(132);
  });

  it('returns zero-copy views into the input', () => {
    const b = handBuiltInit();
    const r = decodeHandshakeInit(b);
    if (!r.ok) throw new Error('expected ok');
    expect(r.value.mac1.buffer).toBe(b.buffer);
    expect(r.value.mac1.byteOffset).toBe(116);
    b[116] = 0xee;
    expect(r.value.mac1[0]).toBe(0xee);
  });

  it('encodes to the hand-built bytes', () => {
    const b = handBuiltInit();
    const p: HandshakeInitPacket = {
      senderIndex: 0x04030201,
      ephemeral: run(32, 0x10),
      encryptedStatic: run(48, 0x40),
      encryptedTimestamp: run(28, 0x80),
      mac1: run(16, 0xa0),
      mac2: run(16, 0xc0),
    };
    expect(encodeHandshakeInit(p)).toEqual(b);
    const out = new Uint8Array(200).fill(0xff);
    const view = encodeHandshakeInit(p, out);
    expect(view.length).toBe(148);
    expect(view.buffer).toBe(out.buffer);
    expect(view).toEqual(b);
    expect(out[148]).toBe(0xff);
  });

  it('rejects wrong type, size and reserved bytes', () => {
    const b = handBuiltInit();
    expect(errorCode(decodeHandshakeInit(new Uint8Array(0)))).toBe('TOO_SHORT');
    expect(errorCode(decodeHandshakeInit(b.subarray(0, 147)))).toBe('TOO_SHORT');
    const long = new Uint8Array(149);
    long.set(b);
    expect(errorCode(decodeHandshakeInit(long))).toBe('BAD_SIZE');
    const wrong = b.slice();
    wrong[0] = 2;
    expect(errorCode(decodeHandshakeInit(wrong))).toBe('WRONG_TYPE');
    for (const i of [1, 2, 3]) {
      const reserved = b.slice();
      reserved[i] = 1;
      expect(errorCode(decodeHandshakeInit(reserved))).toBe('RESERVED_NONZERO');
    }
  });

  it('encoder rejects wrong field sizes, bad indices and small buffers', () => {
    const p: HandshakeInitPacket = {
      senderIndex: 1,
      ephemeral: new Uint8Array(32),
      encryptedStatic: new Uint8Array(48),
      encryptedTimestamp: new Uint8Array(28),
      mac1: new Uint8Array(16),
      mac2: new Uint8Array(16),
    };
    expect(() => encodeHandshakeInit({ ...p, ephemeral: new Uint8Array(31) })).toThrow(InvalidArgumentError);
    expect(() => encodeHandshakeInit({ ...p, mac2: new Uint8Array(17) })).toThrow(InvalidArgumentError);
    expect(() => encodeHandshakeInit({ ...p, senderIndex: 2 ** 32 })).toThrow(InvalidArgumentError);
    expect(() => encodeHandshakeInit({ ...p, senderIndex: -1 })).toThrow(InvalidArgumentError);
    expect(() => encodeHandshakeInit(p, new Uint8Array(147))).toThrow(InvalidArgumentError);
  });
});

describe('HandshakeResp (spec 4.2)', () => {
  function handBuilt(): Uint8Array {
    const b = new Uint8Array(92);
    b[0] = 0x02;
    b.set([0x01, 0x02, 0x03, 0x04], 4);
    b.set([0xaa, 0xbb, 0xcc, 0xdd], 8);
    b.set(run(32, 0x10), 12);
    b.set(run(16, 0x40), 44);
    b.set(run(16, 0x60), 60);
    b.set(run(16, 0x80), 76);
    return b;
  }

  it('decodes and encodes every field at its offset', () => {
    const b = handBuilt();
    const r = decodeHandshakeResp(b);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.senderIndex).toBe(0x04030201);
    expect(r.value.receiverIndex).toBe(0xddccbbaa);
    expect(r.value.ephemeral).toEqual(run(32, 0x10));
    expect(r.value.encryptedNil).toEqual(run(16, 0x40));
    expect(r.value.mac1).toEqual(run(16, 0x60));
    expect(r.value.mac2).toEqual(run(16, 0x80));
    expect(HANDSHAKE_RESP_MAC1_OFFSET).toBe(60);
    expect(HANDSHAKE_RESP_MAC2_OFFSET).toBe(76);
    expect(encodeHandshakeResp(r.value)).toEqual(b);
  });

  it('rejects wrong type, size and reserved bytes', () => {
    const b = handBuilt();
    expect(errorCode(decodeHandshakeResp(b.subarray(0, 91)))).toBe('TOO_SHORT');
    expect(errorCode(decodeHandshakeResp(Uint8Array.from([...b, 0])))).toBe('BAD_SIZE');
    expect(errorCode(decodeHandshakeResp(handBuiltInit()))).toBe('WRONG_TYPE');
    const reserved = b.slice();
    reserved[2] = 0x80;
    expect(errorCode(decodeHandshakeResp(reserved))).toBe('RESERVED_NONZERO');
  });
});

describe('CookieReply (spec 4.3)', () => {
  function handBuilt(): Uint8Array {
    const b = new Uint8Array(64);
    b[0] = 0x03;
    b.set([0x01, 0x02, 0x03, 0x04], 4);
    b.set(run(24, 0x20), 8);
    b.set(run(32, 0x40), 32);
    return b;
  }

  it('decodes and encodes every field at its offset', () => {
    const b = handBuilt();
    const r = decodeCookieReply(b);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.receiverIndex).toBe(0x04030201);
    expect(r.value.nonce).toEqual(run(24, 0x20));
    expect(r.value.encryptedCookie).toEqual(run(32, 0x40));
    expect(encodeCookieReply(r.value)).toEqual(b);
  });

  it('rejects wrong type, size and reserved bytes', () => {
    const b = handBuilt();
    expect(errorCode(decodeCookieReply(b.subarray(0, 63)))).toBe('TOO_SHORT');
    expect(errorCode(decodeCookieReply(Uint8Array.from([...b, 0])))).toBe('BAD_SIZE');
    const wrong = b.slice();
    wrong[0] = 4;
    expect(errorCode(decodeCookieReply(wrong))).toBe('WRONG_TYPE');
    const reserved = b.slice();
    reserved[3] = 1;
    expect(errorCode(decodeCookieReply(reserved))).toBe('RESERVED_NONZERO');
    const p: CookieReplyPacket = { receiverIndex: 1, nonce: new Uint8Array(12), encryptedCookie: new Uint8Array(32) };
    expect(() => encodeCookieReply(p)).toThrow(InvalidArgumentError);
    const small = new Uint8Array(63);
    expect(() => encodeCookieReply({ ...p, nonce: new Uint8Array(24) }, small)).toThrow(InvalidArgumentError);
  });
});

describe('packetType', () => {
  it('reads the tag, -1 for empty', () => {
    expect(packetType(new Uint8Array(0))).toBe(-1);
    expect(packetType(Uint8Array.of(0))).toBe(0);
    expect(packetType(handBuiltInit())).toBe(1);
    expect(packetType(Uint8Array.of(255, 1))).toBe(255);
  });
});

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const uint32 = fc.nat({ max: 0xffff_ffff });

/** Arbitrary bytes, plus mutations of valid packets, so rejections past the size check are reached too. */
function packetLike(size: number, type: number): fc.Arbitrary<Uint8Array> {
  const valid = bytes(size).map((b) => {
    b[0] = type;
    b[1] = b[2] = b[3] = 0;
    return b;
  });
  const mutated = fc.tuple(valid, fc.nat({ max: size - 1 }), fc.integer({ min: 0, max: 255 })).map(([b, i, v]) => {
    b[i] = v;
    return b;
  });
  const resized = fc.tuple(valid, fc.integer({ min: -3, max: 3 })).map(([b, d]) => {
    const out = new Uint8Array(Math.max(0, size + d));
    out.set(b.subarray(0, out.length));
    return out;
  });
  return fc.oneof(fc.uint8Array({ maxLength: 200 }), valid, mutated, resized);
}

describe('handshake packet properties', () => {
  it('HandshakeInit: never throws; accepts exactly the valid layout; round-trips', () => {
    fc.assert(
      fc.property(packetLike(SIZE_HANDSHAKE_INIT, 1), (b) => {
        const r = decodeHandshakeInit(b);
        const valid = b.length === 148 && b[0] === 1 && b[1] === 0 && b[2] === 0 && b[3] === 0;
        expect(r.ok).toBe(valid);
        if (r.ok) expect(encodeHandshakeInit(r.value)).toEqual(b);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(uint32, bytes(32), bytes(48), bytes(28), bytes(16), bytes(16), (senderIndex, e, s, t, m1, m2) => {
        const p: HandshakeInitPacket = {
          senderIndex,
          ephemeral: e,
          encryptedStatic: s,
          encryptedTimestamp: t,
          mac1: m1,
          mac2: m2,
        };
        const r = decodeHandshakeInit(encodeHandshakeInit(p));
        expect(r).toEqual({ ok: true, value: p });
      }),
      { numRuns: 300 },
    );
  });

  it('HandshakeResp: never throws; accepts exactly the valid layout; round-trips', () => {
    fc.assert(
      fc.property(packetLike(SIZE_HANDSHAKE_RESP, 2), (b) => {
        const r = decodeHandshakeResp(b);
        const valid = b.length === 92 && b[0] === 2 && b[1] === 0 && b[2] === 0 && b[3] === 0;
        expect(r.ok).toBe(valid);
        if (r.ok) expect(encodeHandshakeResp(r.value)).toEqual(b);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(uint32, uint32, bytes(32), bytes(16), bytes(16), bytes(16), (si, ri, e, n, m1, m2) => {
        const p: HandshakeRespPacket = {
          senderIndex: si,
          receiverIndex: ri,
          ephemeral: e,
          encryptedNil: n,
          mac1: m1,
          mac2: m2,
        };
        expect(decodeHandshakeResp(encodeHandshakeResp(p))).toEqual({ ok: true, value: p });
      }),
      { numRuns: 300 },
    );
  });

  it('CookieReply: never throws; accepts exactly the valid layout; round-trips', () => {
    fc.assert(
      fc.property(packetLike(SIZE_COOKIE_REPLY, 3), (b) => {
        const r = decodeCookieReply(b);
        const valid = b.length === 64 && b[0] === 3 && b[1] === 0 && b[2] === 0 && b[3] === 0;
        expect(r.ok).toBe(valid);
        if (r.ok) expect(encodeCookieReply(r.value)).toEqual(b);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(uint32, bytes(24), bytes(32), (receiverIndex, nonce, encryptedCookie) => {
        const p: CookieReplyPacket = { receiverIndex, nonce, encryptedCookie };
        expect(decodeCookieReply(encodeCookieReply(p))).toEqual({ ok: true, value: p });
      }),
      { numRuns: 300 },
    );
  });
});
