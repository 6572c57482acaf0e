/**
 * One benchmark figure and its two renderings: an aligned text table for people, JSON lines
 * (`{"name","value","unit","baseline","ratio"}`) for machines. Targets and details appear in the text only.
 */

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export interface Target {
  /** e.g. ">= 75% of raw" */
  text: string;
  met: boolean;
}

export interface BenchFigure extends BenchResult {
  /** The same-run figure this one is compared with, or null. */
  baseline: number | null;
  /** value / baseline, or null. */
  ratio: number | null;
  /** What the baseline is, for the text table (e.g. "raw.dgram.1232B"). */
  baselineName: string | null;
  target: Target | null;
  /** Context for people: loss, CPU, counts. */
  detail: string | null;
}

export function figure(result: BenchResult, extra: Partial<Omit<BenchFigure, keyof BenchResult>> = {}): BenchFigure {
  return {
    name: result.name,
    value: result.value,
    unit: result.unit,
    baseline: extra.baseline ?? null,
    ratio: extra.ratio ?? null,
    baselineName: extra.baselineName ?? null,
    target: extra.target ?? null,
    detail: extra.detail ?? null,
  };
}

/** A figure compared with a same-run baseline figure. */
export function against(result: BenchResult, base: BenchFigure | undefined, extra: Partial<BenchFigure> = {}): BenchFigure {
  if (base === undefined || !(base.value > 0)) return figure(result, extra);
  return figure(result, { ...extra, baseline: base.value, ratio: result.value / base.value, baselineName: base.name });
}

export function toJsonLine(f: BenchFigure): string {
  return JSON.stringify({ name: f.name, value: f.value, unit: f.unit, baseline: f.baseline, ratio: f.ratio });
}

/** Three significant digits or more, grouped thousands: 0.123, 12.3, 1,234, 1,234,567. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Whole numbers with grouped thousands: 1,234. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A ratio for people: a percentage up to 2x, a multiple above. */
export function formatRatio(ratio: number): string {
  return ratio >= 2 ? `${ratio.toFixed(1)}x` : formatPercent(ratio);
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
}

/** The text table: name, value, unit, ratio to baseline, target verdict, then the detail on its own line. */
export function formatTable(figures: BenchFigure[]): string {
  const nameWidth = Math.max(...figures.map((f) => f.name.length), 10);
  const valueWidth = Math.max(...figures.map((f) => formatValue(f.value).length), 8);
  const unitWidth = Math.max(...figures.map((f) => f.unit.length), 4);
  const lines: string[] = [];
  for (const f of figures) {
    let line = `${f.name.padEnd(nameWidth)}  ${formatValue(f.value).padStart(valueWidth)} ${f.unit.padEnd(unitWidth)}`;
    if (f.ratio !== null) {
      const ratio = formatRatio(f.ratio);
      line += `  ${ratio.padStart(5)}${ratio.endsWith('x') ? '' : ' of'} ${f.baselineName ?? 'baseline'}`;
    }
    if (f.target !== null) line += `  [target ${f.target.text}: ${f.target.met ? 'met' : 'NOT met'}]`;
    lines.push(line.trimEnd());
    if (f.detail !== null) lines.push(`${''.padEnd(nameWidth)}    ${f.detail}`);
  }
  return lines.join('\n');
}
