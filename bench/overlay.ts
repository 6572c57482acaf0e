/**
 * Overlay scale and churn simulation (issue 8 item 1): `npm run bench:scale`, or
 *   npx tsx bench/overlay.ts [--nodes 1000] [--minutes 30] [--messages 5000] [--seed 1] [--json] [--write]
 * N nodes (default 1,000) of the real node code on the simulated network (src/node/sim) in virtual time,
 * bootstrapping from 5; prints convergence, hop counts, delivery and lookup rates, degree distribution and
 * memory per node, then the delivery rate per simulated minute under churn (5 % of the nodes crash and as
 * many join every minute). `--write` also writes docs/figures/overlay.md and docs/figures/churn.svg.
 * Progress goes to stderr; the table (or with --json one `{"name","value","unit"}` line per figure) to stdout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { toJsonLine } from './report.js';
import {
  DEFAULT_BOOTSTRAP_NODES,
  DEFAULT_CHURN_FRACTION,
  DEFAULT_CHURN_MESSAGES_PER_MINUTE,
  DEFAULT_CHURN_MINUTES,
  DEFAULT_LOOKUPS,
  DEFAULT_MESSAGES,
  DEFAULT_NODES,
  DEFAULT_SEED,
} from './overlay/constants.js';
import { machineInfo, overlayFigures, overlayMarkdown, overlayTable } from './overlay/figures.js';
import { churnSvg } from './overlay/plot.js';
import { runScenario, type ScenarioOptions } from './overlay/scenario.js';

export const OVERLAY_USAGE = `usage: npx tsx bench/overlay.ts [--nodes N] [--minutes M] [--messages K] [--lookups L] [--churn-messages C] [--seed S]
                               [--max-wall-minutes W] [--json] [--write]
  --nodes N           simulated nodes (default ${DEFAULT_NODES}); 5 of them are the bootstrap nodes
  --minutes M         simulated minutes of churn (default ${DEFAULT_CHURN_MINUTES}; 0 skips churn)
  --messages K        random routed messages in the steady-state round (default ${DEFAULT_MESSAGES})
  --lookups L         lookups by ID in the steady-state round (default ${DEFAULT_LOOKUPS})
  --churn-messages C  routed messages per simulated minute of churn (default ${DEFAULT_CHURN_MESSAGES_PER_MINUTE})
  --seed S            seed of every random choice (default ${DEFAULT_SEED})
  --max-wall-minutes W  start no churn minute after W minutes of real time (the figures say how many ran)
  --json              one JSON object per figure on stdout: {"name","value","unit"}
  --write             also write docs/figures/overlay.md and docs/figures/churn.svg`;

export interface OverlayCliOptions {
  scenario: Omit<ScenarioOptions, 'log'>;
  json: boolean;
  write: boolean;
}

export class OverlayUsageError extends Error {}

function whole(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new OverlayUsageError(`--${name} ${text} is invalid: use a whole number from ${min} to ${max}`);
  return value;
}

/** Parses the command line; throws OverlayUsageError with the fix for anything it does not understand. */
export function parseOverlayArgs(argv: string[]): OverlayCliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string' },
        minutes: { type: 'string' },
        messages: { type: 'string' },
        lookups: { type: 'string' },
        'churn-messages': { type: 'string' },
        seed: { type: 'string' },
        'max-wall-minutes': { type: 'string' },
        json: { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new OverlayUsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help === true) throw new OverlayUsageError('');
  const nodes = whole('nodes', v.nodes, DEFAULT_NODES, DEFAULT_BOOTSTRAP_NODES + 2, 20_000);
  return {
    scenario: {
      nodes,
      bootstrapNodes: DEFAULT_BOOTSTRAP_NODES,
      minutes: whole('minutes', v.minutes, DEFAULT_CHURN_MINUTES, 0, 1_440),
      messages: whole('messages', v.messages, DEFAULT_MESSAGES, 0, 1_000_000),
      lookups: whole('lookups', v.lookups, DEFAULT_LOOKUPS, 0, 1_000_000),
      churnMessagesPerMinute: whole('churn-messages', v['churn-messages'], DEFAULT_CHURN_MESSAGES_PER_MINUTE, 0, 1_000_000),
      churnFraction: DEFAULT_CHURN_FRACTION,
      seed: whole('seed', v.seed, DEFAULT_SEED, 0, 0xffff_ffff),
      maxWallMs: v['max-wall-minutes'] === undefined ? undefined : whole('max-wall-minutes', v['max-wall-minutes'], 0, 1, 10_000) * 60_000,
    },
    json: v.json === true,
    write: v.write === true,
  };
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function main(argv: string[]): Promise<number> {
  let options: OverlayCliOptions;
  try {
    options = parseOverlayArgs(argv);
  } catch (err) {
    if (!(err instanceof OverlayUsageError)) throw err;
    if (err.message !== '') process.stderr.write(`${err.message}\n`);
    process.stderr.write(`${OVERLAY_USAGE}\n`);
    return err.message === '' ? 0 : 2;
  }
  const log = (line: string) => process.stderr.write(`[overlay] ${line}\n`);
  log(`${options.scenario.nodes} nodes, ${options.scenario.minutes} simulated minutes of churn, seed ${options.scenario.seed}`);
  const result = await runScenario({ ...options.scenario, log });
  if (options.json) {
    for (const f of overlayFigures(result)) process.stdout.write(`${toJsonLine(f)}\n`);
  } else {
    process.stdout.write(`${overlayTable(result)}\n`);
  }
  if (options.write) {
    const dir = join(REPO_ROOT, 'docs', 'figures');
    await mkdir(dir, { recursive: true });
    const command = `npx tsx bench/overlay.ts ${argv.join(' ')}`.trim();
    await writeFile(join(dir, 'overlay.md'), overlayMarkdown(result, command, new Date(), machineInfo()));
    if (result.churn.length > 0) await writeFile(join(dir, 'churn.svg'), churnSvg(result));
    log(`wrote ${join('docs', 'figures', 'overlay.md')}${result.churn.length > 0 ? ' and docs/figures/churn.svg' : ''}`);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench/overlay: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
