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
    if (this.failed) return false;
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
      onLine(line);
      if (this.failed) return false;
      start = end + 1;
    }
    return true;
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
