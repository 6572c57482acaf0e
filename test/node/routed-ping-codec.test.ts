/**
 * Routed PING/PONG payload codecs (src/wire/overlay/routed-payloads.ts, issue 7): valid values round-trip,
 * decoders never throw on arbitrary bytes, and sizes and hop counts outside the format are refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LOOKUP_NONCE_BYTES,
  MAX_ROUTED_TYPE,
  MAX_TTL,
  ROUTED_PING,
  ROUTED_PONG,
  ROUTED_REPLY,
  decodeRoutedPing,
  decodeRoutedPong,
  encodeRoutedPing,
  encodeRoutedPong,
} from '../../src/wire/index.js';

const nonce = fc.uint8Array({ minLength: LOOKUP_NONCE_BYTES, maxLength: LOOKUP_NONCE_BYTES });

describe('routed ping/pong payloads', () => {
  it('take the next two payload types', () => {
    expect([ROUTED_PING, ROUTED_PONG]).toEqual([ROUTED_REPLY + 1, ROUTED_REPLY + 2]);
    expect(MAX_ROUTED_TYPE).toBe(ROUTED_PONG);
  });

  it('round-trip every nonce and hop count', () => {
    fc.assert(
      fc.property(nonce, fc.integer({ min: 1, max: MAX_TTL }), (n, hops) => {
        const ping = decodeRoutedPing(encodeRoutedPing(n));
        expect(ping.ok && [...ping.value]).toEqual([...n]);
        const bytes = encodeRoutedPong({ nonce: n, pingHops: hops });
        expect(bytes.length).toBe(LOOKUP_NONCE_BYTES + 1);
        const pong = decodeRoutedPong(bytes);
        expect(pong.ok).toBe(true);
        if (pong.ok) {
          expect([...pong.value.nonce]).toEqual([...n]);
          expect(pong.value.pingHops).toBe(hops);
        }
      }),
    );
  });

  it('never throw on arbitrary bytes, and accept only the exact sizes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const ping = decodeRoutedPing(bytes);
        const pong = decodeRoutedPong(bytes);
        expect(ping.ok).toBe(bytes.length === LOOKUP_NONCE_BYTES);
        const hops = bytes[LOOKUP_NONCE_BYTES];
        expect(pong.ok).toBe(bytes.length === LOOKUP_NONCE_BYTES + 1 && hops! >= 1 && hops! <= MAX_TTL);
        if (!pong.ok) expect(typeof pong.error.code).toBe('string');
      }),
    );
  });

  it('refuse hop counts outside 1..MAX_TTL and wrong nonce sizes when encoding and decoding', () => {
    const n = new Uint8Array(LOOKUP_NONCE_BYTES).fill(7);
    for (const bad of [0, MAX_TTL + 1, 255, 1.5]) expect(() => encodeRoutedPong({ nonce: n, pingHops: bad })).toThrow(/hop count/);
    expect(() => encodeRoutedPing(new Uint8Array(7))).toThrow(/nonce must be 8 bytes/);
    const zeroHops = new Uint8Array(LOOKUP_NONCE_BYTES + 1);
    const decoded = decodeRoutedPong(zeroHops);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe('BAD_FIELD');
    const trailing = decodeRoutedPing(new Uint8Array(LOOKUP_NONCE_BYTES + 1));
    expect(!trailing.ok && trailing.error.code).toBe('TRAILING_BYTES');
  });

  it('decoded nonces are views of the input (callers copy what they keep)', () => {
    const bytes = encodeRoutedPong({ nonce: new Uint8Array(LOOKUP_NONCE_BYTES).fill(1), pingHops: 3 });
    const pong = decodeRoutedPong(bytes);
    expect(pong.ok && pong.value.nonce.buffer).toBe(bytes.buffer);
  });
});
