/** Summary statistics of a sample (hop counts, degrees). Pure. */

export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least p of the sample at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = values.slice().sort((a, b) => a - b);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    min: sorted.length === 0 ? Number.NaN : sorted[0],
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
  };
}
