/**
 * A process running inside a lab namespace, driven through JSON lines: it prints control events on stdout
 * (`{"event":...}`) and reads commands on stdin. Closing its stdin asks it to exit (lab scripts do), which
 * is also what happens when the test process dies: the pipe closes and the child follows, even after a
 * SIGKILL of the parent.
 */
import type { ChildProcess } from 'node:child_process';
import { TimeoutError, WiremeshError } from '../../../src/errors.js';
import { CHILD_REAP_TIMEOUT_MS, CHILD_STOP_GRACE_MS, STDERR_TAIL_BYTES } from './constants.js';
import { LineSplitter, parseLabEvent, type LabEvent } from './json-lines.js';

/** An event name, or a test on the whole event. */
export type EventPredicate = string | ((event: LabEvent) => boolean);

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Waiter {
  readonly description: string;
  readonly matches: (event: LabEvent) => boolean;
  readonly resolve: (event: LabEvent | null) => void;
  readonly reject: (err: Error) => void;
}

const MAX_STRAY_LINES = 200;

function matcher(predicate: EventPredicate): (event: LabEvent) => boolean {
  return typeof predicate === 'string' ? (e) => e.event === predicate : predicate;
}

function describePredicate(predicate: EventPredicate): string {
  return typeof predicate === 'string' ? `event '${predicate}'` : `an event matching ${predicate.name || 'the predicate'}`;
}

/** Sends `signal` to the child's whole process group (lab children are group leaders); false if it is gone. */
export function signalProcessGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    try {
      child.kill(signal);
      return true;
    } catch {
      return false;
    }
  }
}

export class ManagedChild {
  /** Every control event in arrival order, including those already returned by `nextEvent`. */
  readonly events: LabEvent[] = [];
  /** Stdout lines that were not control events (the first 200), for diagnostics. */
  readonly strayLines: string[] = [];
  /** Resolves once the child exited and its output was read to the end. */
  readonly exited: Promise<ChildExit>;
  private readonly unclaimed: LabEvent[] = [];
  private readonly waiters: Waiter[] = [];
  private stderrTail = '';
  private exit: ChildExit | null = null;
  private spawnError: Error | null = null;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    const splitter = new LineSplitter();
    process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of splitter.push(chunk)) this.onLine(line);
    });
    process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    // A child that exits early must not crash the test process with EPIPE on our next write.
    process.stdin?.on('error', () => {});
    this.exited = new Promise<ChildExit>((resolve) => {
      process.once('error', (err) => {
        this.spawnError = err;
        if (process.pid === undefined) this.finish({ code: null, signal: null }, resolve);
      });
      process.once('close', (code, signal) => {
        for (const line of splitter.end()) this.onLine(line);
        this.finish({ code, signal }, resolve);
      });
    });
  }

  /** The last 16 KiB the child wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /**
   * The first event matching `predicate` that no earlier call returned, waiting up to `timeoutMs`.
   * Rejects with TIMEOUT, or with CHILD_EXITED when the child ends first; both name the child and quote
   * its stderr.
   */
  async nextEvent(predicate: EventPredicate, timeoutMs: number): Promise<LabEvent> {
    const event = await this.wait(predicate, timeoutMs);
    if (event === null) {
      throw new TimeoutError(`${this.name}: no ${describePredicate(predicate)} within ${timeoutMs} ms${this.context()}`);
    }
    return event;
  }

  /**
   * Like `nextEvent`, but resolves null when no matching event arrives within `windowMs` (for asserting
   * that something does NOT happen). Still rejects when the child exits, so a crash never passes as silence.
   */
  eventWithin(predicate: EventPredicate, windowMs: number): Promise<LabEvent | null> {
    return this.wait(predicate, windowMs);
  }

  /** Writes one command as a JSON line to the child's stdin. */
  send(command: Readonly<Record<string, unknown>>): void {
    if (this.exit !== null) throw new WiremeshError('CHILD_EXITED', `${this.name} has exited; cannot send ${JSON.stringify(command)}`);
    this.process.stdin?.write(JSON.stringify(command) + '\n');
  }

  /** Waits for the child to exit on its own (e.g. a one-shot script), at most `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ChildExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`${this.name} did not exit within ${timeoutMs} ms${this.context()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the child: closes stdin (lab scripts exit on that), then SIGTERM after the grace period, then
   * SIGKILL. Resolves with how it ended; never rejects. Idempotent.
   */
  async stop(graceMs = CHILD_STOP_GRACE_MS): Promise<ChildExit> {
    if (this.exit !== null) return this.exit;
    this.process.stdin?.end();
    if (await this.exitsWithin(graceMs)) return this.exited;
    signalProcessGroup(this.process, 'SIGTERM');
    if (await this.exitsWithin(graceMs)) return this.exited;
    signalProcessGroup(this.process, 'SIGKILL');
    await this.exitsWithin(CHILD_REAP_TIMEOUT_MS);
    return this.exit ?? { code: null, signal: 'SIGKILL' };
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    if (this.exit !== null) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return done;
  }

  private wait(predicate: EventPredicate, timeoutMs: number): Promise<LabEvent | null> {
    const matches = matcher(predicate);
    const i = this.unclaimed.findIndex(matches);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]);
    if (this.exit !== null) return Promise.reject(this.exitedError(describePredicate(predicate)));
    return new Promise<LabEvent | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.removeWaiter(waiter);
        resolve(null);
      }, timeoutMs);
      const waiter: Waiter = {
        description: describePredicate(predicate),
        matches,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private removeWaiter(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  private onLine(line: string): void {
    const event = parseLabEvent(line);
    if (event === null) {
      if (line.trim() !== '' && this.strayLines.length < MAX_STRAY_LINES) this.strayLines.push(line);
      return;
    }
    this.events.push(event);
    const waiter = this.waiters.find((w) => w.matches(event));
    if (waiter === undefined) {
      this.unclaimed.push(event);
      return;
    }
    this.removeWaiter(waiter);
    waiter.resolve(event);
  }

  private finish(exit: ChildExit, resolve: (e: ChildExit) => void): void {
    if (this.exit !== null) return;
    this.exit = exit;
    for (const w of this.waiters.splice(0)) {
      w.reject(this.exitedError(w.description));
    }
    resolve(exit);
  }

  private exitedError(awaited: string): WiremeshError {
    const how = this.spawnError ? `failed to start (${this.spawnError.message})` : `exited (code ${this.exit?.code}, signal ${this.exit?.signal})`;
    return new WiremeshError('CHILD_EXITED', `${this.name} ${how} before ${awaited}${this.context()}`);
  }

  private context(): string {
    const last = this.events.slice(-3).map((e) => JSON.stringify(e)).join(' ');
    const err = this.stderrTail.trim().split('\n').slice(-15).join('\n');
    return `${last ? `; last events: ${last}` : ''}${err ? `; stderr:\n${err}` : ''}`;
  }
}
