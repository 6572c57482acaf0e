import { hkdfSync } from 'node:crypto';
import { inspect } from 'node:util';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  Identity,
  formatNodeId,
  keyProviderByName,
  nativeKeyProvider,
  pureKeyProvider,
  type KeyProvider,
} from '../../src/identity/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const SEED_0_TO_31 = Uint8Array.from({ length: 32 }, (_, i) => i);
const native = nativeKeyProvider();
const providers: KeyProvider[] = native ? [native, pureKeyProvider()] : [pureKeyProvider()];

/** The documented key schedule, rebuilt from different libraries (node:crypto HKDF, noble curves). */
function referenceKeys(seed: Uint8Array) {
  const okm = (label: string) => new Uint8Array(hkdfSync('sha256', seed, ascii('wiremesh/v1/identity'), ascii(label), 32));
  const edSeed = okm('wiremesh/v1/ed25519');
  const xPrivateKey = okm('wiremesh/v1/x25519');
  xPrivateKey[0] &= 248;
  xPrivateKey[31] &= 127;
  xPrivateKey[31] |= 64;
  const edPublicKey = ed25519.getPublicKey(edSeed);
  const xPublicKey = x25519.getPublicKey(xPrivateKey);
  const input = new Uint8Array([...ascii('wiremesh/v1/node-id'), ...edPublicKey, ...xPublicKey]);
  return { edSeed, edPublicKey, xPrivateKey, xPublicKey, nodeId: blake2b(input, { dkLen: 32 }) };
}

describe('key derivation', () => {
  it('pins the keys of seed 00..1f (a change here changes every identity)', () => {
    for (const provider of providers) {
      const keys = provider.deriveKeys(SEED_0_TO_31);
      expect(hex(keys.edSeed)).toBe('26544b208b891d98cda04f5ddbd28a7dddb255e3428bceb98d126489737993e1');
      expect(hex(keys.edPublicKey)).toBe('223e2c9b7bf3ec66ae8d3ec1dd4fb9bf62890a38c226cde30935267495bc66c6');
      expect(hex(keys.xPrivateKey)).toBe('8805b95e66b8a1cb3d174be83dbab542216a58fa9459cd30b392f1746d4d1e6e');
      expect(hex(keys.xPublicKey)).toBe('e75e8bb4b22129d13803bb446676fafb0af67961390af95106590b75ddfbf128');
      expect(hex(keys.nodeId)).toBe('10d9f77bc6321ab3bab1492ccfcaab956e1ad20eb10cb48c34ba8f34b1cfa9aa');
    }
  });

  it('follows the documented schedule for random seeds (independent reference)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const expected = referenceKeys(seed);
        for (const provider of providers) {
          const keys = provider.deriveKeys(seed);
          expect(hex(keys.edSeed)).toBe(hex(expected.edSeed));
          expect(hex(keys.edPublicKey)).toBe(hex(expected.edPublicKey));
          expect(hex(keys.xPrivateKey)).toBe(hex(expected.xPrivateKey));
          expect(hex(keys.xPublicKey)).toBe(hex(expected.xPublicKey));
          expect(hex(keys.nodeId)).toBe(hex(expected.nodeId));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('clamps the X25519 private key per RFC 7748 and keeps the two keys independent', () => {
    const keys = pureKeyProvider().deriveKeys(SEED_0_TO_31);
    expect(keys.xPrivateKey[0] & 7).toBe(0);
    expect(keys.xPrivateKey[31] & 0x80).toBe(0);
    expect(keys.xPrivateKey[31] & 0x40).toBe(0x40);
    expect(hex(keys.xPrivateKey)).not.toBe(hex(keys.edSeed));
    // The X25519 key is not the Ed25519 key converted (the usual birational shortcut).
    expect(hex(keys.xPublicKey)).not.toBe(hex(ed25519.utils.toMontgomery(keys.edPublicKey)));
  });

  it.skipIf(!native)('native and pure seed hashers give the same NodeIDs as deriveKeys', () => {
    const nativeHasher = native!.createSeedHasher();
    const pureHasher = pureKeyProvider().createSeedHasher();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const a = new Uint8Array(32);
        const b = new Uint8Array(32);
        nativeHasher.nodeIdOfSeed(seed, a);
        pureHasher.nodeIdOfSeed(seed, b);
        expect(hex(a)).toBe(hex(b));
        expect(hex(a)).toBe(hex(native!.deriveKeys(seed).nodeId));
      }),
      { numRuns: 25 },
    );
  });

  it('rejects seeds that are not 32 bytes', () => {
    for (const provider of providers) {
      expect(() => provider.deriveKeys(new Uint8Array(31))).toThrow(InvalidArgumentError);
      expect(() => provider.deriveKeys(new Uint8Array(33))).toThrow(InvalidArgumentError);
    }
    expect(() => Identity.fromSeed(new Uint8Array(16))).toThrow(/a seed must be 32 bytes, got 16/);
  });

  it("refuses 'native' by name only when sodium-native is missing", () => {
    if (native) expect(keyProviderByName('native').name).toBe('native');
    else expect(() => keyProviderByName('native')).toThrow(InvalidArgumentError);
    expect(keyProviderByName('pure').name).toBe('pure');
    expect(keyProviderByName('auto').name).toBe(native ? 'native' : 'pure');
  });
});

describe('Identity', () => {
  const message = ascii('hello');

  it('exposes the derived keys and signs deterministically, identically on both providers', () => {
    const signatures = providers.map((provider) => {
      const identity = Identity.fromSeed(SEED_0_TO_31, { provider: provider.name });
      expect(identity.provider).toBe(provider.name);
      expect(hex(identity.seed)).toBe(hex(SEED_0_TO_31));
      expect(hex(identity.nodeId)).toBe('10d9f77bc6321ab3bab1492ccfcaab956e1ad20eb10cb48c34ba8f34b1cfa9aa');
      expect(identity.leadingZeroBits).toBe(3);
      return hex(identity.sign('wiremesh/v1/test', message));
    });
    expect(new Set(signatures).size).toBe(1);
    expect(signatures[0]).toBe(
      '12edc93f82c52d04895b78e43a06c4a920e27fb99ebbfc5d2554d95b7bfabf5553412d04302b6fa24143ab08e4bd7fc51e92d956623ed18b95a005286cfb3d0a',
    );
  });

  it('signs BLAKE2b-256(domain || 0x00 || message) with Ed25519', () => {
    const identity = Identity.fromSeed(SEED_0_TO_31);
    const digest = blake2b(new Uint8Array([...ascii('wiremesh/v1/test'), 0, ...message]), { dkLen: 32 });
    const signature = identity.sign('wiremesh/v1/test', message);
    expect(ed25519.verify(signature, digest, identity.edPublicKey)).toBe(true);
  });

  it('verifies its own signatures and nothing else, on both providers', () => {
    const identity = Identity.generate();
    const other = Identity.generate();
    const signature = identity.sign('wiremesh/v1/identify', message);
    for (const provider of providers) {
      expect(Identity.verify('wiremesh/v1/identify', message, signature, identity.edPublicKey, provider)).toBe(true);
      expect(Identity.verify('wiremesh/v1/hello', message, signature, identity.edPublicKey, provider)).toBe(false);
      expect(Identity.verify('wiremesh/v1/identify', ascii('hellO'), signature, identity.edPublicKey, provider)).toBe(false);
      expect(Identity.verify('wiremesh/v1/identify', message, signature, other.edPublicKey, provider)).toBe(false);
      expect(Identity.verify('wiremesh/v1/identify', message, signature.subarray(0, 63), identity.edPublicKey, provider)).toBe(false);
      expect(Identity.verify('wiremesh/v1/identify', message, signature, identity.edPublicKey.subarray(1), provider)).toBe(false);
    }
  });

  it('both providers agree on mutated signatures', () => {
    const identity = Identity.generate();
    const signature = identity.sign('wiremesh/v1/test', message);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const mutated = signature.slice();
        mutated[index] ^= flip;
        const verdicts = providers.map((p) => Identity.verify('wiremesh/v1/test', message, mutated, identity.edPublicKey, p));
        expect(new Set(verdicts).size).toBe(1);
        expect(verdicts[0]).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses the small-order forgery that cofactored (ZIP-215) verification accepts', () => {
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1;
    const forged = new Uint8Array(64);
    forged.set(identityPoint, 0); // R = identity, S = 0
    expect(ed25519.verify(forged, message, identityPoint, { zip215: true })).toBe(true);
    for (const provider of providers) expect(provider.verify(forged, message, identityPoint)).toBe(false);
  });

  it('agrees with libsodium on keys with a small-order component (cofactorless rule)', () => {
    const { Point } = ed25519;
    const order = Point.Fn.ORDER;
    // A point of order 8 (from the libsodium small-order blocklist).
    const torsion = Point.fromBytes(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex'));
    expect(torsion.isSmallOrder()).toBe(true);
    expect(torsion.double().double().is0()).toBe(false);
    const { scalar } = ed25519.utils.getExtendedPublicKey(SEED_0_TO_31);
    const mixedPublic = Point.BASE.multiply(scalar).add(torsion).toBytes();
    const r = 123456789n;
    const rBytes = Point.BASE.multiply(r).toBytes();
    const verdicts: boolean[] = [];
    for (let i = 0; i < 64; i++) {
      const msg = ascii(`message ${i}`);
      const k = bytesToNumberLE(sha512(new Uint8Array([...rBytes, ...mixedPublic, ...msg]))) % order;
      const s = (r + k * scalar) % order;
      const signature = new Uint8Array([...rBytes, ...numberToBytesLE(s, 32)]);
      // Cofactored verification accepts every one of these; libsodium only when k * torsion = 0.
      expect(ed25519.verify(signature, msg, mixedPublic)).toBe(true);
      const perProvider = providers.map((p) => p.verify(signature, msg, mixedPublic));
      expect(new Set(perProvider).size).toBe(1);
      expect(perProvider[0]).toBe(k % 8n === 0n);
      verdicts.push(perProvider[0]);
    }
    expect(verdicts).toContain(true);
    expect(verdicts).toContain(false);
  });

  it('rejects invalid signature domains', () => {
    const identity = Identity.generate();
    for (const domain of ['', 'has space', 'nul\u0000inside', 'ü', 'x'.repeat(256)]) {
      expect(() => identity.sign(domain, message)).toThrow(InvalidArgumentError);
      expect(() => Identity.verify(domain, message, new Uint8Array(64), identity.edPublicKey)).toThrow(InvalidArgumentError);
    }
  });

  it('destroy zeroes the secrets, is idempotent, and disables signing', () => {
    const identity = Identity.fromSeed(SEED_0_TO_31);
    const nodeId = hex(identity.nodeId);
    identity.destroy();
    identity.destroy();
    expect(identity.destroyed).toBe(true);
    expect(identity.seed.every((b) => b === 0)).toBe(true);
    expect(identity.xPrivateKey.every((b) => b === 0)).toBe(true);
    expect(hex(identity.nodeId)).toBe(nodeId);
    expect(() => identity.sign('wiremesh/v1/test', message)).toThrow(/destroyed/);
  });

  it('copies the seed it is given', () => {
    const seed = SEED_0_TO_31.slice();
    const identity = Identity.fromSeed(seed);
    seed.fill(0);
    expect(hex(identity.seed)).toBe(hex(SEED_0_TO_31));
  });

  it('never shows secrets through JSON or inspect', () => {
    const identity = Identity.fromSeed(SEED_0_TO_31);
    const shown = JSON.stringify(identity) + inspect(identity);
    expect(shown).toContain(formatNodeId(identity.nodeId));
    for (const secret of [identity.seed, identity.xPrivateKey]) {
      expect(shown).not.toContain(hex(secret));
      expect(shown).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(shown).not.toContain('26544b20');
  });
});
