/**
 * Splits a byte stream into newline-terminated lines with a hard bound on line length, so a peer that never
 * sends a newline cannot make us buffer without limit. Lines are handed out without the `\n` (and without a
 * `\r` before it). Once a line exceeds the bound the splitter stays failed: there is no reliable way to find
 * the start of the next request in the middle of an oversized one, so the caller hangs up. Pure: no I/O.
 */
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class LineSplitter {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed = false;
  /** Set by stop(): the connection switches to another framing after the current line. */
  private stopped = false;
  private rest: Buffer | null = null;
  /** While `onLine` runs: the chunk and where the bytes after the line start (what stop() keeps). */
  private current: Buffer | null = null;
  private currentNext = 0;

  /** `maxLineBytes` bounds a line without its line ending. */
  constructor(private readonly maxLineBytes: number) {}

  /** Whether a line has exceeded the bound (every later push is ignored). */
  get overflowed(): boolean {
    return this.failed;
  }

  /** Bytes held for an unfinished line. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds a chunk; `onLine` gets each complete line (a view valid only during the call). Returns false when
   * a line exceeded the bound; the lines before it were delivered.
   */
  push(chunk: Uint8Array, onLine: (line: Buffer) => void): boolean {
    if (this.failed || this.stopped) return false;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < bytes.length) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end < 0) {
        const rest = bytes.length - start;
        // A trailing \r may still be followed by the \n, so it is allowed one byte over the bound.
        if (this.pendingBytes + rest > this.maxLineBytes + 1) return this.fail();
        this.pending.push(Buffer.from(bytes.subarray(start)));
        this.pendingBytes += rest;
        return true;
      }
      let line = bytes.subarray(start, end);
      if (this.pendingBytes > 0) {
        this.pending.push(line);
        line = Buffer.concat(this.pending, this.pendingBytes + line.length);
        this.pending.length = 0;
        this.pendingBytes = 0;
      }
      if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.length - 1);
      if (line.length > this.maxLineBytes) return this.fail();
      this.current = bytes;
      this.currentNext = end + 1;
      try {
        onLine(line);
      } finally {
        this.current = null;
      }
      // Stopped from onLine: the rest of the chunk was kept for the next framing (a stream's frames).
      if (this.stopped) return true;
      if (this.failed) return false;
      start = end + 1;
    }
    return true;
  }

  /**
   * Stops splitting after the line being handed out (call it from `onLine`) or at once: the bytes after that
   * line, and any unfinished line held, are kept for `takeRest()`; later pushes are refused.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Whatever follows the line being handed out belongs to the next framing; copied, the chunk is the caller's.
    if (this.current !== null) this.rest = Buffer.from(this.current.subarray(this.currentNext));
  }

  /** After stop(): the bytes that followed the last line (possibly empty), once. */
  takeRest(): Buffer {
    const parts = this.pending.splice(0);
    if (this.rest !== null) parts.push(this.rest);
    this.rest = null;
    this.pendingBytes = 0;
    this.failed = true;
    return Buffer.concat(parts);
  }

  /** Drops buffered bytes and fails every later push (the connection is going away). */
  reset(): void {
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.failed = true;
  }

  private fail(): boolean {
    this.reset();
    return false;
  }
}
