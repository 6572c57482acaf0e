/**
 * The CLI's structured logger (issue 7 item 6): pino, writing to stderr so stdout stays for command output
 * and `--json` events.
 *
 * - On a terminal (and without --json): human-readable lines formatted by pino-pretty, written synchronously
 *   so nothing is lost when the process exits right after logging.
 * - Otherwise: one JSON object per line (also synchronous).
 * - Convention: each part of the program logs through `componentLogger(root, 'edges')`, i.e.
 *   `root.child({ component })`, so every line says where it came from.
 * - Secrets cannot be logged: every logged object, child binding and format argument passes through
 *   secret-redaction.ts (fields named like seed/privateKey/secret/... become "[redacted]", bytes become
 *   "[Uint8Array 32 bytes]").
 */
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { DEFAULT_LOG_LEVEL } from './constants.js';
import type { LogLevel } from './config-settings.js';
import { redactSecrets } from './secret-redaction.js';

export type { Logger } from 'pino';

/** Anything lines can be written to: a stream, or pino's synchronous file descriptor writer. */
interface LineSink {
  write(line: string): unknown;
}

export interface CreateLoggerOptions {
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** JSON lines even on a terminal (the --json flag). */
  json?: boolean;
  /** Where lines go (default: stderr, written synchronously). */
  destination?: NodeJS.WritableStream;
  /** Whether the destination is a terminal (default: process.stderr.isTTY); picks pretty or JSON, and colour. */
  isTty?: boolean;
  /** Fields on every line, e.g. `{ nodeId }`; redacted like everything else. */
  base?: Record<string, unknown>;
}

/** Creates the root logger of a command. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const isTty = options.isTty ?? process.stderr.isTTY === true;
  const pretty = isTty && options.json !== true;
  const out: LineSink = options.destination ?? pino.destination({ dest: 2, sync: true });
  const logger = pino(
    {
      level: options.level ?? DEFAULT_LOG_LEVEL,
      base: asRecord(redactSecrets({ pid: process.pid, hostname: hostname(), ...options.base })),
      // Our own error shape (secret-redaction.ts) replaces pino's, which would copy an error's fields unredacted.
      serializers: { err: (err: unknown) => err },
      formatters: { log: (record) => asRecord(redactSecrets(record)) },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, redactArguments(args) as Parameters<typeof method>);
        },
      },
    },
    pretty ? prettyDestination(out, isTty) : (out as DestinationStream),
  );
  guardBindings(logger);
  return logger;
}

/** The logger of one part of the program: every line carries `component`. */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}

/** pino-pretty's formatter run synchronously in our write, instead of its asynchronous transform stream. */
function prettyDestination(out: LineSink, colorize: boolean): DestinationStream {
  const format = prettyFactory({
    colorize,
    ignore: 'pid,hostname,component',
    translateTime: 'SYS:HH:MM:ss.l',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: false,
  });
  return {
    write: (line: string) => {
      out.write(format(line));
    },
  };
}

/**
 * Format arguments and the first (merge) argument, redacted. An Error first argument stays an Error so pino
 * still takes the message from it; the `log` formatter redacts it as part of the record.
 */
function redactArguments(args: unknown[]): unknown[] {
  return args.map((arg, i) => {
    if (arg === null || typeof arg !== 'object') return arg;
    if (i === 0 && arg instanceof Error) return arg;
    const safe = redactSecrets(arg);
    // pino reads the first argument's fields; bytes summarised to a string would be spread into characters.
    return i === 0 ? asRecord(safe) : safe;
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}

/**
 * pino does not pass child bindings through the `log` formatter, so `child` and `setBindings` are wrapped on
 * the root; every descendant inherits the wrappers through its prototype chain.
 */
function guardBindings(logger: Logger): void {
  const child = logger.child;
  const setBindings = logger.setBindings;
  logger.child = function guardedChild(this: Logger, bindings, childOptions) {
    return child.call(this, asRecord(redactSecrets(bindings)), childOptions);
  } as Logger['child'];
  logger.setBindings = function guardedSetBindings(this: Logger, bindings) {
    setBindings.call(this, asRecord(redactSecrets(bindings)));
  };
}
