/**
 * The seed file: `<dataDir>/identity.seed`, exactly 32 raw bytes, mode 0600, in a directory created
 * 0700 (DESIGN "Identity"). Writes go to a temporary file that is fsynced and then hard-linked into
 * place, so a crash never leaves a torn seed and an existing seed is never overwritten (link fails
 * where rename would replace). A node refuses a seed whose NodeID is below the required difficulty.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, WiremeshError } from '../errors.js';
import { DATA_DIR_MODE, SEED_BYTES, SEED_FILE_MODE, SEED_FILE_NAME } from './constants.js';
import { Identity } from './identity.js';
import type { KeyProviderChoice } from './key-provider.js';
import { checkMintDifficulty, mintSeed, type MintProgress } from './mint.js';
import { leadingZeroBits, satisfies } from './node-id.js';

function errnoCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
}

function permissionReason(code: string): string | null {
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  return null;
}

/** Creates `dataDir` (0700, parents included) unless it exists; refuses anything but a directory. */
async function ensureDataDir(dataDir: string): Promise<void> {
  if (typeof dataDir !== 'string' || dataDir === '') {
    throw new InvalidArgumentError('the data directory is empty: give a path such as ./.wiremesh');
  }
  try {
    await mkdir(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  } catch (error) {
    const code = errnoCode(error);
    const reason =
      permissionReason(code) ??
      (code === 'EEXIST'
        ? 'a file with that name is in the way'
        : code === 'ENOTDIR'
          ? 'part of the path is a file, not a directory'
          : `${code || 'error'}: ${(error as Error).message}`);
    throw new InvalidArgumentError(
      `data directory ${dataDir} cannot be created (${reason}): choose another data directory or fix the path`,
      { cause: error },
    );
  }
  const info = await stat(dataDir);
  if (!info.isDirectory()) {
    throw new InvalidArgumentError(`data directory ${dataDir} is not a directory: choose another data directory`);
  }
}

function cannotWrite(dataDir: string, error: unknown): InvalidArgumentError {
  const code = errnoCode(error);
  const reason = permissionReason(code) ?? `${code || 'error'}: ${(error as Error).message}`;
  return new InvalidArgumentError(
    `cannot write in data directory ${dataDir} (${reason}): choose another data directory or fix its permissions`,
    { cause: error },
  );
}

function temporaryPath(dataDir: string): string {
  return join(dataDir, `.${SEED_FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Fails fast, before minutes of minting, when nothing can be written in `dataDir`. */
async function assertWritable(dataDir: string): Promise<void> {
  const probe = temporaryPath(dataDir);
  try {
    const handle = await open(probe, 'wx', SEED_FILE_MODE);
    await handle.close();
  } catch (error) {
    throw cannotWrite(dataDir, error);
  }
  await unlink(probe).catch(() => undefined);
}

/**
 * Reads the seed in `dataDir`, or returns null when there is none. Throws WiremeshError with code
 * SEED_UNREADABLE or SEED_DAMAGED (wrong length) and a sentence saying how to fix it.
 */
export async function loadSeed(dataDir: string): Promise<Uint8Array | null> {
  const path = join(dataDir, SEED_FILE_NAME);
  let handle;
  try {
    handle = await open(path, fsConstants.O_RDONLY);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return null;
    const reason = permissionReason(code) ?? `${code || 'error'}: ${(error as Error).message}`;
    throw new WiremeshError(
      'SEED_UNREADABLE',
      `cannot read ${path} (${reason}): run as the user who owns it, or fix its permissions with chmod 600`,
      { cause: error },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new WiremeshError('SEED_UNREADABLE', `${path} is not a regular file: move it away to create a new identity`);
    }
    if (info.size !== SEED_BYTES) {
      throw new WiremeshError(
        'SEED_DAMAGED',
        `${SEED_FILE_NAME} in ${dataDir} is ${info.size} bytes, expected ${SEED_BYTES}: the file is damaged; move it away to create a new identity`,
      );
    }
    const seed = new Uint8Array(SEED_BYTES);
    const { bytesRead } = await handle.read(seed, 0, SEED_BYTES, 0);
    if (bytesRead !== SEED_BYTES) {
      seed.fill(0);
      throw new WiremeshError(
        'SEED_DAMAGED',
        `${SEED_FILE_NAME} in ${dataDir} is ${bytesRead} bytes, expected ${SEED_BYTES}: the file is damaged; move it away to create a new identity`,
      );
    }
    return seed;
  } catch (error) {
    if (error instanceof WiremeshError) throw error;
    const code = errnoCode(error);
    // EISDIR shows up here on some systems (open succeeds, read fails).
    throw new WiremeshError(
      'SEED_UNREADABLE',
      code === 'EISDIR'
        ? `${path} is a directory, not a seed file: move it away to create a new identity`
        : `cannot read ${path} (${code || (error as Error).message}): check the disk and the file's permissions`,
      { cause: error },
    );
  } finally {
    await handle.close();
  }
}

/**
 * Writes `seed` to `<dataDir>/identity.seed` (mode 0600; the directory is created 0700 if missing).
 * Never overwrites: an existing seed gives WiremeshError SEED_EXISTS. Returns the file's path.
 */
export async function saveSeed(dataDir: string, seed: Uint8Array): Promise<string> {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new InvalidArgumentError(`a seed must be ${SEED_BYTES} bytes, got ${seed?.length ?? 'none'}`);
  }
  await ensureDataDir(dataDir);
  const path = join(dataDir, SEED_FILE_NAME);
  const temporary = temporaryPath(dataDir);
  try {
    let handle;
    try {
      handle = await open(temporary, 'wx', SEED_FILE_MODE);
    } catch (error) {
      throw cannotWrite(dataDir, error);
    }
    try {
      // The open mode is filtered by the umask; set it exactly.
      await handle.chmod(SEED_FILE_MODE);
      await handle.write(seed, 0, SEED_BYTES, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await publish(temporary, path);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncDirectory(dataDir);
  return path;
}

const seedExists = (path: string): WiremeshError =>
  new WiremeshError('SEED_EXISTS', `${path} already exists and a seed is never overwritten: move it away first to replace the identity`);

/** Moves the finished temporary file into place without ever replacing an existing seed. */
async function publish(temporary: string, path: string): Promise<void> {
  try {
    await link(temporary, path);
    return;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST') throw seedExists(path);
    // File systems without hard links (some network and FAT mounts): check, then rename. The window
    // between the two is the only place two concurrent first runs could race.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  const existing = await stat(path).catch(() => null);
  if (existing) throw seedExists(path);
  await rename(temporary, path);
}

/** Makes the new directory entry durable; best effort, since not every platform can fsync a directory. */
async function syncDirectory(dataDir: string): Promise<void> {
  try {
    const handle = await open(dataDir, fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows and some file systems refuse; the file itself was fsynced already.
  }
}

export interface LoadOrCreateIdentityOptions {
  dataDir: string;
  /** Required leading zero bits: minting aims for it, and a loaded seed below it is refused. 0..64. */
  difficulty: number;
  signal?: AbortSignal;
  onProgress?: (progress: MintProgress) => void;
  /** Called once when no seed exists and minting begins (e.g. to tell the user why this takes time). */
  onMintStart?: () => void;
  /** Worker threads for minting (see `mintIdentity`). */
  workers?: number;
  provider?: KeyProviderChoice;
}

/**
 * Loads the identity in `dataDir`, or mints one at `difficulty` and saves it. Refuses a stored seed
 * whose NodeID has fewer than `difficulty` leading zero bits (WiremeshError SEED_BELOW_DIFFICULTY).
 */
export async function loadOrCreateIdentity(
  options: LoadOrCreateIdentityOptions,
): Promise<{ identity: Identity; created: boolean }> {
  const { dataDir, difficulty } = options;
  checkMintDifficulty(difficulty);
  await ensureDataDir(dataDir);

  const existing = await loadExisting(options);
  if (existing) return { identity: existing, created: false };

  await assertWritable(dataDir);
  options.onMintStart?.();
  const minted = await mintSeed(options);
  try {
    await saveSeed(dataDir, minted.seed);
  } catch (error) {
    minted.seed.fill(0);
    // Another process created a seed while we minted: use theirs, so both agree on one identity.
    if (error instanceof WiremeshError && error.code === 'SEED_EXISTS') {
      const theirs = await loadExisting(options);
      if (theirs) return { identity: theirs, created: false };
    }
    throw error;
  }
  try {
    return { identity: Identity.fromSeed(minted.seed, { provider: options.provider }), created: true };
  } finally {
    minted.seed.fill(0);
  }
}

async function loadExisting(options: LoadOrCreateIdentityOptions): Promise<Identity | null> {
  const seed = await loadSeed(options.dataDir);
  if (!seed) return null;
  let identity: Identity;
  try {
    identity = Identity.fromSeed(seed, { provider: options.provider });
  } finally {
    seed.fill(0);
  }
  if (!satisfies(identity.nodeId, options.difficulty)) {
    const bits = leadingZeroBits(identity.nodeId);
    identity.destroy();
    throw new WiremeshError(
      'SEED_BELOW_DIFFICULTY',
      `the identity in ${join(options.dataDir, SEED_FILE_NAME)} has ${bits} leading zero bits but difficulty ${options.difficulty} is required: lower the difficulty, or move the file away to mint a new identity`,
    );
  }
  return identity;
}
