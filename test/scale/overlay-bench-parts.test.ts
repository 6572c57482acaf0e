/**
 * The pure parts of the overlay benchmark (bench/overlay.ts): command line, statistics, the churn plot.
 */
import { describe, expect, it } from 'vitest';
import { OverlayUsageError, parseOverlayArgs } from '../../bench/overlay.js';
import { distribution, percentile } from '../../bench/overlay/distribution.js';
import { hopBound, overlayFigures } from '../../bench/overlay/figures.js';
import { churnSvg, percentRange } from '../../bench/overlay/plot.js';
import type { ScenarioResult } from '../../bench/overlay/scenario.js';
import { SeededPicker } from '../../bench/overlay/seeded.js';

describe('parseOverlayArgs', () => {
  it('has the issue defaults: 1,000 nodes, 30 minutes, 5,000 messages', () => {
    const o = parseOverlayArgs([]);
    expect(o.scenario).toMatchObject({ nodes: 1_000, minutes: 30, messages: 5_000, bootstrapNodes: 5, churnFraction: 0.05, seed: 1 });
    expect(o.json).toBe(false);
    expect(o.write).toBe(false);
    expect(o.scenario.maxWallMs).toBeUndefined();
  });

  it('reads every option', () => {
    const o = parseOverlayArgs(['--nodes', '200', '--minutes', '3', '--messages', '100', '--lookups', '7', '--churn-messages', '50', '--seed', '9', '--json', '--write', '--max-wall-minutes', '2']);
    expect(o.scenario).toMatchObject({ nodes: 200, minutes: 3, messages: 100, lookups: 7, churnMessagesPerMinute: 50, seed: 9, maxWallMs: 120_000 });
    expect(o.json).toBe(true);
    expect(o.write).toBe(true);
  });

  it('refuses mistakes with one sentence naming the option', () => {
    expect(() => parseOverlayArgs(['--nodes', '3'])).toThrow(/--nodes 3 is invalid/);
    expect(() => parseOverlayArgs(['--minutes', 'x'])).toThrow(/--minutes x is invalid/);
    expect(() => parseOverlayArgs(['--nodez', '3'])).toThrow(OverlayUsageError);
    expect(() => parseOverlayArgs(['--help'])).toThrow(OverlayUsageError);
  });
});

describe('distribution', () => {
  it('nearest-rank percentiles, mean, min and max', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const d = distribution(values);
    expect(d).toEqual({ count: 100, mean: 50.5, p50: 50, p99: 99, min: 1, max: 100 });
    expect(percentile([3], 0.99)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(Number.isNaN(distribution([]).mean)).toBe(true);
  });

  it('hopBound is ceil(log2 N) + 2', () => {
    expect(hopBound(200)).toBe(10);
    expect(hopBound(1_000)).toBe(12);
  });
});

describe('SeededPicker', () => {
  it('is reproducible, picks distinct pairs and samples without repeats', () => {
    const a = new SeededPicker(5);
    const b = new SeededPicker(5);
    const items = Array.from({ length: 50 }, (_, i) => i);
    for (let i = 0; i < 200; i++) {
      const [x, y] = a.pair(items);
      expect(b.pair(items)).toEqual([x, y]);
      expect(x).not.toBe(y);
    }
    const sample = a.sample(items, 20);
    expect(new Set(sample).size).toBe(20);
    for (const s of sample) expect(items).toContain(s);
  });
});

function fakeResult(rates: number[]): ScenarioResult {
  const dist = { count: 1, mean: 2, p50: 2, p99: 3, min: 1, max: 4 };
  return {
    options: { nodes: 1_000, bootstrapNodes: 5, messages: 10, lookups: 10, minutes: rates.length, churnFraction: 0.05, churnMessagesPerMinute: 100, seed: 1 },
    churnMinutesSkipped: 0,
    joinVirtualMs: 100_000,
    joinWallMs: 1,
    convergence99Ms: 10_000,
    convergenceMs: 20_000,
    convergedFraction: 1,
    convergenceWallMs: 1,
    degree: { total: dist, inbound: dist, outbound: dist },
    knownContacts: dist,
    heapBytesPerNode: 1024,
    messages: { sent: 10, acked: 10, received: 10, hops: [1, 2], failures: {} },
    hops: dist,
    lookups: { started: 10, found: 10, failures: {} },
    steadyWallMs: 1,
    churn: rates.map((rate, i) => ({
      minute: i + 1,
      alive: 1_000,
      crashed: 50,
      joined: 50,
      round: { sent: 100, acked: Math.round(rate * 100), received: Math.round(rate * 100), hops: [], failures: {} },
      deliveryRate: rate,
      edgesTrimmed: 3,
      wallMs: 1,
    })),
    churnWallMs: 1,
    edgesTrimmedBeforeChurn: 5,
    totalWallMs: 1,
    cpuMs: 1,
    virtualMs: 1,
    timersLeftAfterStop: 0,
  };
}

describe('churn plot and figures', () => {
  it('percentRange shows the data and the target on whole-percent ticks', () => {
    expect(percentRange([99.5, 100], 95)).toEqual({ lo: 94, hi: 100, step: 2 });
    expect(percentRange([60], 95)).toMatchObject({ hi: 100 });
    expect(percentRange([60], 95).lo).toBeLessThanOrEqual(59);
  });

  it('draws one point per minute, the target line and labelled axes', () => {
    const svg = churnSvg(fakeResult([1, 0.99, 0.97, 1]));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain('minute 3: 97.00 %');
    expect(svg).toContain('target 95 %');
    expect(svg).toContain('simulated minute');
    // Every tag that opens also closes (no stray markup).
    expect(svg.match(/<text /g)!.length).toBe(svg.match(/<\/text>/g)!.length);
  });

  it('lists every figure with a unit, and one line per churn minute', () => {
    const figures = overlayFigures(fakeResult([1, 0.9]));
    const names = figures.map((f) => f.name);
    expect(names).toContain('overlay.delivery');
    expect(names).toContain('overlay.hops.p99');
    expect(names).toContain('overlay.degree.max');
    expect(names).toContain('overlay.memory.per_node');
    expect(names).toContain('overlay.churn.delivery.minute01');
    expect(names).toContain('overlay.churn.delivery.minute02');
    const churn = figures.find((f) => f.name === 'overlay.churn.delivery')!;
    expect(churn.value).toBeCloseTo(95, 5);
    // The worst minute (90 %) misses the 95 % target.
    expect(churn.target?.met).toBe(false);
    for (const f of figures) expect(f.unit).not.toBe('');
  });
});
