/**
 * Spawning the real CLI (`node --import tsx cmd/main.ts ...`) for the end-to-end tests, and reading its
 * `--json` event lines. Every child is tracked so afterEach can kill whatever a test left running.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const children = new Set<ChildProcess>();

/** Environment without the operator's WIREMESH_* settings, so only the test's flags count. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WIREMESH_')) env[k] = v;
  return env;
}

export type JsonEvent = Record<string, unknown> & { event: string };

export interface CliProcess {
  child: ChildProcess;
  /** Every JSON line seen on stdout so far. */
  events: JsonEvent[];
  /** stderr so far. */
  stderr(): string;
  /** The first event (seen or future) matching `pred`; rejects after `timeoutMs` or when the process exits. */
  waitFor(pred: (e: JsonEvent) => boolean, timeoutMs?: number): Promise<JsonEvent>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], options: { stdio?: StdioOptions } = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/main.ts', ...args], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A long-running CLI process whose stdout is JSON lines. */
export function startCli(args: string[]): CliProcess {
  const child = spawnCli(args);
  const events: JsonEvent[] = [];
  const waiters: Array<{ pred: (e: JsonEvent) => boolean; resolve: (e: JsonEvent) => void }> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.trim() === '') return;
    const e = JSON.parse(line) as JsonEvent;
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    waitFor(pred, timeoutMs = 15_000) {
      const seen = events.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (e: JsonEvent) => (clearTimeout(timer), resolve(e)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching event within ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${stderr}`));
        }, timeoutMs);
        waiters.push(w);
        void exited.then((code) => {
          if (!waiters.includes(w)) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`the process exited (${code}) before the event; stderr: ${stderr}`));
        });
      });
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`, after which it is killed). */
export function runCli(args: string[], options: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawnCli(args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (options.input !== undefined) child.stdin!.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Kills every child still running (afterEach). */
export function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

export const tempDir = (prefix: string): Promise<string> => mkdtemp(join(tmpdir(), prefix));

/** `wiremesh run` with fast test settings on loopback. */
export function runNodeArgs(dataDir: string, extra: string[] = []): string[] {
  return ['run', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--difficulty', '0', '--json', '--log-level', 'warn', '--allow-same-subnet', ...extra];
}
