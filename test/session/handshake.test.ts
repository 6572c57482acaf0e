/**
 * Noise IK handshake (spec 5): full handshakes across both providers, every tampered field failing, the
 * timestamp window, low-order points, and the state rules (forged responses do not consume the initiation).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CookieChecker, CookieGenerator } from '../../src/session/cookie.js';
import { nativeSuite, pureSuite, type CryptoSuite, type KeyPair } from '../../src/session/crypto/index.js';
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  INITIAL_CHAINING_KEY,
  INITIAL_HASH,
  type InitiatorState,
} from '../../src/session/handshake.js';
import { tai64nToMs } from '../../src/session/tai64n.js';
import { HANDSHAKE_INIT_MAC1_OFFSET, HANDSHAKE_RESP_MAC1_OFFSET } from '../../src/wire/index.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const native = nativeSuite();
const pure = pureSuite();
const suites: CryptoSuite[] = native === null ? [pure] : [native, pure];
const NOW = 1_750_000_000_000;
const ZERO_POINT = new Uint8Array(32);

interface Peer {
  keys: KeyPair;
  checker: CookieChecker;
}

function peer(suite: CryptoSuite): Peer {
  const keys = suite.generateKeyPair();
  return { keys, checker: new CookieChecker(keys.publicKey) };
}

/** Initiator `a` starts a handshake with responder `b`; returns the packet with MAC1 filled in. */
function initiate(suite: CryptoSuite, a: Peer, b: Peer, senderIndex = 0x01020304, nowMs = NOW) {
  const init = createInitiation({ suite, localStatic: a.keys, remoteStatic: b.keys.publicKey, senderIndex, nowMs });
  if (init === null) throw new Error('unexpected low-order key');
  new CookieGenerator(b.keys.publicKey).addMacs(init.packet, HANDSHAKE_INIT_MAC1_OFFSET, nowMs);
  return init;
}

/** Responder side: consume and answer; returns the response packet (MAC1 filled in) and keys. */
function respond(suite: CryptoSuite, b: Peer, packet: Uint8Array, senderIndex = 0x0a0b0c0d, nowMs = NOW) {
  const consumed = consumeInitiation({ suite, localStatic: b.keys, packet, nowMs });
  if (!consumed.ok) throw new Error(`consumeInitiation failed: ${consumed.reason}`);
  const resp = createResponse(consumed.state, { senderIndex });
  if (resp === null) throw new Error('unexpected low-order key');
  new CookieGenerator(consumed.remoteStatic).addMacs(resp.packet, HANDSHAKE_RESP_MAC1_OFFSET, nowMs);
  return { consumed, resp };
}

/** Re-computes MAC1 as an on-path attacker can (it needs only the responder's public key). */
function remac(packet: Uint8Array, receiverPublic: Uint8Array, mac1Offset: number): Uint8Array {
  const copy = packet.slice();
  new CookieGenerator(receiverPublic).addMacs(copy, mac1Offset, NOW);
  return copy;
}

describe('initial chaining key and hash (spec 2.2, editor\'s note 1)', () => {
  it('is the first 32 bytes of the construction string, and initialH = BLAKE2s(ck || "wiresocket v1")', () => {
    expect(Buffer.from(INITIAL_CHAINING_KEY).toString('latin1')).toBe('Noise_IK_25519_ChaChaPoly_BLAKE2');
    const expected = createHash('blake2s256')
      .update(Buffer.from('Noise_IK_25519_ChaChaPoly_BLAKE2', 'ascii'))
      .update(Buffer.from('wiresocket v1', 'ascii'))
      .digest('hex');
    expect(hex(INITIAL_HASH)).toBe(expected);
  });
});

for (const initiatorSuite of suites) {
  for (const responderSuite of suites) {
    it(`completes a handshake: initiator ${initiatorSuite.name}, responder ${responderSuite.name}`, () => {
      const a = peer(initiatorSuite);
      const b = peer(responderSuite);
      const init = initiate(initiatorSuite, a, b);
      expect(init.packet.length).toBe(148);
      expect(b.checker.checkMac1(init.packet, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(true);

      const { consumed, resp } = respond(responderSuite, b, init.packet);
      expect(hex(consumed.remoteStatic)).toBe(hex(a.keys.publicKey));
      expect(consumed.remoteIndex).toBe(0x01020304);
      expect(tai64nToMs(consumed.timestamp)).toBe(NOW);
      expect(resp.packet.length).toBe(92);
      expect(a.checker.checkMac1(resp.packet, HANDSHAKE_RESP_MAC1_OFFSET)).toBe(true);

      const done = consumeResponse(init.state, resp.packet);
      if (!done.ok) throw new Error(done.reason);
      expect(done.remoteIndex).toBe(0x0a0b0c0d);
      // spec 5.6: the initiator sends with T1 and receives with T2; the responder mirrors it.
      expect(hex(done.keys.sendKey)).toBe(hex(resp.keys.recvKey));
      expect(hex(done.keys.recvKey)).toBe(hex(resp.keys.sendKey));
      expect(hex(done.keys.sendKey)).not.toBe(hex(done.keys.recvKey));
      expect(hex(done.handshakeHash)).toBe(hex(resp.handshakeHash));
      expect(done.handshakeHash.length).toBe(32);

      // The keys carry traffic both ways, across providers.
      const toResponder = new Uint8Array(16 + 5 + 16);
      toResponder.set([1, 2, 3, 4, 5], 16);
      initiatorSuite.transportCipher(done.keys.sendKey).sealInPlace(0, toResponder, 16, 5);
      expect(responderSuite.transportCipher(resp.keys.recvKey).openInPlace(0, toResponder, 16, 21)).toBe(5);
      expect([...toResponder.subarray(16, 21)]).toEqual([1, 2, 3, 4, 5]);
      const toInitiator = new Uint8Array(16 + 3 + 16);
      toInitiator.set([9, 8, 7], 16);
      responderSuite.transportCipher(resp.keys.sendKey).sealInPlace(0, toInitiator, 16, 3);
      expect(initiatorSuite.transportCipher(done.keys.recvKey).openInPlace(0, toInitiator, 16, 19)).toBe(3);
    });
  }
}

for (const suite of suites) {
  describe(`${suite.name}: failures`, () => {
    it('every tampered byte of a HandshakeInit body fails or changes only the unauthenticated index', () => {
      const a = peer(suite);
      const b = peer(suite);
      const { packet } = initiate(suite, a, b);
      for (let i = 0; i < HANDSHAKE_INIT_MAC1_OFFSET; i++) {
        const tampered = packet.slice();
        tampered[i] ^= 0x04;
        // Without re-computing MAC1 the CookieChecker drops it first (spec 5.3: verify MAC1).
        expect(b.checker.checkMac1(tampered, HANDSHAKE_INIT_MAC1_OFFSET), `byte ${i}`).toBe(false);
        const forged = remac(tampered, b.keys.publicKey, HANDSHAKE_INIT_MAC1_OFFSET);
        expect(b.checker.checkMac1(forged, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(true);
        const result = consumeInitiation({ suite, localStatic: b.keys, packet: forged, nowMs: NOW });
        if (i < 4) expect(result, `byte ${i}`).toEqual({ ok: false, reason: 'decode' });
        else if (i < 8) {
          // sender_index is covered by MAC1 only; a changed index just routes the response nowhere.
          expect(result.ok && result.remoteIndex !== 0x01020304, `byte ${i}`).toBe(true);
        } else expect(result.ok ? 'ok' : result.reason, `byte ${i}`).toMatch(/^(decrypt|low_order)$/);
      }
      // Tampered MAC bytes are caught by the checker alone.
      for (let i = HANDSHAKE_INIT_MAC1_OFFSET; i < HANDSHAKE_INIT_MAC1_OFFSET + 16; i++) {
        const tampered = packet.slice();
        tampered[i] ^= 0x01;
        expect(b.checker.checkMac1(tampered, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(false);
      }
    });

    it('every tampered byte of a HandshakeResp body fails, and the genuine response still completes', () => {
      const a = peer(suite);
      const b = peer(suite);
      const init = initiate(suite, a, b);
      const { resp } = respond(suite, b, init.packet);
      for (let i = 0; i < HANDSHAKE_RESP_MAC1_OFFSET; i++) {
        const tampered = resp.packet.slice();
        tampered[i] ^= 0x10;
        expect(a.checker.checkMac1(tampered, HANDSHAKE_RESP_MAC1_OFFSET), `byte ${i}`).toBe(false);
        if (i >= 4 && i < 8) continue; // the responder's own index: below, on separate initiations
        const result = consumeResponse(init.state, remac(tampered, a.keys.publicKey, HANDSHAKE_RESP_MAC1_OFFSET));
        if (i < 4) expect(result, `byte ${i}`).toEqual({ ok: false, reason: 'decode' });
        else if (i < 12) expect(result, `byte ${i}`).toEqual({ ok: false, reason: 'index' });
        else expect(result.ok ? 'ok' : result.reason, `byte ${i}`).toMatch(/^(decrypt|low_order)$/);
        // A forged response must not consume the pending initiation.
        expect(init.state.destroyed).toBe(false);
      }
      expect(consumeResponse(init.state, resp.packet).ok).toBe(true);

      // sender_index (bytes 4..7) is covered by MAC1 only: with MAC1 re-computed the keys still agree
      // and only the index the initiator will address differs.
      for (let i = 4; i < 8; i++) {
        const fresh = initiate(suite, a, b);
        const tampered = respond(suite, b, fresh.packet).resp.packet.slice();
        tampered[i] ^= 0x10;
        const result = consumeResponse(fresh.state, remac(tampered, a.keys.publicKey, HANDSHAKE_RESP_MAC1_OFFSET));
        expect(result.ok && result.remoteIndex !== 0x0a0b0c0d, `byte ${i}`).toBe(true);
      }
    });

    it('round-trips arbitrary indices and times (initiation -> responder -> initiator)', () => {
      const a = peer(suite);
      const b = peer(suite);
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 0xffff_ffff }),
          fc.integer({ min: 0, max: 0xffff_ffff }),
          fc.integer({ min: 0, max: 4_000_000_000_000 }),
          (initiatorIndex, responderIndex, nowMs) => {
            const init = initiate(suite, a, b, initiatorIndex, nowMs);
            const { consumed, resp } = respond(suite, b, init.packet, responderIndex, nowMs);
            expect(consumed.remoteIndex).toBe(initiatorIndex);
            expect(tai64nToMs(consumed.timestamp)).toBe(nowMs);
            const done = consumeResponse(init.state, resp.packet);
            expect(done.ok && done.remoteIndex).toBe(responderIndex);
            expect(done.ok && hex(done.keys.sendKey)).toBe(hex(resp.keys.recvKey));
          },
        ),
        { numRuns: suite.name === 'native' ? 40 : 8 },
      );
    });

    it('rejects timestamps outside +-180 s (spec 4.1) and honours maxSkewMs', () => {
      const a = peer(suite);
      const b = peer(suite);
      const { packet } = initiate(suite, a, b);
      const at = (nowMs: number, maxSkewMs?: number) => {
        const r = consumeInitiation({ suite, localStatic: b.keys, packet, nowMs, maxSkewMs });
        return r.ok ? 'ok' : r.reason;
      };
      expect(at(NOW + 180_000)).toBe('ok');
      expect(at(NOW - 180_000)).toBe('ok');
      expect(at(NOW + 180_001)).toBe('skew');
      expect(at(NOW - 180_001)).toBe('skew');
      expect(at(NOW + 5_000, 4_999)).toBe('skew');
      expect(at(NOW + 5_000, 5_000)).toBe('ok');
      expect(at(NOW + 10 ** 12, Number.POSITIVE_INFINITY)).toBe('ok');
      expect(() => at(NOW, -1)).toThrow(/maxSkewMs/);
      expect(() => at(NOW, Number.NaN)).toThrow(/maxSkewMs/);
    });

    it('cannot be consumed by anyone but the intended responder', () => {
      const a = peer(suite);
      const b = peer(suite);
      const c = peer(suite);
      const { packet } = initiate(suite, a, b);
      expect(c.checker.checkMac1(packet, HANDSHAKE_INIT_MAC1_OFFSET)).toBe(false);
      const r = consumeInitiation({ suite, localStatic: c.keys, packet, nowMs: NOW });
      expect(r).toEqual({ ok: false, reason: 'decrypt' });
    });

    it('returns null / low_order for low-order points (spec 2)', () => {
      const a = peer(suite);
      const b = peer(suite);
      // A responder "key" that is a low-order point.
      expect(createInitiation({ suite, localStatic: a.keys, remoteStatic: ZERO_POINT, senderIndex: 1, nowMs: NOW })).toBeNull();

      // An initiation whose ephemeral is a low-order point.
      const { packet } = initiate(suite, a, b);
      const badEphemeral = packet.slice();
      badEphemeral.set(ZERO_POINT, 8);
      expect(consumeInitiation({ suite, localStatic: b.keys, packet: badEphemeral, nowMs: NOW })).toEqual({
        ok: false,
        reason: 'low_order',
      });

      // A malicious initiator that claims a low-order static key.
      const liar = { publicKey: ZERO_POINT.slice(), privateKey: a.keys.privateKey };
      const lying = createInitiation({ suite, localStatic: liar, remoteStatic: b.keys.publicKey, senderIndex: 1, nowMs: NOW });
      expect(lying).not.toBeNull();
      const r = consumeInitiation({ suite, localStatic: b.keys, packet: (lying as { packet: Uint8Array }).packet, nowMs: NOW });
      expect(r).toEqual({ ok: false, reason: 'low_order' });

      // A response whose ephemeral is a low-order point.
      const init = initiate(suite, a, b);
      const { resp } = respond(suite, b, init.packet);
      const badResp = resp.packet.slice();
      badResp.set(ZERO_POINT, 12);
      expect(consumeResponse(init.state, badResp)).toEqual({ ok: false, reason: 'low_order' });
      expect(consumeResponse(init.state, resp.packet).ok).toBe(true);
    });

    it('rejects a response for another initiation (index) and one from another responder (decrypt)', () => {
      const a = peer(suite);
      const b = peer(suite);
      const first = initiate(suite, a, b, 111);
      const second = initiate(suite, a, b, 222);
      const { resp } = respond(suite, b, first.packet);
      expect(consumeResponse(second.state, resp.packet)).toEqual({ ok: false, reason: 'index' });
      // Same index, different initiation (another ephemeral): the responder's keys do not match.
      const third = initiate(suite, a, b, 111);
      expect(consumeResponse(third.state, resp.packet)).toEqual({ ok: false, reason: 'decrypt' });
      expect(consumeResponse(first.state, resp.packet).ok).toBe(true);
    });
  });

  describe(`${suite.name}: state rules`, () => {
    it('a successful consumeResponse destroys the state and zeroes the ephemeral key; a replay is refused', () => {
      const a = peer(suite);
      const b = peer(suite);
      const init = initiate(suite, a, b);
      const { resp } = respond(suite, b, init.packet);
      expect(init.state.destroyed).toBe(false);
      expect(consumeResponse(init.state, resp.packet).ok).toBe(true);
      expect(init.state.destroyed).toBe(true);
      const internals = init.state as unknown as { ephemeralPrivate: Uint8Array };
      expect(internals.ephemeralPrivate.every((byte) => byte === 0)).toBe(true);
      expect(consumeResponse(init.state, resp.packet)).toEqual({ ok: false, reason: 'index' });
      init.state.destroy(); // idempotent
    });

    it('a destroyed initiation cannot complete', () => {
      const a = peer(suite);
      const b = peer(suite);
      const init = initiate(suite, a, b);
      const { resp } = respond(suite, b, init.packet);
      init.state.destroy();
      expect(consumeResponse(init.state, resp.packet)).toEqual({ ok: false, reason: 'index' });
      expect(consumeResponse({ senderIndex: 1 } as unknown as InitiatorState, resp.packet)).toEqual({ ok: false, reason: 'index' });
    });

    it('createResponse consumes its state; using it again throws HANDSHAKE_STATE', () => {
      const a = peer(suite);
      const b = peer(suite);
      const { packet } = initiate(suite, a, b);
      const consumed = consumeInitiation({ suite, localStatic: b.keys, packet, nowMs: NOW });
      if (!consumed.ok) throw new Error(consumed.reason);
      expect(createResponse(consumed.state, { senderIndex: 5 })).not.toBeNull();
      expect(consumed.state.destroyed).toBe(true);
      expect(() => createResponse(consumed.state, { senderIndex: 6 })).toThrow(/fresh state/);
    });

    it('fresh ephemerals make every initiation and session key different', () => {
      const a = peer(suite);
      const b = peer(suite);
      const one = initiate(suite, a, b, 7);
      const two = initiate(suite, a, b, 7);
      expect(hex(one.packet)).not.toBe(hex(two.packet));
      const k1 = consumeResponse(one.state, respond(suite, b, one.packet).resp.packet);
      const k2 = consumeResponse(two.state, respond(suite, b, two.packet).resp.packet);
      if (!k1.ok || !k2.ok) throw new Error('handshake failed');
      expect(hex(k1.keys.sendKey)).not.toBe(hex(k2.keys.sendKey));
      expect(hex(k1.handshakeHash)).not.toBe(hex(k2.handshakeHash));
    });

    it('leaves a caller-supplied ephemeral key alone, and validates its arguments', () => {
      const a = peer(suite);
      const b = peer(suite);
      const ephemeral = suite.generateKeyPair();
      const before = hex(ephemeral.privateKey);
      const init = createInitiation({ suite, localStatic: a.keys, remoteStatic: b.keys.publicKey, senderIndex: 1, nowMs: NOW, ephemeral });
      init?.state.destroy();
      expect(hex(ephemeral.privateKey)).toBe(before);
      const base = { suite, localStatic: a.keys, remoteStatic: b.keys.publicKey, nowMs: NOW };
      expect(() => createInitiation({ ...base, senderIndex: -1 })).toThrow(/senderIndex/);
      expect(() => createInitiation({ ...base, senderIndex: 2 ** 32 })).toThrow(/senderIndex/);
      expect(() => createInitiation({ ...base, senderIndex: 1, remoteStatic: new Uint8Array(31) })).toThrow(/remoteStatic/);
      expect(() => createInitiation({ ...base, senderIndex: 1, nowMs: Number.NaN })).toThrow(/nowMs/);
    });

    it('consumeInitiation and consumeResponse never throw on arbitrary bytes', () => {
      const a = peer(suite);
      const b = peer(suite);
      const init = initiate(suite, a, b);
      const initHeader = fc.uint8Array({ minLength: 144, maxLength: 144 }).map((rest) => Uint8Array.from([1, 0, 0, 0, ...rest]));
      const respHeader = fc.uint8Array({ minLength: 88, maxLength: 88 }).map((rest) => Uint8Array.from([2, 0, 0, 0, ...rest]));
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), initHeader, respHeader), (bytes) => {
          const r1 = consumeInitiation({ suite, localStatic: b.keys, packet: bytes, nowMs: NOW });
          expect(r1.ok).toBe(false);
          const r2 = consumeResponse(init.state, bytes);
          expect(r2.ok).toBe(false);
        }),
        { numRuns: 100 },
      );
      expect(init.state.destroyed).toBe(false);
    });
  });
}

describe('StaticStaticCache', () => {
  it('gives the same handshake as computing DH(s, s) afresh, and bounds its entries', async () => {
    const { StaticStaticCache, createInitiation, consumeInitiation } = await import('../../src/session/handshake.js');
    const { defaultSuite } = await import('../../src/session/crypto/index.js');
    const suite = defaultSuite();
    const a = suite.generateKeyPair();
    const b = suite.generateKeyPair();
    const eph = suite.generateKeyPair();
    const now = 1_700_000_000_000;
    const cacheA = new StaticStaticCache(suite, a.privateKey, 2);
    const cacheB = new StaticStaticCache(suite, b.privateKey, 2);
    for (let round = 0; round < 3; round++) {
      const plain = createInitiation({ suite, localStatic: a, remoteStatic: b.publicKey, senderIndex: 5, nowMs: now, ephemeral: { ...eph, privateKey: eph.privateKey.slice() } })!;
      const cached = createInitiation({ suite, localStatic: a, remoteStatic: b.publicKey, senderIndex: 5, nowMs: now, ephemeral: { ...eph, privateKey: eph.privateKey.slice() }, staticStatic: cacheA })!;
      expect(Buffer.from(cached.packet).equals(Buffer.from(plain.packet))).toBe(true);
      const consumed = consumeInitiation({ suite, localStatic: b, packet: cached.packet, nowMs: now, staticStatic: cacheB });
      expect(consumed.ok).toBe(true);
    }
    for (let i = 0; i < 5; i++) cacheA.get(suite.generateKeyPair().publicKey);
    expect(cacheA.size).toBe(2);
    expect(cacheA.get(new Uint8Array(32))).toBeNull();
    cacheA.destroy();
    expect(cacheA.size).toBe(0);
  });
});
