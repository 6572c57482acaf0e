/**
 * `wiremesh id`: show this node's identity, minting one on first run.
 *
 * The first run grinds a seed with the required proof of work (progress on stderr, redrawn in place on a
 * terminal, one plain line every few seconds otherwise), saves it 0600 in the data directory and says
 * "created"; later runs load and show it. There is no address without a running node, so the contact is
 * shown as `<keys>@<your-ip>:<port>` with the real keys and the address left for the user (`wiremesh run`
 * prints the complete contact once it listens). `--json` prints one object on stdout and nothing else.
 */
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { AbortedError, InvalidArgumentError } from '../../src/errors.js';
import {
  DEFAULT_DIFFICULTY,
  MAX_MINT_DIFFICULTY,
  SEED_FILE_NAME,
  checkMintDifficulty,
  formatNodeId,
  formatPublicKeys,
  leadingZeroBits,
  loadOrCreateIdentity,
  type MintProgress,
} from '../../src/identity/index.js';

interface IdArgs {
  dataDir: string;
  difficulty: string;
  json: boolean;
}

/** Without a terminal, progress is a log line; every 250 ms would flood logs. */
const PLAIN_PROGRESS_INTERVAL_MS = 5_000;

function parseDifficulty(text: string): number {
  const trimmed = String(text).trim();
  const value = /^[0-9]{1,3}$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isInteger(value) || value > MAX_MINT_DIFFICULTY) {
    throw new InvalidArgumentError(
      `--difficulty '${trimmed}' is not valid: use a whole number from 0 to ${MAX_MINT_DIFFICULTY} (each bit doubles the minting time)`,
    );
  }
  checkMintDifficulty(value);
  return value;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  if (seconds < 730 * 86400) return `${Math.round(seconds / 86400)} days`;
  return `${count(seconds / (365 * 86400))} years`;
}

function progressLine(p: MintProgress): string {
  return `minting: ${count(p.attempts)} attempts, ${count(p.ratePerSec)}/s, expected ${formatDuration(p.etaSec)} to go`;
}

/** Progress on stderr: redrawn with \r on a terminal, occasional plain lines otherwise. */
function progressReporter(json: boolean) {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  let lastPlainMs = 0;
  return {
    start(difficulty: number): void {
      if (json && !tty) return;
      process.stderr.write(
        `no identity yet: minting one with difficulty ${difficulty} (about ${count(2 ** difficulty)} attempts; Ctrl-C aborts)\n`,
      );
    },
    update(p: MintProgress): void {
      if (tty) {
        process.stderr.write(`\r${progressLine(p)}\x1b[K`);
        drawn = true;
      } else if (!json && p.elapsedMs - lastPlainMs >= PLAIN_PROGRESS_INTERVAL_MS) {
        lastPlainMs = p.elapsedMs;
        process.stderr.write(`${progressLine(p)}\n`);
      }
    },
    finish(): void {
      if (drawn) process.stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}

export const idCommand: CommandModule<object, IdArgs> = {
  command: 'id',
  describe: "Show this node's identity (NodeID and public keys), minting one on first run",
  builder: (y: Argv) =>
    y
      .option('data-dir', { type: 'string', default: './.wiremesh', describe: `directory holding ${SEED_FILE_NAME} (created 0700)` })
      .option('difficulty', {
        type: 'string',
        default: String(DEFAULT_DIFFICULTY),
        describe: `proof of work: leading zero bits the NodeID must have (0..${MAX_MINT_DIFFICULTY}, network-wide)`,
      })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of text' })
      .example('$0 id', 'show (or create) the identity in ./.wiremesh')
      .example('$0 id --data-dir /var/lib/wiremesh --difficulty 20 --json', 'machine-readable, stronger proof of work') as unknown as Argv<IdArgs>,
  handler: async (args: ArgumentsCamelCase<IdArgs>) => {
    const difficulty = parseDifficulty(args.difficulty);
    const dataDir = args.dataDir;
    const progress = progressReporter(args.json);
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    process.once('SIGINT', onSigint);
    const started = performance.now();
    let result;
    try {
      result = await loadOrCreateIdentity({
        dataDir,
        difficulty,
        signal: interrupt.signal,
        onMintStart: () => progress.start(difficulty),
        onProgress: (p) => progress.update(p),
      });
    } catch (error) {
      if (error instanceof AbortedError) {
        throw new AbortedError('interrupted while minting: nothing was written; run again to start over', { cause: error });
      }
      throw error;
    } finally {
      process.removeListener('SIGINT', onSigint);
      progress.finish();
    }
    const { identity, created } = result;
    try {
      const nodeId = formatNodeId(identity.nodeId);
      const keys = formatPublicKeys(identity.edPublicKey, identity.xPublicKey);
      const bits = leadingZeroBits(identity.nodeId);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ nodeId, publicKeys: keys, created, difficulty, leadingZeroBits: bits })}\n`);
        return;
      }
      if (created) process.stderr.write(`minted in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      process.stdout.write(
        [
          `${created ? 'created a new identity in' : 'loaded the identity in'} ${join(dataDir, SEED_FILE_NAME)}`,
          `node id     ${nodeId}`,
          `keys        ${keys}`,
          `difficulty  ${difficulty} required; this node id has ${bits} leading zero bits`,
          `contact     ${keys}@<your-ip>:<port>`,
          'Others reach you at that contact with your public address and UDP port filled in;',
          '`wiremesh run` prints the complete contact once it is listening.',
          '',
        ].join('\n'),
      );
    } finally {
      identity.destroy();
    }
  },
};
