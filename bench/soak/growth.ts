/**
 * The soak's growth criterion (pure). The traffic phase is cut into thirds by time: the first is warm-up
 * (JIT, the 60 s dedupe window filling, edges forming); a leak keeps climbing, so its last third's maximum
 * rises above the second third's. A metric passes when lastMax <= secondMax * (1 + fraction) + slack.
 * The least-squares slope over the last two thirds is reported alongside (per minute), not judged: on a
 * short run noise dominates it, while the thirds compare like with like.
 */

export interface Point {
  /** ms */
  t: number;
  v: number;
}

export interface GrowthLimit {
  fraction: number;
  slack: number;
}

export interface GrowthVerdict {
  first: number;
  /** Value of the first sample of the traffic phase and of the last, for "first -> last" tables. */
  last: number;
  secondMax: number;
  lastMax: number;
  /** The most lastMax may be. */
  limit: number;
  /** Least-squares slope over the last two thirds, units per minute. */
  slopePerMin: number;
  /** Both judged thirds held enough samples. */
  enough: boolean;
  ok: boolean;
}

/** The points of [startMs, endMs] in three equal time windows. */
export function thirds(points: readonly Point[], startMs: number, endMs: number): [Point[], Point[], Point[]] {
  const span = (endMs - startMs) / 3;
  const out: [Point[], Point[], Point[]] = [[], [], []];
  for (const p of points) {
    if (p.t < startMs || p.t > endMs) continue;
    const k = Math.min(2, Math.floor((p.t - startMs) / span));
    out[k].push(p);
  }
  return out;
}

/** Least-squares slope of v over t, in units per minute (0 with fewer than two distinct times). */
export function slopePerMinute(points: readonly Point[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let st = 0;
  let sv = 0;
  for (const p of points) {
    st += p.t;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

const maxOf = (ps: readonly Point[]): number => ps.reduce((m, p) => Math.max(m, p.v), -Infinity);

export function judgeGrowth(points: readonly Point[], startMs: number, endMs: number, limit: GrowthLimit, minSamplesPerThird: number): GrowthVerdict {
  const [a, b, c] = thirds(points, startMs, endMs);
  const all = [...a, ...b, ...c];
  const enough = b.length >= minSamplesPerThird && c.length >= minSamplesPerThird;
  const secondMax = b.length > 0 ? maxOf(b) : NaN;
  const lastMax = c.length > 0 ? maxOf(c) : NaN;
  const cap = secondMax * (1 + limit.fraction) + limit.slack;
  return {
    first: all.length > 0 ? all[0]!.v : NaN,
    last: all.length > 0 ? all[all.length - 1]!.v : NaN,
    secondMax,
    lastMax,
    limit: cap,
    slopePerMin: slopePerMinute([...b, ...c]),
    enough,
    ok: enough && lastMax <= cap,
  };
}

/** min / median / max of a list (NaN for an empty one). */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN };
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]! };
}
