/**
 * spec 6: "when the server is under load" it answers HandshakeInits with a CookieReply instead of doing the
 * Diffie-Hellman work. The spec leaves "under load" open; wiremesh counts initiations with a valid MAC1
 * (the cheap check that comes first) and the time spent on the Diffie-Hellman work of answering them, in
 * one-second windows. A window over the count threshold or over the time budget puts the responder under
 * load until UNDER_LOAD_HOLD_MS after that window ends, as WireGuard holds its load state for a second after
 * its handshake queue was last long. Without the hold a flood would get `threshold` DH computations at the
 * start of every second; without the time budget a starved process (one that reads only part of the flood
 * while the kernel drops the rest) would never see the count and would spend its little CPU on DH. Pure:
 * the caller passes the clock and the measured cost.
 */
import { InvalidArgumentError } from '../errors.js';
import { HANDSHAKE_BUDGET_MS_PER_SEC, UNDER_LOAD_HOLD_MS } from './constants.js';

const WINDOW_MS = 1000;

export class HandshakeLoad {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private windowCount = 0;
  private windowCostMs = 0;
  private underLoadUntilMs = Number.NEGATIVE_INFINITY;
  private _episodes = 0;

  constructor(
    private readonly thresholdPerSec: number,
    private readonly holdMs: number = UNDER_LOAD_HOLD_MS,
    private readonly budgetMsPerSec: number = HANDSHAKE_BUDGET_MS_PER_SEC,
  ) {
    if (!Number.isInteger(thresholdPerSec) || thresholdPerSec < 0) {
      throw new InvalidArgumentError(`the cookie threshold must be a whole number of initiations per second, got ${thresholdPerSec}`);
    }
    if (!Number.isFinite(holdMs) || holdMs < 0) throw new InvalidArgumentError(`the load hold time must be >= 0 ms, got ${holdMs}`);
    if (!(budgetMsPerSec > 0)) throw new InvalidArgumentError(`the handshake time budget must be > 0 ms per second, got ${budgetMsPerSec}`);
  }

  /** Times the responder went from not under load to under load (operators: "cookie mode engaged"). */
  get episodes(): number {
    return this._episodes;
  }

  /** Counts one initiation (valid MAC1) arriving at `nowMs` and says whether the responder is under load. */
  arrive(nowMs: number): boolean {
    this.advance(nowMs);
    this.windowCount++;
    return this.check(nowMs);
  }

  /**
   * Adds `costMs` of handshake work (measured by the caller) done at `nowMs` to the current window; over the
   * budget, the responder is under load from the next initiation on.
   */
  charge(nowMs: number, costMs: number): void {
    if (!(costMs > 0)) return;
    this.advance(nowMs);
    this.windowCostMs += costMs;
    this.check(nowMs);
  }

  private advance(nowMs: number): void {
    // A clock that went backwards starts a new window too.
    if (nowMs - this.windowStartMs >= WINDOW_MS || nowMs < this.windowStartMs) {
      this.windowStartMs = nowMs;
      this.windowCount = 0;
      this.windowCostMs = 0;
    }
  }

  private check(nowMs: number): boolean {
    const wasUnderLoad = nowMs < this.underLoadUntilMs;
    if (this.windowCount > this.thresholdPerSec || this.windowCostMs > this.budgetMsPerSec) {
      // Under load for the rest of this window and the hold after it.
      this.underLoadUntilMs = this.windowStartMs + WINDOW_MS + this.holdMs;
      if (!wasUnderLoad) this._episodes++;
      return true;
    }
    return wasUnderLoad;
  }

  /** Whether the responder is under load at `nowMs`, without counting an arrival. */
  underLoad(nowMs: number): boolean {
    return nowMs < this.underLoadUntilMs;
  }
}
