/**
 * A node's identity: one 32-byte seed (the only secret) and everything derived from it (DESIGN
 * "Identity"): an Ed25519 signing pair, an independent X25519 static pair (the Wiresocket static key)
 * and the NodeID that binds both public keys.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { InvalidArgumentError } from '../errors.js';
import { SEED_BYTES } from './constants.js';
import {
  defaultKeyProvider,
  keyProviderByName,
  type Ed25519Signer,
  type KeyProvider,
  type KeyProviderChoice,
  type KeyProviderName,
} from './key-provider.js';
import { leadingZeroBits } from './node-id.js';
import { formatNodeId, formatPublicKey } from './node-id-text.js';
import { signingDigest } from './signing-digest.js';
import { copyBytes } from '../wire/bytes.js';

export interface IdentityOptions {
  /** Which implementation derives keys and signs; default `auto` (native when sodium-native loads). */
  provider?: KeyProviderChoice;
}

export class Identity {
  /** Secret: the master seed. Persist it with `saveSeed`; never log it. Zeroed by `destroy`. */
  readonly seed: Uint8Array;
  readonly nodeId: Uint8Array;
  readonly edPublicKey: Uint8Array;
  readonly xPublicKey: Uint8Array;
  /** Secret: the clamped X25519 static private key (Wiresocket static key). Zeroed by `destroy`. */
  readonly xPrivateKey: Uint8Array;
  /** Which provider derived the keys and signs. */
  readonly provider: KeyProviderName;
  private readonly keyProvider: KeyProvider;
  private readonly signer: Ed25519Signer;
  private destroyedFlag = false;

  private constructor(seed: Uint8Array, keyProvider: KeyProvider) {
    const keys = keyProvider.deriveKeys(seed);
    this.seed = copyBytes(seed);
    this.nodeId = keys.nodeId;
    this.edPublicKey = keys.edPublicKey;
    this.xPublicKey = keys.xPublicKey;
    this.xPrivateKey = keys.xPrivateKey;
    this.provider = keyProvider.name;
    this.keyProvider = keyProvider;
    try {
      this.signer = keyProvider.createSigner(keys.edSeed, keys.edPublicKey);
    } finally {
      // The signer keeps its own copy; this one is no longer needed.
      keys.edSeed.fill(0);
    }
  }

  /** Derives the identity of a 32-byte seed. The seed is copied; the caller may zero its array. */
  static fromSeed(seed: Uint8Array, options: IdentityOptions = {}): Identity {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
      throw new InvalidArgumentError(`a seed must be ${SEED_BYTES} bytes, got ${seed?.length ?? 'none'}`);
    }
    return new Identity(seed, keyProviderByName(options.provider ?? 'auto'));
  }

  /** A fresh random identity without proof of work (difficulty 0); use `mintIdentity` for more. */
  static generate(options: IdentityOptions = {}): Identity {
    const seed = randomBytes(SEED_BYTES);
    try {
      return Identity.fromSeed(seed, options);
    } finally {
      seed.fill(0);
    }
  }

  /**
   * Verifies `signature` by `edPublicKey` over `message` in `domain` (see signing-digest.ts). Returns
   * false for any malformed or wrong input; throws only for an invalid `domain`, which is a code bug.
   */
  static verify(
    domain: string,
    message: Uint8Array,
    signature: Uint8Array,
    edPublicKey: Uint8Array,
    provider: KeyProvider = defaultKeyProvider(),
  ): boolean {
    const digest = signingDigest(provider, domain, message);
    return provider.verify(signature, digest, edPublicKey);
  }

  /** The proof of work this identity carries: leading zero bits of its NodeID. */
  get leadingZeroBits(): number {
    return leadingZeroBits(this.nodeId);
  }

  get destroyed(): boolean {
    return this.destroyedFlag;
  }

  /** Ed25519 signature (64 bytes) over BLAKE2b-256(domain || 0x00 || message); see signing-digest.ts. */
  sign(domain: string, message: Uint8Array): Uint8Array {
    if (this.destroyedFlag) throw new InvalidArgumentError('this identity was destroyed: its keys have been zeroed');
    return this.signer.sign(signingDigest(this.keyProvider, domain, message));
  }

  /** Zeroes the seed and private keys. Idempotent; public keys and the NodeID stay readable. */
  destroy(): void {
    if (this.destroyedFlag) return;
    this.destroyedFlag = true;
    this.seed.fill(0);
    this.xPrivateKey.fill(0);
    this.signer.destroy();
  }

  /** Public parts only, so `JSON.stringify` and loggers never see a secret. */
  toJSON(): { nodeId: string; edPublicKey: string; xPublicKey: string } {
    return {
      nodeId: formatNodeId(this.nodeId),
      edPublicKey: formatPublicKey(this.edPublicKey),
      xPublicKey: formatPublicKey(this.xPublicKey),
    };
  }

  [inspect.custom](): string {
    return `Identity(${formatNodeId(this.nodeId)}${this.destroyedFlag ? ', destroyed' : ''})`;
  }
}
