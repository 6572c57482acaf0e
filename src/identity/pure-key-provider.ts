/** The @noble key provider (see key-provider.ts): portable, slower, byte-identical to native. */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { NODE_ID_BYTES, PUBLIC_KEY_BYTES, SEED_BYTES, SIGNATURE_BYTES } from './constants.js';
import type { DerivedKeys, Ed25519Signer, KeyProvider, SeedHasher } from './key-provider.js';
import {
  ED25519_INFO,
  HKDF_SALT,
  X25519_INFO,
  clampX25519PrivateKey,
  createNodeIdInput,
} from './key-schedule.js';
import { copyBytes } from '../wire/bytes.js';

const { Point } = ed25519;
const ORDER = Point.Fn.ORDER;

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new InvalidArgumentError(`a seed must be ${SEED_BYTES} bytes, got ${seed?.length ?? 'none'}`);
  }
}

function derive(seed: Uint8Array, nodeIdInput: ReturnType<typeof createNodeIdInput>, nodeIdOut: Uint8Array) {
  const prk = extract(sha256, seed, HKDF_SALT);
  const edSeed = expand(sha256, prk, ED25519_INFO, SEED_BYTES);
  const xPrivateKey = expand(sha256, prk, X25519_INFO, SEED_BYTES);
  prk.fill(0);
  clampX25519PrivateKey(xPrivateKey);
  nodeIdInput.ed.set(ed25519.getPublicKey(edSeed));
  nodeIdInput.x.set(x25519.getPublicKey(xPrivateKey));
  nodeIdOut.set(blake2b(nodeIdInput.input, { dkLen: NODE_ID_BYTES }));
  return { edSeed, xPrivateKey };
}

/**
 * Cofactorless Ed25519 verification exactly as libsodium does it, so both providers accept the same
 * set of signatures (noble's own verify uses the cofactored equation, which accepts a few more forged
 * edge cases built from small-order components).
 */
function verifyLikeLibsodium(signature: Uint8Array, message: Uint8Array, edPublicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || edPublicKey.length !== PUBLIC_KEY_BYTES) return false;
  const rBytes = signature.subarray(0, 32);
  const s = bytesToNumberLE(signature.subarray(32, 64));
  if (s >= ORDER) return false;
  let publicPoint;
  let rPoint;
  try {
    publicPoint = Point.fromBytes(edPublicKey, false);
    rPoint = Point.fromBytes(rBytes, false);
  } catch {
    return false;
  }
  if (publicPoint.isSmallOrder() || rPoint.isSmallOrder()) return false;
  const hasher = sha512.create();
  hasher.update(rBytes);
  hasher.update(edPublicKey);
  hasher.update(message);
  const k = bytesToNumberLE(hasher.digest()) % ORDER;
  const check = Point.BASE.multiplyUnsafe(s).subtract(publicPoint.multiplyUnsafe(k)).toBytes();
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= check[i] ^ rBytes[i];
  return diff === 0;
}

export function createPureKeyProvider(): KeyProvider {
  return {
    name: 'pure',

    deriveKeys(seed: Uint8Array): DerivedKeys {
      checkSeed(seed);
      const input = createNodeIdInput();
      const nodeId = new Uint8Array(NODE_ID_BYTES);
      const { edSeed, xPrivateKey } = derive(seed, input, nodeId);
      return { edSeed, edPublicKey: copyBytes(input.ed), xPrivateKey, xPublicKey: copyBytes(input.x), nodeId };
    },

    createSeedHasher(): SeedHasher {
      const input = createNodeIdInput();
      return {
        nodeIdOfSeed(seed: Uint8Array, out: Uint8Array): void {
          const { edSeed, xPrivateKey } = derive(seed, input, out);
          edSeed.fill(0);
          xPrivateKey.fill(0);
        },
        wipe(): void {
          input.input.fill(0);
        },
      };
    },

    createSigner(edSeed: Uint8Array, edPublicKey: Uint8Array): Ed25519Signer {
      if (edSeed.length !== SEED_BYTES || edPublicKey.length !== PUBLIC_KEY_BYTES) {
        throw new InvalidArgumentError('an Ed25519 signer needs a 32-byte seed and a 32-byte public key');
      }
      const derivedPublic = ed25519.getPublicKey(edSeed);
      let mismatch = 0;
      for (let i = 0; i < PUBLIC_KEY_BYTES; i++) mismatch |= derivedPublic[i] ^ edPublicKey[i];
      if (mismatch !== 0) throw new InvalidArgumentError('the Ed25519 public key does not belong to the given seed');
      const secret = copyBytes(edSeed);
      let destroyed = false;
      return {
        sign(message: Uint8Array): Uint8Array {
          if (destroyed) throw new InvalidArgumentError('this signer was destroyed: its key has been zeroed');
          return ed25519.sign(message, secret);
        },
        destroy(): void {
          destroyed = true;
          secret.fill(0);
        },
      };
    },

    verify: verifyLikeLibsodium,

    blake2b256(parts: readonly Uint8Array[], out: Uint8Array): void {
      const hasher = blake2b.create({ dkLen: NODE_ID_BYTES });
      for (const part of parts) hasher.update(part);
      out.set(hasher.digest());
    },
  };
}
