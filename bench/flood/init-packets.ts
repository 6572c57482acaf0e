/**
 * The HandshakeInit flood (issue 8 item 3), as pure packet generation: no sockets here. Four kinds, mixed
 * by weight and interleaved so every second of the flood carries all of them:
 * - random_key: complete, valid initiations (spec 5.2) from fresh random static keys, good MAC1, no cookie:
 *   the expensive kind, each one would cost the responder two X25519 operations and a session.
 * - no_cookie: good MAC1 (the attacker knows the target's public key) over random bytes, zero MAC2:
 *   passes the cheap check, fails only after one X25519 unless the responder demands a cookie first.
 * - bad_mac1: right size and header, random MAC1: must be dropped after one keyed hash.
 * - replay: legitimate initiations captured from a real peer, sent again from the flooder's ports.
 */
import { CookieGenerator, StaticStaticCache, createInitiation, type CryptoSuite } from '../../src/session/index.js';
import { HANDSHAKE_INIT_MAC1_OFFSET, PACKET_HANDSHAKE_INIT, SIZE_HANDSHAKE_INIT } from '../../src/wire/index.js';

export const INIT_KINDS = ['random_key', 'no_cookie', 'bad_mac1', 'replay'] as const;
export type InitKind = (typeof INIT_KINDS)[number];
export type InitMix = Record<InitKind, number>;

/** The default mix: a quarter of each kind. */
export const EVEN_INIT_MIX: InitMix = { random_key: 1, no_cookie: 1, bad_mac1: 1, replay: 1 };

export interface InitPacketOptions {
  suite: CryptoSuite;
  targetPublicKey: Uint8Array;
  count: number;
  mix: InitMix;
  /** Captured legitimate initiations (the replay kind); without them, replay's weight goes to no_cookie. */
  captured: Uint8Array[];
  /** Random bytes (packet bodies, indices); a seeded source makes the set reproducible but for the keys. */
  random: (n: number) => Uint8Array;
  nowMs: number;
}

export interface InitPacketSet {
  packets: Uint8Array[];
  kinds: InitKind[];
}

/** The kind of the i-th packet: weights laid out as a repeating pattern (e.g. 1:1:1:1 -> abcdabcd...). */
export function kindSchedule(mix: InitMix, hasCaptured: boolean): InitKind[] {
  const weights = { ...mix };
  if (!hasCaptured) {
    weights.no_cookie += weights.replay;
    weights.replay = 0;
  }
  const pattern: InitKind[] = [];
  const remaining = { ...weights };
  let left = INIT_KINDS.reduce((n, k) => n + checkWeight(k, weights[k]), 0);
  if (left === 0) throw new Error('the flood mix has no packets: give at least one kind a positive weight');
  // Round-robin over the kinds until every weight is spent, so kinds interleave rather than come in runs.
  while (left > 0) {
    for (const k of INIT_KINDS) {
      if (remaining[k] > 0) {
        pattern.push(k);
        remaining[k]--;
        left--;
      }
    }
  }
  return pattern;
}

function checkWeight(kind: InitKind, w: number): number {
  if (!Number.isInteger(w) || w < 0 || w > 1000) throw new Error(`the weight of ${kind} must be a whole number 0..1000, got ${w}`);
  return w;
}

export function makeInitPackets(o: InitPacketOptions): InitPacketSet {
  const schedule = kindSchedule(o.mix, o.captured.length > 0);
  const macs = new CookieGenerator(o.targetPublicKey);
  const packets: Uint8Array[] = [];
  const kinds: InitKind[] = [];
  let replayNext = 0;
  for (let i = 0; i < o.count; i++) {
    const kind = schedule[i % schedule.length]!;
    let p: Uint8Array;
    switch (kind) {
      case 'random_key': {
        const local = o.suite.generateKeyPair();
        const senderIndex = new DataView(o.random(4).buffer).getUint32(0, true);
        const init = createInitiation({
          suite: o.suite,
          localStatic: local,
          remoteStatic: o.targetPublicKey,
          senderIndex,
          nowMs: o.nowMs,
          staticStatic: new StaticStaticCache(o.suite, local.privateKey, 1),
        });
        if (init === null) throw new Error('the target public key is a low-order point');
        init.state.destroy();
        p = init.packet;
        macs.addMacs(p, HANDSHAKE_INIT_MAC1_OFFSET, o.nowMs);
        break;
      }
      case 'no_cookie':
        p = randomInitShell(o.random);
        macs.addMacs(p, HANDSHAKE_INIT_MAC1_OFFSET, o.nowMs);
        break;
      case 'bad_mac1':
        p = randomInitShell(o.random);
        break;
      case 'replay':
        p = new Uint8Array(o.captured[replayNext++ % o.captured.length]!);
        break;
    }
    packets.push(p);
    kinds.push(kind);
  }
  return { packets, kinds };
}

/** A 148-byte HandshakeInit with the right header and random everything else (random mac1 and mac2). */
function randomInitShell(random: (n: number) => Uint8Array): Uint8Array {
  const p = new Uint8Array(SIZE_HANDSHAKE_INIT);
  p.set(random(SIZE_HANDSHAKE_INIT - 4), 4);
  p[0] = PACKET_HANDSHAKE_INIT;
  return p;
}
