/**
 * kad benchmarks: closest() on a full knowledge table (with a same-run full-scan baseline), the greedy
 * decide() over 30 live edges, and a same-address observe() refresh. About 1 s in total.
 * Run alone: `npx tsx bench/kad.ts`.
 */
import { pathToFileURL } from 'node:url';
import { BUCKET_COUNT, K, KnowledgeTable, compareDistance, decide, noSubnet, randomIdInBucket, type KadContact } from '../src/kad/index.js';
import { opsPerSecond } from './ops-per-second.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

function randomIds(count: number): Uint8Array[] {
  return Array.from({ length: count }, () => crypto.getRandomValues(new Uint8Array(32)));
}

export async function benchKad(): Promise<BenchResult[]> {
  const self = crypto.getRandomValues(new Uint8Array(32));
  const table = new KnowledgeTable({ self, subnetOf: noSubnet });
  const contacts: KadContact[] = [];
  for (let b = 0; b < BUCKET_COUNT; b++) {
    for (let i = 0; i < K; i++) {
      const c: KadContact = { id: randomIdInBucket(self, b), addresses: [{ host: '203.0.113.7', port: 7000 + i }] };
      if (table.observe(c, 0).status === 'added') contacts.push(c);
    }
  }
  const targets = randomIds(256);

  const closest = opsPerSecond(300, 200, (i) => {
    table.closest(targets[i & 255], K);
  });
  const all = table.all();
  const fullScan = opsPerSecond(200, 5, (i) => {
    const t = targets[i & 255];
    all
      .slice()
      .sort((a, b) => compareDistance(t, a.id, b.id))
      .slice(0, K);
  });

  const edges = randomIds(30);
  const routed = targets.map((target) => ({ target, ttl: 16, avoid: [edges[0], edges[1]] }));
  const decideRate = opsPerSecond(300, 1000, (i) => {
    decide(self, routed[i & 255], edges, edges[2]);
  });

  const refresh = opsPerSecond(150, 1000, (i) => {
    table.observe(contacts[i % contacts.length], i);
  });

  return [
    { name: 'kad.closest(20) on full table', value: closest, unit: 'ops/s' },
    { name: 'kad.closest speedup vs full-scan sort (same run)', value: closest / fullScan, unit: 'x' },
    { name: 'kad.full table size', value: table.size, unit: 'contacts' },
    { name: 'kad.decide with 30 edges', value: decideRate, unit: 'ops/s' },
    { name: 'kad.observe same-address refresh', value: refresh, unit: 'ops/s' },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchKad()) console.log(`${r.name}: ${r.value.toFixed(r.unit === 'x' ? 1 : 0)} ${r.unit}`);
}
