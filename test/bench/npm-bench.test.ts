/**
 * Smoke test of `npm run bench`: a quick run of every network figure (real processes on 127.0.0.1) and one
 * micro-benchmark file, as JSON lines. Every line must parse, every value must be a positive finite number,
 * and the ratios must be the stated value over the stated baseline. The figures themselves are not judged:
 * on a busy CI machine they are whatever they are.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RUN_LIMIT_MS = 100_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bench(args: string[]): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/index.ts', ...args], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group, so a timeout can kill the bench and its peer processes together.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

interface Line {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

describe('npm run bench', () => {
  it('--quick --json: every figure parses, is positive and finite, with consistent ratios', async () => {
    const run = await bench(['--quick', '--json', '--only', 'network,wire']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    const figures = lines.map((l) => JSON.parse(l) as Line);
    for (const f of figures) {
      expect(Object.keys(f).sort(), f.name).toEqual(['baseline', 'name', 'ratio', 'unit', 'value']);
      expect(typeof f.name).toBe('string');
      expect(f.unit, f.name).not.toBe('');
      expect(Number.isFinite(f.value) && f.value > 0, `${f.name} = ${f.value}`).toBe(true);
      if (f.ratio === null) {
        expect(f.baseline, f.name).toBeNull();
      } else {
        expect(Number.isFinite(f.baseline) && f.baseline! > 0, f.name).toBe(true);
        expect(f.ratio, f.name).toBeCloseTo(f.value / f.baseline!, 9);
      }
    }
    const names = figures.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    const byName = new Map(figures.map((f) => [f.name, f]));
    const suite = names.find((n) => n.startsWith('session.'))!.split('.')[1];
    expect(['native', 'pure']).toContain(suite);
    for (const name of [
      'raw.dgram.1232B',
      'raw.dgram.1232B.packets',
      'raw.dgram.64B.packets',
      `session.${suite}.unreliable.1KiB`,
      `session.${suite}.coalesced.64B.events`,
      `session.${suite}.reliable.1KiB`,
      `session.${suite}.rate-capped.1KiB`,
      `session.${suite}.handshakes`,
      `session.${suite}.handshakes.responder-cpu`,
      `session.${suite}.idle.heap-per-session`,
      `session.${suite}.idle.rss-per-session`,
    ]) {
      expect(byName.has(name), `missing ${name}`).toBe(true);
    }
    // (b)/(a) and (d)/(a): session MB/s against the same run's raw 1232-byte MB/s.
    const raw = byName.get('raw.dgram.1232B')!;
    expect(raw.unit).toBe('MB/s');
    expect(byName.get(`session.${suite}.unreliable.1KiB`)!.baseline).toBe(raw.value);
    expect(byName.get(`session.${suite}.reliable.1KiB`)!.baseline).toBe(raw.value);
    // The rate-capped session is reported against its cap (5 MB/s in a quick run, whose burst is spent
    // within the warm-up): the token bucket holds the measured rate at the cap.
    const capped = byName.get(`session.${suite}.rate-capped.1KiB`)!;
    expect(capped.unit).toBe('MB/s');
    expect(capped.baseline).toBe(5);
    expect(capped.ratio!).toBeLessThanOrEqual(1.25);
    // The micro-benchmarks of bench/wire.ts are folded in.
    expect(names.some((n) => n.startsWith('wire.'))).toBe(true);
    // Progress goes to stderr, never into the JSON lines.
    expect(run.stderr).toMatch(/bench: \(a\) raw dgram 1232 B/);
  }, RUN_LIMIT_MS + 10_000);

  it('rejects an unknown --only name with exit code 2 before running anything', async () => {
    const run = await bench(['--only', 'nonsense']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe(
      "bench: --only: unknown benchmark 'nonsense'; choose from raw, unreliable, coalesced, reliable, ratecap, handshake, memory, wire, crypto, kad, dataplane, identity, node, network, session, micro",
    );
  }, 20_000);
});
