/**
 * `wiremesh bench` against a real `wiremesh echo` in another process: the figures parse and count real
 * echoes; bad --target/--key are one-line errors with exit code 2 (checked through the CLI's `main`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { quantile } from '../../cmd/commands/bench.js';
import { main } from '../../cmd/main.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const children: ChildProcess[] = [];

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/main.ts', ...args], {
    cwd: repo,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], limitMs = 20_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = start(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts `wiremesh echo` and returns its first stdout line (address and public key). */
async function startEcho(extra: string[] = []): Promise<{ address: string; publicKey: string; crypto: string }> {
  const echo = start(['echo', '--listen', '127.0.0.1:0', ...extra]);
  const lines = createInterface({ input: echo.stdout! });
  const first = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('echo server did not start within 15 s')), 15_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolvePromise(line);
    });
    echo.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  lines.close();
  return JSON.parse(first) as { address: string; publicKey: string; crypto: string };
}

interface Line {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

function parseLines(stdout: string): Map<string, Line> {
  const figures = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
  return new Map(figures.map((f) => [f.name, f]));
}

const GOOD_KEY = 'ab'.repeat(32);

describe('wiremesh bench', () => {
  it('streams to a wiremesh echo server and reports echoes, throughput and round trips', async () => {
    const echo = await startEcho();
    const run = await cli(['bench', '--target', echo.address, '--key', echo.publicKey, '--duration', '1', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const f = parseLines(run.stdout);
    const sent = f.get('echo.sent.count')!.value;
    const echoed = f.get('echo.received.count')!.value;
    expect(sent).toBeGreaterThan(0);
    expect(echoed).toBeGreaterThan(0);
    expect(echoed).toBeLessThanOrEqual(sent);
    expect(Number.isInteger(sent) && Number.isInteger(echoed)).toBe(true);
    expect(f.get('echo.sent')!.value).toBeGreaterThan(0);
    expect(f.get('echo.sent')!.unit).toBe('MB/s');
    expect(f.get('echo.received')!.value).toBeGreaterThan(0);
    expect(f.get('echo.events')!.value).toBeGreaterThan(0);
    expect(f.get('echo.rtt.samples')!.value).toBeGreaterThan(0);
    const median = f.get('echo.rtt.median')!.value;
    const p99 = f.get('echo.rtt.p99')!.value;
    expect(median).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(median);
    // The ratio is echoed over sent, both as MB/s and as counts.
    expect(f.get('echo.received.count')!.ratio).toBeCloseTo(echoed / sent, 9);
  }, 40_000);

  it('works over a reliable channel with the server in --reliable mode, in text form', async () => {
    const echo = await startEcho(['--reliable']);
    const run = await cli(['bench', '--target', echo.address, '--key', echo.publicKey, '--duration', '0.5', '--reliable', '--size', '200']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^wiremesh bench: ${echo.address.replace(/\./g, '\\.')}, crypto ${echo.crypto}, reliable channel 16, 200 B events`));
    const echoed = /^echoed\s+([\d,]+) events/m.exec(run.stdout);
    expect(echoed, run.stdout).not.toBeNull();
    expect(Number(echoed![1]!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/^round trip {2}median \d+\.\d{3} ms, p99 \d+\.\d{3} ms/m);
  }, 40_000);

  const badInputs: Array<[string, string[], RegExp]> = [
    ['a target that is not host:port', ['--target', 'localhost', '--key', GOOD_KEY], /^wiremesh: --target: address 'localhost' is not host:port/],
    ['a target port out of range', ['--target', '127.0.0.1:70000', '--key', GOOD_KEY], /^wiremesh: --target: port 70000 is out of range/],
    ['a missing target', ['--key', GOOD_KEY], /^wiremesh: --target is required/],
    ['a short key', ['--target', '127.0.0.1:9', '--key', 'abcd'], /^wiremesh: --key must be .* 64 hex characters; got 4 characters$/],
    ['a non-hex key', ['--target', '127.0.0.1:9', '--key', 'zz'.repeat(32)], /with non-hex ones$/],
    ['a missing key', ['--target', '127.0.0.1:9'], /^wiremesh: --key is required/],
    ['a low-order key', ['--target', '127.0.0.1:9', '--key', '00'.repeat(32)], /^wiremesh: --key is not a usable X25519 public key/],
  ];
  it('rejects a bad --target or --key in one line with exit code 2', async () => {
    // In this process: these fail before anything is sent, and a process start-up each would be slow.
    for (const [what, args, message] of badInputs) {
      const out: string[] = [];
      const err: string[] = [];
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
      let code: number;
      try {
        code = await main(['bench', ...args, '--duration', '1']);
      } finally {
        stdout.mockRestore();
        stderr.mockRestore();
      }
      expect(code, `${what}: ${err.join('')}`).toBe(2);
      expect(out.join(''), what).toBe('');
      const lines = err.join('').split('\n').filter((l) => l !== '');
      expect(lines, `${what}: ${err.join('')}`).toHaveLength(1);
      expect(lines[0], what).toMatch(message);
    }
  }, 20_000);
});

describe('quantile', () => {
  it('is the nearest-rank quantile of sorted samples', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
