/**
 * Proof-of-work minting (DESIGN "Identity"): grind random seeds until the NodeID has at least
 * `difficulty` leading zero bits. Expected work is 2^difficulty derivations; a hit is memoryless, so
 * the expected time left is always 2^difficulty / rate however long the search has run.
 *
 * Up to IN_PROCESS_MAX_DIFFICULTY the grind runs in the calling thread in short slices (starting a
 * worker costs more than the work). Above it, one worker thread per core grinds; the first hit stops
 * all of them. Every path (hit, abort, worker failure, throwing onProgress) terminates every worker and
 * clears the progress timer before the promise settles.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AbortedError, InvalidArgumentError, WiremeshError } from '../errors.js';
import {
  IN_PROCESS_MAX_DIFFICULTY,
  IN_PROCESS_SLICE_MS,
  MAX_MINT_DIFFICULTY,
  MAX_MINT_WORKERS,
  PROGRESS_INTERVAL_MS,
} from './constants.js';
import { Identity } from './identity.js';
import { keyProviderByName, type KeyProvider, type KeyProviderChoice } from './key-provider.js';
import type { MintWorkerData, MintWorkerFound } from './mint-worker.js';
import { ProgressMeter, type MintProgress } from './progress-meter.js';
import { SeedGrinder } from './seed-grinder.js';

export type { MintProgress } from './progress-meter.js';

export interface MintOptions {
  /** Leading zero bits the NodeID must have: an integer 0..64. */
  difficulty: number;
  signal?: AbortSignal;
  /** Called about every 250 ms while grinding (not for grinds that finish sooner). */
  onProgress?: (progress: MintProgress) => void;
  /** Worker threads; 0 grinds in the calling thread. Default: 0 up to difficulty 8, else one per core. */
  workers?: number;
  /** Key provider for grinding and the result; default `auto`. */
  provider?: KeyProviderChoice;
}

export interface MintedSeed {
  /** Secret: the winning seed. The caller zeroes it. */
  seed: Uint8Array;
  attempts: number;
  elapsedMs: number;
}

/** Throws InvalidArgumentError unless `difficulty` is an integer 0..64. */
export function checkMintDifficulty(difficulty: unknown): asserts difficulty is number {
  if (typeof difficulty !== 'number' || !Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_MINT_DIFFICULTY) {
    throw new InvalidArgumentError(
      `difficulty ${String(difficulty)} is out of range: use a whole number from 0 to ${MAX_MINT_DIFFICULTY} (each bit doubles the work; beyond ${MAX_MINT_DIFFICULTY} a laptop would grind for centuries)`,
    );
  }
}

function abortedError(signal: AbortSignal): AbortedError {
  return new AbortedError('minting the identity was aborted', { cause: signal.reason });
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function grindInProcess(provider: KeyProvider, options: MintOptions): Promise<MintedSeed> {
  const { difficulty, signal, onProgress } = options;
  const grinder = new SeedGrinder(provider.createSeedHasher(), difficulty);
  const started = performance.now();
  const meter = new ProgressMeter(difficulty, started);
  let lastReport = started;
  try {
    for (;;) {
      if (signal?.aborted) throw abortedError(signal);
      const sliceEnd = performance.now() + IN_PROCESS_SLICE_MS;
      do {
        const seed = grinder.tryBatch();
        if (seed) return { seed, attempts: grinder.attempts, elapsedMs: performance.now() - started };
      } while (performance.now() < sliceEnd);
      const now = performance.now();
      if (onProgress && now - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = now;
        onProgress(meter.sample(grinder.attempts, now));
      }
      await yieldToEventLoop();
    }
  } finally {
    grinder.wipe();
  }
}

/**
 * How to start a worker: compiled JS runs `mint-worker.js` directly. From TypeScript sources (tsx, vitest)
 * the worker is a fresh isolate without the TypeScript loader, and Node 20 does not apply `--import`
 * hooks from a worker's execArgv to its entry module, so a two-line CommonJS bootstrap loads the entry
 * through tsx's `tsImport` API, resolved from this file (not the working directory).
 */
/** The ESM build of tsx's API (`tsx/esm/api`, import condition), found through tsx's package.json. */
function tsxEsmApiUrl(): string {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return new URL(manifest.exports['./esm/api'].import.default, pathToFileURL(manifestPath)).href;
}

function workerEntry(): { entry: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./mint-worker.js', import.meta.url), eval: false };
  const entryUrl = new URL('./mint-worker.ts', import.meta.url).href;
  const tsxApi = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entryUrl)}, ${JSON.stringify(entryUrl)}));`;
  return { entry: bootstrap, eval: true };
}

function grindInWorkers(provider: KeyProvider, options: MintOptions, workerCount: number): Promise<MintedSeed> {
  const { difficulty, signal, onProgress } = options;
  const entry = workerEntry();
  const stopBuffer = new SharedArrayBuffer(4);
  const countersBuffer = new SharedArrayBuffer(8 * workerCount);
  const stop = new Int32Array(stopBuffer);
  const counters = new BigInt64Array(countersBuffer);
  const started = performance.now();
  const meter = new ProgressMeter(difficulty, started);
  const totalAttempts = (): number => {
    let sum = 0;
    for (let i = 0; i < workerCount; i++) sum += Number(Atomics.load(counters, i));
    return sum;
  };

  return new Promise<MintedSeed>((resolve, reject) => {
    const workers: Worker[] = [];
    let settled = false;
    let timer: ReturnType<typeof setInterval> | undefined;

    const settle = (outcome: { seed: Uint8Array } | { error: unknown }): void => {
      if (settled) {
        if ('seed' in outcome) outcome.seed.fill(0);
        return;
      }
      settled = true;
      Atomics.store(stop, 0, 1);
      if (timer) clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      const attempts = totalAttempts();
      const elapsedMs = performance.now() - started;
      void Promise.allSettled(workers.map((worker) => worker.terminate())).then(() => {
        if ('seed' in outcome) resolve({ seed: outcome.seed, attempts, elapsedMs });
        else reject(outcome.error);
      });
    };
    const onAbort = (): void => settle({ error: abortedError(signal as AbortSignal) });
    signal?.addEventListener('abort', onAbort, { once: true });

    if (onProgress) {
      timer = setInterval(() => {
        try {
          onProgress(meter.sample(totalAttempts(), performance.now()));
        } catch (error) {
          settle({ error });
        }
      }, PROGRESS_INTERVAL_MS);
    }

    for (let slot = 0; slot < workerCount && !settled; slot++) {
      const workerData: MintWorkerData = {
        provider: provider.name,
        difficulty,
        stop: stopBuffer,
        counters: countersBuffer,
        slot,
      };
      let worker: Worker;
      try {
        worker = new Worker(entry.entry, { workerData, eval: entry.eval });
      } catch (error) {
        settle({ error: workerFailure(error) });
        break;
      }
      workers.push(worker);
      worker.on('message', (message: MintWorkerFound) => {
        if (message?.type === 'found') settle({ seed: message.seed });
      });
      worker.on('error', (error) => settle({ error: workerFailure(error) }));
      worker.on('exit', (code) => {
        if (!settled) settle({ error: workerFailure(new Error(`worker exited with code ${code}`)) });
      });
    }
  });
}

function workerFailure(cause: unknown): WiremeshError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new WiremeshError('MINT_WORKER_FAILED', `a proof-of-work worker thread failed (${detail}); retry with workers: 0 to grind in-process`, {
    cause,
  });
}

/** Grinds a seed whose NodeID has at least `difficulty` leading zero bits. See `mintIdentity`. */
export async function mintSeed(options: MintOptions): Promise<MintedSeed> {
  checkMintDifficulty(options.difficulty);
  const workers = options.workers ?? (options.difficulty <= IN_PROCESS_MAX_DIFFICULTY ? 0 : availableParallelism());
  if (!Number.isInteger(workers) || workers < 0 || workers > MAX_MINT_WORKERS) {
    throw new InvalidArgumentError(`workers ${String(workers)} is out of range: use a whole number from 0 to ${MAX_MINT_WORKERS}`);
  }
  const provider = keyProviderByName(options.provider ?? 'auto');
  if (options.signal?.aborted) throw abortedError(options.signal);
  return workers === 0 ? grindInProcess(provider, options) : grindInWorkers(provider, options, workers);
}

/**
 * Mints a new identity with at least `difficulty` leading zero bits in its NodeID. Rejects with
 * InvalidArgumentError for a difficulty outside 0..64 and with AbortedError when `signal` fires.
 */
export async function mintIdentity(options: MintOptions): Promise<Identity> {
  const { seed } = await mintSeed(options);
  try {
    return Identity.fromSeed(seed, { provider: options.provider });
  } finally {
    seed.fill(0);
  }
}
