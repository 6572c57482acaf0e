/**
 * End-to-end retransmission of a routed request that waits for a signed answer (an acked send, a routed
 * ping). Routed envelopes travel hop by hop on unreliable channels and a copy can die at a hop that is a
 * local optimum while the overlay converges, so the originator sends again until the answer arrives:
 * - after a copy went out, again after ACK_RETRY_MS, doubling each time;
 * - while no copy could go out (no live edge leads toward the target yet: the node is joining, or the
 *   edge to the target is being set up), again after UNSENT_RETRY_MS.
 * The caller owns the deadline and the answer; this only owns the one retry timer.
 */
import type { Clock } from '../session/index.js';
import { ACK_RETRY_MS, UNSENT_RETRY_MS } from './constants.js';

export class RoutedRetry {
  private timer: unknown = null;
  private retryMs = ACK_RETRY_MS;
  private stopped = false;

  /**
   * @param attempt sends one more copy; returns whether any copy went out.
   * @param sentOnce whether the first attempt (made by the caller) went out.
   * @param running false once the node stops: the timer then ends quietly.
   */
  constructor(
    private readonly clock: Clock,
    private readonly attempt: () => boolean,
    public sentOnce: boolean,
    private readonly running: () => boolean,
  ) {
    this.schedule();
  }

  /** Cancels the pending retry; idempotent. */
  cancel(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.fire, this.sentOnce ? this.retryMs : UNSENT_RETRY_MS);
  }

  private readonly fire = (): void => {
    this.timer = null;
    if (this.stopped || !this.running()) return;
    const wasSent = this.sentOnce;
    if (this.attempt()) this.sentOnce = true;
    if (this.stopped) return; // answered (or aborted) during the attempt
    if (wasSent) this.retryMs *= 2;
    this.schedule();
  };
}
