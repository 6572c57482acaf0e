/**
 * The child side of the lab's control protocol, for scripts run with `host.runNode`: events go to stdout
 * as one JSON object per line, commands arrive on stdin the same way, and the end of stdin means "exit"
 * (the parent closed it, or the parent died), so no child outlives its test.
 */
import { LineSplitter } from './json-lines.js';

/** A command from the test: a JSON object with a string `cmd`. */
export interface LabCommand {
  readonly cmd: string;
  readonly [field: string]: unknown;
}

/** Prints one control event (stdout to a pipe is synchronous on Linux, so it is out before any exit). */
export function emit(event: string, fields: Readonly<Record<string, unknown>> = {}): void {
  // `event` first for readable logs, and it always wins over a field of the same name.
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields, { event })) + '\n');
}

export interface ControlHandlers {
  /** Called for each well-formed command; malformed lines are reported as `bad-command` events. */
  onCommand?: (command: LabCommand) => void | Promise<void>;
  /** Called once when stdin ends; it must make the process exit (default: exit 0). */
  onEnd?: () => void | Promise<void>;
}

/** Reads commands from stdin until it ends. */
export function listenForCommands(handlers: ControlHandlers = {}): void {
  const splitter = new LineSplitter();
  const onEnd = handlers.onEnd ?? (() => process.exit(0));
  const handle = (line: string): void => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      emit('bad-command', { line: line.slice(0, 200) });
      return;
    }
    const cmd = typeof value === 'object' && value !== null ? (value as { cmd?: unknown }).cmd : undefined;
    if (typeof cmd !== 'string') {
      emit('bad-command', { line: line.slice(0, 200) });
      return;
    }
    Promise.resolve(handlers.onCommand?.(value as LabCommand)).catch((err: unknown) => {
      emit('command-failed', { cmd, message: err instanceof Error ? err.message : String(err) });
    });
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    for (const line of splitter.push(chunk)) handle(line);
  });
  process.stdin.on('end', () => {
    for (const line of splitter.end()) handle(line);
    void Promise.resolve(onEnd()).catch(() => process.exit(1));
  });
}

/** Reports an uncaught failure as a `fatal` event and exits non-zero, so the test sees why. */
export function reportFatal(err: unknown): never {
  emit('fatal', { message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
