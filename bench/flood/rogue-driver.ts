/**
 * The flooder's source of authenticated garbage (rogue-session.ts) for the garbage flood.
 */
import type { CryptoSuite } from '../../src/session/index.js';
import type { Blaster, FreshSource } from './blaster.js';
import { ROGUE_SESSION_MS } from './constants.js';
import { rogueHandshake, roguePackets } from './rogue-session.js';

/**
 * Keeps a rogue session's authenticated garbage flowing: a new handshake every ROGUE_SESSION_MS (the node
 * drops a peer that never identifies), each with a batch of packets sized for that period at its share.
 */
export class RogueDriver implements FreshSource {
  private queue: Uint8Array[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private sessions = 0;
  private handshakeFailures = 0;
  private sent = 0;
  private batch = 0;
  private stopped = false;

  constructor(
    private readonly blaster: Blaster,
    private readonly suite: CryptoSuite,
    private readonly targetPublicKey: Uint8Array,
    readonly every: number,
    private readonly seed: number,
  ) {}

  async start(ratePerSec: number): Promise<void> {
    this.batch = Math.ceil(((ratePerSec / this.every) * ROGUE_SESSION_MS * 1.25) / 1000);
    await this.renew();
    this.timer = setInterval(() => void this.renew(), ROGUE_SESSION_MS);
  }

  next(): Uint8Array | null {
    if (this.head >= this.queue.length) return null;
    this.sent++;
    return this.queue[this.head++]!;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  report(): { sessions: number; handshakeFailures: number; sent: number } {
    return { sessions: this.sessions, handshakeFailures: this.handshakeFailures, sent: this.sent };
  }

  private async renew(): Promise<void> {
    try {
      const keys = await rogueHandshake(this.blaster.firstSocket, this.suite, this.targetPublicKey);
      if (this.stopped) return;
      // Counter 1 first: it confirms the session on the target (any authenticated packet does).
      this.queue = roguePackets(keys, 1, this.batch, this.seed + this.sessions).packets;
      this.head = 0;
      keys.send.destroy();
      this.sessions++;
    } catch {
      this.handshakeFailures++;
    }
  }
}
