/**
 * The roles the flood child processes serve (bench/flood/peer.ts): JSON arguments in, JSON results out.
 * Bytes cross the IPC channel as hex.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { randomBytes, suiteByName } from '../../src/session/index.js';
import { Blaster, type BlastReport } from './blaster.js';
import { FLOOD_SOCKETS, legitDialerHost } from './constants.js';
import { RogueDriver } from './rogue-driver.js';
import { makeInitPackets, type InitMix } from './init-packets.js';
import { LegitPeers, type LegitAttempt } from './legit.js';
import { closeStreamPeer, streamRoles } from './stream-peer.js';
import { makeGarbagePackets, type GarbageKind } from './garbage-packets.js';

type Crypto = 'auto' | 'native' | 'pure';
interface Target {
  host: string;
  port: number;
}

let blaster: Blaster | null = null;
let rogue: RogueDriver | null = null;
let legit: LegitPeers | null = null;

async function openBlaster(packets: Uint8Array[], target: Target, sockets: number | undefined): Promise<void> {
  if (blaster !== null) throw new Error('the flooder is already prepared');
  blaster = await Blaster.open(packets, sockets ?? FLOOD_SOCKETS, target);
}

export const floodRoles = {
  /** Generates the HandshakeInit flood and opens the sockets; returns how many packets of each kind. */
  async 'flood.prepareInit'(args: {
    target: Target;
    targetPublicKey: string;
    count: number;
    mix: InitMix;
    captured: string[];
    sockets?: number;
    crypto: Crypto;
  }): Promise<Record<string, number>> {
    const set = makeInitPackets({
      suite: suiteByName(args.crypto),
      targetPublicKey: hexToBytes(args.targetPublicKey),
      count: args.count,
      mix: args.mix,
      captured: args.captured.map((h) => hexToBytes(h)),
      random: randomBytes,
      nowMs: Date.now(),
    });
    await openBlaster(set.packets, args.target, args.sockets);
    return countKinds(set.kinds);
  },

  /** Generates the garbage flood from captured valid packets and opens the sockets. */
  async 'flood.prepareGarbage'(args: {
    target: Target;
    captured: string[];
    count: number;
    seed: number;
    sockets?: number;
    /** With these, one slot in `rogueEvery` carries authenticated garbage of a rogue session (rogue-session.ts). */
    targetPublicKey?: string;
    rogueEvery?: number;
    crypto?: Crypto;
  }): Promise<Record<string, number>> {
    const set = makeGarbagePackets({ captured: args.captured.map((h) => hexToBytes(h)), count: args.count, seed: args.seed });
    await openBlaster(set.packets, args.target, args.sockets);
    if (args.targetPublicKey !== undefined && args.rogueEvery !== undefined) {
      rogue = new RogueDriver(blaster!, suiteByName(args.crypto ?? 'auto'), hexToBytes(args.targetPublicKey), args.rogueEvery, args.seed);
    }
    return countKinds(set.kinds);
  },

  async 'flood.run'(args: { ratePerSec: number; durationMs: number }): Promise<BlastReport> {
    if (blaster === null) throw new Error('prepare the flooder first');
    const b = blaster;
    const r = rogue;
    try {
      await r?.start(args.ratePerSec);
      const report = await b.run(args.ratePerSec, args.durationMs, r);
      return r === null ? report : { ...report, rogue: r.report() };
    } finally {
      r?.stop();
      blaster = null;
      rogue = null;
      await b.close();
    }
  },

  /** Opens the legitimate peers, runs one handshake each, returns the captured initiations (hex). */
  async 'legit.open'(args: {
    target: Target;
    targetPublicKey: string;
    dialers: number;
    pauseMs: number;
    dialTimeoutMs: number;
    captureInits: number;
    crypto: Crypto;
  }): Promise<{ captured: string[]; warmUp: LegitAttempt[] }> {
    if (legit !== null) throw new Error('the legitimate peers are already open');
    legit = await LegitPeers.open({ ...args, host: legitDialerHost, targetPublicKey: hexToBytes(args.targetPublicKey) });
    const captured = await legit.warmUp();
    const warmUp = legit.attempts.splice(0);
    return { captured: captured.map((c) => bytesToHex(c)), warmUp };
  },

  async 'legit.start'(): Promise<null> {
    if (legit === null) throw new Error('open the legitimate peers first');
    legit.start();
    return null;
  },

  async 'legit.stop'(): Promise<LegitAttempt[]> {
    if (legit === null) throw new Error('open the legitimate peers first');
    const l = legit;
    legit = null;
    const attempts = await l.stop();
    await l.close();
    return attempts;
  },

  ...streamRoles,
};

function countKinds(kinds: readonly (string | GarbageKind)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}

export async function closeFloodPeer(): Promise<void> {
  rogue?.stop();
  rogue = null;
  if (blaster !== null) await blaster.close();
  blaster = null;
  if (legit !== null) await legit.close();
  legit = null;
  await closeStreamPeer();
}
