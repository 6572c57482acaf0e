/**
 * Identity benchmarks (about 3 s, most of it worker start-up): proof-of-work attempts per second on one thread for each key provider,
 * the all-cores minting rate through worker threads, and Ed25519 sign/verify rates through `Identity`.
 * Ratios compare against same-run baselines: native vs pure, and all cores vs one native thread.
 *
 * Run alone with `npx tsx bench/identity.ts`.
 */
import { availableParallelism } from 'node:os';
import {
  Identity,
  SeedGrinder,
  mintSeed,
  nativeKeyProvider,
  pureKeyProvider,
  type KeyProvider,
  type MintProgress,
} from '../src/identity/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

/** A difficulty no grind reaches during a benchmark, so every batch is pure work. */
const UNREACHABLE_DIFFICULTY = 64;

function timed(durationMs: number, step: () => number): number {
  let count = 0;
  const started = performance.now();
  let now = started;
  while (now - started < durationMs) {
    count += step();
    now = performance.now();
  }
  return (count * 1000) / (now - started);
}

function grindRate(provider: KeyProvider, durationMs: number): number {
  const grinder = new SeedGrinder(provider.createSeedHasher(), UNREACHABLE_DIFFICULTY);
  try {
    grinder.tryBatch(); // warm-up: JIT and lazy precomputation
    return timed(durationMs, () => {
      const before = grinder.attempts;
      grinder.tryBatch();
      return grinder.attempts - before;
    });
  } finally {
    grinder.wipe();
  }
}

/** Attempts/s of a real multi-worker mint, read from its progress reports once the workers run. */
async function allCoresRate(workers: number, maxMs: number): Promise<number> {
  const controller = new AbortController();
  const working: MintProgress[] = [];
  const deadline = setTimeout(() => controller.abort(), maxMs);
  try {
    await mintSeed({
      difficulty: UNREACHABLE_DIFFICULTY,
      workers,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.attempts > 0) working.push(p);
        if (working.length >= 3) controller.abort();
      },
    });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(deadline);
  }
  if (working.length < 2) return 0;
  const first = working[0];
  const last = working[working.length - 1];
  return ((last.attempts - first.attempts) * 1000) / (last.elapsedMs - first.elapsedMs);
}

export async function benchIdentity(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const native = nativeKeyProvider();
  const pure = pureKeyProvider();

  const nativeRate = native ? grindRate(native, 250) : 0;
  const pureRate = grindRate(pure, 250);
  if (native) results.push({ name: 'pow attempts, 1 thread, native', value: nativeRate, unit: 'attempts/s' });
  results.push({ name: 'pow attempts, 1 thread, pure', value: pureRate, unit: 'attempts/s' });
  if (native) results.push({ name: 'pow native vs pure', value: nativeRate / pureRate, unit: 'x' });

  const cores = availableParallelism();
  const mintRate = await allCoresRate(cores, 4_000);
  results.push({ name: `pow attempts, ${cores} worker threads (mintIdentity)`, value: mintRate, unit: 'attempts/s' });
  results.push({ name: 'pow all cores vs 1 thread', value: mintRate / (nativeRate || pureRate), unit: 'x' });

  const message = new Uint8Array(256).fill(7);
  for (const provider of native ? [native, pure] : [pure]) {
    const identity = Identity.fromSeed(new Uint8Array(32).fill(1), { provider: provider.name });
    const signature = identity.sign('wiremesh/v1/bench', message);
    const signRate = timed(150, () => {
      identity.sign('wiremesh/v1/bench', message);
      return 1;
    });
    const verifyRate = timed(150, () => {
      Identity.verify('wiremesh/v1/bench', message, signature, identity.edPublicKey, provider);
      return 1;
    });
    identity.destroy();
    results.push({ name: `sign 256 B, ${provider.name}`, value: signRate, unit: 'ops/s' });
    results.push({ name: `verify 256 B, ${provider.name}`, value: verifyRate, unit: 'ops/s' });
  }
  return results;
}

const invokedPath = process.argv[1] ?? '';
if (/[\\/]bench[\\/]identity\.(ts|js)$/.test(invokedPath)) {
  benchIdentity().then(
    (results) => {
      for (const r of results) process.stdout.write(`${r.name.padEnd(48)} ${r.value.toFixed(r.unit === 'x' ? 2 : 0).padStart(10)} ${r.unit}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`bench failed: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
