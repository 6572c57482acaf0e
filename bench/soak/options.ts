/**
 * The command line of `npm run soak`, parsed apart from the run so that it can be tested without one.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_CHANNELS_PER_SEC,
  DEFAULT_SAMPLE_MS,
  DEFAULT_SENDS_PER_SEC,
  DEFAULT_SOAK_NODES,
  DEFAULT_SOAK_SECONDS,
  DEFAULT_SOAK_SEED,
  MAX_SOAK_NODES,
  MAX_SOAK_SECONDS,
  MIN_SOAK_NODES,
  MIN_SOAK_SECONDS,
} from './constants.js';
import type { SoakConfig } from './run.js';

export const SOAK_USAGE = `usage: npm run soak -- [--nodes N] [--seconds S] [--seed N] [--sends-per-sec R] [--channels-per-sec R] [--sample-ms MS] [--maintenance default|fast] [--json] [--write]
  --nodes             node processes on 127.0.0.1, one bootstrap and N-1 joining (default ${DEFAULT_SOAK_NODES})
  --seconds           length of the traffic phase (default ${DEFAULT_SOAK_SECONDS})
  --seed              seed of the operation stream (default ${DEFAULT_SOAK_SEED})
  --sends-per-sec     routed sends with acks per second, whole overlay (default ${DEFAULT_SENDS_PER_SEC})
  --channels-per-sec  channel echo sessions per second, whole overlay (default ${DEFAULT_CHANNELS_PER_SEC})
  --sample-ms         how often each process samples heap, handles and edges (default ${DEFAULT_SAMPLE_MS}, finer for short runs)
  --maintenance       default (the node's own timings) or fast (converges in seconds, costs more CPU)
  --json              one JSON object per figure on stdout: {"name","value","unit","baseline","ratio"}
  --write             write the report to docs/figures/soak.md
  --samples FILE      write every sample of every process to FILE as JSON lines
Exit status: 0 when every property held, 1 when one did not, 2 on a usage error.`;

/** The run's configuration (run.ts) plus what only the command line decides. */
export interface SoakCliOptions extends Omit<SoakConfig, 'log'> {
  json: boolean;
  write: boolean;
  samplesFile: string | null;
}

/** A command-line mistake; an empty message means --help. */
export class SoakUsageError extends Error {}

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new SoakUsageError(`--${name} '${raw}' is not valid: use a whole number from ${min} to ${max}`);
  return n;
}

function rate(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 10_000) throw new SoakUsageError(`--${name} '${raw}' is not valid: use a number from 0 to 10000`);
  return n;
}

function maintenanceOf(raw: string): 'default' | 'fast' {
  if (raw === 'default' || raw === 'fast') return raw;
  throw new SoakUsageError(`--maintenance '${raw}' is not valid: use default or fast`);
}

export function parseSoakArgs(argv: string[]): SoakCliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string' },
        seconds: { type: 'string' },
        seed: { type: 'string' },
        'sends-per-sec': { type: 'string' },
        'channels-per-sec': { type: 'string' },
        'sample-ms': { type: 'string' },
        json: { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        samples: { type: 'string' },
        maintenance: { type: 'string', default: 'default' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new SoakUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new SoakUsageError('');
  if (positionals.length > 0) throw new SoakUsageError(`unexpected argument '${positionals[0]}'`);
  const seconds = whole('seconds', values.seconds, DEFAULT_SOAK_SECONDS, MIN_SOAK_SECONDS, MAX_SOAK_SECONDS);
  // By default at least 30 samples per run (10 per third), at most one every DEFAULT_SAMPLE_MS.
  const sampleMs = whole('sample-ms', values['sample-ms'], Math.min(DEFAULT_SAMPLE_MS, Math.floor((seconds * 1000) / 30)), 100, 60_000);
  if (sampleMs * 9 > seconds * 1000) {
    throw new SoakUsageError(`--sample-ms ${sampleMs} is too coarse for ${seconds} s: growth is judged on thirds of the run, each needing at least 3 samples`);
  }
  return {
    nodes: whole('nodes', values.nodes, DEFAULT_SOAK_NODES, MIN_SOAK_NODES, MAX_SOAK_NODES),
    seconds,
    seed: whole('seed', values.seed, DEFAULT_SOAK_SEED, 0, Number.MAX_SAFE_INTEGER),
    sendsPerSec: rate('sends-per-sec', values['sends-per-sec'], DEFAULT_SENDS_PER_SEC),
    channelsPerSec: rate('channels-per-sec', values['channels-per-sec'], DEFAULT_CHANNELS_PER_SEC),
    sampleMs,
    maintenance: maintenanceOf(values.maintenance),
    json: values.json,
    write: values.write,
    samplesFile: values.samples ?? null,
  };
}
