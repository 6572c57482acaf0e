/**
 * Overlay scale and churn (issue 8 item 1), scaled down for `npm test`: 200 nodes of the real node code
 * on the simulated network bootstrap from 5 and converge; 1,000 random routed messages and 200 lookups
 * by ID; then 1 simulated minute in which 5 % of the nodes crash without notice and as many join.
 * The full-size run (1,000 nodes, 30 minutes) is `npm run bench:scale` (bench/overlay.ts).
 * Thresholds: delivery >= 99 % converged and >= 95 % under churn, p99 hops <= ceil(log2 N) + 2,
 * lookups >= 99 %, no node's degree beyond the trim cap (+ joiners in their grace period), nothing left
 * running afterwards.
 */
import { describe, expect, it } from 'vitest';
import { DEGREE_CAP } from '../../src/kad/index.js';
import { hopBound, overlayTable } from '../../bench/overlay/figures.js';
import { runScenario, type ScenarioResult } from '../../bench/overlay/scenario.js';

const NODES = 200;

describe(`${NODES} simulated nodes with churn`, () => {
  it('converge, route, look up and survive churn within the thresholds', async () => {
    const result: ScenarioResult = await runScenario({
      nodes: NODES,
      bootstrapNodes: 5,
      messages: 1_000,
      lookups: 200,
      minutes: 1,
      churnFraction: 0.05,
      churnMessagesPerMinute: 200,
      seed: 8,
    });
    console.log(`[overlay-scale]\n${overlayTable(result)}`);

    // Convergence: every node has live edges to its 16 XOR-closest nodes, within 2 virtual minutes.
    expect(result.convergenceMs).not.toBeNull();
    expect(result.convergenceMs!).toBeLessThanOrEqual(120_000);

    expect(result.messages.sent).toBe(1_000);
    expect(result.messages.acked / result.messages.sent).toBeGreaterThanOrEqual(0.99);
    // Counted at the receivers too, each message once.
    expect(result.messages.received).toBeGreaterThanOrEqual(result.messages.acked);
    expect(result.messages.received).toBeLessThanOrEqual(result.messages.sent);
    expect(result.hops.p99).toBeLessThanOrEqual(hopBound(NODES));
    expect(result.hops.mean).toBeGreaterThanOrEqual(1);

    expect(result.lookups.started).toBe(200);
    expect(result.lookups.found / result.lookups.started).toBeGreaterThanOrEqual(0.99);

    // No hubs: the bootstrap nodes were trimmed back under the cap (joiners in their 10 s grace period
    // and the sibling neighbourhood may exceed it a little).
    expect(result.edgesTrimmedBeforeChurn).toBeGreaterThan(0);
    expect(result.degree.total.max).toBeLessThanOrEqual(DEGREE_CAP + 16);
    expect(result.degree.total.min).toBeGreaterThanOrEqual(16);

    expect(result.churn).toHaveLength(1);
    for (const minute of result.churn) {
      expect(minute.crashed).toBe(10);
      expect(minute.joined).toBe(10);
      expect(minute.round.sent).toBe(200);
      expect(minute.deliveryRate).toBeGreaterThanOrEqual(0.95);
    }

    expect(result.timersLeftAfterStop).toBe(0);
  }, 240_000);
});
