/**
 * The `wiremesh` command line. Thin by design: parse flags, call the library, print results.
 * User mistakes (WiremeshError) print one sentence and exit non-zero; no stack traces.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { WiremeshError } from '../src/errors.js';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('wiremesh')
    .usage('$0 <command> [options]\n\nReach any peer by its NodeID over encrypted UDP.')
    .command(commands)
    .demandCommand(1, 'Name a command; `wiremesh --help` lists them.')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs reports its own validation failures (e.g. a flag without its value) as YError: a usage error.
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(msg ?? err?.message ?? 'invalid arguments');
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    exitCode = reportError(err);
  }
  return exitCode;
}

class UsageError extends Error {}

function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`wiremesh: ${err.message}\nRun \`wiremesh --help\` for usage.\n`);
    return 2;
  }
  if (err instanceof WiremeshError) {
    process.stderr.write(`wiremesh: ${err.message}\n`);
    return err.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
  process.stderr.write(`wiremesh: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}

// Run when executed directly (tsx cmd/main.ts, node dist/cmd/main.js, or the bin shim).
const invokedPath = process.argv[1] ?? '';
if (/[\\/]cmd[\\/]main\.(ts|js)$/.test(invokedPath)) {
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`wiremesh: internal error: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
