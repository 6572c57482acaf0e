/**
 * The two output modes of every command (issue 7 items 2-4):
 *
 * - `--json`: stdout carries only JSON, one object per line, each with an `event` field first
 *   (`{"event":"started","nodeId":"...",...}`); bytes are written as base64. Scripts parse it line by line.
 * - human: stdout carries text and aligned tables (table.ts).
 *
 * Progress goes to stderr in both modes (progress-line.ts), so it never mixes with the data on stdout.
 */
import { formatTable, type TableColumn } from './table.js';
import { ProgressLine, type ProgressLineOptions } from './progress-line.js';

/** JSON.stringify replacer: bytes as base64, big integers as decimal text (JSON has neither). */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** One `--json` line: `{"event":<event>, ...fields}` and a newline. A field named `event` cannot override it. */
export function jsonEventLine(event: string, fields: Readonly<Record<string, unknown>> = {}): string {
  // `event` is set first (so it leads the line) and again last (so a field of that name cannot replace it).
  return `${JSON.stringify(Object.assign({ event }, fields, { event }), jsonValue)}\n`;
}

export interface OutputOptions {
  /** The --json flag. */
  json: boolean;
  /** Default: process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** Default: process.stderr (progress lines). */
  stderr?: NodeJS.WritableStream;
  /** Whether stderr is a terminal (default: asks the stream). */
  stderrIsTty?: boolean;
}

/** Writes a command's results in the mode the user chose. */
export class Output {
  readonly json: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;
  private readonly stderrIsTty: boolean | undefined;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.stderrIsTty = options.stderrIsTty;
  }

  /**
   * Reports an event: the JSON line in --json mode, else `human` (text, or a function so costly text is only
   * built when shown; nothing is printed when it is omitted). Human text is printed as given: callers pass it
   * through `printable` when it holds text from the network.
   */
  event(event: string, fields: Readonly<Record<string, unknown>>, human?: string | (() => string)): void {
    if (this.json) {
      this.stdout.write(jsonEventLine(event, fields));
      return;
    }
    if (human === undefined) return;
    const text = typeof human === 'function' ? human() : human;
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Rows as a table, or in --json mode as one line `{"event":<event>,"<event>":[rows...]}`. */
  table<R extends object>(event: string, rows: readonly R[], columns: readonly TableColumn<R>[]): void {
    if (this.json) this.stdout.write(jsonEventLine(event, { [event]: rows }));
    else this.stdout.write(formatTable(rows, columns));
  }

  /** A progress line on stderr. */
  progress(options: Omit<ProgressLineOptions, 'stream' | 'isTty'>): ProgressLine {
    return new ProgressLine({ ...options, stream: this.stderr, isTty: this.stderrIsTty });
  }
}

export { formatTable, printable, type TableColumn } from './table.js';
export { ProgressLine, TransferMeter, formatProgress, formatSummary, type ProgressLineOptions, type TransferProgress } from './progress-line.js';
export { formatBytes, formatDuration, formatRate } from './byte-units.js';
