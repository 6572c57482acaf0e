/**
 * The probe datagram codec (no root needed): it decodes untrusted bytes without ever throwing, round-trips
 * every valid message, and rejects near-misses with the right error code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROBE_MAX_BYTES } from './constants.js';
import { decodeProbeMessage, encodeProbeMessage, parseEndpoint, type ProbeMessage } from './probe-message.js';

const text = (s: string) => new TextEncoder().encode(s);

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const u32 = fc.nat(0xffffffff);
const message: fc.Arbitrary<ProbeMessage> = fc.oneof(
  u32.map((nonce) => ({ kind: 'request' as const, nonce })),
  fc.record({ kind: fc.constant('seen' as const), nonce: u32, host: ipv4, port: fc.nat(65535) }),
);

describe('probe messages', () => {
  it('round-trip every valid message', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeProbeMessage(m);
        expect(bytes.length).toBeLessThanOrEqual(PROBE_MAX_BYTES);
        expect(decodeProbeMessage(bytes)).toEqual({ ok: true, value: m });
      }),
    );
  });

  it('never throw on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const r = decodeProbeMessage(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });

  it('never throw on arbitrary JSON, and accept only the two exact shapes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.stringify(value);
        const r = decodeProbeMessage(text(json));
        if (r.ok) expect(JSON.parse(new TextDecoder().decode(encodeProbeMessage(r.value)))).toEqual(JSON.parse(json));
      }),
    );
  });

  it('reject near-misses with specific codes', () => {
    const code = (s: string | Uint8Array) => {
      const r = decodeProbeMessage(typeof s === 'string' ? text(s) : s);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code('{"probe":"request","nonce":7}')).toBe('ok');
    expect(code(new Uint8Array(0))).toBe('TOO_SHORT');
    expect(code(new Uint8Array(PROBE_MAX_BYTES + 1).fill(0x20))).toBe('BAD_SIZE');
    expect(code(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))).toBe('BAD_FIELD');
    expect(code('{"probe":"request"')).toBe('BAD_FIELD');
    expect(code('[1,2]')).toBe('WRONG_TYPE');
    expect(code('7')).toBe('WRONG_TYPE');
    expect(code('{"probe":"hello","nonce":7}')).toBe('UNKNOWN_TYPE');
    expect(code('{"probe":"request","nonce":7,"x":1}')).toBe('BAD_FIELD');
    expect(code('{"probe":"request","nonce":-1}')).toBe('BAD_FIELD');
    expect(code('{"probe":"request","nonce":4294967296}')).toBe('BAD_FIELD');
    expect(code('{"probe":"request","nonce":1.5}')).toBe('BAD_FIELD');
    expect(code('{"probe":"seen","nonce":7,"host":"10.0.0.1","port":65536}')).toBe('BAD_FIELD');
    expect(code('{"probe":"seen","nonce":7,"host":"10.0.0.256","port":1}')).toBe('BAD_FIELD');
    expect(code('{"probe":"seen","nonce":7,"host":"::1","port":1}')).toBe('BAD_FIELD');
    expect(code('{"probe":"seen","nonce":7,"host":"10.0.0.1"}')).toBe('BAD_FIELD');
  });

  it('refuse to encode values no peer could decode', () => {
    expect(() => encodeProbeMessage({ kind: 'request', nonce: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeProbeMessage({ kind: 'seen', nonce: 1, host: 'example.org', port: 1 })).toThrow(RangeError);
  });
});

describe('parseEndpoint', () => {
  it('parses IPv4 host:port and rejects anything else', () => {
    expect(parseEndpoint('10.201.1.2:7000')).toEqual({ host: '10.201.1.2', port: 7000 });
    for (const bad of ['10.201.1.2', ':7000', '10.201.1.2:0', '10.201.1.2:65536', '10.201.1.2:7e3', 'host:1', '10.201.1.2:']) {
      expect(() => parseEndpoint(bad)).toThrow(/not an IPv4 host:port/);
    }
  });
});
