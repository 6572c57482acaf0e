/**
 * A `Clock` whose time moves only when a test drives it, so minutes of protocol time (keepalives, session
 * timeouts, NAT mapping expiry) pass in milliseconds of real time and every run is the same.
 *
 * The driver (`advance`, `runFor`, `runUntil`) steps from one deadline to the next. At each step it fires,
 * back to back, the entries due at that instant that were scheduled before the step began (like the
 * datagrams and timers one real event-loop turn handles), then yields real macrotasks until no new work
 * appears: the Endpoint flushes coalesced packets on a real `setImmediate` and promise continuations need
 * turns to run. Entries scheduled during a step for the same instant fire in the next step, after that yield.
 */
import { InvalidArgumentError, TimeoutError, WiremeshError } from '../../errors.js';
import type { Clock } from '../../session/transport.js';
import {
  RUN_UNTIL_DEFAULT_MAX_MS,
  SAME_INSTANT_STEP_LIMIT,
  SETTLE_MAX_TURNS,
  SETTLE_MIN_TURNS,
  SIM_EPOCH_MS,
} from './constants.js';
import { TimerHeap, type HeapEntry } from './timer-heap.js';

export interface VirtualClockOptions {
  /** Virtual time at creation, in unix ms (default SIM_EPOCH_MS, 2023-11-14T22:13:20Z). */
  startMs?: number;
}

export interface RunUntilOptions {
  /** Virtual ms to run at most before rejecting with TIMEOUT (default 60,000). */
  maxMs?: number;
}

interface ScheduledEntry extends HeapEntry {
  fn: (arg: unknown) => void;
  arg: unknown;
  /** Set through the `Clock` interface (counted in `pendingTimers`), not a fabric event. */
  readonly isTimer: boolean;
}

const yieldTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

function invokeNoArg(fn: unknown): void {
  (fn as () => void)();
}

export class VirtualClock implements Clock {
  readonly startMs: number;
  private current: number;
  private readonly heap = new TimerHeap<ScheduledEntry>();
  private seq = 0;
  private timers = 0;
  // Bumped by every schedule, cancel and fire: the driver keeps yielding while it moves.
  private activity = 0;
  private running = false;

  constructor(options: VirtualClockOptions = {}) {
    const start = options.startMs ?? SIM_EPOCH_MS;
    if (!Number.isFinite(start)) throw new InvalidArgumentError(`startMs ${String(start)} is invalid: use a finite number of unix ms`);
    this.startMs = start;
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Virtual ms since the clock was created. */
  get elapsedMs(): number {
    return this.current - this.startMs;
  }

  /** Timers set through the `Clock` interface that have neither fired nor been cleared (leak checks). */
  get pendingTimers(): number {
    return this.timers;
  }

  /** Everything scheduled: timers plus fabric events such as datagrams in flight. */
  get pendingEvents(): number {
    return this.heap.size;
  }

  /** The virtual time of the earliest scheduled entry, or Infinity when nothing is scheduled. */
  get nextDeadline(): number {
    return this.heap.peek()?.at ?? Infinity;
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    if (typeof fn !== 'function') throw new InvalidArgumentError('setTimer needs a function to call');
    const entry = this.enqueue(invokeNoArg, fn, delayMs, true);
    this.timers++;
    return entry;
  }

  clearTimer(handle: unknown): void {
    if (typeof handle !== 'object' || handle === null) return;
    const entry = handle as ScheduledEntry;
    // A handle of another clock, or one that already fired or was cleared, is ignored (as clearTimeout does).
    if (!this.heap.remove(entry)) return;
    if (entry.isTimer) this.timers--;
    entry.fn = invokeNoArg;
    entry.arg = undefined;
    this.activity++;
  }

  /**
   * Schedules `fn(arg)` after `delayMs` of virtual time, for fabric components (the SimNetwork's datagram
   * deliveries): ordered with the timers, but not counted in `pendingTimers`. Passing `arg` instead of a
   * closure keeps one allocation per datagram.
   */
  scheduleEvent<T>(fn: (arg: T) => void, arg: T, delayMs: number): void {
    this.enqueue(fn as (arg: unknown) => void, arg, delayMs, false);
  }

  /** Runs virtual time forward by `ms`, firing everything due on the way; `now()` ends at start + ms. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`advance(${String(ms)}): use a finite number of ms >= 0`);
    const target = this.current + ms;
    await this.drive(target, null);
    this.current = Math.max(this.current, target);
  }

  /** The same as `advance(ms)`; reads better next to `runUntil`. */
  runFor(ms: number): Promise<void> {
    return this.advance(ms);
  }

  /**
   * Runs virtual time until `predicate()` holds (checked before the first step and after every step) and
   * resolves with the virtual ms that passed. Rejects with TIMEOUT, virtual time `maxMs` later, if it never does.
   */
  async runUntil(predicate: () => boolean, options: RunUntilOptions = {}): Promise<number> {
    const maxMs = options.maxMs ?? RUN_UNTIL_DEFAULT_MAX_MS;
    if (!Number.isFinite(maxMs) || maxMs < 0) throw new InvalidArgumentError(`runUntil maxMs ${String(maxMs)} is invalid: use a finite number of ms >= 0`);
    const start = this.current;
    const target = start + maxMs;
    if (await this.drive(target, predicate)) return this.current - start;
    this.current = Math.max(this.current, target);
    // With nothing scheduled, only real I/O (files, worker threads) could still change the outcome.
    const hint = this.heap.size === 0 ? ': nothing is scheduled any more, so running longer would not help' : '';
    throw new TimeoutError(`condition still false after ${maxMs} ms of virtual time${hint}`);
  }

  /** Yields real event-loop turns until no new work appears, without moving virtual time. */
  async settle(): Promise<void> {
    let yields = 0;
    let seen = this.activity;
    for (;;) {
      await yieldTurn();
      yields++;
      if (yields >= SETTLE_MIN_TURNS && this.activity === seen) return;
      if (yields >= SETTLE_MAX_TURNS) return;
      seen = this.activity;
    }
  }

  private enqueue(fn: (arg: unknown) => void, arg: unknown, delayMs: number, isTimer: boolean): ScheduledEntry {
    if (typeof delayMs !== 'number' || Number.isNaN(delayMs) || delayMs === Infinity) {
      // setTimeout would turn these into 1 ms silently; in a simulation that hides a bug, so say so.
      throw new InvalidArgumentError(`timer delay ${String(delayMs)} is invalid: use a finite number of ms`);
    }
    // A negative delay means "as soon as possible", as with setTimeout.
    const entry: ScheduledEntry = { at: this.current + Math.max(0, delayMs), seq: this.seq++, heapIndex: -1, fn, arg, isTimer };
    this.heap.push(entry);
    this.activity++;
    return entry;
  }

  /** Steps until `target` or until `predicate` holds; true when it stopped because the predicate held. */
  private async drive(target: number, predicate: (() => boolean) | null): Promise<boolean> {
    if (this.running) {
      throw new WiremeshError('INVALID_STATE', 'the virtual clock is already running: await the previous advance/runFor/runUntil first');
    }
    this.running = true;
    try {
      // Work queued before the call (an Endpoint's pending flush) leaves at the current instant.
      await this.settle();
      let stepsAtInstant = 0;
      let instant = this.current;
      for (;;) {
        if (predicate !== null && predicate()) return true;
        const next = this.heap.peek();
        if (next === undefined || next.at > target) return false;
        if (next.at > this.current) this.current = next.at;
        if (this.current === instant) {
          if (++stepsAtInstant > SAME_INSTANT_STEP_LIMIT) {
            throw new WiremeshError('SIM_LIVELOCK', `more than ${SAME_INSTANT_STEP_LIMIT} steps at virtual time ${this.current} without time moving: something re-arms itself with delay 0`);
          }
        } else {
          instant = this.current;
          stepsAtInstant = 0;
        }
        this.fireDue();
        await this.settle();
      }
    } finally {
      this.running = false;
    }
  }

  /** Fires the entries due now that were scheduled before this step began. */
  private fireDue(): void {
    const limit = this.seq;
    for (;;) {
      const next = this.heap.peek();
      if (next === undefined || next.at > this.current) return;
      // Same-instant entries are FIFO, so the first one scheduled during this step ends the step.
      if (next.seq >= limit) return;
      this.heap.pop();
      if (next.isTimer) this.timers--;
      this.activity++;
      const fn = next.fn;
      const arg = next.arg;
      next.arg = undefined;
      fn(arg);
    }
  }
}
