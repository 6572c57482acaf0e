/**
 * Benchmark peers in their own OS processes. The parent starts `node [flags] --import tsx bench/peer.ts`
 * with an IPC channel and calls named roles in it (request/reply messages); the child answers with
 * `servePeer`. Two processes on 127.0.0.1 is what the network figures mean: the sender and the receiver
 * each have their own event loop, heap and core, as two wiremesh nodes on one host would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PEER_EXIT_GRACE_MS, PEER_START_TIMEOUT_MS } from './constants.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const PEER_ENTRY = 'bench/peer.ts';
const STDERR_KEEP_CHARS = 4_000;

interface CallMessage {
  kind: 'call';
  id: number;
  role: string;
  args: unknown;
}

type ReplyMessage = { kind: 'reply'; id: number; ok: true; value: unknown } | { kind: 'reply'; id: number; ok: false; error: string };

interface ReadyMessage {
  kind: 'ready';
}

export interface PeerStartOptions {
  /** Shown in error messages ("receiver", "initiator 2", ...). */
  label: string;
  /** Extra node flags before `--import tsx` (e.g. `--expose-gc`, `--cpu-prof`). */
  nodeFlags?: string[];
  /** The script the child runs (default bench/peer.ts); it must call `servePeer`. */
  entry?: string;
}

/** A role a peer serves: JSON-able arguments in, JSON-able result out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PeerRole = (args: any) => Promise<unknown>;

/** The parent's handle on one peer process. */
export class PeerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private exited: Promise<void>;
  private exitCode: number | null = null;
  private gone = false;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP_CHARS);
    });
    child.on('message', (msg: ReplyMessage | ReadyMessage) => {
      if (msg.kind !== 'reply') return;
      const waiter = this.pending.get(msg.id);
      if (waiter === undefined) return;
      this.pending.delete(msg.id);
      if (msg.ok) waiter.resolve(msg.value);
      else waiter.reject(new Error(`${this.label}: ${msg.error}`));
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.gone = true;
        this.exitCode = code ?? (signal !== null ? 128 : 1);
        const err = new Error(`${this.label} exited (${signal ?? `code ${String(code)}`}) during a call${this.stderrTail()}`);
        for (const w of this.pending.values()) w.reject(err);
        this.pending.clear();
        resolve();
      });
    });
  }

  /** Spawns the peer and waits until it is ready for calls. */
  static async start(options: PeerStartOptions): Promise<PeerProcess> {
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', options.entry ?? PEER_ENTRY], {
      cwd: REPO_ROOT,
      // stdout is ignored so that a peer can never corrupt the --json output of the parent.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: process.env,
    });
    const peer = new PeerProcess(options.label, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${options.label} did not start within ${PEER_START_TIMEOUT_MS} ms${peer.stderrTail()}`));
      }, PEER_START_TIMEOUT_MS);
      const onMessage = (msg: ReadyMessage | ReplyMessage) => {
        if (msg.kind !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${options.label}: ${err.message}`));
      });
      void peer.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${options.label} exited before it was ready${peer.stderrTail()}`));
      });
    });
    return peer;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs `role` in the peer; rejects with the peer's error, or after `timeoutMs`. */
  call<T>(role: string, args: unknown, timeoutMs: number): Promise<T> {
    if (this.gone) return Promise.reject(new Error(`${this.label} is not running${this.stderrTail()}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: ${role} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const msg: CallMessage = { kind: 'call', id, role, args };
      this.child.send(msg, (err) => {
        if (err === null) return;
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new Error(`${this.label}: cannot send ${role}: ${err.message}${this.stderrTail()}`));
      });
    });
  }

  /**
   * Asks the peer to clean up and exit (closing the IPC channel is the signal), and kills it if it has not
   * exited within a grace period. A clean exit matters: `--cpu-prof` writes its profile only then.
   */
  async close(): Promise<void> {
    if (this.gone) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), PEER_EXIT_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills at once (error paths). */
  kill(): void {
    if (!this.gone) this.child.kill('SIGKILL');
  }

  get exitStatus(): number | null {
    return this.exitCode;
  }

  private stderrTail(): string {
    const text = this.stderr.trim();
    return text === '' ? '' : `\n--- ${this.label} stderr ---\n${text}`;
  }
}

/**
 * The child side: answers calls with `roles`, runs `cleanup` and exits when the parent disconnects.
 * Calls may overlap (a role that waits does not block the others).
 */
export function servePeer(roles: Record<string, PeerRole>, cleanup: () => Promise<void>): void {
  if (typeof process.send !== 'function') {
    throw new Error('bench/peer.ts runs as a child of `npm run bench` (it needs an IPC channel)');
  }
  const send = process.send.bind(process);
  process.on('message', (msg: CallMessage) => {
    if (msg?.kind !== 'call') return;
    const role = roles[msg.role];
    const reply = (r: ReplyMessage) => {
      if (process.connected) send(r);
    };
    if (role === undefined) {
      reply({ kind: 'reply', id: msg.id, ok: false, error: `unknown role '${msg.role}'` });
      return;
    }
    role(msg.args).then(
      (value) => reply({ kind: 'reply', id: msg.id, ok: true, value: value ?? null }),
      (err: unknown) => reply({ kind: 'reply', id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  process.once('disconnect', () => {
    cleanup().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`cleanup failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
  const ready: ReadyMessage = { kind: 'ready' };
  send(ready);
}
