/**
 * The command line of `npm run bench`: what to run and how to print it. Parsing is separate from the run so
 * that it can be tested without starting a benchmark.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ROUNDS, MAX_ROUNDS } from './constants.js';
import { NETWORK_GROUPS, type NetworkGroup } from './session.js';
import type { CryptoChoice } from './session-peer-endpoint.js';

/** The micro-benchmark files folded into the run, by the name `--only` knows them by. */
export const MICRO_BENCH_NAMES = ['wire', 'crypto', 'kad', 'dataplane', 'identity', 'node'] as const;
export type MicroBenchName = (typeof MICRO_BENCH_NAMES)[number];

const ALIASES: Record<string, string[]> = {
  network: [...NETWORK_GROUPS],
  session: NETWORK_GROUPS.filter((g) => g !== 'raw'),
  micro: [...MICRO_BENCH_NAMES],
};

const CRYPTO_CHOICES: readonly CryptoChoice[] = ['auto', 'native', 'pure'];
export const USAGE = `usage: npm run bench -- [--json] [--quick] [--only NAME,...] [--rounds N] [--crypto auto|native|pure] [--profile] [--profile-dir DIR]
  --json      one JSON object per figure on stdout: {"name","value","unit","baseline","ratio"}
  --quick     short runs (smoke test): 0.3 s per throughput figure, 1,000 sessions for memory
  --only      run a subset: ${[...NETWORK_GROUPS, ...MICRO_BENCH_NAMES].join(', ')}
              (aliases: network, session, micro); ratios need 'raw' in the same run
  --rounds    rounds of the throughput figures, interleaved; each reports its best (default ${DEFAULT_ROUNDS}, --quick 1)
  --crypto    crypto provider of the session peers (default auto: native when sodium-native loads)
  --profile   profile each session figure's peer processes with the V8 CPU profiler (what node --cpu-prof
              uses), write .cpuprofile files and print the top functions by self time
  --profile-dir DIR  where the profiles go (implies --profile; default a new temp directory)`;

export interface BenchCliOptions {
  json: boolean;
  quick: boolean;
  rounds: number;
  network: Set<NetworkGroup>;
  micro: MicroBenchName[];
  crypto: CryptoChoice;
  profile: boolean;
  profileDir: string | null;
}

/** A command-line mistake; an empty message means --help. */
export class UsageError extends Error {}

/** Parses the command line; throws UsageError with the fix for anything it does not understand. */
export function parseBenchArgs(argv: string[]): BenchCliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        rounds: { type: 'string' },
        crypto: { type: 'string', default: 'auto' },
        profile: { type: 'boolean', default: false },
        'profile-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError('');
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const profileDir = values['profile-dir'] ?? null;
  const rounds = values.rounds === undefined ? (values.quick ? 1 : DEFAULT_ROUNDS) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) {
    throw new UsageError(`--rounds '${values.rounds}' is not valid: use a whole number from 1 to ${MAX_ROUNDS}`);
  }
  const crypto = values.crypto as CryptoChoice;
  if (!CRYPTO_CHOICES.includes(crypto)) throw new UsageError(`--crypto '${values.crypto}' is not one of ${CRYPTO_CHOICES.join(', ')}`);
  const known = new Set<string>([...NETWORK_GROUPS, ...MICRO_BENCH_NAMES]);
  let selected: string[];
  if (values.only === undefined) {
    selected = [...known];
  } else {
    selected = [];
    for (const raw of values.only.split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      const expanded = ALIASES[item] ?? [item];
      for (const e of expanded) {
        if (!known.has(e)) throw new UsageError(`--only: unknown benchmark '${item}'; choose from ${[...known, ...Object.keys(ALIASES)].join(', ')}`);
        selected.push(e);
      }
    }
    if (selected.length === 0) throw new UsageError('--only needs at least one benchmark name');
  }
  return {
    json: values.json,
    quick: values.quick,
    rounds,
    network: new Set(selected.filter((s): s is NetworkGroup => (NETWORK_GROUPS as readonly string[]).includes(s))),
    micro: MICRO_BENCH_NAMES.filter((m) => selected.includes(m)),
    crypto,
    profile: values.profile || profileDir !== null,
    profileDir: profileDir === null ? null : resolve(profileDir),
  };
}

