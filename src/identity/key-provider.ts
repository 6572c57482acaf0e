/**
 * Two interchangeable implementations of the identity key math (DESIGN "Crypto": native and pure
 * providers). `native` uses sodium-native (libsodium) and is several times faster, which matters for
 * proof-of-work grinding; `pure` uses @noble/* and runs anywhere. Both produce byte-identical keys,
 * NodeIDs and signatures, and accept exactly the same signatures (libsodium's rules).
 */
import { InvalidArgumentError } from '../errors.js';
import { createNativeKeyProvider } from './native-key-provider.js';
import { createPureKeyProvider } from './pure-key-provider.js';
import { loadSodium } from './sodium-binding.js';

export type KeyProviderName = 'native' | 'pure';
/** `auto` picks native when sodium-native loads, else pure. */
export type KeyProviderChoice = KeyProviderName | 'auto';

/** Everything a seed determines. The caller owns these arrays and zeroes the secret ones. */
export interface DerivedKeys {
  /** Secret: the 32-byte Ed25519 signing seed (RFC 8032 private key). */
  readonly edSeed: Uint8Array;
  readonly edPublicKey: Uint8Array;
  /** Secret: the clamped X25519 static private key (the Wiresocket static key). */
  readonly xPrivateKey: Uint8Array;
  readonly xPublicKey: Uint8Array;
  readonly nodeId: Uint8Array;
}

/** The proof-of-work inner loop: seed -> NodeID with buffers reused between calls. */
export interface SeedHasher {
  /** Writes the NodeID of `seed` (32 bytes) into `out` (32 bytes). */
  nodeIdOfSeed(seed: Uint8Array, out: Uint8Array): void;
  /** Zeroes every buffer that held secret material. The hasher stays usable. */
  wipe(): void;
}

/** Signs with one Ed25519 key; holds a private copy of the key until `destroy`. */
export interface Ed25519Signer {
  /** The 64-byte Ed25519 signature of `message` (deterministic, RFC 8032). */
  sign(message: Uint8Array): Uint8Array;
  /** Zeroes the key; `sign` throws afterwards. */
  destroy(): void;
}

export interface KeyProvider {
  readonly name: KeyProviderName;
  /** Derives all keys and the NodeID from a 32-byte seed (see key-schedule.ts for the exact steps). */
  deriveKeys(seed: Uint8Array): DerivedKeys;
  createSeedHasher(): SeedHasher;
  createSigner(edSeed: Uint8Array, edPublicKey: Uint8Array): Ed25519Signer;
  /**
   * Ed25519 verification with libsodium's rules: S must be canonical, A and R must not be of small
   * order, and the check is the cofactorless [S]B - [k]A == R. Malformed lengths return false.
   */
  verify(signature: Uint8Array, message: Uint8Array, edPublicKey: Uint8Array): boolean;
  /** BLAKE2b-256 of the concatenation of `parts` into `out` (32 bytes), without concatenating. */
  blake2b256(parts: readonly Uint8Array[], out: Uint8Array): void;
}

let native: KeyProvider | null | undefined;
let pure: KeyProvider | undefined;

/** The libsodium provider, or null when sodium-native cannot load here. */
export function nativeKeyProvider(): KeyProvider | null {
  if (native === undefined) {
    const sodium = loadSodium();
    native = sodium ? createNativeKeyProvider(sodium) : null;
  }
  return native;
}

/** The @noble provider; always available. */
export function pureKeyProvider(): KeyProvider {
  pure ??= createPureKeyProvider();
  return pure;
}

/** Native when it loads, else pure. */
export function defaultKeyProvider(): KeyProvider {
  return nativeKeyProvider() ?? pureKeyProvider();
}

/** Picks a provider by name; asking for `native` where sodium-native cannot load is an error. */
export function keyProviderByName(choice: KeyProviderChoice): KeyProvider {
  switch (choice) {
    case 'auto':
      return defaultKeyProvider();
    case 'pure':
      return pureKeyProvider();
    case 'native': {
      const provider = nativeKeyProvider();
      if (!provider) {
        throw new InvalidArgumentError(
          "the native key provider is unavailable: sodium-native did not load on this machine; use 'pure' or 'auto'",
        );
      }
      return provider;
    }
    default:
      throw new InvalidArgumentError(`unknown key provider '${String(choice)}': use 'native', 'pure' or 'auto'`);
  }
}
