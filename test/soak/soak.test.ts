/**
 * The soak scaled down for `npm test` (issue 8 item 2): 10 node processes on loopback for 20 s of random
 * routed sends with acks and channel echo sessions, sampled every second. Asserts what `npm run soak`
 * asserts at full size: no crash, every acknowledged send delivered exactly once, every echo verified,
 * no growth of heap, handles or timers, nothing left after node.stop(), every process exited 0, and no
 * child outlives the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoak, type SoakResult } from '../../bench/soak/run.js';
import { formatText } from '../../bench/soak/report.js';
import { killAll, liveProcessCount } from '../../bench/soak/soak-process.js';
import { activeResources, waitForNoLeaks } from '../support/resources.js';

const NODES = 10;
const SECONDS = 20;

let before: Map<string, number>;
let result: SoakResult;

beforeAll(() => {
  before = activeResources();
});

afterAll(async () => {
  await killAll();
  expect(liveProcessCount()).toBe(0);
  // The children's pipes and process handles are closed too.
  expect(await waitForNoLeaks(before, 5_000)).toEqual([]);
});

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`soak: ${NODES} node processes, ${SECONDS} s`, () => {
  it('runs to the end with every property holding', async () => {
    result = await runSoak({ nodes: NODES, seconds: SECONDS, seed: 8, sendsPerSec: 20, channelsPerSec: 2, sampleMs: 1_000, maintenance: 'default', log: () => {} });
    if (!result.ok) console.log(formatText(result));
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  }, 150_000);

  it('exercised what it claims: sends acked, channels opened, echoed and closed', () => {
    const d = result.deliveries;
    expect(d.sends).toBeGreaterThanOrEqual(SECONDS * 20 * 0.9);
    // Every target is a live node on loopback: nearly all sends are acknowledged.
    expect(d.acked / d.sends).toBeGreaterThanOrEqual(0.95);
    expect(d.ackedDeliveredOnce).toBe(d.acked);
    expect(d.lost).toBe(0);
    expect(d.duplicates).toBe(0);
    expect(d.misdelivered + d.corrupt + d.wrongSender).toBe(0);
    const c = result.channels;
    expect(c.attempted).toBeGreaterThanOrEqual(SECONDS * 2 * 0.9);
    expect(c.opened / c.attempted).toBeGreaterThanOrEqual(0.9);
    expect(c.closedByOpener).toBeGreaterThanOrEqual(c.opened * 0.9);
    expect(c.eventsVerified).toBeGreaterThan(c.opened);
    expect(c.bytesVerified).toBeGreaterThan(100_000);
    expect(c.mismatches).toBe(0);
    // The peers saw the opener's close (in-sequence close signal, spec 10.1).
    expect(c.closedByPeer).toBeGreaterThanOrEqual(c.closedByOpener * 0.9);
  });

  it('sampled every process through the run and judged growth on real samples', () => {
    expect(result.processes).toHaveLength(NODES);
    for (const p of result.processes) {
      expect(p.samples).toBeGreaterThanOrEqual(SECONDS * 0.8);
      for (const v of Object.values(p.growth)) {
        expect(v.enough).toBe(true);
        expect(v.ok).toBe(true);
      }
      expect(p.growth.heapUsed.secondMax).toBeGreaterThan(1_000_000);
      expect(p.growth.udpSockets.lastMax).toBe(1);
    }
  });

  it('every process exited 0 after SIGTERM with nothing left running, and none survives', () => {
    expect(result.crashes).toBe(0);
    for (const p of result.processes) {
      expect(p.exit).toMatchObject({ code: 0, signal: null, crashed: false, killed: false });
      expect(p.final?.leaksAfterStop).toEqual([]);
    }
    expect(liveProcessCount()).toBe(0);
    for (const p of result.processes) expect(p.pid === undefined ? false : pidAlive(p.pid)).toBe(false);
  });
});
