/**
 * MAC1 / MAC2 and cookie replies (spec 2.4, 2.5, 4.3, 6; editor's notes 2, 3 and 10).
 *
 * Responder side: `CookieChecker` verifies MAC1 (cheap, proves the sender knows our static key), MAC2
 * (proves the sender can receive at its address) and makes CookieReplies. Initiator side:
 * `CookieGenerator` (one per remote peer) writes MAC1/MAC2 into outgoing handshakes and stores the
 * cookie of a CookieReply.
 *
 * Response MAC1: a HandshakeResp's mac1 is keyed by the initiator's static key, i.e. our own when we
 * initiated. Verify it with the endpoint's own `CookieChecker` (constructed with our static public key):
 * `checker.checkMac1(resp, HANDSHAKE_RESP_MAC1_OFFSET)`. `CookieGenerator.checkMac1` does the same when
 * the generator was constructed with `localStaticPublic`.
 */
import { InvalidArgumentError } from '../errors.js';
import { decodeCookieReply, decodeHandshakeInit, encodeCookieReply } from '../wire/index.js';
import { COOKIE_ROTATION_MS } from './constants.js';
import {
  COOKIE_MAX_AGE_MS,
  COOKIE_SECRET_SIZE,
  KEY_SIZE,
  LABEL_COOKIE,
  LABEL_MAC1,
  TRUNCATED_MAC_SIZE,
  XAEAD_NONCE_SIZE,
} from './crypto/constants.js';
import { constantTimeEqual } from './crypto/constant-time.js';
import { randomBytes } from './crypto/random.js';
import { assertKeySize } from './crypto/suite.js';
import { xOpen, xSeal } from './crypto/xchacha.js';
import { hash, mac } from './kdf.js';

const textEncoder = new TextEncoder();
const LABEL_MAC1_BYTES = textEncoder.encode(LABEL_MAC1);
const LABEL_COOKIE_BYTES = textEncoder.encode(LABEL_COOKIE);

/** spec 2.4: mac1_key = HASH("mac1----" || receiver_static_pub). */
export function mac1Key(receiverStaticPublic: Uint8Array): Uint8Array {
  assertKeySize(receiverStaticPublic, 'receiver static public key');
  return hash(LABEL_MAC1_BYTES, receiverStaticPublic);
}

/** True when `packet` is long enough to hold mac1 and mac2 at `mac1Offset`. */
function hasMacs(packet: Uint8Array, mac1Offset: number): boolean {
  return Number.isInteger(mac1Offset) && mac1Offset >= 0 && packet.length >= mac1Offset + 2 * TRUNCATED_MAC_SIZE;
}

/** spec 2.4 / 2.5 / note 2: the first 16 bytes of the 32-byte keyed BLAKE2s of everything before the MAC. */
function truncatedMac(key: Uint8Array, packet: Uint8Array, macOffset: number): Uint8Array {
  const full = mac(key, packet.subarray(0, macOffset));
  const truncated = full.slice(0, TRUNCATED_MAC_SIZE);
  full.fill(0);
  return truncated;
}

/** Note 3: a 16-byte value zero-extended to a 32-byte key. */
function zeroExtend(value: Uint8Array): Uint8Array {
  const key = new Uint8Array(KEY_SIZE);
  key.set(value.subarray(0, TRUNCATED_MAC_SIZE));
  return key;
}

/** Constant-time check of the 16-byte MAC at `macOffset` keyed by `key` (spec 2.4, 2.5). */
function macMatches(key: Uint8Array, packet: Uint8Array, macOffset: number): boolean {
  const expected = truncatedMac(key, packet, macOffset);
  const matches = constantTimeEqual(expected, packet.subarray(macOffset, macOffset + TRUNCATED_MAC_SIZE));
  expected.fill(0);
  return matches;
}

/**
 * spec 6.1 and editor's note 10: the client address string the cookie binds to, as Go's
 * `UDPAddr.String()` writes it: "ip:port", or "[ipv6]:port" for an IPv6 host.
 */
export function formatAddress(host: string, port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new InvalidArgumentError(`a UDP port is an integer in 0..65535, got ${port}`);
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

interface CookieSecret {
  /** spec 6.1: cookie_key = MAC(cookie_secret, "cookie--" || server_static_pub); the secret itself is not kept. */
  cookieKey: Uint8Array;
  bornMs: number;
}

/**
 * Responder side of spec 6. The cookie secret is replaced every COOKIE_ROTATION_MS (120 s), driven by the
 * `nowMs` of the calls; a MAC2 made with the previous secret is still accepted, so a cookie is valid until
 * its secret has been rotated out twice (between 120 and 240 s, never longer).
 */
export class CookieChecker {
  private readonly mac1KeyBytes: Uint8Array;
  private readonly cookieLabel: Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private current: CookieSecret | null = null;
  private previous: CookieSecret | null = null;

  /** `opts.random` replaces the CSPRNG (for deterministic tests only). */
  constructor(localStaticPublic: Uint8Array, opts?: { random?: (n: number) => Uint8Array }) {
    this.mac1KeyBytes = mac1Key(localStaticPublic);
    this.cookieLabel = new Uint8Array(LABEL_COOKIE_BYTES.length + KEY_SIZE);
    this.cookieLabel.set(LABEL_COOKIE_BYTES);
    this.cookieLabel.set(localStaticPublic, LABEL_COOKIE_BYTES.length);
    this.random = opts?.random ?? randomBytes;
  }

  /**
   * spec 2.4: true when the 16 bytes at `mac1Offset` are MAC1 of the bytes before them, keyed by our static
   * public key. Works for HandshakeInit (offset 116) and, when we initiated, HandshakeResp (offset 60).
   * False for a packet too short to hold mac1 and mac2.
   */
  checkMac1(packet: Uint8Array, mac1Offset: number): boolean {
    if (!hasMacs(packet, mac1Offset)) return false;
    return macMatches(this.mac1KeyBytes, packet, mac1Offset);
  }

  /**
   * spec 2.5, 6.3: true when the 16 bytes at `mac2Offset` are MAC2 of the bytes before them keyed by the
   * cookie we would give `srcAddr` (see formatAddress) under the current or the previous secret.
   */
  checkMac2(packet: Uint8Array, mac2Offset: number, srcAddr: string, nowMs: number): boolean {
    if (!hasMacs(packet, mac2Offset - TRUNCATED_MAC_SIZE)) return false;
    this.rotate(nowMs);
    for (const secret of [this.current, this.previous]) {
      if (secret === null) continue;
      const key = this.mac2KeyFor(secret, srcAddr);
      const matches = macMatches(key, packet, mac2Offset);
      key.fill(0);
      if (matches) return true;
    }
    return false;
  }

  /**
   * spec 4.3, 6.2: the 64-byte CookieReply to a HandshakeInit from `srcAddr`: the cookie for that address,
   * sealed with XChaCha20-Poly1305 under (the init's mac1 || 16 zero bytes) and a random nonce, addressed
   * to the init's sender_index. Throws InvalidArgumentError when `initPacket` is not a HandshakeInit (the
   * caller has checked it, and its MAC1, first).
   */
  createReply(initPacket: Uint8Array, srcAddr: string, nowMs: number): Uint8Array {
    const init = decodeHandshakeInit(initPacket);
    if (!init.ok) throw new InvalidArgumentError(`createReply needs a HandshakeInit: ${init.error.message}`);
    this.rotate(nowMs);
    const secret = this.current as CookieSecret;
    const cookie = this.cookieFor(secret, srcAddr);
    const key = zeroExtend(init.value.mac1);
    const nonce = this.random(XAEAD_NONCE_SIZE);
    const encryptedCookie = xSeal(key, nonce, cookie);
    cookie.fill(0);
    key.fill(0);
    return encodeCookieReply({ receiverIndex: init.value.senderIndex, nonce, encryptedCookie });
  }

  /** Installs the first secret, or replaces a secret older than the rotation period (spec 6.1). */
  private rotate(nowMs: number): void {
    const current = this.current;
    // A clock that went backwards (age < 0) also rotates: a secret must never outlive its period.
    const age = current === null ? Number.NaN : nowMs - current.bornMs;
    if (age >= 0 && age < COOKIE_ROTATION_MS) return;
    this.previous?.cookieKey.fill(0);
    // A secret rotated out twice is gone: if the current one is already two periods old it is dropped too.
    // After a backwards step the current secret becomes the previous one, like a normal rotation.
    if (current !== null && age < 2 * COOKIE_ROTATION_MS) {
      this.previous = current;
    } else {
      current?.cookieKey.fill(0);
      this.previous = null;
    }
    const secret = this.random(COOKIE_SECRET_SIZE);
    if (secret.length !== COOKIE_SECRET_SIZE) {
      throw new InvalidArgumentError(`the random source returned ${secret.length} bytes, wanted ${COOKIE_SECRET_SIZE}`);
    }
    this.current = { cookieKey: mac(secret, this.cookieLabel), bornMs: nowMs };
    secret.fill(0);
  }

  /** spec 6.1: cookie = MAC(cookie_key, client_addr_string)[0:16]. */
  private cookieFor(secret: CookieSecret, srcAddr: string): Uint8Array {
    const full = mac(secret.cookieKey, textEncoder.encode(srcAddr));
    const cookie = full.slice(0, TRUNCATED_MAC_SIZE);
    full.fill(0);
    return cookie;
  }

  /** spec 2.5, note 3: the MAC2 key is the cookie zero-extended to 32 bytes. */
  private mac2KeyFor(secret: CookieSecret, srcAddr: string): Uint8Array {
    const cookie = this.cookieFor(secret, srcAddr);
    const key = zeroExtend(cookie);
    cookie.fill(0);
    return key;
  }
}

/**
 * Initiator side of spec 6, one per remote peer: adds MAC1 (keyed by the peer's static key) and MAC2 (keyed
 * by the peer's last cookie while it is younger than COOKIE_MAX_AGE_MS, else zero) to outgoing handshakes,
 * and takes cookies out of CookieReplies.
 */
export class CookieGenerator {
  private readonly mac1KeyBytes: Uint8Array;
  private readonly localMac1Key: Uint8Array | null;
  /** The mac1 of the last packet sent: the only key a CookieReply for us can be sealed with (spec 4.3). */
  private lastMac1: Uint8Array | null = null;
  private cookie: Uint8Array | null = null;
  private cookieReceivedMs = 0;

  /**
   * `localStaticPublic` (our own static public key) is needed only by `checkMac1`; without it, verify
   * response MAC1s with the endpoint's CookieChecker instead.
   */
  constructor(remoteStaticPublic: Uint8Array, localStaticPublic?: Uint8Array) {
    this.mac1KeyBytes = mac1Key(remoteStaticPublic);
    this.localMac1Key = localStaticPublic === undefined ? null : mac1Key(localStaticPublic);
  }

  /**
   * Writes mac1 at `mac1Offset` and mac2 right after it (spec 2.4, 2.5, 6.3): mac2 is zero unless a cookie
   * younger than COOKIE_MAX_AGE_MS is held. Remembers mac1 for `consumeReply`. Throws InvalidArgumentError
   * when the packet cannot hold both MACs at that offset.
   */
  addMacs(packet: Uint8Array, mac1Offset: number, nowMs: number): void {
    if (!hasMacs(packet, mac1Offset)) {
      throw new InvalidArgumentError(`the packet has no room for mac1 and mac2 at offset ${mac1Offset}`);
    }
    const mac1 = truncatedMac(this.mac1KeyBytes, packet, mac1Offset);
    packet.set(mac1, mac1Offset);
    this.lastMac1?.fill(0);
    this.lastMac1 = mac1;
    const mac2Offset = mac1Offset + TRUNCATED_MAC_SIZE;
    if (this.cookie !== null && nowMs - this.cookieReceivedMs < COOKIE_MAX_AGE_MS) {
      const key = zeroExtend(this.cookie);
      packet.set(truncatedMac(key, packet, mac2Offset), mac2Offset);
      key.fill(0);
    } else {
      packet.fill(0, mac2Offset, mac2Offset + TRUNCATED_MAC_SIZE);
    }
  }

  /**
   * spec 6.2, 6.3: decrypts a 64-byte CookieReply with the mac1 of the last packet sent and stores the
   * cookie (time-stamped `nowMs`). False for a malformed reply, when nothing was sent yet, or when it does
   * not decrypt (not meant for our last packet, or forged). One reply per packet sent: after a success the
   * next reply needs a new packet. Never throws on packet contents.
   */
  consumeReply(reply: Uint8Array, nowMs: number): boolean {
    const decoded = decodeCookieReply(reply);
    if (!decoded.ok || this.lastMac1 === null) return false;
    const key = zeroExtend(this.lastMac1);
    const cookie = xOpen(key, decoded.value.nonce, decoded.value.encryptedCookie);
    key.fill(0);
    if (cookie === null || cookie.length !== TRUNCATED_MAC_SIZE) return false;
    this.cookie?.fill(0);
    this.cookie = cookie;
    this.cookieReceivedMs = nowMs;
    this.lastMac1.fill(0);
    this.lastMac1 = null;
    return true;
  }

  /**
   * spec 2.4 for a HandshakeResp to us: MAC1 keyed by OUR static public key. Needs `localStaticPublic` at
   * construction (else throws InvalidArgumentError); the endpoint's CookieChecker.checkMac1 is equivalent.
   */
  checkMac1(packet: Uint8Array, mac1Offset: number): boolean {
    if (this.localMac1Key === null) {
      throw new InvalidArgumentError(
        'CookieGenerator.checkMac1 needs localStaticPublic at construction; or use CookieChecker.checkMac1',
      );
    }
    if (!hasMacs(packet, mac1Offset)) return false;
    return macMatches(this.localMac1Key, packet, mac1Offset);
  }
}
