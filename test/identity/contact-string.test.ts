import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  Identity,
  formatContact,
  formatIp,
  formatPublicKeys,
  isUnreachableAddress,
  nodeIdFromKeys,
  parseContact,
  parsePublicKeys,
  type Contact,
} from '../../src/identity/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const identity = Identity.fromSeed(new Uint8Array(32).fill(9));
const KEYS = formatPublicKeys(identity.edPublicKey, identity.xPublicKey);

const addressArb = fc
  .oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
  .filter((b) => !isUnreachableAddress(b))
  .chain((b) => fc.record({ host: fc.constant(formatIp(b)), port: fc.integer({ min: 1, max: 65535 }) }));

const contactArb = fc
  .record({
    ed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    x: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    addresses: fc.uniqueArray(addressArb, { minLength: 1, maxLength: 8, selector: (a) => `${a.host}|${a.port}` }),
  })
  .map(({ ed, x, addresses }): Contact => ({ nodeId: nodeIdFromKeys(ed, x), edPublicKey: ed, xPublicKey: x, addresses }));

function messageOf(text: string): string {
  try {
    parseContact(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error(`parseContact accepted ${text}`);
}

describe('contact strings', () => {
  it('formats <keys>@host:port with IPv6 in brackets', () => {
    const contact: Contact = {
      nodeId: identity.nodeId,
      edPublicKey: identity.edPublicKey,
      xPublicKey: identity.xPublicKey,
      addresses: [
        { host: '192.0.2.1', port: 4000 },
        { host: '2001:DB8:0:0::1', port: 65535 },
      ],
    };
    const text = formatContact(contact);
    expect(text).toBe(`${KEYS}@192.0.2.1:4000,[2001:db8::1]:65535`);
    expect(KEYS).toMatch(/^b[a-z2-7]{103}$/);
  });

  it('parses back to the same keys, NodeID and canonical addresses', () => {
    const parsed = parseContact(` ${KEYS}@192.0.2.1:4000, [2001:0db8::0001]:1 `);
    expect(hex(parsed.nodeId)).toBe(hex(identity.nodeId));
    expect(hex(parsed.edPublicKey)).toBe(hex(identity.edPublicKey));
    expect(hex(parsed.xPublicKey)).toBe(hex(identity.xPublicKey));
    expect(parsed.addresses).toEqual([
      { host: '192.0.2.1', port: 4000 },
      { host: '2001:db8::1', port: 1 },
    ]);
  });

  it('round-trips any valid contact', () => {
    fc.assert(
      fc.property(contactArb, (contact) => {
        const parsed = parseContact(formatContact(contact));
        expect(hex(parsed.nodeId)).toBe(hex(contact.nodeId));
        expect(hex(parsed.edPublicKey)).toBe(hex(contact.edPublicKey));
        expect(hex(parsed.xPublicKey)).toBe(hex(contact.xPublicKey));
        expect(parsed.addresses).toEqual(contact.addresses);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws anything but a one-line InvalidArgumentError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ maxLength: 60 }).map((tail) => `${KEYS}@${tail}`),
          fc.string({ unit: fc.constantFrom(...'0123456789.:[],@abcdef'.split('')), maxLength: 60 }).map((tail) => `${KEYS}@${tail}`),
        ),
        (text) => {
          try {
            parseContact(text);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidArgumentError);
            expect((error as Error).message).not.toContain('\n');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('says what is wrong and how to fix it', () => {
    expect(messageOf('x@1.2.3.4')).toBe("contact 'x@1.2.3.4' has no port: write it as <keys>@host:port");
    expect(messageOf('')).toBe('contact is empty: write it as <keys>@host:port');
    expect(messageOf(KEYS)).toMatch(/has no address: write it as <keys>@host:port$/);
    expect(messageOf('@1.2.3.4:5')).toMatch(/has no keys before '@'/);
    expect(messageOf(`${KEYS}@1.2.3.4:5,1.2.3.4`)).toMatch(/has no port on '1\.2\.3\.4': write each address as host:port$/);
    expect(messageOf(`${KEYS}@1.2.3.4:0`)).toMatch(/has port '0', which is not a port: use a number from 1 to 65535$/);
    expect(messageOf(`${KEYS}@1.2.3.4:65536`)).toMatch(/port '65536'/);
    expect(messageOf(`${KEYS}@1.2.3.4:+80`)).toMatch(/port '\+80'/);
    expect(messageOf(`${KEYS}@example.com:80`)).toMatch(
      /has host 'example\.com', which is not an IP address: contacts carry IP literals only, so resolve the name first$/,
    );
    expect(messageOf(`${KEYS}@2001:db8::1`)).toMatch(/IPv6 address '2001:db8::1' without brackets or port: write it as \[2001:db8::1\]:port$/);
    expect(messageOf(`${KEYS}@2001:db8::1:80`)).toMatch(/without brackets/);
    expect(messageOf(`${KEYS}@[2001:db8::1]`)).toMatch(/has no port: write it as <keys>@host:port$/);
    expect(messageOf(`${KEYS}@[2001:db8::1:80`)).toMatch(/unclosed '\['/);
    expect(messageOf(`${KEYS}@[1.2.3.4]:80`)).toMatch(/brackets are only for IPv6/);
    expect(messageOf(`${KEYS}@[fe80::1%eth0]:80`)).toMatch(/not an IPv6 address/);
    expect(messageOf(`${KEYS}@0.0.0.0:80`)).toMatch(/which no peer can reach/);
    expect(messageOf(`${KEYS}@[ff02::1]:80`)).toMatch(/which no peer can reach/);
    expect(messageOf(`${KEYS}@1.2.3.4:5,,1.2.3.5:5`)).toMatch(/has an empty address: separate addresses with single commas/);
    expect(messageOf(`${KEYS}@1.2.3.4:5,1.2.3.4:5`)).toMatch(/lists '1\.2\.3\.4:5' twice: remove the duplicate$/);
    const nine = Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}:7`).join(',');
    expect(messageOf(`${KEYS}@${nine}`)).toMatch(/has 9 addresses, more than the 8 allowed/);
    expect(messageOf(`bnotbase32!@1.2.3.4:5`)).toMatch(/keys 'bnotbase32!' are not valid multibase text/);
    // 56 base32 characters are exactly 35 bytes.
    expect(messageOf(`${KEYS.slice(0, 57)}@1.2.3.4:5`)).toMatch(/decode to 35 bytes, expected 64 .* cut short$/);
  });

  it('accepts exactly 8 addresses', () => {
    const eight = Array.from({ length: 8 }, (_, i) => `10.0.0.${i + 1}:7`).join(',');
    expect(parseContact(`${KEYS}@${eight}`).addresses).toHaveLength(8);
  });

  it('parses the keys alone', () => {
    const keys = parsePublicKeys(KEYS);
    expect(hex(keys.nodeId)).toBe(hex(identity.nodeId));
  });

  it('refuses to format contacts that would not parse', () => {
    const base = { nodeId: identity.nodeId, edPublicKey: identity.edPublicKey, xPublicKey: identity.xPublicKey };
    expect(() => formatContact({ ...base, addresses: [] })).toThrow(/needs 1 to 8 addresses/);
    expect(() => formatContact({ ...base, addresses: [{ host: 'localhost', port: 1 }] })).toThrow(/not an IP literal/);
    expect(() => formatContact({ ...base, addresses: [{ host: '1.2.3.4', port: 0 }] })).toThrow(/not a port/);
    const wrongId = identity.nodeId.slice();
    wrongId[0] ^= 1;
    expect(() => formatContact({ ...base, nodeId: wrongId, addresses: [{ host: '1.2.3.4', port: 1 }] })).toThrow(
      /keys do not hash to its node ID/,
    );
  });
});
