/**
 * Control lines from lab children: one JSON object per stdout line with a string `event` field
 * (`{"event":"ready","port":4242}`). The splitter is bounded: a line longer than the cap is discarded
 * (and counted) instead of growing a buffer without end.
 */
import { MAX_JSON_LINE_BYTES } from './constants.js';

/** One control line of a lab child. */
export interface LabEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Splits a character stream into lines; `\r\n` and `\n` both end a line. */
export class LineSplitter {
  private partial = '';
  private discarding = false;
  /** Lines dropped because they exceeded `maxLineLength`. */
  oversized = 0;

  constructor(private readonly maxLineLength = MAX_JSON_LINE_BYTES) {}

  /** The lines completed by `chunk`. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        this.partial = '';
        continue;
      }
      const line = this.partial + piece;
      this.partial = '';
      if (line.length > this.maxLineLength) {
        this.oversized++;
        continue;
      }
      lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (!this.discarding) {
      this.partial += chunk.slice(start);
      if (this.partial.length > this.maxLineLength) {
        this.partial = '';
        this.discarding = true;
        this.oversized++;
      }
    }
    return lines;
  }

  /** The unterminated last line, if any (the stream ended). */
  end(): string[] {
    const rest = this.discarding ? '' : this.partial;
    this.partial = '';
    this.discarding = false;
    return rest.length > 0 ? [rest.endsWith('\r') ? rest.slice(0, -1) : rest] : [];
  }
}

/** The control event on `line`, or null when the line is not a JSON object with a string `event`. */
export function parseLabEvent(line: string): LabEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const event = (value as { event?: unknown }).event;
  return typeof event === 'string' ? (value as LabEvent) : null;
}
