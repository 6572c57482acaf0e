/**
 * The `pure` provider: @noble/curves X25519 and @noble/ciphers ChaCha20-Poly1305 (DESIGN: Crypto). Runs
 * wherever JavaScript runs; byte-identical to `native` for the same inputs.
 */
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { InvalidArgumentError } from '../../errors.js';
import { AEAD_NONCE_SIZE, AEAD_TAG_SIZE, KEY_SIZE } from './constants.js';
import { constantTimeEqual } from './constant-time.js';
import { isValidCounter, writeAeadNonce } from './nonce.js';
import { randomBytes } from './random.js';
import { assertKeySize, clampPrivateKey, type CryptoSuite, type KeyPair, type TransportCipher } from './suite.js';
import { TransportCipherBase } from './transport-cipher.js';

const POLY1305_BLOCK = 16;
/** RFC 8439 section 2.8: the Poly1305 one-time key is the first 32 bytes of ChaCha20 block 0. */
const ONE_TIME_KEY_SIZE = 32;
/** pad16() zero runs of every length 0..15, made once so the tag computation creates no views. */
const ZERO_PADS = Array.from({ length: POLY1305_BLOCK }, (_, n) => new Uint8Array(n));

/**
 * ChaCha20-Poly1305 (RFC 8439 section 2.8) with empty AAD, composed from @noble's ChaCha20 and Poly1305
 * so that it can work in place on a packet buffer with reused scratch buffers.
 */
class PureTransportCipher extends TransportCipherBase {
  private readonly oneTimeKey = new Uint8Array(ONE_TIME_KEY_SIZE);
  /** le64(len(AAD)) || le64(len(ciphertext)); AAD is empty (spec 4.4), so the first half stays zero. */
  private readonly lengths = new Uint8Array(16);
  private readonly expectedTag = new Uint8Array(AEAD_TAG_SIZE);

  protected seal(data: Uint8Array, tag: Uint8Array): void {
    // RFC 8439 section 2.8: payload keystream starts at block counter 1; block 0 makes the Poly1305 key.
    chacha20(this.key, this.nonce, data, data, 1);
    this.computeTag(data, tag);
  }

  protected open(data: Uint8Array, tag: Uint8Array): boolean {
    this.computeTag(data, this.expectedTag);
    const authentic = constantTimeEqual(this.expectedTag, tag);
    this.expectedTag.fill(0);
    if (!authentic) {
      data.fill(0);
      return false;
    }
    chacha20(this.key, this.nonce, data, data, 1);
    return true;
  }

  private computeTag(ciphertext: Uint8Array, out: Uint8Array): void {
    const otk = this.oneTimeKey;
    otk.fill(0);
    chacha20(this.key, this.nonce, otk, otk, 0);
    const mac = poly1305.create(otk);
    mac.update(ciphertext);
    mac.update(ZERO_PADS[(POLY1305_BLOCK - (ciphertext.length % POLY1305_BLOCK)) % POLY1305_BLOCK]);
    writeUint64Le(this.lengths, 8, ciphertext.length);
    mac.update(this.lengths);
    mac.digestInto(out);
    otk.fill(0);
  }
}

function writeUint64Le(out: Uint8Array, offset: number, value: number): void {
  const low = value % 0x1_0000_0000;
  const high = (value - low) / 0x1_0000_0000;
  for (let i = 0; i < 4; i++) {
    out[offset + i] = (low >>> (8 * i)) & 0xff;
    out[offset + 4 + i] = (high >>> (8 * i)) & 0xff;
  }
}

class PureSuite implements CryptoSuite {
  readonly name = 'pure' as const;

  generateKeyPair(): KeyPair {
    const privateKey = clampPrivateKey(randomBytes(KEY_SIZE));
    return { privateKey, publicKey: this.publicKey(privateKey) };
  }

  publicKey(privateKey: Uint8Array): Uint8Array {
    assertKeySize(privateKey, 'privateKey');
    // @noble clamps a copy of the scalar (RFC 7748 section 5).
    return Uint8Array.from(x25519.getPublicKey(privateKey));
  }

  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
    assertKeySize(privateKey, 'privateKey');
    assertKeySize(publicKey, 'publicKey');
    try {
      // spec 2: @noble throws for the low-order points (whose shared secret would be all zero).
      return Uint8Array.from(x25519.getSharedSecret(privateKey, publicKey));
    } catch {
      return null;
    }
  }

  aeadSeal(key: Uint8Array, counter: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    return chacha20poly1305(key, nonceFor(key, counter), aad).encrypt(plaintext);
  }

  aeadOpen(key: Uint8Array, counter: number, ciphertextWithTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    const nonce = nonceFor(key, counter);
    if (ciphertextWithTag.length < AEAD_TAG_SIZE) return null;
    try {
      return chacha20poly1305(key, nonce, aad).decrypt(ciphertextWithTag);
    } catch {
      return null;
    }
  }

  transportCipher(key: Uint8Array): TransportCipher {
    return new PureTransportCipher(key);
  }
}

/** A fresh spec 2.3 nonce (@noble keeps a reference to it for the cipher object's lifetime). */
function nonceFor(key: Uint8Array, counter: number): Uint8Array {
  assertKeySize(key, 'AEAD key');
  if (!isValidCounter(counter)) throw new InvalidArgumentError(`counter must be an integer in 0..2^53-1, got ${counter}`);
  const nonce = new Uint8Array(AEAD_NONCE_SIZE);
  writeAeadNonce(nonce, counter);
  return nonce;
}

const suite = new PureSuite();

/** The @noble provider; always available. */
export function pureSuite(): CryptoSuite {
  return suite;
}
