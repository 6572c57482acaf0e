/**
 * One generation of transport keys of a session (spec 5.6): the ciphers of both directions, the indices
 * that route packets to them, the send counter (spec 7.2) and the replay window of the receive direction
 * (spec 8). A session holds the current keypair, and around a rekey also the previous one (still accepted
 * for receiving, so packets in flight are not lost) or a staged one (the responder's, until the initiator
 * proves it has the same keys by sending with them).
 */
import type { TransportCipher } from './crypto/index.js';
import { ReplayWindow } from './replay-window.js';

export class Keypair {
  readonly replay = new ReplayWindow();
  sendCounter = 0;

  constructor(
    readonly localIndex: number,
    readonly remoteIndex: number,
    readonly send: TransportCipher,
    readonly recv: TransportCipher,
    readonly createdMs: number,
  ) {}

  /** Zeroes both keys. */
  destroy(): void {
    this.send.destroy();
    this.recv.destroy();
  }
}
