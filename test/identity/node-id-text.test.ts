import { bases } from 'multiformats/basics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { formatNodeId, formatPublicKey, parseNodeId, parsePublicKey } from '../../src/identity/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('NodeID text', () => {
  it("formats as lowercase multibase base32 ('b' + 52 characters)", () => {
    const id = Uint8Array.from({ length: 32 }, (_, i) => i);
    const text = formatNodeId(id);
    // RFC 4648 base32 of 00..1f, lower case, unpadded (checked with Python's base64.b32encode).
    expect(text).toBe('baaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypq');
    expect(text).toMatch(/^b[a-z2-7]{52}$/);
  });

  it('round-trips through base32, hex, upper-case base32 and base58btc', () => {
    fc.assert(
      fc.property(bytes32, (id) => {
        expect(hex(parseNodeId(formatNodeId(id)))).toBe(hex(id));
        expect(hex(parseNodeId(hex(id)))).toBe(hex(id));
        expect(hex(parseNodeId(hex(id).toUpperCase()))).toBe(hex(id));
        expect(hex(parseNodeId(bases.base32upper.encode(id)))).toBe(hex(id));
        expect(hex(parseNodeId(bases.base58btc.encode(id)))).toBe(hex(id));
        expect(hex(parseNodeId(`  ${formatNodeId(id)}\n`))).toBe(hex(id));
      }),
      { numRuns: 100 },
    );
  });

  it('never throws anything but InvalidArgumentError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        try {
          expect(parseNodeId(text)).toHaveLength(32);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('explains what is wrong', () => {
    expect(() => parseNodeId('')).toThrow(/node ID is empty/);
    expect(() => parseNodeId('hello world')).toThrow(/node ID 'hello world' is not valid text: use the base32 form/);
    const short = formatNodeId(new Uint8Array(32)).slice(0, 40);
    expect(() => parseNodeId(short)).toThrow(/decodes to 24 bytes, expected 32: it is probably cut short/);
    expect(() => parseNodeId(`${short}1`)).toThrow(/is not valid text/);
    expect(() => parseNodeId(bases.base32.encode(new Uint8Array(20)))).toThrow(/decodes to 20 bytes, expected 32/);
    expect(() => parseNodeId('ab'.repeat(31))).toThrow(InvalidArgumentError);
  });

  it('shows long or odd input safely in messages', () => {
    try {
      parseNodeId(`x${'y'.repeat(500)}\u0007`);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message.length).toBeLessThan(250);
      expect(message).not.toContain('\u0007');
    }
  });

  it('formats and parses public keys', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    expect(hex(parsePublicKey(formatPublicKey(key)))).toBe(hex(key));
    expect(() => parsePublicKey(bases.base32.encode(new Uint8Array(64)))).toThrow(/expected multibase text of 32 bytes/);
    expect(() => formatPublicKey(new Uint8Array(33))).toThrow(InvalidArgumentError);
    expect(() => formatNodeId(new Uint8Array(31))).toThrow(InvalidArgumentError);
  });
});
