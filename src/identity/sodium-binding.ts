/**
 * The slice of sodium-native that identity uses, loaded lazily so a machine without the prebuilt binary
 * still works (through the pure provider). sodium-native ships no type declarations; this interface
 * names exactly the functions called here, which also keeps this folder independent of any ambient
 * module declaration another folder may add.
 */
import { createRequire } from 'node:module';

export interface SodiumIdentityBinding {
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_scalarmult_base(publicKey: Uint8Array, privateKey: Uint8Array): void;
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
  crypto_generichash_batch(out: Uint8Array, inputs: readonly Uint8Array[], key?: Uint8Array): void;
  crypto_hash_sha256_init(state: Uint8Array): void;
  crypto_hash_sha256_update(state: Uint8Array, input: Uint8Array): void;
  crypto_hash_sha256_final(state: Uint8Array, out: Uint8Array): void;
  readonly crypto_hash_sha256_STATEBYTES: number;
}

let cached: SodiumIdentityBinding | null | undefined;

/** sodium-native, or null when its binary cannot load on this machine. Cached after the first call. */
export function loadSodium(): SodiumIdentityBinding | null {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    cached = require('sodium-native') as SodiumIdentityBinding;
  } catch {
    cached = null;
  }
  return cached;
}
