/**
 * The flooder process: many UDP sockets (source ports spread over several loopback addresses) sending a
 * pre-generated packet set round-robin at a fixed rate. Pre-generation keeps the per-datagram cost to one
 * `send`, so the flooder reaches its rate; the report says what it achieved, second by second.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { FLOOD_MAX_BURST, FLOOD_SOCKET_BUFFER_BYTES, floodSourceHost } from './constants.js';

export interface BlastReport {
  /** Datagrams handed to the kernel, and those it refused (send errors). */
  sent: number;
  sendErrors: number;
  seconds: number;
  /** sent / seconds. */
  achievedPerSec: number;
  /** Datagrams the target sent back to the flooder's ports (cookie replies, mostly). */
  repliesReceived: number;
  /** Sent per whole second of the run. */
  sentPerSecond: number[];
  /** Process CPU (user + system) over the run, percent of one core. */
  cpuPercent: number;
  /** Garbage flood: the rogue sessions opened and the authenticated packets sent. */
  rogue?: { sessions: number; handshakeFailures: number; sent: number };
}

/** Packets that may be sent once each (an authenticated session's counters), interleaved with the set. */
export interface FreshSource {
  /** One slot in this many goes to the fresh source (when it has a packet). */
  every: number;
  next(): Uint8Array | null;
}

export class Blaster {
  private readonly sockets: dgram.Socket[] = [];
  private replies = 0;
  private stopped = false;

  private constructor(private readonly packets: Uint8Array[]) {}

  /** Binds `sockets` sockets (port 0) on the flood source addresses and connects them to the target. */
  static async open(packets: Uint8Array[], sockets: number, target: { host: string; port: number }): Promise<Blaster> {
    if (packets.length === 0) throw new Error('the flooder has no packets to send');
    const b = new Blaster(packets);
    try {
      for (let i = 0; i < sockets; i++) {
        const s = dgram.createSocket({ type: 'udp4' });
        b.sockets.push(s);
        s.on('error', () => {});
        s.on('message', () => {
          b.replies++;
        });
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind({ address: floodSourceHost(i), port: 0 }, () => {
            s.off('error', reject);
            resolve();
          });
        });
        try {
          s.setSendBufferSize(FLOOD_SOCKET_BUFFER_BYTES);
          s.setRecvBufferSize(FLOOD_SOCKET_BUFFER_BYTES);
        } catch {
          // best effort
        }
        await new Promise<void>((resolve) => s.connect(target.port, target.host, () => resolve()));
      }
    } catch (err) {
      await b.close();
      throw err;
    }
    return b;
  }

  /** The first socket (fresh packets and the rogue handshake use it). */
  get firstSocket(): dgram.Socket {
    return this.sockets[0]!;
  }

  /** Sends at `ratePerSec` for `durationMs`, paced per event-loop turn; resolves with what it achieved. */
  async run(ratePerSec: number, durationMs: number, fresh: FreshSource | null = null): Promise<BlastReport> {
    const sockets = this.sockets;
    const packets = this.packets;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const repliesAtStart = this.replies;
    let sent = 0;
    let errors = 0;
    let next = 0;
    const perSecond: number[] = [];
    let secondStart = start;
    let sentAtSecond = 0;
    const onSent = (err: Error | null) => {
      if (err) errors++;
    };
    for (;;) {
      const now = performance.now();
      const elapsed = now - start;
      if (elapsed >= durationMs || this.stopped) break;
      if (now - secondStart >= 1000) {
        perSecond.push(sent - sentAtSecond);
        sentAtSecond = sent;
        secondStart += 1000;
      }
      const due = Math.min(FLOOD_MAX_BURST, Math.floor((ratePerSec * elapsed) / 1000) - sent);
      for (let i = 0; i < due; i++) {
        let s = sockets[next % sockets.length]!;
        let p = packets[next % packets.length]!;
        if (fresh !== null && next % fresh.every === 0) {
          const f = fresh.next();
          if (f !== null) {
            p = f;
            s = sockets[0]!;
          }
        }
        next++;
        try {
          s.send(p, onSent);
        } catch {
          errors++;
        }
      }
      sent += Math.max(0, due);
      // One turn: lets send callbacks and replies in, and keeps the pacer honest.
      await new Promise<void>((r) => setImmediate(r));
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      sent,
      sendErrors: errors,
      seconds,
      achievedPerSec: sent / seconds,
      repliesReceived: this.replies - repliesAtStart,
      sentPerSecond: perSecond,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    };
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.sockets.length = 0;
  }
}
