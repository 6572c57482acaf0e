/**
 * HKDF-SHA256 (RFC 5869) on libsodium's SHA-256, for the proof-of-work hot loop.
 *
 * Why not @noble/hashes hkdf here: each grind attempt runs one Extract and two Expands, and in pure JS that
 * is about 40 % of a native attempt. This class precomputes the HMAC pads once per key and copies hash
 * states instead of re-hashing them, and it allocates nothing per call. Its output is byte-identical to
 * @noble/hashes hkdf (test/identity/native-hkdf.test.ts checks RFC 5869 vectors and random inputs), which
 * stays the reference and the pure-provider path.
 */
import type { SodiumIdentityBinding } from './sodium-binding.js';

const SHA256_BLOCK_BYTES = 64;
const SHA256_BYTES = 32;
const IPAD = 0x36;
const OPAD = 0x5c;

/** HMAC-SHA256 with a key that is set once and reused for many messages. */
class NativeHmacSha256 {
  private readonly innerState: Uint8Array;
  private readonly outerState: Uint8Array;
  private readonly work: Uint8Array;
  private readonly pad = new Uint8Array(SHA256_BLOCK_BYTES);
  private readonly innerDigest = new Uint8Array(SHA256_BYTES);

  constructor(private readonly sodium: SodiumIdentityBinding) {
    const size = sodium.crypto_hash_sha256_STATEBYTES;
    this.innerState = new Uint8Array(size);
    this.outerState = new Uint8Array(size);
    this.work = new Uint8Array(size);
  }

  /** RFC 2104: keys longer than a block are hashed first; shorter ones are zero-padded. */
  setKey(key: Uint8Array): void {
    const { sodium, pad } = this;
    pad.fill(0);
    if (key.length > SHA256_BLOCK_BYTES) {
      sodium.crypto_hash_sha256_init(this.work);
      sodium.crypto_hash_sha256_update(this.work, key);
      sodium.crypto_hash_sha256_final(this.work, pad.subarray(0, SHA256_BYTES));
    } else {
      pad.set(key);
    }
    for (let i = 0; i < SHA256_BLOCK_BYTES; i++) pad[i] ^= IPAD;
    sodium.crypto_hash_sha256_init(this.innerState);
    sodium.crypto_hash_sha256_update(this.innerState, pad);
    for (let i = 0; i < SHA256_BLOCK_BYTES; i++) pad[i] ^= IPAD ^ OPAD;
    sodium.crypto_hash_sha256_init(this.outerState);
    sodium.crypto_hash_sha256_update(this.outerState, pad);
    pad.fill(0);
  }

  /** Starts a message under the current key; follow with `update` calls and one `finish`. */
  begin(): void {
    this.work.set(this.innerState);
  }

  update(part: Uint8Array): void {
    this.sodium.crypto_hash_sha256_update(this.work, part);
  }

  /** Writes the 32-byte tag into `out`. */
  finish(out: Uint8Array): void {
    const { sodium, work } = this;
    sodium.crypto_hash_sha256_final(work, this.innerDigest);
    work.set(this.outerState);
    sodium.crypto_hash_sha256_update(work, this.innerDigest);
    sodium.crypto_hash_sha256_final(work, out);
  }

  /** Zeroes the message-dependent state; the key pads stay. */
  clearMessage(): void {
    this.work.fill(0);
    this.innerDigest.fill(0);
  }

  /** Zeroes everything, key pads included; call `setKey` before the next use. */
  wipe(): void {
    this.innerState.fill(0);
    this.outerState.fill(0);
    this.clearMessage();
  }
}

/** HKDF-SHA256 with a fixed salt. Not thread-safe, not re-entrant: one instance per loop. */
export class NativeHkdfSha256 {
  private readonly extractMac: NativeHmacSha256;
  private readonly expandMac: NativeHmacSha256;
  private readonly block = new Uint8Array(SHA256_BYTES);
  private readonly counter = new Uint8Array(1);

  constructor(sodium: SodiumIdentityBinding, salt: Uint8Array) {
    this.extractMac = new NativeHmacSha256(sodium);
    this.expandMac = new NativeHmacSha256(sodium);
    // RFC 5869 2.2: an absent salt is HashLen zero bytes; HMAC zero-pads keys, so an empty salt is the same.
    this.extractMac.setKey(salt);
  }

  /** PRK = HMAC(salt, ikm), written into `prkOut` (32 bytes). */
  extract(ikm: Uint8Array, prkOut: Uint8Array): void {
    this.extractMac.begin();
    this.extractMac.update(ikm);
    this.extractMac.finish(prkOut);
  }

  /** Keys the Expand step; call once per PRK, then `expand` for each label. */
  setPrk(prk: Uint8Array): void {
    this.expandMac.setKey(prk);
  }

  /** OKM = T(1) || T(2) || ... truncated to `out.length` (at most 255 * 32 bytes), under the last `setPrk`. */
  expand(info: Uint8Array, out: Uint8Array): void {
    const blocks = Math.ceil(out.length / SHA256_BYTES);
    if (blocks > 255) throw new RangeError('HKDF-SHA256 output is limited to 8160 bytes');
    const { expandMac, block, counter } = this;
    if (out.length === SHA256_BYTES) {
      // The key-derivation case: T(1) goes straight into `out`, no copy, no view.
      expandMac.begin();
      expandMac.update(info);
      counter[0] = 1;
      expandMac.update(counter);
      expandMac.finish(out);
      return;
    }
    for (let i = 1; i <= blocks; i++) {
      expandMac.begin();
      if (i > 1) expandMac.update(block);
      expandMac.update(info);
      counter[0] = i;
      expandMac.update(counter);
      expandMac.finish(block);
      const offset = (i - 1) * SHA256_BYTES;
      out.set(block.subarray(0, Math.min(SHA256_BYTES, out.length - offset)), offset);
    }
    block.fill(0);
  }

  /**
   * Zeroes every state that depends on secret input (PRK pads, hash states, blocks). The salt pads are
   * public and stay, so the instance remains usable.
   */
  wipe(): void {
    this.extractMac.clearMessage();
    this.expandMac.wipe();
    this.block.fill(0);
  }
}
