/**
 * The real `wiremesh id` CLI in a child process: output, file modes, persistence, and one-line errors.
 * Permission cases run the child as an unprivileged user when the tests run as root (root ignores modes).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identity, formatNodeId, formatPublicKeys, parsePublicKeys, saveSeed } from '../../src/identity/index.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
let base: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { unprivileged?: boolean } = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const asNobody = options.unprivileged && isRoot;
    const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/main.ts', 'id', ...args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A user mistake: non-zero exit, nothing on stdout, exactly one line on stderr, no stack trace. */
function expectOneLineError(run: Run, exitCode: number, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(exitCode);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^wiremesh: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'wiremesh-cli-'));
  // Traversable by the unprivileged user the permission cases run as.
  await chmod(base, 0o755);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('wiremesh id', () => {
  it('creates an identity on the first run and shows the same one later', async () => {
    const dataDir = join(base, 'node-a');
    const first = await cli(['--data-dir', dataDir, '--difficulty', '4']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/no identity yet: minting one with difficulty 4/);
    expect(first.stdout).toMatch(new RegExp(`^created a new identity in ${join(dataDir, 'identity.seed')}\n`));

    const seedPath = join(dataDir, 'identity.seed');
    expect((await stat(seedPath)).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const identity = Identity.fromSeed(await readFile(seedPath));
    const nodeId = formatNodeId(identity.nodeId);
    const keys = formatPublicKeys(identity.edPublicKey, identity.xPublicKey);
    expect(first.stdout).toContain(`node id     ${nodeId}\n`);
    expect(first.stdout).toContain(`keys        ${keys}\n`);
    expect(first.stdout).toContain(`contact     ${keys}@<your-ip>:<port>\n`);
    expect(first.stdout).toMatch(/difficulty {2}4 required; this node id has \d+ leading zero bits/);

    const [second, json] = await Promise.all([
      cli(['--data-dir', dataDir, '--difficulty', '4']),
      cli(['--data-dir', dataDir, '--difficulty', '4', '--json']),
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(new RegExp(`^loaded the identity in ${join(dataDir, 'identity.seed')}\n`));
    expect(second.stdout).toContain(`node id     ${nodeId}\n`);

    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout.endsWith('\n')).toBe(true);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    const shown = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(shown).toEqual({ nodeId, publicKeys: keys, created: false, difficulty: 4, leadingZeroBits: identity.leadingZeroBits });
    expect(formatNodeId(parsePublicKeys(shown.publicKeys as string).nodeId)).toBe(nodeId);
  });

  it('rejects bad difficulties with one line and exit code 2', async () => {
    const dataDir = join(base, 'never-created');
    const [negative, text] = await Promise.all([
      cli(['--data-dir', dataDir, '--difficulty', '-1']),
      cli(['--data-dir', dataDir, '--difficulty', 'abc']),
    ]);
    expectOneLineError(negative, 2, /--difficulty '-1' is not valid: use a whole number from 0 to 64/);
    expectOneLineError(text, 2, /--difficulty 'abc' is not valid/);
    await expect(stat(dataDir)).rejects.toThrow();
  });

  // The library tests cover every message; these check the CLI turns them into one line and an exit code.
  it('explains an unwritable data directory and unreadable or damaged seed files', async () => {
    const readOnly = join(base, 'read-only');
    await mkdir(readOnly);
    await chmod(readOnly, 0o555);
    const locked = join(base, 'locked');
    await saveSeed(locked, new Uint8Array(32).fill(3));
    await chmod(locked, 0o755);
    await chmod(join(locked, 'identity.seed'), 0o000);
    const damaged = join(base, 'damaged');
    await mkdir(damaged);
    await writeFile(join(damaged, 'identity.seed'), new Uint8Array(31));

    const [unwritable, unreadable, short] = await Promise.all([
      cli(['--data-dir', readOnly, '--difficulty', '4'], { unprivileged: true }),
      cli(['--data-dir', locked, '--difficulty', '0'], { unprivileged: true }),
      cli(['--data-dir', damaged]),
    ]);
    expectOneLineError(unwritable, 2, /cannot write in data directory .*read-only \(permission denied\): choose another data directory/);
    expectOneLineError(unreadable, 1, /cannot read .*locked\/identity\.seed \(permission denied\): run as the user who owns it/);
    expectOneLineError(
      short,
      1,
      /identity\.seed in .*damaged is 31 bytes, expected 32: the file is damaged; move it away to create a new identity$/,
    );
  });
});
