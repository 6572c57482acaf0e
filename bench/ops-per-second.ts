/**
 * The micro-benchmark loop shared by bench/crypto.ts and bench/kad.ts: call `fn` in batches (so the clock
 * is read once per batch, not per call) until `durationMs` has passed, after one warm-up batch.
 */
export function opsPerSecond(durationMs: number, batch: number, fn: (i: number) => void): number {
  for (let i = 0; i < batch; i++) fn(i); // warm-up
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < batch; i++) fn(calls + i);
    calls += batch;
    elapsed = performance.now() - start;
  }
  return (calls * 1000) / elapsed;
}
