/**
 * Crypto benchmarks, per provider: transport seal+open of 1 KiB in place (MB/s of plaintext), X25519 DH per
 * second, and full in-process handshakes per second (both sides, MACs included). Same-run baseline:
 * node:crypto ChaCha20-Poly1305 (OpenSSL, one cipher object per packet), reported with each provider's
 * ratio against it. About 2 s in total. Run alone: `npx tsx bench/crypto.ts`.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { CookieChecker, CookieGenerator } from '../src/session/cookie.js';
import { nativeSuite, pureSuite, randomBytes, type CryptoSuite } from '../src/session/crypto/index.js';
import { consumeInitiation, consumeResponse, createInitiation, createResponse } from '../src/session/handshake.js';
import { HANDSHAKE_INIT_MAC1_OFFSET, HANDSHAKE_RESP_MAC1_OFFSET } from '../src/wire/index.js';
import { opsPerSecond } from './ops-per-second.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const PAYLOAD = 1024;
const HEADER = 16;
const TAG = 16;

const megabytesPerSecond = (opsPerSec: number): number => (opsPerSec * PAYLOAD) / 1e6;

/** Seal 1 KiB into a reused packet buffer, then open it again, like one packet each way. */
function transportRate(suite: CryptoSuite, durationMs: number): number {
  const key = randomBytes(32);
  const sender = suite.transportCipher(key);
  const receiver = suite.transportCipher(key);
  const packet = new Uint8Array(HEADER + PAYLOAD + TAG);
  packet.set(randomBytes(PAYLOAD), HEADER);
  const rate = opsPerSecond(durationMs, 64, (i) => {
    sender.sealInPlace(i, packet, HEADER, PAYLOAD);
    if (receiver.openInPlace(i, packet, HEADER, PAYLOAD + TAG) !== PAYLOAD) throw new Error('transport open failed');
  });
  sender.destroy();
  receiver.destroy();
  return megabytesPerSecond(rate);
}

function opensslRate(durationMs: number): number {
  const key = randomBytes(32);
  const nonce = new Uint8Array(12);
  const plain = randomBytes(PAYLOAD);
  const view = new DataView(nonce.buffer);
  const rate = opsPerSecond(durationMs, 64, (i) => {
    view.setUint32(4, i, true);
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    const sealed = c.update(plain);
    c.final();
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    d.setAuthTag(c.getAuthTag());
    d.update(sealed);
    d.final();
  });
  return megabytesPerSecond(rate);
}

function dhRate(suite: CryptoSuite, durationMs: number): number {
  const mine = suite.generateKeyPair();
  const peers = Array.from({ length: 16 }, () => suite.generateKeyPair().publicKey);
  return opsPerSecond(durationMs, 16, (i) => {
    if (suite.dh(mine.privateKey, peers[i & 15]) === null) throw new Error('unexpected low-order key');
  });
}

/** One full handshake: both sides, with MAC1 written and checked as the endpoint does. */
function handshakeRate(suite: CryptoSuite, durationMs: number): number {
  const initiator = suite.generateKeyPair();
  const responder = suite.generateKeyPair();
  const responderChecker = new CookieChecker(responder.publicKey);
  const initiatorChecker = new CookieChecker(initiator.publicKey);
  const toResponder = new CookieGenerator(responder.publicKey);
  const toInitiator = new CookieGenerator(initiator.publicKey);
  const now = Date.now();
  return opsPerSecond(durationMs, 8, (i) => {
    const init = createInitiation({ suite, localStatic: initiator, remoteStatic: responder.publicKey, senderIndex: i >>> 0, nowMs: now });
    if (init === null) throw new Error('low order');
    toResponder.addMacs(init.packet, HANDSHAKE_INIT_MAC1_OFFSET, now);
    if (!responderChecker.checkMac1(init.packet, HANDSHAKE_INIT_MAC1_OFFSET)) throw new Error('mac1');
    const consumed = consumeInitiation({ suite, localStatic: responder, packet: init.packet, nowMs: now });
    if (!consumed.ok) throw new Error(consumed.reason);
    const resp = createResponse(consumed.state, { senderIndex: 7 });
    if (resp === null) throw new Error('low order');
    toInitiator.addMacs(resp.packet, HANDSHAKE_RESP_MAC1_OFFSET, now);
    if (!initiatorChecker.checkMac1(resp.packet, HANDSHAKE_RESP_MAC1_OFFSET)) throw new Error('mac1');
    const done = consumeResponse(init.state, resp.packet);
    if (!done.ok) throw new Error(done.reason);
  });
}

export async function benchCrypto(): Promise<BenchResult[]> {
  const native = nativeSuite();
  const suites: CryptoSuite[] = native === null ? [pureSuite()] : [native, pureSuite()];
  const baseline = opensslRate(200);
  const results: BenchResult[] = [{ name: 'crypto.baseline.node-chacha20poly1305.seal+open.1KiB', value: baseline, unit: 'MB/s' }];
  for (const suite of suites) {
    const transport = transportRate(suite, 250);
    results.push(
      { name: `crypto.${suite.name}.transport.seal+open.1KiB`, value: transport, unit: 'MB/s' },
      { name: `crypto.${suite.name}.transport.vs-baseline`, value: transport / baseline, unit: 'x' },
      { name: `crypto.${suite.name}.dh`, value: dhRate(suite, 150), unit: 'ops/s' },
      { name: `crypto.${suite.name}.handshake`, value: handshakeRate(suite, 250), unit: 'handshakes/s' },
    );
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  for (const r of await benchCrypto()) console.log(`${r.name.padEnd(56)} ${r.value.toFixed(2).padStart(12)} ${r.unit}`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(2)} s)`);
}
