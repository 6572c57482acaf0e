/**
 * Runs the lab's administrative commands (`ip`, `nft`, `sysctl`) to completion. A failure becomes an
 * Error naming the full command and its stderr, so a broken topology step says exactly what went wrong.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { COMMAND_TIMEOUT_MS } from './constants.js';

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandFailedError extends Error {
  readonly command: string;
  readonly stderr: string;
  constructor(command: string, stderr: string, options?: { cause?: unknown }) {
    super(`command failed: ${command}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, options);
    this.name = 'CommandFailedError';
    this.command = command;
    this.stderr = stderr;
  }
}

function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Runs `file args`, feeding `input` on stdin when given; rejects with CommandFailedError on a non-zero exit. */
export function runCommand(file: string, args: readonly string[], input?: string): Promise<CommandOutput> {
  if (input === undefined) {
    return new Promise((resolve, reject) => {
      execFile(file, args, { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new CommandFailedError(describeCommand(file, args), stderr || err.message, { cause: err }));
        else resolve({ stdout, stderr });
      });
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandFailedError(describeCommand(file, args), err.message, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandFailedError(describeCommand(file, args), stderr || `exit ${code ?? signal}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Synchronous variant for process 'exit' handlers, where no promise will ever settle. Never throws. */
export function runCommandSync(file: string, args: readonly string[]): boolean {
  try {
    execFileSync(file, args, { timeout: COMMAND_TIMEOUT_MS, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
