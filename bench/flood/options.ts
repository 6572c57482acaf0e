/**
 * The command line of bench/flood.ts, parsed apart from the run so it can be tested without flooding.
 */
import { parseArgs } from 'node:util';
import type { CryptoChoice } from './common.js';
import {
  FULL_GARBAGE_DURATIONS,
  FULL_GARBAGE_RATE_PER_SEC,
  FULL_HANDSHAKE_DURATIONS,
  FULL_INIT_RATE_PER_SEC,
  QUICK_DURATIONS,
  type FloodDurations,
} from './constants.js';

export const FLOOD_USAGE = `usage: tsx bench/flood.ts [--only handshake|garbage] [--rate N] [--seconds S] [--quick] [--json] [--write] [--crypto auto|native|pure]
  --only      run one of the two floods (default both)
  --rate      datagrams per second of the flooder (default ${FULL_INIT_RATE_PER_SEC} inits/s; garbage ${FULL_GARBAGE_RATE_PER_SEC}/s)
  --seconds   flood duration (default ${FULL_HANDSHAKE_DURATIONS.floodMs / 1000} s handshake flood, ${FULL_GARBAGE_DURATIONS.floodMs / 1000} s garbage flood)
  --quick     short runs (${QUICK_DURATIONS.floodMs / 1000} s of flood, ${QUICK_DURATIONS.baselineMs / 1000} s before): a smoke test
  --json      one JSON object per figure on stdout: {"name","value","unit","baseline","ratio"}
  --write     also write docs/figures/floods.md (date, machine, config, results)
  --crypto    crypto provider of the target and the peers (default auto)`;

export interface FloodCliOptions {
  handshake: boolean;
  garbage: boolean;
  initRatePerSec: number;
  garbageRatePerSec: number;
  handshakeDurations: FloodDurations;
  garbageDurations: FloodDurations;
  json: boolean;
  write: boolean;
  crypto: CryptoChoice;
}

export class FloodUsageError extends Error {}

const MAX_RATE_PER_SEC = 1_000_000;
const MAX_SECONDS = 3600;

export function parseFloodArgs(argv: string[]): FloodCliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        rate: { type: 'string' },
        seconds: { type: 'string' },
        quick: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        crypto: { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    throw new FloodUsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) throw new FloodUsageError('');
  const only = v.only;
  if (only !== undefined && only !== 'handshake' && only !== 'garbage') {
    throw new FloodUsageError(`--only '${only}' is not one of handshake, garbage`);
  }
  const crypto = v.crypto as CryptoChoice;
  if (!['auto', 'native', 'pure'].includes(crypto)) throw new FloodUsageError(`--crypto '${v.crypto}' is not one of auto, native, pure`);
  const rate = v.rate === undefined ? null : Number(v.rate);
  if (rate !== null && (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE_PER_SEC)) {
    throw new FloodUsageError(`--rate '${v.rate}' is not valid: use a whole number of datagrams per second from 1 to ${MAX_RATE_PER_SEC}`);
  }
  const seconds = v.seconds === undefined ? null : Number(v.seconds);
  if (seconds !== null && (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_SECONDS)) {
    throw new FloodUsageError(`--seconds '${v.seconds}' is not valid: use a number of seconds from 1 to ${MAX_SECONDS}`);
  }
  const durations = (full: FloodDurations): FloodDurations => {
    const base = v.quick ? QUICK_DURATIONS : full;
    return seconds === null ? { ...base } : { ...base, floodMs: Math.round(seconds * 1000) };
  };
  return {
    handshake: only === undefined || only === 'handshake',
    garbage: only === undefined || only === 'garbage',
    initRatePerSec: rate ?? FULL_INIT_RATE_PER_SEC,
    garbageRatePerSec: rate ?? FULL_GARBAGE_RATE_PER_SEC,
    handshakeDurations: durations(FULL_HANDSHAKE_DURATIONS),
    garbageDurations: durations(FULL_GARBAGE_DURATIONS),
    json: v.json,
    write: v.write,
    crypto,
  };
}
