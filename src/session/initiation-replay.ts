/**
 * Editor's note 8: beyond the +-180 s timestamp window (spec 4.1), a responder accepts a HandshakeInit only
 * when its TAI64N timestamp is strictly newer than the last one it accepted from the same initiator static
 * key, as WireGuard does. A captured initiation therefore cannot be replayed to reset a session.
 */
import { InvalidArgumentError } from '../errors.js';
import { INITIATION_REPLAY_MAX_ENTRIES, KEY_SIZE, TAI64N_SIZE } from './crypto/constants.js';
import { compareTai64n } from './tai64n.js';

/**
 * Remembers the newest accepted timestamp per initiator static key. Memory is bounded: beyond
 * `maxEntries` keys the least recently accepted key is forgotten (its next initiation is judged by the
 * timestamp window alone).
 */
export class InitiationReplayGuard {
  /** key -> newest accepted timestamp; Map order = acceptance order, oldest first. */
  private readonly latest = new Map<string, Uint8Array>();

  constructor(private readonly maxEntries: number = INITIATION_REPLAY_MAX_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new InvalidArgumentError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
  }

  /** Number of initiator keys remembered. */
  get size(): number {
    return this.latest.size;
  }

  /**
   * True (and remembered) when `timestamp` is strictly newer than the last accepted one for `remoteStatic`,
   * or the key is not known; false for a replay (same or older timestamp) or malformed arguments. Call it
   * only with an authenticated timestamp (after consumeInitiation succeeded).
   */
  accept(remoteStatic: Uint8Array, timestamp: Uint8Array): boolean {
    if (remoteStatic.length !== KEY_SIZE || timestamp.length !== TAI64N_SIZE) return false;
    const id = Buffer.from(remoteStatic.buffer, remoteStatic.byteOffset, remoteStatic.length).toString('base64');
    const last = this.latest.get(id);
    if (last !== undefined) {
      if (compareTai64n(timestamp, last) <= 0) return false;
      // Re-insert so the Map order stays "least recently accepted first".
      this.latest.delete(id);
    }
    this.latest.set(id, timestamp.slice());
    if (this.latest.size > this.maxEntries) {
      const oldest = this.latest.keys().next().value as string;
      this.latest.delete(oldest);
    }
    return true;
  }
}
