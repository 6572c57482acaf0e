/** The libsodium key provider (see key-provider.ts). */
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
import { NativeHkdfSha256 } from './native-hkdf.js';
import type { SodiumIdentityBinding } from './sodium-binding.js';
import { copyBytes } from '../wire/bytes.js';

const ED25519_SECRET_KEY_BYTES = 64;

/** Seed -> keys with every intermediate in reusable buffers; one instance per loop, not re-entrant. */
class NativeDerivation {
  private readonly hkdf: NativeHkdfSha256;
  private readonly prk = new Uint8Array(32);
  private readonly edSecretKey = new Uint8Array(ED25519_SECRET_KEY_BYTES);
  readonly edSeed = new Uint8Array(SEED_BYTES);
  readonly xPrivateKey = new Uint8Array(SEED_BYTES);
  private readonly nodeIdInput = createNodeIdInput();

  constructor(private readonly sodium: SodiumIdentityBinding) {
    this.hkdf = new NativeHkdfSha256(sodium, HKDF_SALT);
  }

  /** Public keys land in `edPublicKey` / `xPublicKey` views of the NodeID input; returns those views. */
  run(seed: Uint8Array, nodeIdOut: Uint8Array): { edPublicKey: Uint8Array; xPublicKey: Uint8Array } {
    const { sodium, hkdf, prk, edSeed, xPrivateKey, edSecretKey } = this;
    const { input, ed, x } = this.nodeIdInput;
    hkdf.extract(seed, prk);
    hkdf.setPrk(prk);
    hkdf.expand(ED25519_INFO, edSeed);
    hkdf.expand(X25519_INFO, xPrivateKey);
    clampX25519PrivateKey(xPrivateKey);
    sodium.crypto_sign_seed_keypair(ed, edSecretKey, edSeed);
    sodium.crypto_scalarmult_base(x, xPrivateKey);
    sodium.crypto_generichash(nodeIdOut, input);
    return { edPublicKey: ed, xPublicKey: x };
  }

  wipe(): void {
    this.hkdf.wipe();
    this.prk.fill(0);
    this.edSecretKey.fill(0);
    this.edSeed.fill(0);
    this.xPrivateKey.fill(0);
  }
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new InvalidArgumentError(`a seed must be ${SEED_BYTES} bytes, got ${seed?.length ?? 'none'}`);
  }
}

export function createNativeKeyProvider(sodium: SodiumIdentityBinding): KeyProvider {
  const shared = new NativeDerivation(sodium);

  return {
    name: 'native',

    deriveKeys(seed: Uint8Array): DerivedKeys {
      checkSeed(seed);
      const nodeId = new Uint8Array(NODE_ID_BYTES);
      try {
        const { edPublicKey, xPublicKey } = shared.run(seed, nodeId);
        return {
          edSeed: copyBytes(shared.edSeed),
          edPublicKey: copyBytes(edPublicKey),
          xPrivateKey: copyBytes(shared.xPrivateKey),
          xPublicKey: copyBytes(xPublicKey),
          nodeId,
        };
      } finally {
        shared.wipe();
      }
    },

    createSeedHasher(): SeedHasher {
      const derivation = new NativeDerivation(sodium);
      return {
        nodeIdOfSeed: (seed, out) => {
          derivation.run(seed, out);
        },
        wipe: () => derivation.wipe(),
      };
    },

    createSigner(edSeed: Uint8Array, edPublicKey: Uint8Array): Ed25519Signer {
      if (edSeed.length !== SEED_BYTES || edPublicKey.length !== PUBLIC_KEY_BYTES) {
        throw new InvalidArgumentError('an Ed25519 signer needs a 32-byte seed and a 32-byte public key');
      }
      // libsodium's secret key is seed || public key; rebuilding it from the seed also checks the pair.
      const secretKey = new Uint8Array(ED25519_SECRET_KEY_BYTES);
      const derivedPublic = new Uint8Array(PUBLIC_KEY_BYTES);
      sodium.crypto_sign_seed_keypair(derivedPublic, secretKey, edSeed);
      let mismatch = 0;
      for (let i = 0; i < PUBLIC_KEY_BYTES; i++) mismatch |= derivedPublic[i] ^ edPublicKey[i];
      if (mismatch !== 0) {
        secretKey.fill(0);
        throw new InvalidArgumentError('the Ed25519 public key does not belong to the given seed');
      }
      let destroyed = false;
      return {
        sign(message: Uint8Array): Uint8Array {
          if (destroyed) throw new InvalidArgumentError('this signer was destroyed: its key has been zeroed');
          const signature = new Uint8Array(SIGNATURE_BYTES);
          sodium.crypto_sign_detached(signature, message, secretKey);
          return signature;
        },
        destroy(): void {
          destroyed = true;
          secretKey.fill(0);
        },
      };
    },

    verify(signature: Uint8Array, message: Uint8Array, edPublicKey: Uint8Array): boolean {
      if (signature.length !== SIGNATURE_BYTES || edPublicKey.length !== PUBLIC_KEY_BYTES) return false;
      return sodium.crypto_sign_verify_detached(signature, message, edPublicKey);
    },

    blake2b256(parts: readonly Uint8Array[], out: Uint8Array): void {
      if (parts.length === 1) sodium.crypto_generichash(out, parts[0]);
      else sodium.crypto_generichash_batch(out, parts);
    },
  };
}
