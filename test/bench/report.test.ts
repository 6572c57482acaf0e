/**
 * Figures and their renderings, and the CPU-profile summary: the parts of the bench that are pure logic.
 */
import { describe, expect, it } from 'vitest';
import { summarizeProfile } from '../../bench/cpu-profile.js';
import { against, figure, formatRatio, formatTable, formatValue, toJsonLine } from '../../bench/report.js';

describe('figures', () => {
  it('relates a figure to its same-run baseline', () => {
    const raw = figure({ name: 'raw.dgram.1232B', value: 200, unit: 'MB/s' });
    const session = against({ name: 'session.native.unreliable.1KiB', value: 150, unit: 'MB/s' }, raw);
    expect(session.baseline).toBe(200);
    expect(session.ratio).toBe(0.75);
    expect(session.baselineName).toBe('raw.dgram.1232B');
    expect(JSON.parse(toJsonLine(session))).toEqual({ name: 'session.native.unreliable.1KiB', value: 150, unit: 'MB/s', baseline: 200, ratio: 0.75 });
  });

  it('has no ratio without a baseline, or against a zero one', () => {
    const alone = against({ name: 'x', value: 3, unit: 'u' }, undefined);
    expect(JSON.parse(toJsonLine(alone))).toEqual({ name: 'x', value: 3, unit: 'u', baseline: null, ratio: null });
    const zero = figure({ name: 'z', value: 0, unit: 'u' });
    expect(against({ name: 'y', value: 3, unit: 'u' }, zero).ratio).toBeNull();
  });

  it('formats values with three significant digits or grouped thousands', () => {
    expect(formatValue(0.12345)).toBe('0.123');
    expect(formatValue(1.5)).toBe('1.50');
    expect(formatValue(12.34)).toBe('12.3');
    expect(formatValue(1234567.8)).toBe('1,234,568');
    expect(formatRatio(0.754)).toBe('75%');
    expect(formatRatio(0.05)).toBe('5.0%');
    expect(formatRatio(10.08)).toBe('10.1x');
  });

  it('prints targets and details in the table', () => {
    const raw = figure({ name: 'raw', value: 200, unit: 'MB/s' });
    const f = against({ name: 'session.reliable', value: 80, unit: 'MB/s' }, raw, {
      target: { text: '>= 50% of raw', met: false },
      detail: 'sent 10, received 10',
    });
    const text = formatTable([raw, f]);
    expect(text).toMatch(/^raw\s+200 MB\/s$/m);
    expect(text).toMatch(/^session\.reliable\s+80\.0 MB\/s\s+40% of raw\s+\[target >= 50% of raw: NOT met\]$/m);
    expect(text).toMatch(/^\s+sent 10, received 10$/m);
  });
});

describe('summarizeProfile', () => {
  const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
  // root -> a -> b; samples: b b b a (idle) (gc); timeDeltas[i+1] is charged to sample i.
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('sealAndSend', 'file:///repo/src/session/session.ts', 9) },
      { id: 3, callFrame: frame('', 'file:///repo/src/x.ts', 0) },
      { id: 4, callFrame: frame('(idle)') },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    samples: [3, 3, 3, 2, 4, 5],
    timeDeltas: [0, 1000, 1000, 1000, 2000, 4000, 1000],
  };

  it('charges each interval to the sampled frame and ranks by self time, idle apart', () => {
    const s = summarizeProfile(profile, 'p.cpuprofile', '/repo', 10);
    expect(s.idleMs).toBe(4);
    expect(s.busyMs).toBe(6);
    expect(s.top.map((e) => [e.frame, e.selfMs])).toEqual([
      ['(anonymous) (src/x.ts)', 3],
      ['sealAndSend (src/session/session.ts:10)', 2],
      ['(garbage collector)', 1],
    ]);
    expect(s.top[0]!.percent).toBeCloseTo(50, 6);
  });

  it('keeps only the requested number of entries', () => {
    expect(summarizeProfile(profile, 'p', '/repo', 1).top).toHaveLength(1);
  });
});
