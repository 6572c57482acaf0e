/**
 * The `native` provider: libsodium through sodium-native for X25519 and ChaCha20-Poly1305 (DESIGN: Crypto).
 * sodium-native is loaded lazily with require so that a missing or broken binary yields `null` (and the
 * caller falls back to `pure`) instead of failing the import of this module.
 */
import { createRequire } from 'node:module';
import { InvalidArgumentError } from '../../errors.js';
import { AEAD_NONCE_SIZE, AEAD_TAG_SIZE, KEY_SIZE } from './constants.js';
import { isValidCounter, writeAeadNonce } from './nonce.js';
import { randomBytes } from './random.js';
import { assertKeySize, clampPrivateKey, type CryptoSuite, type KeyPair, type TransportCipher } from './suite.js';
import { TransportCipherBase } from './transport-cipher.js';
import { nativeAddon, type NativeAddon, type NativeAeadKey } from '../native-addon.js';

/** The part of sodium-native this provider calls (the package ships no type declarations). */
export interface SodiumBinding {
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_aead_chacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    nsec: null,
    c: Uint8Array,
    ad: Uint8Array | null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    c: Uint8Array,
    mac: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_decrypt_detached(
    m: Uint8Array,
    nsec: null,
    c: Uint8Array,
    mac: Uint8Array,
    ad: Uint8Array | null,
    npub: Uint8Array,
    k: Uint8Array,
  ): void;
}

/**
 * Authenticated in-place decryption of `data` against `tag`; false (and `data` zeroed by libsodium) when
 * the tag does not match. Never throws.
 */
export type OpenDetached = (data: Uint8Array, tag: Uint8Array, nonce: Uint8Array, key: Uint8Array) => boolean;

interface LoadedSodium {
  sodium: SodiumBinding;
  openDetached: OpenDetached;
}

/** The addon's raw function: returns libsodium's status instead of throwing like the public wrapper. */
interface RawDecryptDetached {
  crypto_aead_chacha20poly1305_ietf_decrypt_detached(
    m: Uint8Array,
    c: Uint8Array,
    mac: Uint8Array,
    ad: undefined,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
}

let loaded: LoadedSodium | null | undefined;

/** sodium-native, or null when it cannot be loaded on this platform. Loaded once. */
function loadSodium(): LoadedSodium | null {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const sodium = require('sodium-native') as SodiumBinding;
    // A smoke test: a binary that loads but cannot compute X25519 is as good as absent.
    const probe = new Uint8Array(KEY_SIZE);
    sodium.crypto_scalarmult_base(probe, clampPrivateKey(new Uint8Array(KEY_SIZE).fill(1)));
    loaded = { sodium, openDetached: rawOpenDetached(require, sodium) ?? wrappedOpenDetached(sodium) };
  } catch {
    loaded = null;
  }
  return loaded;
}

/**
 * The public wrapper throws on a bad tag, and a thrown Error costs several times the decryption itself:
 * forged packets would be the expensive ones. sodium-native's addon function returns the status instead.
 * It is not a documented entry point, so it is used only when it behaves exactly as expected on a probe;
 * otherwise the caller falls back to the wrapper.
 */
export function rawOpenDetached(require: NodeJS.Require, sodium: SodiumBinding): OpenDetached | null {
  try {
    const raw = require('sodium-native/binding.js') as Partial<RawDecryptDetached>;
    if (typeof raw.crypto_aead_chacha20poly1305_ietf_decrypt_detached !== 'function') return null;
    const decrypt = raw.crypto_aead_chacha20poly1305_ietf_decrypt_detached.bind(raw);
    const key = new Uint8Array(KEY_SIZE).fill(7);
    const nonce = new Uint8Array(AEAD_NONCE_SIZE);
    const data = Uint8Array.of(1, 2, 3, 4, 5);
    const tag = new Uint8Array(AEAD_TAG_SIZE);
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(data, tag, data, null, null, nonce, key);
    const forged = data.slice();
    const forgedTag = tag.slice();
    forgedTag[0] ^= 1;
    if (decrypt(forged, forged, forgedTag, undefined, nonce, key) === 0) return null;
    if (decrypt(data, data, tag, undefined, nonce, key) !== 0) return null;
    if (data.join() !== '1,2,3,4,5') return null;
    return (d, t, n, k) => decrypt(d, d, t, undefined, n, k) === 0;
  } catch {
    return null;
  }
}

/** The fallback through the public wrapper (exported for the tests, like rawOpenDetached). */
export function wrappedOpenDetached(sodium: SodiumBinding): OpenDetached {
  return (data, tag, nonce, key) => {
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(data, null, data, tag, null, nonce, key);
      return true;
    } catch {
      return false;
    }
  };
}

class NativeTransportCipher extends TransportCipherBase {
  constructor(
    private readonly sodium: SodiumBinding,
    private readonly openDetached: OpenDetached,
    key: Uint8Array,
  ) {
    super(key);
  }

  protected seal(data: Uint8Array, tag: Uint8Array): void {
    // libsodium allows c == m for in-place encryption.
    this.sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(data, tag, data, null, null, this.nonce, this.key);
  }

  protected open(data: Uint8Array, tag: Uint8Array): boolean {
    // libsodium verifies the tag before decrypting, and zeroes `data` when it does not match.
    return this.openDetached(data, tag, this.nonce, this.key);
  }
}

/**
 * The transport AEAD through wiremesh's own addon when it loaded (native-addon.ts): the same RFC 8439
 * ChaCha20-Poly1305, byte-identical (checked by the addon's self-test and the suite tests), with OpenSSL's
 * vectorised ChaCha20 and Poly1305 and no views or wrapper per packet. Measured per 1200-byte packet on
 * the 2-core machine: 0.83 us against 1.22 us through sodium-native (docs/decisions.md).
 */
class AddonTransportCipher extends TransportCipherBase {
  private readonly addonKey: NativeAeadKey;

  constructor(
    private readonly addon: NativeAddon,
    key: Uint8Array,
  ) {
    super(key);
    this.addonKey = addon.aeadKey(this.key);
  }

  protected seal(): void {
    throw new Error('unreachable: sealRegion is overridden');
  }

  protected open(): boolean {
    return false;
  }

  protected override sealRegion(counter: number, buf: Uint8Array, offset: number, length: number): void {
    this.addon.aeadSeal(this.addonKey, counter, buf, offset, length);
  }

  protected override openRegion(counter: number, buf: Uint8Array, offset: number, length: number): number {
    return this.addon.aeadOpen(this.addonKey, counter, buf, offset, length);
  }

  override destroy(): void {
    super.destroy();
    this.addon.aeadDestroy(this.addonKey);
  }
}

class NativeSuite implements CryptoSuite {
  readonly name = 'native' as const;
  /** Scratch nonce for the (synchronous) one-shot AEAD calls of the handshake. */
  private readonly nonce = new Uint8Array(AEAD_NONCE_SIZE);
  /** wiremesh's addon when it loaded with OpenSSL's X25519 (faster than libsodium's here), else null. */
  private readonly x25519Addon: NativeAddon | null;

  constructor(
    private readonly sodium: SodiumBinding,
    private readonly openDetached: OpenDetached,
  ) {
    const addon = nativeAddon();
    this.x25519Addon = addon !== null && addon.hasX25519() ? addon : null;
  }

  generateKeyPair(): KeyPair {
    const privateKey = clampPrivateKey(randomBytes(KEY_SIZE));
    return { privateKey, publicKey: this.publicKey(privateKey) };
  }

  publicKey(privateKey: Uint8Array): Uint8Array {
    assertKeySize(privateKey, 'privateKey');
    const out = new Uint8Array(KEY_SIZE);
    // crypto_scalarmult_base clamps a copy of the scalar itself (RFC 7748 section 5).
    this.sodium.crypto_scalarmult_base(out, privateKey);
    return out;
  }

  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
    assertKeySize(privateKey, 'privateKey');
    assertKeySize(publicKey, 'publicKey');
    const out = new Uint8Array(KEY_SIZE);
    const addon = this.x25519Addon;
    if (addon !== null) {
      // OpenSSL's ladder (native-addon.ts): all zeros exactly for the small-order points libsodium refuses.
      if (addon.x25519(out, privateKey, publicKey)) return out;
      out.fill(0);
      return null;
    }
    try {
      // spec 2: libsodium refuses low-order points before the ladder and all-zero results after it.
      this.sodium.crypto_scalarmult(out, privateKey, publicKey);
      return out;
    } catch {
      out.fill(0);
      return null;
    }
  }

  aeadSeal(key: Uint8Array, counter: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    this.prepare(key, counter);
    const out = new Uint8Array(plaintext.length + AEAD_TAG_SIZE);
    this.sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, aad, null, this.nonce, key);
    return out;
  }

  aeadOpen(key: Uint8Array, counter: number, ciphertextWithTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    this.prepare(key, counter);
    if (ciphertextWithTag.length < AEAD_TAG_SIZE) return null;
    const out = new Uint8Array(ciphertextWithTag.length - AEAD_TAG_SIZE);
    try {
      this.sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, ciphertextWithTag, aad, this.nonce, key);
      return out;
    } catch {
      return null;
    }
  }

  transportCipher(key: Uint8Array): TransportCipher {
    const addon = nativeAddon();
    return addon !== null ? new AddonTransportCipher(addon, key) : new NativeTransportCipher(this.sodium, this.openDetached, key);
  }

  private prepare(key: Uint8Array, counter: number): void {
    assertKeySize(key, 'AEAD key');
    if (!isValidCounter(counter)) throw new InvalidArgumentError(`counter must be an integer in 0..2^53-1, got ${counter}`);
    writeAeadNonce(this.nonce, counter);
  }
}

let suite: CryptoSuite | null | undefined;

/** The sodium-native provider, or null when sodium-native does not load here. Cached. */
export function nativeSuite(): CryptoSuite | null {
  if (suite === undefined) {
    const lib = loadSodium();
    suite = lib === null ? null : new NativeSuite(lib.sodium, lib.openDetached);
  }
  return suite;
}
