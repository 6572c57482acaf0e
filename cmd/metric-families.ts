/**
 * Turns a stats snapshot (`endpoint.snapshot()`, later `node.stats()`) into Prometheus metric families
 * (issue 7 item 6). Pure: no registry, no I/O, so the naming rules are tested on their own.
 *
 * - A numeric stat `rxPackets` becomes `wiremesh_rx_packets_total` (a counter: stats are monotonic unless
 *   named in `gauges`, which become `wiremesh_<snake_name>`). Booleans become 0/1 gauges.
 * - A map of numbers `drops: { replay: 3 }` becomes one family with a label:
 *   `wiremesh_drops_total{reason="replay"} 3`. The label is named by `labelNames` (drops: `reason` unless told
 *   otherwise), else `kind`.
 * - Anything else (text, nested objects, null) is not a metric and is skipped; so are counter values that are
 *   negative or not finite, which Prometheus counters cannot carry.
 */
import { COUNTER_SUFFIX, DEFAULT_METRIC_LABEL, METRIC_PREFIX } from './constants.js';

export type MetricKind = 'counter' | 'gauge';

export interface MetricSample {
  /** The label value, or undefined for a family without a label. */
  label: string | undefined;
  value: number;
}

export interface MetricFamily {
  /** Prometheus name, e.g. `wiremesh_rx_packets_total`. */
  name: string;
  /** The stat it came from, e.g. `rxPackets`. */
  stat: string;
  kind: MetricKind;
  help: string;
  labelName: string | undefined;
  samples: MetricSample[];
}

export interface MetricShapeOptions {
  /** Stats that go up and down (e.g. `sessionsActive`); every other number is a counter. */
  gauges?: Iterable<string>;
  /** Label name of each nested map, by stat name (default: `drops` -> `reason`, others -> `kind`). */
  labelNames?: Readonly<Record<string, string>>;
  /** Help text by stat name. */
  help?: Readonly<Record<string, string>>;
  /** Name prefix (default `wiremesh_`). */
  prefix?: string;
}

/** Label names for well-known maps, so `drops` reads `drops{reason="replay"}` without configuration. */
const KNOWN_LABEL_NAMES: Readonly<Record<string, string>> = { drops: 'reason' };

const isNumberMap = (v: unknown): v is Record<string, number> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && Object.values(v).every((x) => typeof x === 'number');

/** `rxPackets` -> `rx_packets`, `HTTPRequests` -> `http_requests`, `mac2_required` unchanged. */
export function snakeCase(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return snake === '' ? 'unnamed' : snake;
}

/** A valid Prometheus label name for `name`. */
function labelName(name: string): string {
  const snake = snakeCase(name);
  // Names starting with __ are reserved by Prometheus; a leading digit is not allowed.
  return /^[0-9]/.test(snake) ? `_${snake}` : snake.replace(/^_+/, '');
}

/** The metric families of one snapshot, in the order of its fields. Names that collide keep the first. */
export function metricFamilies(stats: object, options: MetricShapeOptions = {}): MetricFamily[] {
  const prefix = options.prefix ?? METRIC_PREFIX;
  const gauges = new Set(options.gauges ?? []);
  const families: MetricFamily[] = [];
  const taken = new Set<string>();
  for (const [stat, value] of Object.entries(stats)) {
    let kind: MetricKind = gauges.has(stat) ? 'gauge' : 'counter';
    let samples: MetricSample[];
    let label: string | undefined;
    if (typeof value === 'boolean') {
      kind = 'gauge';
      samples = [{ label: undefined, value: value ? 1 : 0 }];
    } else if (typeof value === 'number') {
      samples = [{ label: undefined, value }];
    } else if (isNumberMap(value)) {
      label = labelName(options.labelNames?.[stat] ?? KNOWN_LABEL_NAMES[stat] ?? DEFAULT_METRIC_LABEL);
      samples = Object.entries(value).map(([key, v]) => ({ label: key, value: v }));
    } else {
      continue;
    }
    if (kind === 'counter') samples = samples.filter((s) => Number.isFinite(s.value) && s.value >= 0);
    const base = `${prefix}${snakeCase(stat)}`;
    const name = kind === 'counter' && !base.endsWith(COUNTER_SUFFIX) ? `${base}${COUNTER_SUFFIX}` : base;
    if (taken.has(name)) continue;
    taken.add(name);
    families.push({ name, stat, kind, help: options.help?.[stat] ?? `wiremesh stat ${stat}`, labelName: label, samples });
  }
  return families;
}
