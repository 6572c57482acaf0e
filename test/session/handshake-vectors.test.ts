/**
 * Known-answer transcript (test/vectors/handshake-v1.json): both providers must reproduce every byte, and
 * an independent derivation straight from spec 5 (node:crypto X25519 and ChaCha20-Poly1305, the RFC 7693
 * reference BLAKE2s of these tests) must arrive at the same bytes.
 */
import { createCipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CookieGenerator } from '../../src/session/cookie.js';
import { nativeSuite, pureSuite, type CryptoSuite, type KeyPair } from '../../src/session/crypto/index.js';
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  INITIAL_CHAINING_KEY,
  INITIAL_HASH,
} from '../../src/session/handshake.js';
import { tai64n } from '../../src/session/tai64n.js';
import { HANDSHAKE_INIT_MAC1_OFFSET, HANDSHAKE_RESP_MAC1_OFFSET } from '../../src/wire/index.js';
import { referenceBlake2s } from './crypto-blake2s-reference.js';

interface Vectors {
  initialChainingKey: string;
  initialHash: string;
  nowMs: number;
  initiatorStaticPrivate: string;
  initiatorStaticPublic: string;
  responderStaticPrivate: string;
  responderStaticPublic: string;
  initiatorEphemeralPrivate: string;
  initiatorEphemeralPublic: string;
  responderEphemeralPrivate: string;
  responderEphemeralPublic: string;
  initiatorIndex: number;
  responderIndex: number;
  timestamp: string;
  handshakeInit: string;
  handshakeResp: string;
  initiatorSendKey: string;
  initiatorRecvKey: string;
  handshakeHash: string;
  dataCounter: number;
  dataPlaintext: string;
  dataPacket: string;
}

const v = JSON.parse(readFileSync(new URL('../vectors/handshake-v1.json', import.meta.url), 'utf8')) as Vectors;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const pair = (privateKey: string, publicKey: string): KeyPair => ({ privateKey: bytes(privateKey), publicKey: bytes(publicKey) });

const native = nativeSuite();
const suites: CryptoSuite[] = native === null ? [pureSuite()] : [native, pureSuite()];

for (const suite of suites) {
  describe(`${suite.name} reproduces handshake-v1.json`, () => {
    const initiatorStatic = pair(v.initiatorStaticPrivate, v.initiatorStaticPublic);
    const responderStatic = pair(v.responderStaticPrivate, v.responderStaticPublic);

    it('public keys', () => {
      expect(hex(suite.publicKey(initiatorStatic.privateKey))).toBe(v.initiatorStaticPublic);
      expect(hex(suite.publicKey(responderStatic.privateKey))).toBe(v.responderStaticPublic);
      expect(hex(suite.publicKey(bytes(v.initiatorEphemeralPrivate)))).toBe(v.initiatorEphemeralPublic);
      expect(hex(suite.publicKey(bytes(v.responderEphemeralPrivate)))).toBe(v.responderEphemeralPublic);
    });

    it('every byte of the init, response, keys, hash and Data packet', () => {
      const init = createInitiation({
        suite,
        localStatic: initiatorStatic,
        remoteStatic: responderStatic.publicKey,
        senderIndex: v.initiatorIndex,
        nowMs: v.nowMs,
        ephemeral: pair(v.initiatorEphemeralPrivate, v.initiatorEphemeralPublic),
      });
      if (init === null) throw new Error('low order');
      new CookieGenerator(responderStatic.publicKey).addMacs(init.packet, HANDSHAKE_INIT_MAC1_OFFSET, v.nowMs);
      expect(hex(init.packet)).toBe(v.handshakeInit);

      const consumed = consumeInitiation({ suite, localStatic: responderStatic, packet: bytes(v.handshakeInit), nowMs: v.nowMs });
      if (!consumed.ok) throw new Error(consumed.reason);
      expect(hex(consumed.timestamp)).toBe(v.timestamp);
      expect(hex(consumed.remoteStatic)).toBe(v.initiatorStaticPublic);
      expect(consumed.remoteIndex).toBe(v.initiatorIndex);
      const resp = createResponse(consumed.state, {
        senderIndex: v.responderIndex,
        ephemeral: pair(v.responderEphemeralPrivate, v.responderEphemeralPublic),
      });
      if (resp === null) throw new Error('low order');
      new CookieGenerator(consumed.remoteStatic).addMacs(resp.packet, HANDSHAKE_RESP_MAC1_OFFSET, v.nowMs);
      expect(hex(resp.packet)).toBe(v.handshakeResp);
      expect(hex(resp.keys.recvKey)).toBe(v.initiatorSendKey);
      expect(hex(resp.keys.sendKey)).toBe(v.initiatorRecvKey);
      expect(hex(resp.handshakeHash)).toBe(v.handshakeHash);

      const done = consumeResponse(init.state, bytes(v.handshakeResp));
      if (!done.ok) throw new Error(done.reason);
      expect(done.remoteIndex).toBe(v.responderIndex);
      expect(hex(done.keys.sendKey)).toBe(v.initiatorSendKey);
      expect(hex(done.keys.recvKey)).toBe(v.initiatorRecvKey);
      expect(hex(done.handshakeHash)).toBe(v.handshakeHash);

      const packet = bytes(v.dataPacket);
      // The responder opens the initiator's Data packet with its receive key (= the initiator's send key).
      const plainLength = suite.transportCipher(resp.keys.recvKey).openInPlace(v.dataCounter, packet, 16, packet.length - 16);
      expect(plainLength).toBe(v.dataPlaintext.length / 2);
      expect(hex(packet.subarray(16, 16 + plainLength))).toBe(v.dataPlaintext);
      const sealed = bytes(v.dataPacket);
      sealed.set(bytes(v.dataPlaintext), 16);
      suite.transportCipher(done.keys.sendKey).sealInPlace(v.dataCounter, sealed, 16, plainLength);
      expect(hex(sealed)).toBe(v.dataPacket);
    });
  });
}

describe('independent derivation from spec 5 (no code from src/session)', () => {
  const HASH = (...parts: Uint8Array[]): Uint8Array => referenceBlake2s(concat(...parts));
  const MAC = (key: Uint8Array, ...parts: Uint8Array[]): Uint8Array => referenceBlake2s(concat(...parts), key);
  const KDF2 = (ck: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] => {
    const prk = MAC(ck, input);
    const t1 = MAC(prk, Uint8Array.of(1));
    return [t1, MAC(prk, t1, Uint8Array.of(2))];
  };
  const AEAD = (key: Uint8Array, counter: number, ad: Uint8Array, plain: Uint8Array): Uint8Array => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.setAAD(ad, { plaintextLength: plain.length });
    return concat(c.update(plain), c.final(), c.getAuthTag());
  };
  const DH = (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array =>
    Uint8Array.from(
      diffieHellman({
        privateKey: createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), privateKey]), format: 'der', type: 'pkcs8' }),
        publicKey: createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), publicKey]), format: 'der', type: 'spki' }),
      }),
    );
  const le32 = (n: number): Uint8Array => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, n, true);
    return out;
  };

  it('arrives at the same bytes as handshake-v1.json', () => {
    const sInitPriv = bytes(v.initiatorStaticPrivate);
    const sInitPub = bytes(v.initiatorStaticPublic);
    const sRespPriv = bytes(v.responderStaticPrivate);
    const sRespPub = bytes(v.responderStaticPublic);
    const eInitPriv = bytes(v.initiatorEphemeralPrivate);
    const eInitPub = bytes(v.initiatorEphemeralPublic);
    const eRespPriv = bytes(v.responderEphemeralPrivate);
    const eRespPub = bytes(v.responderEphemeralPublic);

    // spec 2.2 + editor's note 1
    let ck: Uint8Array = ascii('Noise_IK_25519_ChaChaPoly_BLAKE2s').slice(0, 32);
    let h: Uint8Array = Uint8Array.from(createHash('blake2s256').update(ck).update('wiresocket v1').digest());
    expect(hex(ck)).toBe(v.initialChainingKey);
    expect(hex(h)).toBe(v.initialHash);
    expect(hex(INITIAL_CHAINING_KEY)).toBe(v.initialChainingKey);
    expect(hex(INITIAL_HASH)).toBe(v.initialHash);

    // spec 5.2
    let k: Uint8Array;
    h = HASH(h, sRespPub);
    h = HASH(h, eInitPub);
    [ck, k] = KDF2(ck, DH(eInitPriv, sRespPub));
    const encryptedStatic = AEAD(k, 0, h, sInitPub);
    h = HASH(h, encryptedStatic);
    [ck, k] = KDF2(ck, DH(sInitPriv, sRespPub));
    // editor's note 6: 2^62 + unix seconds, then nanoseconds, both big-endian
    const ts = new Uint8Array(12);
    const view = new DataView(ts.buffer);
    view.setBigUint64(0, 0x4000000000000000n + BigInt(Math.floor(v.nowMs / 1000)));
    view.setUint32(8, (v.nowMs % 1000) * 1_000_000);
    expect(hex(ts)).toBe(v.timestamp);
    expect(hex(tai64n(v.nowMs))).toBe(v.timestamp);
    const encryptedTimestamp = AEAD(k, 0, h, ts);
    h = HASH(h, encryptedTimestamp);
    const initBody = concat(Uint8Array.of(1, 0, 0, 0), le32(v.initiatorIndex), eInitPub, encryptedStatic, encryptedTimestamp);
    const initMac1 = MAC(HASH(ascii('mac1----'), sRespPub), initBody).slice(0, 16);
    expect(hex(concat(initBody, initMac1, new Uint8Array(16)))).toBe(v.handshakeInit);

    // spec 5.4 (the initiator's 5.5 mirrors it)
    h = HASH(h, eRespPub);
    [ck, k] = KDF2(ck, DH(eRespPriv, eInitPub));
    expect(hex(DH(eInitPriv, eRespPub))).toBe(hex(DH(eRespPriv, eInitPub)));
    [ck, k] = KDF2(ck, DH(eRespPriv, sInitPub));
    const encryptedNil = AEAD(k, 0, h, new Uint8Array(0));
    h = HASH(h, encryptedNil);
    const respBody = concat(Uint8Array.of(2, 0, 0, 0), le32(v.responderIndex), le32(v.initiatorIndex), eRespPub, encryptedNil);
    const respMac1 = MAC(HASH(ascii('mac1----'), sInitPub), respBody).slice(0, 16);
    expect(hex(concat(respBody, respMac1, new Uint8Array(16)))).toBe(v.handshakeResp);
    expect(hex(h)).toBe(v.handshakeHash);

    // spec 5.6 + editor's note 5
    const [t1, t2] = KDF2(ck, new Uint8Array(0));
    expect(hex(t1)).toBe(v.initiatorSendKey);
    expect(hex(t2)).toBe(v.initiatorRecvKey);

    // spec 4.4: header, then ChaCha20-Poly1305 under T1 with the counter-0 nonce and empty AAD.
    const header = concat(Uint8Array.of(4, 0, 0, 0), le32(v.responderIndex), new Uint8Array(8));
    expect(hex(concat(header, AEAD(t1, v.dataCounter, new Uint8Array(0), bytes(v.dataPlaintext))))).toBe(v.dataPacket);
  });
});
