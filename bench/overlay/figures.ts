/**
 * The scenario's result as benchmark figures (bench/report.ts: text table and JSON lines) and as the
 * Markdown page docs/figures/overlay.md.
 */
import { cpus } from 'node:os';
import { DEGREE_CAP } from '../../src/kad/index.js';
import { figure, formatPercent, formatTable, type BenchFigure } from '../report.js';
import { CONVERGENCE_DEFINITION } from './convergence.js';
import type { ScenarioResult } from './scenario.js';

/** p99 hop bound the test and the table check: log2(N) plus a small constant. */
export function hopBound(nodes: number): number {
  return Math.ceil(Math.log2(Math.max(2, nodes))) + 2;
}

export const STEADY_DELIVERY_TARGET = 0.99;
export const CHURN_DELIVERY_TARGET = 0.95;

function pct(r: number): number {
  return Math.round(r * 100_000) / 1_000;
}

export function churnDeliveryRates(r: ScenarioResult): number[] {
  return r.churn.map((m) => m.deliveryRate);
}

export function overlayFigures(r: ScenarioResult): BenchFigure[] {
  const n = r.options.nodes;
  const delivery = r.messages.sent === 0 ? 1 : r.messages.acked / r.messages.sent;
  const lookup = r.lookups.started === 0 ? 1 : r.lookups.found / r.lookups.started;
  const out: BenchFigure[] = [
    figure({ name: 'overlay.nodes', value: n, unit: 'nodes' }, { detail: `bootstrapping from ${r.options.bootstrapNodes}, one join every 100 ms of virtual time; seed ${r.options.seed}` }),
    figure({ name: 'overlay.convergence.99pct', value: (r.convergence99Ms ?? Number.NaN) / 1000, unit: 's virtual' }),
    figure(
      { name: 'overlay.convergence', value: (r.convergenceMs ?? Number.NaN) / 1000, unit: 's virtual' },
      { detail: `${CONVERGENCE_DEFINITION}; ${formatPercent(r.convergedFraction)} complete at the end` },
    ),
    figure(
      { name: 'overlay.delivery', value: pct(delivery), unit: '%' },
      {
        target: { text: `>= ${STEADY_DELIVERY_TARGET * 100}%`, met: delivery >= STEADY_DELIVERY_TARGET },
        detail: `${r.messages.acked}/${r.messages.sent} random routed messages acknowledged end to end within 10 s (${r.messages.received} counted at the receivers)${failures(r.messages.failures)}`,
      },
    ),
    figure({ name: 'overlay.hops.mean', value: r.hops.mean, unit: 'hops' }),
    figure(
      { name: 'overlay.hops.p99', value: r.hops.p99, unit: 'hops' },
      { target: { text: `<= ceil(log2 N) + 2 = ${hopBound(n)}`, met: r.hops.p99 <= hopBound(n) }, detail: `max ${r.hops.max}` },
    ),
    figure(
      { name: 'overlay.lookup.success', value: pct(lookup), unit: '%' },
      { detail: `${r.lookups.found}/${r.lookups.started} node.find(id) by ID alone (routed signed Hello, signed Reply), pairs without an edge${failures(r.lookups.failures)}` },
    ),
    figure({ name: 'overlay.degree.mean', value: r.degree.total.mean, unit: 'edges' }, { detail: `p50 ${r.degree.total.p50}, min ${r.degree.total.min}` }),
    figure({ name: 'overlay.degree.p99', value: r.degree.total.p99, unit: 'edges' }),
    figure(
      { name: 'overlay.degree.max', value: r.degree.total.max, unit: 'edges' },
      { target: { text: `<= degree cap ${DEGREE_CAP} (+ grace-period joiners)`, met: r.degree.total.max <= DEGREE_CAP + 16 }, detail: `inbound max ${r.degree.inbound.max}, outbound max ${r.degree.outbound.max}; ${r.edgesTrimmedBeforeChurn} surplus edges trimmed before churn` },
    ),
    figure({ name: 'overlay.knowledge.mean', value: r.knownContacts.mean, unit: 'contacts' }),
    figure({ name: 'overlay.memory.per_node', value: r.heapBytesPerNode / 1024, unit: 'KiB' }, { detail: 'JS heap after GC, minus the heap before the cluster, divided by N (includes the simulator)' }),
  ];
  if (r.churn.length > 0) {
    const rates = churnDeliveryRates(r);
    const sent = r.churn.reduce((s, m) => s + m.round.sent, 0);
    const acked = r.churn.reduce((s, m) => s + m.round.acked, 0);
    const worst = Math.min(...rates);
    out.push(
      figure(
        { name: 'overlay.churn.delivery', value: pct(sent === 0 ? 1 : acked / sent), unit: '%' },
        {
          target: { text: `>= ${CHURN_DELIVERY_TARGET * 100}% every minute`, met: worst >= CHURN_DELIVERY_TARGET },
          detail:
            `${acked}/${sent} over ${r.churn.length} simulated minutes` +
            (r.churnMinutesSkipped > 0 ? ` (of ${r.options.minutes} requested: the wall-time limit stopped the run)` : '') +
            `, ${Math.round(r.options.churnFraction * 100)} % of nodes crashing and as many joining each minute; worst minute ${pct(worst)} %`,
        },
      ),
      figure({ name: 'overlay.churn.delivery.worst_minute', value: pct(worst), unit: '%' }),
      figure({ name: 'overlay.churn.edges_trimmed', value: r.churn.reduce((s, m) => s + m.edgesTrimmed, 0), unit: 'edges' }),
    );
    for (const m of r.churn) {
      out.push(figure({ name: `overlay.churn.delivery.minute${String(m.minute).padStart(2, '0')}`, value: pct(m.deliveryRate), unit: '%' }));
    }
  }
  out.push(
    figure({ name: 'overlay.virtual_time', value: r.virtualMs / 1000, unit: 's' }),
    figure({ name: 'overlay.cpu_time', value: r.cpuMs / 1000, unit: 's' }, { detail: 'user + system CPU of the one process running every node (one core at most)' }),
    figure(
      { name: 'overlay.wall_time', value: r.totalWallMs / 1000, unit: 's' },
      { detail: `join ${(r.joinWallMs / 1000).toFixed(1)} s, convergence ${(r.convergenceWallMs / 1000).toFixed(1)} s, measurements ${(r.steadyWallMs / 1000).toFixed(1)} s, churn ${(r.churnWallMs / 1000).toFixed(1)} s` },
    ),
  );
  return out;
}

function failures(f: Record<string, number>): string {
  const entries = Object.entries(f);
  return entries.length === 0 ? '' : `; failures: ${entries.map(([k, v]) => `${k} ${v}`).join(', ')}`;
}

/** The figures without the per-minute lines (those go in their own table). */
export function summaryFigures(r: ScenarioResult): BenchFigure[] {
  return overlayFigures(r).filter((f) => !/^overlay\.churn\.delivery\.minute/.test(f.name));
}

export function overlayTable(r: ScenarioResult): string {
  const lines = [formatTable(summaryFigures(r))];
  if (r.churn.length > 0) {
    lines.push('', 'churn, per simulated minute:', 'minute  alive  crashed  joined  delivered/sent  delivery  trimmed  wall');
    for (const m of r.churn) {
      lines.push(
        `${String(m.minute).padStart(6)}  ${String(m.alive).padStart(5)}  ${String(m.crashed).padStart(7)}  ${String(m.joined).padStart(6)}  ${`${m.round.acked}/${m.round.sent}`.padStart(14)}  ${`${pct(m.deliveryRate).toFixed(2)} %`.padStart(8)}  ${String(m.edgesTrimmed).padStart(7)}  ${(m.wallMs / 1000).toFixed(1)} s`,
      );
    }
  }
  return lines.join('\n');
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return { cpu: list[0]?.model.trim() ?? 'unknown', cores: list.length, node: process.version };
}

function mdValue(f: BenchFigure): string {
  if (!Number.isFinite(f.value)) return 'not reached';
  const digits = Number.isInteger(f.value) ? 0 : Math.abs(f.value) >= 100 ? 0 : Math.abs(f.value) >= 10 ? 1 : 2;
  return f.value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** docs/figures/overlay.md: date, machine, command, definitions, the table, churn per minute, the plot. */
export function overlayMarkdown(r: ScenarioResult, command: string, date: Date, machine: MachineInfo): string {
  const rows = summaryFigures(r).map((f) => {
    const target = f.target === null ? '' : `${f.target.text}: ${f.target.met ? 'met' : '**not met**'}`;
    return `| ${f.name} | ${mdValue(f)} | ${f.unit} | ${target} | ${(f.detail ?? '').replace(/\|/g, '/')} |`;
  });
  const out = [
    '# Overlay scale and churn (simulated network)',
    '',
    `Generated by \`${command}\` on ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    `Machine: ${machine.cpu}, ${machine.cores} cores, Node.js ${machine.node}.`,
    '',
    'Every node runs the real node code (Wiresocket sessions with real crypto, Identify, routing, maintenance)',
    `on the in-memory simulated network (src/node/sim) in virtual time: ${r.options.nodes} nodes, each on its own host,`,
    `20 ms one-way latency plus up to 10 ms jitter, no loss; node defaults (target degree 24, degree cap ${DEGREE_CAP},`,
    'keepalive 10 s, dead after 45 s, maintenance every 5 s), proof of work difficulty 0.',
    '',
    'Definitions:',
    `- convergence: ${CONVERGENCE_DEFINITION}.`,
    '- delivery: a routed message (random live source and target) counts when the source receives the',
    "  target's signed acknowledgement within 10 s (the node's own end-to-end retries included).",
    '- lookup: `node.find(id)` between random live nodes without an edge between them; success = the',
    "  target's own signed Reply (its verified contact) within 5 s.",
    '- hops: links the delivered copy took. Degree: live edges of a node (inbound + outbound).',
    '- memory per node: JS heap after GC with the converged cluster, minus the heap before it, over N.',
    `- churn: each simulated minute ${Math.round(r.options.churnFraction * 100)} % of the nodes (never the ${r.options.bootstrapNodes} bootstrap nodes) crash`,
    '  without notice (socket gone, no Leave) and as many new nodes join through the bootstrap nodes;',
    `  ${r.options.churnMessagesPerMinute} routed messages leave at random instants of the minute's first 49 s.`,
    ...(r.churnMinutesSkipped > 0
      ? ['', `**Partial run:** ${r.churn.length} of ${r.options.minutes} simulated churn minutes; the wall-time limit (\`--max-wall-minutes\`) stopped it.`]
      : []),
    '',
    '| figure | value | unit | target | detail |',
    '|---|---:|---|---|---|',
    ...rows,
    '',
  ];
  if (r.churn.length > 0) {
    out.push(
      '![delivery rate per simulated minute under churn](churn.svg)',
      '',
      '| minute | alive | crashed | joined | delivered/sent | delivery | edges trimmed |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...r.churn.map((m) => `| ${m.minute} | ${m.alive} | ${m.crashed} | ${m.joined} | ${m.round.acked}/${m.round.sent} | ${pct(m.deliveryRate).toFixed(2)} % | ${m.edgesTrimmed} |`),
      '',
    );
  }
  return out.join('\n');
}
