/**
 * "Did you mean ...?" for misspelt setting names (config file keys, WIREMESH_* variables). Case, `-` and
 * `_` are ignored, so `log-level`, `LOG_LEVEL` and `loglevel` all find `logLevel`; otherwise the closest
 * name within a small edit distance wins.
 */

/** Most single-character edits between a typo and the name it suggests. */
const MAX_SUGGESTION_DISTANCE = 2;

const normalize = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

/** The candidate `name` most likely meant, or undefined when none is close. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const wanted = normalize(name);
  let best: string | undefined;
  let bestDistance = MAX_SUGGESTION_DISTANCE + 1;
  for (const candidate of candidates) {
    const d = editDistance(wanted, normalize(candidate), bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once every path is at least `limit` long. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}
