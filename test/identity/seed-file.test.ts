import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, WiremeshError } from '../../src/errors.js';
import { Identity, loadOrCreateIdentity, loadSeed, saveSeed } from '../../src/identity/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const SEED = Uint8Array.from({ length: 32 }, (_, i) => i); // its NodeID has 3 leading zero bits
const isRoot = process.getuid?.() === 0;
let root: string;
let counter = 0;
const freshDir = (): string => join(root, `case-${++counter}`);
const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

async function caught(promise: Promise<unknown>): Promise<WiremeshError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WiremeshError);
  expect((error as Error).message).not.toContain('\n');
  return error as WiremeshError;
}

/** A directory nobody may write in: chmod 0555 works for normal users; root ignores modes, so /sys. */
async function unwritableDir(): Promise<string> {
  const dir = isRoot ? '/sys' : freshDir();
  if (!isRoot) {
    await mkdir(dir);
    await chmod(dir, 0o555);
  }
  // Make sure the premise holds, or the test would prove nothing.
  await expect(writeFile(join(dir, 'probe'), 'x')).rejects.toThrow();
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wiremesh-seed-'));
});

afterAll(async () => {
  await chmod(root, 0o700).catch(() => undefined);
  for (const entry of await readdir(root)) await chmod(join(root, entry), 0o700).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

describe('saveSeed and loadSeed', () => {
  it('writes 32 bytes 0600 in a new 0700 directory, atomically, whatever the umask', async () => {
    const dir = join(freshDir(), 'nested', 'data');
    const previous = process.umask(0);
    try {
      const path = await saveSeed(dir, SEED);
      expect(path).toBe(join(dir, 'identity.seed'));
      expect(hex(await readFile(path))).toBe(hex(SEED));
      expect(await modeOf(path)).toBe(0o600);
      expect(await modeOf(dir)).toBe(0o700);
      expect(await readdir(dir)).toEqual(['identity.seed']);
    } finally {
      process.umask(previous);
    }
    expect(hex((await loadSeed(dir))!)).toBe(hex(SEED));
  });

  it('never overwrites an existing seed', async () => {
    const dir = freshDir();
    await saveSeed(dir, SEED);
    const error = await caught(saveSeed(dir, new Uint8Array(32).fill(1)));
    expect(error.code).toBe('SEED_EXISTS');
    expect(error.message).toMatch(/already exists and a seed is never overwritten: move it away first/);
    expect(hex(await readFile(join(dir, 'identity.seed')))).toBe(hex(SEED));
    expect(await readdir(dir)).toEqual(['identity.seed']);
  });

  it('returns null when there is no seed and refuses seeds that are not 32 bytes', async () => {
    expect(await loadSeed(freshDir())).toBeNull();
    await expect(saveSeed(freshDir(), new Uint8Array(31))).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  for (const size of [0, 31, 33, 4096]) {
    it(`calls a ${size}-byte seed file damaged`, async () => {
      const dir = freshDir();
      await mkdir(dir);
      await writeFile(join(dir, 'identity.seed'), new Uint8Array(size));
      const error = await caught(loadSeed(dir));
      expect(error.code).toBe('SEED_DAMAGED');
      expect(error.message).toBe(
        `identity.seed in ${dir} is ${size} bytes, expected 32: the file is damaged; move it away to create a new identity`,
      );
    });
  }

  it('explains a seed path that is a directory', async () => {
    const dir = freshDir();
    await mkdir(join(dir, 'identity.seed'), { recursive: true });
    const error = await caught(loadSeed(dir));
    expect(error.code).toBe('SEED_UNREADABLE');
    expect(error.message).toMatch(/identity\.seed is (not a regular file|a directory)/);
    expect(error.message).toMatch(/move it away to create a new identity$/);
  });

  // As root, modes do not stop reads; the CLI test covers this case by running as an unprivileged user.
  it.skipIf(isRoot)('explains a seed file it may not read', async () => {
    const dir = freshDir();
    await saveSeed(dir, SEED);
    await chmod(join(dir, 'identity.seed'), 0o000);
    const error = await caught(loadSeed(dir));
    expect(error.code).toBe('SEED_UNREADABLE');
    expect(error.message).toMatch(/cannot read .*identity\.seed \(permission denied\): run as the user who owns it/);
  });
});

describe('loadOrCreateIdentity', () => {
  it('creates an identity once, then loads the same one', async () => {
    const dir = freshDir();
    let mintStarts = 0;
    const first = await loadOrCreateIdentity({ dataDir: dir, difficulty: 6, onMintStart: () => mintStarts++ });
    expect(first.created).toBe(true);
    expect(first.identity.leadingZeroBits).toBeGreaterThanOrEqual(6);
    expect(await modeOf(join(dir, 'identity.seed'))).toBe(0o600);
    const second = await loadOrCreateIdentity({ dataDir: dir, difficulty: 6, onMintStart: () => mintStarts++ });
    expect(second.created).toBe(false);
    expect(hex(second.identity.nodeId)).toBe(hex(first.identity.nodeId));
    expect(hex(second.identity.seed)).toBe(hex(await readFile(join(dir, 'identity.seed'))));
    expect(mintStarts).toBe(1);
  });

  it('settles a race between two first runs on one identity', async () => {
    const dir = freshDir();
    const [a, b] = await Promise.all([
      loadOrCreateIdentity({ dataDir: dir, difficulty: 4 }),
      loadOrCreateIdentity({ dataDir: dir, difficulty: 4 }),
    ]);
    expect(hex(a.identity.nodeId)).toBe(hex(b.identity.nodeId));
    expect([a.created, b.created].sort()).toEqual([false, true]);
  });

  it('refuses a stored seed below the required difficulty and says how to fix it', async () => {
    const dir = freshDir();
    await saveSeed(dir, SEED);
    expect(Identity.fromSeed(SEED).leadingZeroBits).toBe(3);
    const error = await caught(loadOrCreateIdentity({ dataDir: dir, difficulty: 8 }));
    expect(error.code).toBe('SEED_BELOW_DIFFICULTY');
    expect(error.message).toBe(
      `the identity in ${join(dir, 'identity.seed')} has 3 leading zero bits but difficulty 8 is required: lower the difficulty, or move the file away to mint a new identity`,
    );
    expect((await loadOrCreateIdentity({ dataDir: dir, difficulty: 3 })).created).toBe(false);
  });

  it('fails fast, before minting, when the data directory is not writable', async () => {
    const dir = await unwritableDir();
    const started = Date.now();
    // Difficulty 40 in-process would grind for days: only an early check can make this return.
    const error = await caught(loadOrCreateIdentity({ dataDir: dir, difficulty: 40, workers: 0 }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(
      new RegExp(`^cannot write in data directory ${dir} \\((permission denied|the file system is read-only)\\): choose another data directory or fix its permissions$`),
    );
  });

  it('explains a data directory that cannot be created', async () => {
    const file = join(freshDir());
    await writeFile(file, 'not a directory');
    const under = await caught(loadOrCreateIdentity({ dataDir: join(file, 'data'), difficulty: 1 }));
    expect(under).toBeInstanceOf(InvalidArgumentError);
    expect(under.message).toBe(
      `data directory ${join(file, 'data')} cannot be created (part of the path is a file, not a directory): choose another data directory or fix the path`,
    );
    const itself = await caught(loadOrCreateIdentity({ dataDir: file, difficulty: 1 }));
    expect(itself.message).toMatch(/cannot be created \(a file with that name is in the way\)/);
    const denied = await caught(loadOrCreateIdentity({ dataDir: join(await unwritableDir(), 'wiremesh'), difficulty: 1 }));
    expect(denied.message).toMatch(/cannot be created \((permission denied|the file system is read-only)\)/);
  });

  it('refuses an invalid difficulty before touching the disk', async () => {
    const dir = freshDir();
    await expect(loadOrCreateIdentity({ dataDir: dir, difficulty: 65 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(stat(dir)).rejects.toThrow();
  });
});
