/**
 * Known-answer tests of the primitives (spec 2): BLAKE2s hash and keyed MAC, the KDF (2.1), ChaCha20-Poly1305
 * (RFC 8439), X25519 (RFC 7748), XChaCha20-Poly1305, low-order rejection. Each is checked against published
 * vectors and, where node:crypto or libsodium offers the primitive, against that independent implementation.
 */
import { createHash, createCipheriv, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { createRequire } from 'node:module';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  hash,
  kdf2,
  kdf3,
  mac,
  nativeSuite,
  pureSuite,
  randomBytes,
  xOpen,
  xSeal,
  type CryptoSuite,
} from '../../src/session/crypto/index.js';
import { referenceBlake2s } from './crypto-blake2s-reference.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const range = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

const native = nativeSuite();
const suites: CryptoSuite[] = native === null ? [pureSuite()] : [native, pureSuite()];

describe('BLAKE2s (spec 2: HASH and MAC)', () => {
  it('hashes "abc" to the RFC 7693 appendix B value, as node:crypto does', () => {
    const expected = '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982';
    expect(hex(hash(ascii('abc')))).toBe(expected);
    expect(createHash('blake2s256').update('abc').digest('hex')).toBe(expected);
    expect(hex(referenceBlake2s(ascii('abc')))).toBe(expected);
  });

  it('hashes the concatenation of its parts', () => {
    const whole = range(200);
    const expected = createHash('blake2s256').update(whole).digest('hex');
    expect(hex(hash(whole))).toBe(expected);
    expect(hex(hash(whole.subarray(0, 3), whole.subarray(3, 64), whole.subarray(64)))).toBe(expected);
    expect(hex(hash())).toBe(createHash('blake2s256').update(new Uint8Array(0)).digest('hex'));
  });

  it('matches the keyed blake2s-kat vectors of the BLAKE2 reference repository', () => {
    const key = range(32);
    expect(hex(mac(key))).toBe('48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49');
    expect(hex(mac(key, Uint8Array.of(0)))).toBe('40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1');
    expect(hex(mac(key, range(255)))).toBe('3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd');
  });

  it('agrees with node:crypto (unkeyed) and the RFC 7693 reference (keyed) on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1, maxLength: 32 }), (data, key) => {
        expect(hex(hash(data))).toBe(createHash('blake2s256').update(data).digest('hex'));
        expect(hex(mac(key, data))).toBe(hex(referenceBlake2s(data, key)));
      }),
      { numRuns: 150 },
    );
  });

  it('truncates the 32-byte MAC for MAC1/MAC2 instead of using a 16-byte digest (editor\'s note 2)', () => {
    const key = range(32);
    const data = ascii('message body');
    const truncated = mac(key, data).slice(0, 16);
    expect(hex(truncated)).toBe(hex(referenceBlake2s(data, key).slice(0, 16)));
    expect(hex(truncated)).not.toBe(hex(referenceBlake2s(data, key, 16)));
  });

  it('refuses MAC keys outside 1..32 bytes', () => {
    expect(() => mac(new Uint8Array(0), ascii('x'))).toThrow(/1\.\.32/);
    expect(() => mac(new Uint8Array(33), ascii('x'))).toThrow(/1\.\.32/);
  });
});

describe('KDF (spec 2.1, editor\'s note 5)', () => {
  /** spec 2.1 written out with the reference BLAKE2s. */
  function referenceKdf(ck: Uint8Array, input: Uint8Array, n: number): string[] {
    const prk = referenceBlake2s(input, ck);
    const out: Uint8Array[] = [];
    let previous: Uint8Array = new Uint8Array(0);
    for (let i = 1; i <= n; i++) {
      previous = referenceBlake2s(Uint8Array.from([...previous, i]), prk);
      out.push(previous);
    }
    return out.map(hex);
  }

  it('derives T1, T2, T3 exactly as spec 2.1 describes, for empty and non-empty input', () => {
    const ck = range(32);
    for (const input of [new Uint8Array(0), ascii('dh output'), range(100)]) {
      expect(kdf2(ck, input).map(hex)).toEqual(referenceKdf(ck, input, 2));
      expect(kdf3(ck, input).map(hex)).toEqual(referenceKdf(ck, input, 3));
    }
  });

  it('chains from the published prk: kdf2(0x00..0x1f, empty) starts from the blake2s-kat value', () => {
    const [t1, t2] = kdf2(range(32), new Uint8Array(0));
    // prk = MAC(ck, empty) is the blake2s-kat value above; T1 = MAC(prk, 0x01).
    expect(hex(t1)).toBe(hex(referenceBlake2s(Uint8Array.of(1), fromHex('48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49'))));
    expect(hex(t2)).toBe(
      hex(referenceBlake2s(Uint8Array.from([...t1, 2]), fromHex('48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49'))),
    );
  });

  it('kdf3 extends kdf2 and matches the reference for arbitrary keys and inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 100 }), (ck, input) => {
        const [a1, a2] = kdf2(ck, input);
        const [b1, b2, b3] = kdf3(ck, input);
        expect([hex(a1), hex(a2)]).toEqual([hex(b1), hex(b2)]);
        expect([hex(b1), hex(b2), hex(b3)]).toEqual(referenceKdf(ck, input, 3));
      }),
      { numRuns: 60 },
    );
  });
});

describe('ChaCha20-Poly1305 (RFC 8439)', () => {
  // RFC 8439 section 2.8.2.
  const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = fromHex('070000004041424344454647');
  const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = ascii(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const ciphertext =
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
    '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
    '3ff4def08e4b7a9de576d26586cec64b6116';
  const tag = '1ae10b594f09e26a7e902ecbd0600691';

  it('reproduces the section 2.8.2 vector with node:crypto, @noble and libsodium', () => {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const nodeOut = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    expect(nodeOut.toString('hex') + cipher.getAuthTag().toString('hex')).toBe(ciphertext + tag);
    expect(hex(chacha20poly1305(key, nonce, aad).encrypt(plaintext))).toBe(ciphertext + tag);
    if (native !== null) {
      const sodium = createRequire(import.meta.url)('sodium-native');
      const out = new Uint8Array(plaintext.length + 16);
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, aad, null, nonce, key);
      expect(hex(out)).toBe(ciphertext + tag);
    }
  });

  /** node:crypto (OpenSSL) with the spec 2.3 nonce: an implementation neither suite uses. */
  function opensslSeal(k: Uint8Array, counter: number, plain: Uint8Array, ad: Uint8Array): string {
    const n = new Uint8Array(12);
    new DataView(n.buffer).setBigUint64(4, BigInt(counter), true);
    const c = createCipheriv('chacha20-poly1305', k, n, { authTagLength: 16 });
    c.setAAD(ad, { plaintextLength: plain.length });
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]).toString('hex');
  }

  for (const suite of suites) {
    it(`${suite.name}: aeadSeal uses nonce = 4 zero bytes || counter LE (spec 2.3) and matches OpenSSL`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1, 2 ** 32, 2 ** 53 - 1)),
          fc.uint8Array({ maxLength: 200 }),
          fc.uint8Array({ maxLength: 40 }),
          (k, counter, plain, ad) => {
            const sealed = suite.aeadSeal(k, counter, plain, ad);
            expect(hex(sealed)).toBe(opensslSeal(k, counter, plain, ad));
            expect(hex(suite.aeadOpen(k, counter, sealed, ad) as Uint8Array)).toBe(hex(plain));
          },
        ),
        { numRuns: 100 },
      );
    });

    it(`${suite.name}: aeadOpen returns null for a wrong key, counter, AAD, tag or a short input`, () => {
      const k = range(32);
      const ad = ascii('h');
      const sealed = suite.aeadSeal(k, 7, ascii('secret'), ad);
      expect(suite.aeadOpen(k, 8, sealed, ad)).toBeNull();
      expect(suite.aeadOpen(range(32).reverse(), 7, sealed, ad)).toBeNull();
      expect(suite.aeadOpen(k, 7, sealed, ascii('x'))).toBeNull();
      for (let i = 0; i < sealed.length; i++) {
        const bad = sealed.slice();
        bad[i] ^= 0x01;
        expect(suite.aeadOpen(k, 7, bad, ad)).toBeNull();
      }
      expect(suite.aeadOpen(k, 7, sealed.subarray(0, 15), ad)).toBeNull();
      expect(new TextDecoder().decode(suite.aeadOpen(k, 7, sealed, ad) as Uint8Array)).toBe('secret');
    });

    it(`${suite.name}: rejects bad keys and counters with InvalidArgumentError`, () => {
      expect(() => suite.aeadSeal(new Uint8Array(31), 0, ascii('x'), new Uint8Array(0))).toThrow(/32-byte/);
      expect(() => suite.aeadSeal(range(32), -1, ascii('x'), new Uint8Array(0))).toThrow(/counter/);
      expect(() => suite.aeadSeal(range(32), 2 ** 53, ascii('x'), new Uint8Array(0))).toThrow(/counter/);
      expect(() => suite.aeadSeal(range(32), 1.5, ascii('x'), new Uint8Array(0))).toThrow(/counter/);
    });
  }
});

describe('X25519 (RFC 7748)', () => {
  const alicePrivate = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const alicePublic = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
  const bobPrivate = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const bobPublic = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

  /** node:crypto's X25519 (OpenSSL) from raw keys, via the fixed PKCS#8 / SPKI prefixes. */
  function opensslDh(privateKey: Uint8Array, publicKey: Uint8Array): string {
    const priv = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), privateKey]),
      format: 'der',
      type: 'pkcs8',
    });
    const pub = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), publicKey]),
      format: 'der',
      type: 'spki',
    });
    return diffieHellman({ privateKey: priv, publicKey: pub }).toString('hex');
  }

  it('node:crypto agrees with the section 6.1 vector (sanity check of the cross-check)', () => {
    expect(opensslDh(alicePrivate, fromHex(bobPublic))).toBe(shared);
  });

  for (const suite of suites) {
    it(`${suite.name}: reproduces the section 6.1 public keys and shared secret`, () => {
      expect(hex(suite.publicKey(alicePrivate))).toBe(alicePublic);
      expect(hex(suite.publicKey(bobPrivate))).toBe(bobPublic);
      expect(hex(suite.dh(alicePrivate, fromHex(bobPublic)) as Uint8Array)).toBe(shared);
      expect(hex(suite.dh(bobPrivate, fromHex(alicePublic)) as Uint8Array)).toBe(shared);
    });

    it(`${suite.name}: generates clamped key pairs whose DH agrees with OpenSSL`, () => {
      for (let i = 0; i < 10; i++) {
        const a = suite.generateKeyPair();
        const b = suite.generateKeyPair();
        expect(a.privateKey[0] & 7).toBe(0);
        expect(a.privateKey[31] & 0x80).toBe(0);
        expect(a.privateKey[31] & 0x40).toBe(0x40);
        expect(hex(a.publicKey)).toBe(hex(suite.publicKey(a.privateKey)));
        const ab = suite.dh(a.privateKey, b.publicKey) as Uint8Array;
        expect(hex(ab)).toBe(hex(suite.dh(b.privateKey, a.publicKey) as Uint8Array));
        expect(hex(ab)).toBe(opensslDh(a.privateKey, b.publicKey));
      }
    });

    it(`${suite.name}: rejects low-order public keys with null (spec 2)`, () => {
      const lowOrder = [
        '0000000000000000000000000000000000000000000000000000000000000000', // u = 0, order 2
        '0100000000000000000000000000000000000000000000000000000000000000', // u = 1, order 4
        'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
        '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
        'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p - 1, order 4
        'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p, non-canonical 0
        'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p + 1, non-canonical 1
      ];
      const withTopBit = lowOrder.map((text) => {
        const bytes = fromHex(text);
        bytes[31] |= 0x80; // RFC 7748 section 5: the top bit is ignored, so these are the same points
        return hex(bytes);
      });
      const me = suite.generateKeyPair();
      for (const point of [...lowOrder, ...withTopBit]) {
        expect(suite.dh(me.privateKey, fromHex(point)), point).toBeNull();
      }
      expect(suite.dh(alicePrivate, fromHex(bobPublic))).not.toBeNull();
    });

    it(`${suite.name}: throws InvalidArgumentError for keys that are not 32 bytes`, () => {
      expect(() => suite.dh(new Uint8Array(31), range(32))).toThrow(/privateKey/);
      expect(() => suite.dh(range(32), new Uint8Array(33))).toThrow(/publicKey/);
      expect(() => suite.publicKey(new Uint8Array(0))).toThrow(/privateKey/);
    });
  }
});

describe('XChaCha20-Poly1305 (spec 4.3, 6.2)', () => {
  it('matches libsodium crypto_aead_xchacha20poly1305_ietf with empty AAD', () => {
    if (native === null) return;
    const sodium = createRequire(import.meta.url)('sodium-native');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 64 }),
        (key, nonce, plain) => {
          const expected = new Uint8Array(plain.length + 16);
          sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(expected, plain, null, null, nonce, key);
          expect(hex(xSeal(key, nonce, plain))).toBe(hex(expected));
          expect(hex(xOpen(key, nonce, expected) as Uint8Array)).toBe(hex(plain));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('opens only with the right key and nonce, and never throws on arbitrary ciphertext', () => {
    const key = range(32);
    const nonce = range(24);
    const sealed = xSeal(key, nonce, ascii('cookie-16-bytes!'));
    expect(sealed.length).toBe(32);
    expect(new TextDecoder().decode(xOpen(key, nonce, sealed) as Uint8Array)).toBe('cookie-16-bytes!');
    expect(xOpen(range(32).reverse(), nonce, sealed)).toBeNull();
    expect(xOpen(key, range(24).reverse(), sealed)).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(xOpen(key, nonce, bytes)).toBeNull();
      }),
      { numRuns: 200 },
    );
    expect(() => xSeal(new Uint8Array(16), nonce, ascii('x'))).toThrow(/32 bytes/);
    expect(() => xSeal(key, new Uint8Array(12), ascii('x'))).toThrow(/24 bytes/);
  });
});

describe('constantTimeEqual and randomBytes', () => {
  it('compares bytes exactly, including different lengths', () => {
    expect(constantTimeEqual(range(16), range(16))).toBe(true);
    const other = range(16);
    other[15] ^= 1;
    expect(constantTimeEqual(range(16), other)).toBe(false);
    expect(constantTimeEqual(range(16), range(15))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(constantTimeEqual(range(32).subarray(16), Uint8Array.from({ length: 16 }, (_, i) => i + 16))).toBe(true);
  });

  it('returns plain Uint8Arrays of the requested length that differ between calls', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(a.constructor).toBe(Uint8Array);
    expect(a.length).toBe(32);
    expect(hex(a)).not.toBe(hex(b));
    expect(randomBytes(0).length).toBe(0);
    expect(() => randomBytes(-1)).toThrow(/non-negative/);
  });
});

describe('randomBytes pool', () => {
  it('never hands out the same bytes twice and crosses pool refills', async () => {
    const { randomBytes } = await import('../../src/session/crypto/random.js');
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = randomBytes(32);
      expect(b.length).toBe(32);
      const hex = Buffer.from(b).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
    expect(randomBytes(0).length).toBe(0);
    expect(randomBytes(5000).length).toBe(5000);
  });
});
