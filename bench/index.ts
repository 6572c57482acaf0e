/**
 * `npm run bench`: the network figures between two processes on 127.0.0.1 (session.ts), each session
 * figure next to the same-run raw `dgram` baseline and its target, then the micro-benchmarks of the other
 * bench files. About 60-90 s; `--quick` takes a fraction of that.
 *
 *   npm run bench [-- --json] [--quick] [--only raw,unreliable,...] [--rounds N] [--crypto auto|native|pure] [--profile]
 *
 * `--json` prints one JSON object per figure on stdout: {"name","value","unit","baseline","ratio"};
 * progress and notes go to stderr. `--profile` profiles the peer processes of each session figure and
 * prints the functions with the most self time in each. `--help` lists every option.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROFILE_TOP_FUNCTIONS } from './constants.js';
import { benchCrypto } from './crypto.js';
import { formatProfileSummary, summarizeProfiles } from './cpu-profile.js';
import { benchDataplane } from './dataplane.js';
import { benchIdentity } from './identity.js';
import { benchNode } from './node.js';
import { benchKad } from './kad.js';
import { REPO_ROOT } from './peer-process.js';
import { figure, formatTable, toJsonLine, type BenchFigure, type BenchResult } from './report.js';
import { USAGE, UsageError, parseBenchArgs, type BenchCliOptions, type MicroBenchName } from './options.js';
import { benchSession } from './session.js';
import { benchWire } from './wire.js';
import { nativeAddon, nativeAddonProblem } from '../src/session/index.js';

const MICRO_BENCHES: Record<MicroBenchName, () => Promise<BenchResult[]>> = {
  wire: benchWire,
  crypto: benchCrypto,
  kad: benchKad,
  dataplane: benchDataplane,
  identity: benchIdentity,
  node: benchNode,
};

function describeSuite(suite: string | null): string {
  if (suite === 'native') {
    return nativeAddon() !== null
      ? 'native (OpenSSL X25519 and ChaCha20-Poly1305 through the wiremesh addon, sodium-native for the rest)'
      : 'native (sodium-native: libsodium X25519 and ChaCha20-Poly1305)';
  }
  if (suite === 'pure') return 'pure (@noble, JavaScript)';
  return suite ?? '(no session figure in this run)';
}

async function run(options: BenchCliOptions): Promise<void> {
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const cpus = availableParallelism();
  const load = loadavg()[0]!;
  if (load > cpus * 0.5) {
    log(`note: load average ${load.toFixed(2)} on ${cpus} CPUs; other processes compete with the benchmark and the figures will be low and noisy`);
  }
  let profileDir: string | null = null;
  if (options.profile) {
    profileDir = options.profileDir ?? (await mkdtemp(join(tmpdir(), 'wiremesh-bench-profiles-')));
    await mkdir(profileDir, { recursive: true });
  }

  const figures: BenchFigure[] = [];
  let suite: string | null = null;
  if (options.network.size > 0) {
    const network = await benchSession({ groups: options.network, quick: options.quick, rounds: options.rounds, crypto: options.crypto, profileDir, log });
    figures.push(...network.figures);
    suite = network.suite;
  }
  for (const name of options.micro) {
    log(`micro-benchmark ${name}`);
    for (const r of await MICRO_BENCHES[name]()) figures.push(figure(r));
  }

  if (options.json) {
    for (const f of figures) process.stdout.write(`${toJsonLine(f)}\n`);
  } else {
    const header = [
      `wiremesh bench: node ${process.version}, ${cpus} CPUs, crypto provider ${describeSuite(suite)}${options.quick ? ', quick mode (short runs)' : ''}`,
      `session I/O: ${nativeAddon() !== null ? 'native batched UDP (sendmmsg + UDP GSO, recvmmsg)' : `node:dgram (native addon not in use: ${nativeAddonProblem() ?? 'unknown'})`}`,
      'a .cpu-bound figure is the rate with a core per process and nothing else running, from CPU time per MB (see docs/decisions.md)',
      'network figures are measured at the receiving process (what arrived), between two processes on 127.0.0.1',
      '',
    ];
    process.stdout.write(`${header.join('\n')}${formatTable(figures)}\n`);
  }
  if (profileDir !== null) {
    const summaries = await summarizeProfiles(profileDir, REPO_ROOT, PROFILE_TOP_FUNCTIONS);
    const text = summaries.map(formatProfileSummary).join('\n\n');
    // In --json mode stdout carries only figures.
    (options.json ? process.stderr : process.stdout).write(`\nCPU profiles (${profileDir}):\n${text}\n`);
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

let options: BenchCliOptions;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  if (err.message === '') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}
try {
  await run(options);
} catch (err) {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
