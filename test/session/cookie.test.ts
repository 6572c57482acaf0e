/** MAC1 / MAC2 and cookie replies (spec 2.4, 2.5, 4.3, 6; editor's notes 2, 3, 10). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CookieChecker, CookieGenerator, formatAddress, mac1Key } from '../../src/session/cookie.js';
import { pureSuite, xOpen } from '../../src/session/crypto/index.js';
import { createInitiation } from '../../src/session/handshake.js';
import {
  decodeCookieReply,
  HANDSHAKE_INIT_MAC1_OFFSET,
  HANDSHAKE_INIT_MAC2_OFFSET,
  HANDSHAKE_RESP_MAC1_OFFSET,
} from '../../src/wire/index.js';
import { referenceBlake2s } from './crypto-blake2s-reference.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const suite = pureSuite();
const T0 = 1_750_000_000_000;
const ADDR = '192.0.2.7:51820';

/** A deterministic random source: 0x01 0x02 ... per call, distinct per call. */
function countingRandom(): (n: number) => Uint8Array {
  let call = 0;
  return (n) => {
    call++;
    return Uint8Array.from({ length: n }, (_, i) => (call * 31 + i) & 0xff);
  };
}

const responder = suite.generateKeyPair();
const initiator = suite.generateKeyPair();

function freshInit(nowMs = T0): Uint8Array {
  const init = createInitiation({ suite, localStatic: initiator, remoteStatic: responder.publicKey, senderIndex: 0xdeadbeef, nowMs });
  if (init === null) throw new Error('low-order key');
  init.state.destroy();
  return init.packet;
}

describe('MAC1 (spec 2.4)', () => {
  it('is the first 16 bytes of keyed BLAKE2s-256 under HASH("mac1----" || receiver static key)', () => {
    const packet = freshInit();
    new CookieGenerator(responder.publicKey).addMacs(packet, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    const key = referenceBlake2s(concat(ascii('mac1----'), responder.publicKey));
    expect(hex(mac1Key(responder.publicKey))).toBe(hex(key));
    const expected = referenceBlake2s(packet.subarray(0, HANDSHAKE_INIT_MAC1_OFFSET), key).subarray(0, 16);
    expect(hex(packet.subarray(116, 132))).toBe(hex(expected));
    expect(hex(packet.subarray(132, 148))).toBe('00'.repeat(16)); // no cookie yet: mac2 zero
  });

  it('is accepted only by the receiver it was made for, and only with an intact body', () => {
    const packet = freshInit();
    new CookieGenerator(responder.publicKey).addMacs(packet, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    expect(new CookieChecker(responder.publicKey).checkMac1(packet, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(true);
    expect(new CookieChecker(initiator.publicKey).checkMac1(packet, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(false);
    const tampered = packet.slice();
    tampered[50] ^= 1;
    expect(new CookieChecker(responder.publicKey).checkMac1(tampered, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(false);
    // MAC2 is outside MAC1's body: changing it leaves MAC1 valid.
    const mac2Changed = packet.slice();
    mac2Changed[140] ^= 1;
    expect(new CookieChecker(responder.publicKey).checkMac1(mac2Changed, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(true);
  });

  it('checks never throw on short packets or bad offsets', () => {
    const checker = new CookieChecker(responder.publicKey);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), fc.integer({ min: -3, max: 200 }), (bytes, offset) => {
        expect(typeof checker.checkMac1(bytes, offset)).toBe('boolean');
        expect(typeof checker.checkMac2(bytes, offset, ADDR, T0)).toBe('boolean');
      }),
      { numRuns: 200 },
    );
    expect(checker.checkMac1(new Uint8Array(147), HANDSHAKE_INIT_MAC1_OFFSET)).toBe(false);
  });

  it('a HandshakeResp MAC1 is checked with the initiator\'s own key: CookieChecker or CookieGenerator', () => {
    const resp = new Uint8Array(92);
    resp[0] = 2;
    new CookieGenerator(initiator.publicKey).addMacs(resp, HANDSHAKE_RESP_MAC1_OFFSET, T0);
    expect(new CookieChecker(initiator.publicKey).checkMac1(resp, HANDSHAKE_RESP_MAC1_OFFSET)).toBe(true);
    const generator = new CookieGenerator(responder.publicKey, initiator.publicKey);
    expect(generator.checkMac1(resp, HANDSHAKE_RESP_MAC1_OFFSET)).toBe(true);
    resp[20] ^= 1;
    expect(generator.checkMac1(resp, HANDSHAKE_RESP_MAC1_OFFSET)).toBe(false);
    expect(() => new CookieGenerator(responder.publicKey).checkMac1(resp, HANDSHAKE_RESP_MAC1_OFFSET)).toThrow(/localStaticPublic/);
  });
});

describe('cookie round trip (spec 6)', () => {
  it('derives the cookie exactly as spec 6.1 says and seals it under mac1 || zeros (spec 6.2, note 3)', () => {
    const random = countingRandom();
    const secret = random(32); // what the checker's first call will draw
    const checker = new CookieChecker(responder.publicKey, { random: countingRandom() });
    const packet = freshInit();
    new CookieGenerator(responder.publicKey).addMacs(packet, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    const reply = checker.createReply(packet, ADDR, T0);
    expect(reply.length).toBe(64);
    const decoded = decodeCookieReply(reply);
    if (!decoded.ok) throw new Error(decoded.error.message);
    expect(decoded.value.receiverIndex).toBe(0xdeadbeef);
    expect(hex(decoded.value.nonce)).toBe(hex(random(24)));

    const cookieKey = referenceBlake2s(concat(ascii('cookie--'), responder.publicKey), secret);
    const cookie = referenceBlake2s(ascii(ADDR), cookieKey).subarray(0, 16);
    const key = concat(packet.subarray(116, 132), new Uint8Array(16));
    expect(hex(xOpen(key, decoded.value.nonce, decoded.value.encryptedCookie) as Uint8Array)).toBe(hex(cookie));
  });

  it('only the genuine initiator can decrypt the reply; then its MAC2 is valid for its address only', () => {
    const checker = new CookieChecker(responder.publicKey);
    const genuine = new CookieGenerator(responder.publicKey);
    const bystander = new CookieGenerator(responder.publicKey);
    const first = freshInit();
    genuine.addMacs(first, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    bystander.addMacs(freshInit(), HANDSHAKE_INIT_MAC1_OFFSET, T0); // another packet, another mac1
    expect(checker.checkMac2(first, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0)).toBe(false);

    const reply = checker.createReply(first, ADDR, T0);
    expect(bystander.consumeReply(reply, T0)).toBe(false);
    expect(new CookieGenerator(responder.publicKey).consumeReply(reply, T0)).toBe(false); // nothing sent yet
    const forged = reply.slice();
    forged[40] ^= 1;
    expect(genuine.consumeReply(forged, T0)).toBe(false);
    expect(genuine.consumeReply(reply, T0 + 10)).toBe(true);
    expect(genuine.consumeReply(reply, T0 + 10)).toBe(false); // one reply per packet sent

    const retry = freshInit(T0 + 20);
    genuine.addMacs(retry, HANDSHAKE_INIT_MAC1_OFFSET, T0 + 20);
    expect(hex(retry.subarray(132))).not.toBe('00'.repeat(16));
    expect(checker.checkMac1(retry, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(true);
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 20)).toBe(true);
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, '192.0.2.7:51821', T0 + 20)).toBe(false);
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, '[2001:db8::7]:51820', T0 + 20)).toBe(false);
    const tampered = retry.slice();
    tampered[145] ^= 1;
    expect(checker.checkMac2(tampered, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 20)).toBe(false);
    // Another responder (another secret) does not accept it.
    expect(new CookieChecker(responder.publicKey).checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 20)).toBe(false);
  });

  it('stays valid across one secret rotation and is invalid after two (spec 6.1: 120 s rotation)', () => {
    const checker = new CookieChecker(responder.publicKey);
    const generator = new CookieGenerator(responder.publicKey);
    const first = freshInit();
    generator.addMacs(first, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    expect(generator.consumeReply(checker.createReply(first, ADDR, T0), T0)).toBe(true);
    const retry = freshInit(T0 + 1000);
    generator.addMacs(retry, HANDSHAKE_INIT_MAC1_OFFSET, T0 + 1000);

    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 119_999)).toBe(true);
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 130_000)).toBe(true); // 1st rotation
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 249_999)).toBe(true);
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 250_000)).toBe(false); // 2nd rotation
  });

  it('a long silence drops both secrets at once', () => {
    const checker = new CookieChecker(responder.publicKey);
    const generator = new CookieGenerator(responder.publicKey);
    const first = freshInit();
    generator.addMacs(first, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    generator.consumeReply(checker.createReply(first, ADDR, T0), T0);
    const retry = freshInit();
    generator.addMacs(retry, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 240_000)).toBe(false);
  });

  it('a clock that steps backwards rotates the secret instead of extending it', () => {
    const checker = new CookieChecker(responder.publicKey);
    const generator = new CookieGenerator(responder.publicKey);
    const first = freshInit();
    generator.addMacs(first, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    generator.consumeReply(checker.createReply(first, ADDR, T0), T0);
    const retry = freshInit();
    generator.addMacs(retry, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 - 1)).toBe(true); // now the previous secret
    expect(checker.checkMac2(retry, HANDSHAKE_INIT_MAC2_OFFSET, ADDR, T0 + 500_000)).toBe(false);
  });

  it('the initiator stops using a cookie older than 120 s (mac2 zero again)', () => {
    const checker = new CookieChecker(responder.publicKey);
    const generator = new CookieGenerator(responder.publicKey);
    const first = freshInit();
    generator.addMacs(first, HANDSHAKE_INIT_MAC1_OFFSET, T0);
    generator.consumeReply(checker.createReply(first, ADDR, T0), T0);
    const young = freshInit();
    generator.addMacs(young, HANDSHAKE_INIT_MAC1_OFFSET, T0 + 119_999);
    expect(hex(young.subarray(132))).not.toBe('00'.repeat(16));
    const old = freshInit();
    generator.addMacs(old, HANDSHAKE_INIT_MAC1_OFFSET, T0 + 120_000);
    expect(hex(old.subarray(132))).toBe('00'.repeat(16));
  });

  it('consumeReply never throws on arbitrary bytes', () => {
    const generator = new CookieGenerator(responder.publicKey);
    generator.addMacs(freshInit(), HANDSHAKE_INIT_MAC1_OFFSET, T0);
    const replyShaped = fc.uint8Array({ minLength: 60, maxLength: 60 }).map((rest) => Uint8Array.from([3, 0, 0, 0, ...rest]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), replyShaped), (bytes) => {
        expect(generator.consumeReply(bytes, T0)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('argument errors are InvalidArgumentErrors', () => {
    const checker = new CookieChecker(responder.publicKey);
    expect(() => checker.createReply(new Uint8Array(148), ADDR, T0)).toThrow(/HandshakeInit/);
    expect(() => new CookieGenerator(responder.publicKey).addMacs(new Uint8Array(100), 90, T0)).toThrow(/no room/);
    expect(() => new CookieChecker(new Uint8Array(31))).toThrow(/32-byte/);
  });
});

describe('formatAddress (spec 6.1, editor\'s note 10)', () => {
  it('writes "ip:port" and "[ipv6]:port" like Go\'s UDPAddr.String()', () => {
    expect(formatAddress('192.0.2.7', 51820)).toBe('192.0.2.7:51820');
    expect(formatAddress('::1', 9)).toBe('[::1]:9');
    expect(formatAddress('[2001:db8::1]', 443)).toBe('[2001:db8::1]:443');
    expect(formatAddress('fe80::1%eth0', 1)).toBe('[fe80::1%eth0]:1');
    expect(formatAddress('::ffff:192.0.2.7', 0)).toBe('[::ffff:192.0.2.7]:0');
    expect(() => formatAddress('192.0.2.7', 65536)).toThrow(/port/);
    expect(() => formatAddress('192.0.2.7', 1.5)).toThrow(/port/);
  });
});
