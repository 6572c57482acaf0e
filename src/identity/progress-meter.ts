/**
 * Turns attempt counts into the numbers a user wants while minting. The rate is measured over the
 * last few samples, not since the start, so worker start-up (about a second from TypeScript sources)
 * does not drag the rate down and the ETA up for the rest of the run.
 */
import { PROGRESS_RATE_WINDOW_SAMPLES } from './constants.js';

export interface MintProgress {
  /** Seeds tried so far, over all threads. */
  attempts: number;
  /** Attempts per second over the last few seconds. */
  ratePerSec: number;
  /**
   * Expected seconds until a hit at that rate: 2^difficulty / rate. A hit is memoryless, so this does
   * not shrink as attempts accumulate. Infinity until the first attempt is counted.
   */
  etaSec: number;
  elapsedMs: number;
}

export class ProgressMeter {
  private readonly samples: { attempts: number; atMs: number }[] = [];

  constructor(
    private readonly difficulty: number,
    private readonly startedMs: number,
  ) {}

  sample(attempts: number, nowMs: number): MintProgress {
    const { samples } = this;
    samples.push({ attempts, atMs: nowMs });
    if (samples.length > PROGRESS_RATE_WINDOW_SAMPLES) samples.shift();
    // The window starts at the first sample that already counted work, so idle start-up is excluded.
    let oldest = samples[0];
    for (const s of samples) {
      if (s.attempts > 0) break;
      oldest = s;
    }
    const spanMs = nowMs - oldest.atMs;
    const span = attempts - oldest.attempts;
    const elapsedMs = nowMs - this.startedMs;
    const ratePerSec = spanMs > 0 && span > 0 ? (span * 1000) / spanMs : elapsedMs > 0 ? (attempts * 1000) / elapsedMs : 0;
    return {
      attempts,
      ratePerSec,
      etaSec: ratePerSec > 0 ? 2 ** this.difficulty / ratePerSec : Infinity,
      elapsedMs,
    };
  }
}
