/**
 * `npm run soak` (issue 8 item 2): node processes on loopback under random routed sends, channel opens and
 * closes for minutes; asserts no crash, no growth of heap or handles, every acknowledged send delivered
 * exactly once, and clean exits. See bench/soak/run.ts for the run and bench/soak/options.ts for the flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSoakArgs, SOAK_USAGE, SoakUsageError } from './soak/options.js';
import { formatMarkdown, formatText, toJsonLines } from './soak/report.js';
import { runSoak } from './soak/run.js';
import { killAll, REPO_ROOT } from './soak/soak-process.js';

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof SoakUsageError)) throw err;
    if (err.message === '') {
      process.stdout.write(`${SOAK_USAGE}\n`);
      return 0;
    }
    process.stderr.write(`${err.message}\n${SOAK_USAGE}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Ctrl-C: the children get SIGINT from the terminal too, but a detached run must not leave any behind.
  process.once('SIGINT', () => void killAll().then(() => process.exit(130)));
  const result = await runSoak({ ...opts, log });
  if (opts.json) process.stdout.write(`${toJsonLines(result)}\n`);
  else process.stdout.write(`${formatText(result)}\n`);
  if (opts.write) {
    const path = join(REPO_ROOT, 'docs', 'figures', 'soak.md');
    await mkdir(join(REPO_ROOT, 'docs', 'figures'), { recursive: true });
    await writeFile(path, formatMarkdown(result));
    log(`wrote ${path}`);
  }
  if (opts.samplesFile !== null) {
    await writeFile(opts.samplesFile, result.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    log(`wrote ${result.samples.length} samples to ${opts.samplesFile}`);
  }
  if (opts.json && !result.ok) log(formatText(result));
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    await killAll();
    process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
