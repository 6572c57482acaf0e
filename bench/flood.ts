/**
 * Full-size flood runs (issue 8 items 3 and 4): a HandshakeInit flood (50,000 inits/s by default) against a
 * real node while legitimate peers keep handshaking, and a garbage flood (60 s by default) against a node
 * whose session streams and routes. Prints a table (or `--json` lines); `--write` writes
 * docs/figures/floods.md. The scaled-down versions run in `npm test` (test/abuse/).
 *
 *   npx tsx bench/flood.ts [--only handshake|garbage] [--rate N] [--seconds S] [--quick] [--json] [--write]
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './peer-process.js';
import { runGarbageFlood, type GarbageFloodResult } from './flood/garbage-flood.js';
import { runHandshakeFlood, type HandshakeFloodResult } from './flood/handshake-flood.js';
import { FLOOD_USAGE, FloodUsageError, parseFloodArgs, type FloodCliOptions } from './flood/options.js';
import { floodMarkdown, formatGarbageFlood, formatHandshakeFlood, garbageFloodFigures, handshakeFloodFigures, jsonLines } from './flood/report.js';

const FIGURES_PAGE = 'docs/figures/floods.md';

async function main(argv: string[]): Promise<number> {
  let o: FloodCliOptions;
  try {
    o = parseFloodArgs(argv);
  } catch (err) {
    if (err instanceof FloodUsageError) {
      if (err.message !== '') process.stderr.write(`${err.message}\n`);
      process.stderr.write(`${FLOOD_USAGE}\n`);
      return err.message === '' ? 0 : 2;
    }
    throw err;
  }
  const say = (text: string) => (o.json ? process.stderr : process.stdout).write(`${text}\n`);
  let handshake: HandshakeFloodResult | null = null;
  let garbage: GarbageFloodResult | null = null;
  if (o.handshake) {
    say(`handshake flood: ${o.initRatePerSec} inits/s for ${o.handshakeDurations.floodMs / 1000} s ...`);
    handshake = await runHandshakeFlood({ ratePerSec: o.initRatePerSec, durations: o.handshakeDurations, crypto: o.crypto });
    if (o.json) process.stdout.write(`${jsonLines(handshakeFloodFigures(handshake))}\n`);
    else say(`${formatHandshakeFlood(handshake)}\n`);
  }
  if (o.garbage) {
    say(`garbage flood: ${o.garbageRatePerSec} datagrams/s for ${o.garbageDurations.floodMs / 1000} s ...`);
    garbage = await runGarbageFlood({ ratePerSec: o.garbageRatePerSec, durations: o.garbageDurations, crypto: o.crypto });
    if (o.json) process.stdout.write(`${jsonLines(garbageFloodFigures(garbage))}\n`);
    else say(`${formatGarbageFlood(garbage)}\n`);
  }
  if (o.write) {
    const path = join(REPO_ROOT, FIGURES_PAGE);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, floodMarkdown({ command: `npx tsx bench/flood.ts ${argv.join(' ')}`.trim(), handshake, garbage }));
    say(`wrote ${FIGURES_PAGE}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
