import { describe, expect, it } from 'vitest';
import { AbortedError, InvalidArgumentError } from '../../src/errors.js';
import { Identity, leadingZeroBits, mintIdentity, mintSeed, satisfies, type MintProgress } from '../../src/identity/index.js';

const resources = (): string[] => [...process.getActiveResourcesInfo()].sort();

/** Resource kinds present now beyond those in `before` (a multiset difference). */
function added(before: string[]): string[] {
  const left = [...before];
  return resources().filter((kind) => {
    const i = left.indexOf(kind);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * Nothing minting created may outlive it. Other code (vitest itself) may close its own timers
 * meanwhile, so this checks that nothing was added rather than equality.
 */
async function expectResourcesBack(before: string[]): Promise<void> {
  // A worker's handles can take a turn of the event loop to close after its exit.
  for (let i = 0; i < 20 && added(before).length > 0; i++) await new Promise((r) => setImmediate(r));
  expect(added(before)).toEqual([]);
}

describe('mintIdentity', () => {
  it('mints in-process for low difficulty', async () => {
    const before = resources();
    const identity = await mintIdentity({ difficulty: 8 });
    expect(identity.leadingZeroBits).toBeGreaterThanOrEqual(8);
    expect(satisfies(identity.nodeId, 8)).toBe(true);
    await expectResourcesBack(before);
  });

  it('mints with the pure provider too', async () => {
    const identity = await mintIdentity({ difficulty: 4, provider: 'pure' });
    expect(identity.provider).toBe('pure');
    expect(identity.leadingZeroBits).toBeGreaterThanOrEqual(4);
  });

  it('mints on worker threads and leaves no worker or timer behind', async () => {
    const before = resources();
    const minted = await mintSeed({ difficulty: 12, workers: 2, onProgress: () => undefined });
    expect(minted.attempts).toBeGreaterThan(0);
    const identity = Identity.fromSeed(minted.seed);
    expect(identity.leadingZeroBits).toBeGreaterThanOrEqual(12);
    await expectResourcesBack(before);
  });

  it('reports progress about every 250 ms and aborts every worker', async () => {
    const before = resources();
    const controller = new AbortController();
    const reports: MintProgress[] = [];
    let during: string[] = [];
    const minting = mintIdentity({
      difficulty: 48,
      workers: 2,
      signal: controller.signal,
      onProgress: (p) => {
        during = added(before);
        reports.push(p);
        if (reports.filter((r) => r.attempts > 0).length >= 3) controller.abort();
      },
    });
    const safety = setTimeout(() => controller.abort(), 15_000);
    await expect(minting).rejects.toBeInstanceOf(AbortedError);
    clearTimeout(safety);
    expect(reports.filter((r) => r.attempts > 0).length).toBe(3);
    // While grinding, each worker shows as a MessagePort and progress as a Timeout: the leak check is not vacuous.
    expect(during).toEqual(expect.arrayContaining(['Timeout', 'MessagePort', 'MessagePort']));
    for (let i = 1; i < reports.length; i++) {
      expect(reports[i].attempts).toBeGreaterThanOrEqual(reports[i - 1].attempts);
      const gap = reports[i].elapsedMs - reports[i - 1].elapsedMs;
      expect(gap).toBeGreaterThan(150);
      expect(gap).toBeLessThan(5_000);
    }
    const last = reports[reports.length - 1];
    expect(last.ratePerSec).toBeGreaterThan(0);
    expect(last.etaSec).toBeCloseTo(2 ** 48 / last.ratePerSec, 0);
    await expectResourcesBack(before);
  });

  it('aborts an in-process grind', async () => {
    const before = resources();
    const controller = new AbortController();
    const reports: MintProgress[] = [];
    const minting = mintIdentity({ difficulty: 48, workers: 0, signal: controller.signal, onProgress: (p) => reports.push(p) });
    setTimeout(() => controller.abort(), 600);
    const error = await minting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).code).toBe('ABORTED');
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports[0].attempts).toBeGreaterThan(0);
    await expectResourcesBack(before);
  });

  it('rejects at once when the signal has already fired', async () => {
    const before = resources();
    await expect(mintIdentity({ difficulty: 20, workers: 2, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    await expectResourcesBack(before);
  });

  it('stops and cleans up when onProgress throws', async () => {
    const before = resources();
    const boom = new Error('display failed');
    await expect(
      mintIdentity({
        difficulty: 48,
        workers: 1,
        onProgress: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    await expectResourcesBack(before);
  });

  it('refuses difficulties outside 0..64 and bad worker counts', async () => {
    for (const difficulty of [-1, 65, 2.5, Number.NaN, '8' as unknown as number]) {
      const error = await mintIdentity({ difficulty }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(/use a whole number from 0 to 64/);
    }
    for (const workers of [-1, 1.5, 10_000]) {
      await expect(mintIdentity({ difficulty: 1, workers })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('accepts difficulty 0 (any seed)', async () => {
    const identity = await mintIdentity({ difficulty: 0 });
    expect(leadingZeroBits(identity.nodeId)).toBeGreaterThanOrEqual(0);
  });
});
