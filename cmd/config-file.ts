/**
 * Reads the optional config file `<dataDir>/config.json` (issue 7 item 7). A missing file is normal and
 * gives `undefined`; every other problem becomes one InvalidArgumentError sentence naming the file, and for
 * bad JSON the line and column, because "Unexpected token" alone sends the user hunting.
 */
import { open } from 'node:fs/promises';
import { InvalidArgumentError } from '../src/errors.js';
import { MAX_CONFIG_FILE_BYTES } from './constants.js';

/** The parsed top-level object of a config file, keys not yet checked. */
export type ConfigFileValues = Record<string, unknown>;

/** Reads and parses `path`; `undefined` when the file does not exist. */
export async function readConfigFile(path: string): Promise<ConfigFileValues | undefined> {
  let text: string;
  try {
    text = await readBounded(path);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new InvalidArgumentError(explainReadError(path, code), { cause: err });
  }
  return parseConfigText(text, path);
}

/** Parses config file text; `path` only names the file in errors. Exported for tests of the error texts. */
export function parseConfigText(text: string, path: string): ConfigFileValues {
  // Editors on some systems start UTF-8 files with a byte order mark, which JSON.parse rejects.
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const { line, column } = lineAndColumn(body, jsonErrorOffset(body, message));
    throw new InvalidArgumentError(
      `config file ${path} is not valid JSON at line ${line}, column ${column} (${jsonReason(message)}): fix it or remove the file`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const shape = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new InvalidArgumentError(
      `config file ${path} holds ${shape}, not an object: write it like {"listen": "0.0.0.0:4242", "logLevel": "info"}`,
    );
  }
  return value as ConfigFileValues;
}

async function readBounded(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const info = await fh.stat();
    if (info.isDirectory()) {
      throw new InvalidArgumentError(`config file ${path} is a directory: remove it or put a JSON object in a file of that name`);
    }
    // Read one byte past the limit so a file that grows while we read is still caught.
    const buf = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > MAX_CONFIG_FILE_BYTES) {
      throw new InvalidArgumentError(
        `config file ${path} is larger than ${MAX_CONFIG_FILE_BYTES / 1024} KiB: a config holds a few keys; check that it is the right file`,
      );
    }
    return buf.subarray(0, filled).toString('utf8');
  } finally {
    await fh.close();
  }
}

function explainReadError(path: string, code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `cannot read config file ${path} (permission denied): fix its permissions or run as its owner`;
    case 'ENOTDIR':
      return `cannot read config file ${path}: a part of the data directory path is a file, not a directory; choose another --data-dir`;
    case 'EISDIR':
      return `config file ${path} is a directory: remove it or put a JSON object in a file of that name`;
    default:
      return `cannot read config file ${path} (${code ?? 'unknown error'}): check the data directory`;
  }
}

/** Offset (in UTF-16 units) where JSON.parse gave up. */
function jsonErrorOffset(text: string, message: string): number {
  const at = /at position (\d+)/.exec(message);
  if (at !== null) return Number(at[1]);
  if (/end of JSON input/.test(message)) return text.length;
  // V8 names no position for "Unexpected token 'x', ..."; the shortest prefix that already fails for a reason
  // other than running out of input ends just after the offending character.
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    if (failsBeforeEnd(text.slice(0, mid))) bad = mid;
    else good = mid;
  }
  return bad - 1;
}

function failsBeforeEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const at = /at position (\d+)/.exec(message);
    if (at !== null) return Number(at[1]) < prefix.length;
    return !/end of JSON input/.test(message);
  }
}

/** 1-based line and column of `offset`. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1 };
}

/** V8's reason without its echo of the input and without the position we already turned into line/column. */
function jsonReason(message: string): string {
  return message
    .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/ at position \d+.*$/s, '')
    .replace(/\n/g, '\\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
