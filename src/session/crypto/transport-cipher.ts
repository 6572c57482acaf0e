/**
 * Shared half of both providers' TransportCipher (spec 2, 2.3, 4.4): argument checks, the reusable nonce,
 * views of the packet region, and key zeroing. Providers supply only the AEAD over (data, tag) views.
 */
import { InvalidArgumentError, WiremeshError } from '../../errors.js';
import { AEAD_NONCE_SIZE, AEAD_TAG_SIZE } from './constants.js';
import { isValidCounter, writeAeadNonce } from './nonce.js';
import { assertKeySize, type TransportCipher } from './suite.js';

const EMPTY = new Uint8Array(0);

export abstract class TransportCipherBase implements TransportCipher {
  /** A private copy: destroy() zeroes it without touching the caller's array. */
  protected readonly key: Uint8Array;
  /** Rewritten for every packet (spec 2.3) instead of allocating one. */
  protected readonly nonce = new Uint8Array(AEAD_NONCE_SIZE);
  private destroyed = false;
  // The last region's views: a session that seals into one scratch buffer at a fixed offset and length
  // (keepalives, full-size fragments) reuses them instead of creating two views per packet.
  private regionBuf: Uint8Array | null = null;
  private regionOffset = -1;
  private regionLength = -1;
  private dataView: Uint8Array = EMPTY;
  private tagView: Uint8Array = EMPTY;

  constructor(key: Uint8Array) {
    assertKeySize(key, 'transport key');
    this.key = key.slice();
  }

  /** Encrypts `data` in place and writes its tag into `tag` with `this.key` and `this.nonce`. */
  protected abstract seal(data: Uint8Array, tag: Uint8Array): void;
  /** Authenticates `data` against `tag` and decrypts in place; on failure zeroes `data`, returns false. */
  protected abstract open(data: Uint8Array, tag: Uint8Array): boolean;

  sealInPlace(counter: number, buf: Uint8Array, offset: number, length: number): void {
    if (this.destroyed) throw new WiremeshError('CIPHER_DESTROYED', 'the transport cipher was destroyed; open a new session');
    if (!isValidCounter(counter)) {
      throw new InvalidArgumentError(`counter must be an integer in 0..2^53-1, got ${counter}`);
    }
    if (!isRegion(buf, offset, length, length + AEAD_TAG_SIZE)) {
      throw new InvalidArgumentError(
        `sealInPlace needs ${length} plaintext bytes plus a ${AEAD_TAG_SIZE}-byte tag at offset ${offset} of a ${buf.length}-byte buffer`,
      );
    }
    this.sealRegion(counter, buf, offset, length);
  }

  openInPlace(counter: number, buf: Uint8Array, offset: number, length: number): number {
    if (this.destroyed || !isValidCounter(counter) || length < AEAD_TAG_SIZE || !isRegion(buf, offset, length, length)) {
      return -1;
    }
    return this.openRegion(counter, buf, offset, length);
  }

  /** Seals a checked region; providers that work on (buffer, offset) directly override this. */
  protected sealRegion(counter: number, buf: Uint8Array, offset: number, length: number): void {
    writeAeadNonce(this.nonce, counter);
    this.selectRegion(buf, offset, length);
    this.seal(this.dataView, this.tagView);
  }

  /** Opens a checked region (ciphertext + tag); the plaintext length or -1. Overridable like sealRegion. */
  protected openRegion(counter: number, buf: Uint8Array, offset: number, length: number): number {
    const plainLength = length - AEAD_TAG_SIZE;
    writeAeadNonce(this.nonce, counter);
    this.selectRegion(buf, offset, plainLength);
    return this.open(this.dataView, this.tagView) ? plainLength : -1;
  }

  destroy(): void {
    this.destroyed = true;
    this.key.fill(0);
    this.nonce.fill(0);
    this.regionBuf = null;
    this.dataView = EMPTY;
    this.tagView = EMPTY;
  }

  private selectRegion(buf: Uint8Array, offset: number, plainLength: number): void {
    if (buf === this.regionBuf && offset === this.regionOffset && plainLength === this.regionLength) return;
    const tagStart = offset + plainLength;
    this.dataView = buf.subarray(offset, tagStart);
    this.tagView = buf.subarray(tagStart, tagStart + AEAD_TAG_SIZE);
    this.regionBuf = buf;
    this.regionOffset = offset;
    this.regionLength = plainLength;
  }
}

/** True when `[offset, offset + span)` lies inside `buf` and `length` is a non-negative integer. */
function isRegion(buf: Uint8Array, offset: number, length: number, span: number): boolean {
  return (
    buf instanceof Uint8Array &&
    Number.isInteger(offset) &&
    Number.isInteger(length) &&
    offset >= 0 &&
    length >= 0 &&
    offset + span <= buf.length
  );
}
