/**
 * The Noise IK handshake of Wiresocket (spec 5), as pure functions over bytes and `nowMs`: no I/O, no
 * timers, no MAC checks (the CookieChecker verifies MAC1/MAC2 first, cheapest first; spec 5.3, 6).
 *
 *   -> e, es, s, ss   createInitiation / consumeInitiation   (HandshakeInit, spec 4.1, 5.2, 5.3)
 *   <- e, ee, se      createResponse / consumeResponse       (HandshakeResp, spec 4.2, 5.4, 5.5)
 *   split             kdf2(ck, empty)                        (spec 5.6)
 *
 * Both sides end with the same `handshakeHash` (the final h), which the overlay signs for channel binding.
 */
import { InvalidArgumentError, WiremeshError } from '../errors.js';
import {
  decodeHandshakeInit,
  decodeHandshakeResp,
  encodeHandshakeInit,
  encodeHandshakeResp,
  MAX_UINT32,
  SIZE_MAC,
} from '../wire/index.js';
import { copyBytes } from '../wire/bytes.js';
import { MAX_TIMESTAMP_SKEW_MS } from './constants.js';
import { NOISE_CONSTRUCTION, NOISE_PROLOGUE, KEY_SIZE } from './crypto/constants.js';
import { assertKeySize, type CryptoSuite, type KeyPair } from './crypto/suite.js';
import { hash, kdf2 } from './kdf.js';
import { tai64n, tai64nToMs } from './tai64n.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * spec 2.2, editor's note 1: the 33-byte construction string copied into 32 bytes, i.e. its first 32
 * bytes ("...BLAKE2" without the final "s"). Computed once; never mutate it.
 */
export const INITIAL_CHAINING_KEY: Uint8Array = ascii(NOISE_CONSTRUCTION).slice(0, KEY_SIZE);
/** spec 2.2, editor's note 1: HASH(initialCK || "wiresocket v1"). Computed once; never mutate it. */
export const INITIAL_HASH: Uint8Array = hash(INITIAL_CHAINING_KEY, ascii(NOISE_PROLOGUE));

const EMPTY = new Uint8Array(0);
/** spec 4.1, 4.2: the handshake functions leave mac1 and mac2 zero; CookieGenerator.addMacs fills them. */
const ZERO_MAC = new Uint8Array(SIZE_MAC);

/** spec 5.6: the two transport keys of one side (each 32 bytes; zero them once the ciphers hold copies). */
export interface TransportKeys {
  sendKey: Uint8Array;
  recvKey: Uint8Array;
}

/** What the initiator keeps between sending a HandshakeInit and receiving the HandshakeResp. */
export interface InitiatorState {
  /** Our sender_index in the HandshakeInit; the response must echo it as receiver_index. */
  readonly senderIndex: number;
  /** The responder's static public key this initiation was made for. */
  readonly remoteStatic: Uint8Array;
  /** True once destroyed, explicitly or by a successful consumeResponse. */
  readonly destroyed: boolean;
  /** Zeroes the ephemeral private key and the chaining key. Idempotent. */
  destroy(): void;
}

/** What the responder keeps between consuming a HandshakeInit and creating the HandshakeResp. */
export interface ResponderState {
  readonly remoteIndex: number;
  readonly remoteStatic: Uint8Array;
  readonly destroyed: boolean;
  /** Zeroes the chaining key; call it when no response will be sent (e.g. a replayed initiation). Idempotent. */
  destroy(): void;
}

/**
 * The symmetric state of spec 5.1: chaining key, transcript hash, current key and its nonce. Every secret
 * it replaces is zeroed.
 */
class SymmetricState {
  private key: Uint8Array | null = null;
  private nonce = 0;

  constructor(
    private readonly suite: CryptoSuite,
    public ck: Uint8Array,
    public h: Uint8Array,
  ) {}

  static initial(suite: CryptoSuite): SymmetricState {
    return new SymmetricState(suite, INITIAL_CHAINING_KEY.slice(), INITIAL_HASH.slice());
  }

  /** A copy that can run ahead (and fail) without touching this state. */
  fork(): SymmetricState {
    const copy = new SymmetricState(this.suite, this.ck.slice(), this.h.slice());
    copy.key = this.key === null ? null : this.key.slice();
    copy.nonce = this.nonce;
    return copy;
  }

  /** spec 5.1: h = HASH(h || data) */
  mixHash(data: Uint8Array): void {
    this.h = hash(this.h, data);
  }

  /** spec 5.1: (ck, k) = kdf2(ck, dh_out); nonce = 0. Zeroes `dhOut` and the replaced secrets. */
  mixKey(dhOut: Uint8Array): void {
    const [ck, key] = kdf2(this.ck, dhOut);
    dhOut.fill(0);
    this.ck.fill(0);
    this.key?.fill(0);
    this.ck = ck;
    this.key = key;
    this.nonce = 0;
  }

  /** spec 5.1: c = AEAD_Seal(k, nonce++, h, plain); mixHash(c). Nonce layout per editor's note 4. */
  encryptAndHash(plain: Uint8Array): Uint8Array {
    const cipher = this.suite.aeadSeal(this.currentKey(), this.nonce++, plain, this.h);
    this.mixHash(cipher);
    return cipher;
  }

  /** spec 5.1: p = AEAD_Open(k, nonce++, h, cipher); mixHash(cipher). Null when it does not authenticate. */
  decryptAndHash(cipher: Uint8Array): Uint8Array | null {
    const plain = this.suite.aeadOpen(this.currentKey(), this.nonce++, cipher, this.h);
    if (plain === null) return null;
    this.mixHash(cipher);
    return plain;
  }

  /** spec 5.6: (T1, T2) = kdf2(ck, empty), editor's note 5. */
  split(): [Uint8Array, Uint8Array] {
    return kdf2(this.ck, EMPTY);
  }

  destroy(): void {
    this.ck.fill(0);
    this.h.fill(0);
    this.key?.fill(0);
    this.key = null;
  }

  private currentKey(): Uint8Array {
    if (this.key === null) throw new WiremeshError('HANDSHAKE_STATE', 'no key mixed in before an AEAD step');
    return this.key;
  }
}

class InitiatorHandshake implements InitiatorState {
  private isDestroyed = false;

  constructor(
    readonly suite: CryptoSuite,
    readonly senderIndex: number,
    readonly remoteStatic: Uint8Array,
    readonly localStatic: KeyPair,
    /** A private copy of the ephemeral private key. */
    readonly ephemeralPrivate: Uint8Array,
    readonly symmetric: SymmetricState,
  ) {}

  get destroyed(): boolean {
    return this.isDestroyed;
  }

  destroy(): void {
    if (this.isDestroyed) return;
    this.isDestroyed = true;
    this.ephemeralPrivate.fill(0);
    this.symmetric.destroy();
  }
}

class ResponderHandshake implements ResponderState {
  private isDestroyed = false;

  constructor(
    readonly suite: CryptoSuite,
    readonly remoteIndex: number,
    readonly remoteStatic: Uint8Array,
    readonly remoteEphemeral: Uint8Array,
    readonly symmetric: SymmetricState,
  ) {}

  get destroyed(): boolean {
    return this.isDestroyed;
  }

  destroy(): void {
    if (this.isDestroyed) return;
    this.isDestroyed = true;
    this.symmetric.destroy();
  }
}

function assertIndex(index: number, name: string): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_UINT32) {
    throw new InvalidArgumentError(`${name} must be an integer in 0..2^32-1, got ${index}`);
  }
}

function assertKeyPair(pair: KeyPair, name: string): void {
  assertKeySize(pair.publicKey, `${name}.publicKey`);
  assertKeySize(pair.privateKey, `${name}.privateKey`);
}

/**
 * spec 5.2: builds the 148-byte HandshakeInit (mac1 and mac2 zero: the caller's CookieGenerator.addMacs
 * fills them). Returns null when a DH result is all zero (the remote static key is a low-order point).
 * `ephemeral` fixes the ephemeral key (tests, vectors); by default a fresh one is generated.
 */
/**
 * The static-static DH result per peer (WireGuard precomputes it per peer too): it depends only on the two
 * static keys, so a rekey or reconnect of a known peer saves one X25519 operation. Bounded (least recently
 * used entries are zeroed and evicted); `get` returns a copy because the handshake zeroes what it mixes in.
 */
export class StaticStaticCache {
  private readonly entries = new Map<string, Uint8Array>();

  constructor(
    private readonly suite: CryptoSuite,
    private readonly localPrivate: Uint8Array,
    private readonly maxEntries = 4096,
  ) {}

  /** DH(local static, remote static), or null for a low-order remote key. */
  get(remoteStatic: Uint8Array): Uint8Array | null {
    const key = Buffer.from(remoteStatic.buffer, remoteStatic.byteOffset, remoteStatic.length).toString('hex');
    let shared = this.entries.get(key);
    if (shared !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, shared);
    } else {
      const computed = this.suite.dh(this.localPrivate, remoteStatic);
      if (computed === null) return null;
      shared = computed;
      this.entries.set(key, shared);
      if (this.entries.size > this.maxEntries) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.get(oldest)!.fill(0);
        this.entries.delete(oldest);
      }
    }
    return copyBytes(shared);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Zeroes and forgets every entry. */
  destroy(): void {
    for (const v of this.entries.values()) v.fill(0);
    this.entries.clear();
  }
}

export function createInitiation(args: {
  suite: CryptoSuite;
  localStatic: KeyPair;
  remoteStatic: Uint8Array;
  senderIndex: number;
  nowMs: number;
  ephemeral?: KeyPair;
  /** Cache of DH(our static, their static) for our `localStatic` key. */
  staticStatic?: StaticStaticCache;
}): { packet: Uint8Array; state: InitiatorState } | null {
  const { suite, localStatic, remoteStatic, senderIndex, nowMs } = args;
  assertKeyPair(localStatic, 'localStatic');
  assertKeySize(remoteStatic, 'remoteStatic');
  assertIndex(senderIndex, 'senderIndex');
  if (!Number.isFinite(nowMs)) throw new InvalidArgumentError(`nowMs must be a finite time in ms, got ${nowMs}`);
  if (args.ephemeral !== undefined) assertKeyPair(args.ephemeral, 'ephemeral');
  const ephemeral = args.ephemeral ?? suite.generateKeyPair();
  const ephemeralPrivate = copyBytes(ephemeral.privateKey);
  if (args.ephemeral === undefined) ephemeral.privateKey.fill(0);
  const remote = copyBytes(remoteStatic);

  const s = SymmetricState.initial(suite);
  s.mixHash(remote); // pre-message: <- s
  s.mixHash(ephemeral.publicKey); // -> e
  const es = suite.dh(ephemeralPrivate, remote); // -> es
  if (es === null) return abandon(s, ephemeralPrivate);
  s.mixKey(es);
  const encryptedStatic = s.encryptAndHash(localStatic.publicKey); // -> s
  const ss = args.staticStatic ? args.staticStatic.get(remote) : suite.dh(localStatic.privateKey, remote); // -> ss
  if (ss === null) return abandon(s, ephemeralPrivate);
  s.mixKey(ss);
  const encryptedTimestamp = s.encryptAndHash(tai64n(nowMs));

  const packet = encodeHandshakeInit({
    senderIndex,
    ephemeral: ephemeral.publicKey,
    encryptedStatic,
    encryptedTimestamp,
    mac1: ZERO_MAC,
    mac2: ZERO_MAC,
  });
  return { packet, state: new InitiatorHandshake(suite, senderIndex, remote, localStatic, ephemeralPrivate, s) };
}

function abandon(s: SymmetricState, ephemeralPrivate: Uint8Array): null {
  s.destroy();
  ephemeralPrivate.fill(0);
  return null;
}

export type ConsumeInitiationResult =
  | { ok: true; remoteStatic: Uint8Array; remoteIndex: number; timestamp: Uint8Array; state: ResponderState }
  | { ok: false; reason: 'decode' | 'decrypt' | 'low_order' | 'skew' };

/**
 * spec 5.3: decrypts a HandshakeInit addressed to `localStatic` and checks its timestamp is within
 * `maxSkewMs` (default 180 s, spec 4.1; throws InvalidArgumentError when negative or NaN) of `nowMs`. Does NOT verify MAC1/MAC2 (the CookieChecker does, first)
 * and does not apply the replay rule of editor's note 8 (InitiationReplayGuard, with `timestamp`).
 * Never throws on packet contents; every returned array is a copy, independent of `packet`.
 */
export function consumeInitiation(args: {
  suite: CryptoSuite;
  localStatic: KeyPair;
  packet: Uint8Array;
  nowMs: number;
  maxSkewMs?: number;
  /** Cache of DH(our static, their static) for our `localStatic` key. */
  staticStatic?: StaticStaticCache;
}): ConsumeInitiationResult {
  const { suite, localStatic, nowMs } = args;
  const maxSkewMs = args.maxSkewMs ?? MAX_TIMESTAMP_SKEW_MS;
  assertKeyPair(localStatic, 'localStatic');
  if (!(maxSkewMs >= 0)) throw new InvalidArgumentError(`maxSkewMs must be >= 0 (Infinity disables the check), got ${maxSkewMs}`);
  const decoded = decodeHandshakeInit(args.packet);
  if (!decoded.ok) return { ok: false, reason: 'decode' };
  const init = decoded.value;
  const remoteEphemeral = copyBytes(init.ephemeral);

  const s = SymmetricState.initial(suite);
  s.mixHash(localStatic.publicKey); // pre-message: -> s (ours)
  s.mixHash(remoteEphemeral); // e
  const es = suite.dh(localStatic.privateKey, remoteEphemeral); // es
  if (es === null) return reject(s, 'low_order');
  s.mixKey(es);
  const remoteStatic = s.decryptAndHash(init.encryptedStatic); // s
  if (remoteStatic === null) return reject(s, 'decrypt');
  const ss = args.staticStatic ? args.staticStatic.get(remoteStatic) : suite.dh(localStatic.privateKey, remoteStatic); // ss
  if (ss === null) return reject(s, 'low_order');
  s.mixKey(ss);
  const timestamp = s.decryptAndHash(init.encryptedTimestamp);
  if (timestamp === null) return reject(s, 'decrypt');
  // spec 4.1: reject timestamps more than +-maxSkewMs from our clock (NaN: not a TAI64N label).
  const skew = Math.abs(tai64nToMs(timestamp) - nowMs);
  if (!(skew <= maxSkewMs)) return reject(s, 'skew');

  return {
    ok: true,
    remoteStatic,
    remoteIndex: init.senderIndex,
    timestamp,
    state: new ResponderHandshake(suite, init.senderIndex, copyBytes(remoteStatic), remoteEphemeral, s),
  };
}

function reject<R extends string>(s: SymmetricState, reason: R): { ok: false; reason: R } {
  s.destroy();
  return { ok: false, reason };
}

/**
 * spec 5.4 and 5.6: builds the 92-byte HandshakeResp (mac1 and mac2 zero: CookieGenerator.addMacs fills
 * mac1 keyed by the initiator's static key) and the responder's transport keys (send = T2, recv = T1).
 * Consumes `state` (destroyed afterwards, also on failure). Returns null when a DH result is all zero.
 * Throws WiremeshError `HANDSHAKE_STATE` when `state` was already used or destroyed.
 */
export function createResponse(
  state: ResponderState,
  args: { senderIndex: number; ephemeral?: KeyPair },
): { packet: Uint8Array; keys: TransportKeys; handshakeHash: Uint8Array } | null {
  if (!(state instanceof ResponderHandshake) || state.destroyed) {
    throw new WiremeshError('HANDSHAKE_STATE', 'createResponse needs a fresh state from consumeInitiation');
  }
  assertIndex(args.senderIndex, 'senderIndex');
  if (args.ephemeral !== undefined) assertKeyPair(args.ephemeral, 'ephemeral');
  const { suite, symmetric: s } = state;
  const ephemeral = args.ephemeral ?? suite.generateKeyPair();
  const ephemeralPrivate = copyBytes(ephemeral.privateKey);
  if (args.ephemeral === undefined) ephemeral.privateKey.fill(0);

  try {
    s.mixHash(ephemeral.publicKey); // e
    const ee = suite.dh(ephemeralPrivate, state.remoteEphemeral); // ee
    if (ee === null) return null;
    s.mixKey(ee);
    const se = suite.dh(ephemeralPrivate, state.remoteStatic); // se
    if (se === null) return null;
    s.mixKey(se);
    const encryptedNil = s.encryptAndHash(EMPTY);

    const packet = encodeHandshakeResp({
      senderIndex: args.senderIndex,
      receiverIndex: state.remoteIndex,
      ephemeral: ephemeral.publicKey,
      encryptedNil,
      mac1: ZERO_MAC,
      mac2: ZERO_MAC,
    });
    const [initiatorSend, initiatorRecv] = s.split();
    // spec 5.6: the responder sends with T_initiator_recv and receives with T_initiator_send.
    return { packet, keys: { sendKey: initiatorRecv, recvKey: initiatorSend }, handshakeHash: s.h.slice() };
  } finally {
    ephemeralPrivate.fill(0);
    state.destroy();
  }
}

export type ConsumeResponseResult =
  | { ok: true; remoteIndex: number; keys: TransportKeys; handshakeHash: Uint8Array }
  | { ok: false; reason: 'decode' | 'index' | 'decrypt' | 'low_order' };

/**
 * spec 5.5 and 5.6: checks a HandshakeResp against the pending initiation and derives the initiator's
 * transport keys (send = T1, recv = T2). Does NOT verify MAC1 (keyed by our static key: the endpoint's
 * CookieChecker does that). A failure leaves `state` untouched, so the genuine response can still follow a
 * forged one; success destroys it. A destroyed state answers 'index' (no pending initiation has that
 * index any more). Never throws on packet contents.
 */
export function consumeResponse(state: InitiatorState, packet: Uint8Array): ConsumeResponseResult {
  if (!(state instanceof InitiatorHandshake) || state.destroyed) return { ok: false, reason: 'index' };
  const decoded = decodeHandshakeResp(packet);
  if (!decoded.ok) return { ok: false, reason: 'decode' };
  const resp = decoded.value;
  if (resp.receiverIndex !== state.senderIndex) return { ok: false, reason: 'index' };
  const { suite } = state;
  const remoteEphemeral = resp.ephemeral.slice();

  const s = state.symmetric.fork();
  s.mixHash(remoteEphemeral); // e
  const ee = suite.dh(state.ephemeralPrivate, remoteEphemeral); // ee
  if (ee === null) return reject(s, 'low_order');
  s.mixKey(ee);
  const se = suite.dh(state.localStatic.privateKey, remoteEphemeral); // se
  if (se === null) return reject(s, 'low_order');
  s.mixKey(se);
  // Authenticates the responder: only the holder of the responder's static key reaches this key.
  if (s.decryptAndHash(resp.encryptedNil) === null) return reject(s, 'decrypt');

  const [sendKey, recvKey] = s.split();
  const handshakeHash = s.h.slice();
  s.destroy();
  state.destroy();
  return { ok: true, remoteIndex: resp.senderIndex, keys: { sendKey, recvKey }, handshakeHash };
}
