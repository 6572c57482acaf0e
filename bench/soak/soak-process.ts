/**
 * The orchestrator's handle on one soak node process: spawn with an IPC channel, request/reply, the samples
 * and final report the child pushes, and a shutdown that sends SIGTERM and records how the process ended.
 * Every handle is tracked so that `killAll` can make sure no child outlives the run (error paths, tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CHILD_STOP_GRACE_MS, STDERR_KEEP_CHARS } from './constants.js';
import type { ChildMessage, FinalReport, Request, Sample } from './protocol.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_ENTRY = 'bench/soak/node-process.ts';

const live = new Set<SoakProcess>();

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It exited before the orchestrator asked it to stop. */
  crashed: boolean;
  /** It did not exit within the grace period after SIGTERM and was killed. */
  killed: boolean;
}

export class SoakProcess {
  readonly samples: Sample[] = [];
  final: FinalReport | null = null;
  exit: ExitInfo | null = null;
  private stderr = '';
  private nextReqId = 1;
  private stopRequested = false;
  private killedByUs = false;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly exited: Promise<void>;
  private readonly readyPromise: Promise<void>;
  private markReady: () => void = () => {};

  constructor(
    readonly index: number,
    private readonly child: ChildProcess,
  ) {
    live.add(this);
    this.readyPromise = new Promise<void>((resolve) => (this.markReady = resolve));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP_CHARS);
    });
    child.on('message', (msg: ChildMessage) => this.onMessage(msg));
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(this);
        this.exit = { code, signal, crashed: !this.stopRequested, killed: this.killedByUs };
        const err = new Error(`node ${index} exited (${signal ?? `code ${String(code)}`})${this.stderrTail()}`);
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
        resolve();
      });
    });
    // A failed spawn emits 'error' and then 'exit' (or nothing when the binary is missing).
    child.once('error', (err) => {
      this.stderr += `\nspawn error: ${err.message}`;
    });
  }

  static spawn(index: number, nodeFlags: string[] = ['--expose-gc']): SoakProcess {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', CHILD_ENTRY], {
      cwd: REPO_ROOT,
      // stdout ignored: a child must never corrupt the orchestrator's --json output.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: process.env,
    });
    return new SoakProcess(index, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Resolves once the child loaded and listens for requests; rejects on exit or after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.readyPromise,
        this.exited.then(() => {
          throw new Error(`node ${this.index} exited before it was ready${this.stderrTail()}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`node ${this.index} was not ready within ${timeoutMs} ms${this.stderrTail()}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  request<T>(body: Request, timeoutMs: number): Promise<T> {
    if (this.exit !== null) return Promise.reject(new Error(`node ${this.index} is not running${this.stderrTail()}`));
    const reqId = this.nextReqId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new Error(`node ${this.index}: ${body.kind} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(reqId, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ type: 'request', reqId, body }, (err) => {
        if (err === null) return;
        const p = this.pending.get(reqId);
        if (p === undefined) return;
        this.pending.delete(reqId);
        clearTimeout(p.timer);
        reject(new Error(`node ${this.index}: cannot send ${body.kind}: ${err.message}`));
      });
    });
  }

  /** SIGTERM, then wait for the exit (killing after the grace period). Resolves with how it ended. */
  async stop(graceMs = CHILD_STOP_GRACE_MS): Promise<ExitInfo> {
    if (this.exit === null) {
      this.stopRequested = true;
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.killedByUs = true;
        this.child.kill('SIGKILL');
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exit!;
  }

  /** Kills at once (error paths); resolves when the process is gone. */
  async kill(): Promise<void> {
    if (this.exit !== null) return;
    this.stopRequested = true;
    this.killedByUs = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  stderrTail(): string {
    const text = this.stderr.trim();
    return text === '' ? '' : `\n--- node ${this.index} stderr ---\n${text}`;
  }

  private onMessage(msg: ChildMessage): void {
    if (msg.type === 'ready') this.markReady();
    else if (msg.type === 'sample') this.samples.push(msg.sample);
    else if (msg.type === 'final') this.final = msg.report;
    else if (msg.type === 'reply') {
      const p = this.pending.get(msg.reqId);
      if (p === undefined) return;
      this.pending.delete(msg.reqId);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(`node ${this.index}: ${msg.error}`));
    }
  }
}

/** Kills every soak process still running (error paths and test teardown). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

export function liveProcessCount(): number {
  return live.size;
}
