/**
 * Tunables of sessions and endpoints, with defaults from the spec (sections 7.3, 9, 12) and checks that turn
 * a bad option into one clear InvalidArgumentError.
 */
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_MAX_PACKET_SIZE } from '../wire/index.js';
import {
  KEEPALIVE_INTERVAL_MS,
  MAX_INCOMPLETE_FRAMES,
  MAX_REASSEMBLY_BYTES,
  REKEY_AFTER_MESSAGES,
  REKEY_AFTER_MS,
  REASSEMBLY_TIMEOUT_MS,
  SESSION_TIMEOUT_MS,
} from './constants.js';

export interface SessionConfig {
  /** Largest UDP payload we send (spec 9: 1232 = IPv6 minimum MTU minus headers). */
  maxPacketSize: number;
  keepaliveIntervalMs: number;
  sessionTimeoutMs: number;
  /** A responder session whose initiator never sends a first packet is dropped after this long. */
  confirmTimeoutMs: number;
  /** Receive buffer of each channel, in events. */
  channelBufferEvents: number;
  /** Events a responder holds until the initiator confirms the keys. */
  unconfirmedBufferEvents: number;
  maxIncompleteFrames: number;
  maxReassemblyBytes: number;
  reassemblyTimeoutMs: number;
  /** spec 7.3: the initiator rekeys after this session-key age... */
  rekeyAfterMs: number;
  /** ...or after this many packets sent with one key (spec: 2^60). */
  rekeyAfterMessages: number;
  /** After a rekey the previous keys still decrypt packets in flight for this long. */
  previousKeysLifetimeMs: number;
  /** Send-rate cap in bytes per second of UDP payload (spec 13; burst 2x); 0 = unlimited. */
  sendRateBytesPerSec: number;
  /** With a rate cap: packets waiting for tokens before `send()` starts to wait. */
  pacedHighWaterPackets: number;
}

export const DEFAULT_SESSION_CONFIG: Readonly<SessionConfig> = Object.freeze({
  maxPacketSize: DEFAULT_MAX_PACKET_SIZE,
  keepaliveIntervalMs: KEEPALIVE_INTERVAL_MS,
  sessionTimeoutMs: SESSION_TIMEOUT_MS,
  confirmTimeoutMs: 15_000,
  channelBufferEvents: 1024,
  unconfirmedBufferEvents: 1024,
  maxIncompleteFrames: MAX_INCOMPLETE_FRAMES,
  maxReassemblyBytes: MAX_REASSEMBLY_BYTES,
  reassemblyTimeoutMs: REASSEMBLY_TIMEOUT_MS,
  sendRateBytesPerSec: 0,
  pacedHighWaterPackets: 256,
  rekeyAfterMs: REKEY_AFTER_MS,
  rekeyAfterMessages: REKEY_AFTER_MESSAGES,
  previousKeysLifetimeMs: 10_000,
});

const LIMITS: Record<keyof SessionConfig, [number, number]> = {
  // 16 header + 8 fragment header + 16 tag + at least 32 bytes of data.
  maxPacketSize: [72, 65_507],
  keepaliveIntervalMs: [10, 3_600_000],
  sessionTimeoutMs: [20, 86_400_000],
  confirmTimeoutMs: [10, 3_600_000],
  channelBufferEvents: [1, 1 << 20],
  unconfirmedBufferEvents: [0, 1 << 20],
  maxIncompleteFrames: [1, 65_536],
  maxReassemblyBytes: [1024, 1 << 31],
  reassemblyTimeoutMs: [10, 3_600_000],
  sendRateBytesPerSec: [0, 2 ** 40],
  rekeyAfterMs: [10, 86_400_000],
  rekeyAfterMessages: [16, 2 ** 60],
  previousKeysLifetimeMs: [10, 3_600_000],
  pacedHighWaterPackets: [1, 1 << 20],
};

/** Fills defaults and validates every given field. */
export function resolveSessionConfig(partial: Partial<SessionConfig> = {}): SessionConfig {
  const out = { ...DEFAULT_SESSION_CONFIG };
  for (const key of Object.keys(partial) as (keyof SessionConfig)[]) {
    const value = partial[key];
    if (value === undefined) continue;
    const limits = LIMITS[key];
    if (limits === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < limits[0] || value > limits[1]) {
      throw new InvalidArgumentError(`option ${key} = ${String(value)} is invalid: use a whole number from ${limits[0]} to ${limits[1]}`);
    }
    out[key] = value;
  }
  if (partial.reassemblyTimeoutMs === undefined && partial.keepaliveIntervalMs !== undefined) {
    // spec 9.2: partial frames are collected after 2 x KeepaliveInterval.
    out.reassemblyTimeoutMs = 2 * out.keepaliveIntervalMs;
  }
  return out;
}
