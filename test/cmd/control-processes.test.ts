/**
 * The control socket between real processes: a server process and client processes talk over
 * <dataDir>/control.sock; a second server is refused while the first lives; after the first is killed
 * (SIGKILL leaves a stale socket file) clients say no node runs and a new server takes the directory over;
 * SIGTERM closes cleanly and removes the socket file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join('test', 'cmd', 'fixtures');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function spawnScript(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; pid: number; path: string }> {
  const child = spawnScript('control-server-process.ts', [dataDir]);
  const rl = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    setTimeout(() => reject(new Error('the server did not listen within 15 s')), 15_000).unref();
  });
  rl.close();
  const info = JSON.parse(line) as { event: string; path: string; pid: number };
  expect(info.event).toBe('listening');
  return { child, pid: info.pid, path: info.path };
}

async function finish(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

const lines = (text: string): Array<Record<string, unknown>> =>
  text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('control socket across processes', () => {
  it('serves clients in other processes, refuses a second server, recovers from a stale socket', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wm-ctlp-'));
    const first = await startServer(dataDir);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);

    // A client process streams progress events, then the result, from the server process; meanwhile a second
    // server on the same data directory is refused because the first is alive.
    const [counted, second] = await Promise.all([
      finish(spawnScript('control-client-process.ts', [dataDir, 'count', '{"to":3}'])),
      finish(spawnScript('control-server-process.ts', [dataDir])),
    ]);
    expect(counted.code).toBe(0);
    const out = lines(counted.stdout);
    expect(out.map((l) => l.event)).toEqual(['progress', 'progress', 'progress', 'result']);
    expect(out.slice(0, 3).map((l) => l.progress)).toEqual([{ done: 1 }, { done: 2 }, { done: 3 }]);
    expect(out[3]!.result).toEqual({ counted: 3, pid: first.pid });
    expect(out[3]!.pid).not.toBe(first.pid);

    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `wiremesh: a node is already running with data directory ${dataDir} (its control socket ${first.path} answers): stop it first or use another --data-dir\n`,
    );

    // SIGKILL leaves the socket file behind: clients are told no node runs, with the fix.
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect((await stat(first.path)).isSocket()).toBe(true);
    const orphan = await finish(spawnScript('control-client-process.ts', [dataDir, 'status']));
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toBe(
      `wiremesh: no running node found at ${first.path}: start one with \`wiremesh run --data-dir ${dataDir}\` [NO_RUNNING_NODE]\n`,
    );

    // A new server removes the stale file and serves; SIGTERM closes it and removes the socket.
    const third = await startServer(dataDir);
    const status = await finish(spawnScript('control-client-process.ts', [dataDir, 'status']));
    expect(status.code).toBe(0);
    expect(lines(status.stdout)[0]!.result).toEqual({ pid: third.pid });
    third.child.kill('SIGTERM');
    expect((await finish(third.child)).code).toBe(0);
    await expect(stat(third.path)).rejects.toThrow(/ENOENT/);
  }, 30_000);
});
