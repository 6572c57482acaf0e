/**
 * Legitimate peers during the handshake flood: endpoints (each its own static key) that keep dialing the
 * target, one handshake at a time each, close the session at once and dial again after a pause. Every
 * attempt is recorded with its wall-clock start (the parent splits them into "before" and "during the
 * flood") and its latency, or its failure. The first initiations sent are captured for the flooder to replay.
 */
import { performance } from 'node:perf_hooks';
import { Endpoint, UdpTransport, suiteByName } from '../../src/session/index.js';
import { CapturingTransport } from './capture.js';

export interface LegitAttempt {
  /** Date.now() when the dial started. */
  startMs: number;
  /** Dial latency in ms, or null when it failed. */
  latencyMs: number | null;
  error: string | null;
}

export interface LegitOptions {
  /** The address of dialer i. */
  host: (i: number) => string;
  target: { host: string; port: number };
  targetPublicKey: Uint8Array;
  dialers: number;
  pauseMs: number;
  dialTimeoutMs: number;
  captureInits: number;
  crypto: 'auto' | 'native' | 'pure';
}

export class LegitPeers {
  readonly attempts: LegitAttempt[] = [];
  private readonly endpoints: Endpoint[] = [];
  private readonly captures: CapturingTransport[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  static async open(o: LegitOptions): Promise<LegitPeers> {
    const peers = new LegitPeers(o);
    try {
      for (let i = 0; i < o.dialers; i++) {
        const udp = await UdpTransport.bind({ host: o.host(i), port: 0 });
        const capture = new CapturingTransport(udp, o.captureInits);
        peers.captures.push(capture);
        peers.endpoints.push(await Endpoint.listen({ staticKey: suiteByName(o.crypto).generateKeyPair(), transport: capture, crypto: o.crypto }));
      }
    } catch (err) {
      await peers.close();
      throw err;
    }
    return peers;
  }

  private constructor(private readonly o: LegitOptions) {}

  /** Runs one handshake per endpoint now (so initiations exist to capture); returns the captured ones. */
  async warmUp(): Promise<Uint8Array[]> {
    await Promise.all(this.endpoints.map((e) => this.attempt(e)));
    return this.captures.flatMap((c) => c.captured);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = this.endpoints.map((e, i) => this.loop(e, i));
  }

  /** Stops dialing, waits for the dials in flight, returns every attempt. */
  async stop(): Promise<LegitAttempt[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.attempts;
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(this.endpoints.map((e) => e.close()));
  }

  private async loop(e: Endpoint, i: number): Promise<void> {
    // Spread the dialers over one pause so their handshakes do not come in lockstep.
    await sleep((this.o.pauseMs * i) / this.o.dialers);
    while (this.running) {
      await this.attempt(e);
      if (this.running) await sleep(this.o.pauseMs);
    }
  }

  private async attempt(e: Endpoint): Promise<void> {
    const startMs = Date.now();
    const t0 = performance.now();
    try {
      const session = await e.dial(this.o.target, this.o.targetPublicKey, { timeoutMs: this.o.dialTimeoutMs });
      const latencyMs = performance.now() - t0;
      // A Disconnect confirms and ends the session on the target at once (it sees an authenticated packet).
      session.close();
      this.attempts.push({ startMs, latencyMs, error: null });
    } catch (err) {
      this.attempts.push({ startMs, latencyMs: null, error: (err as Error).message });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
