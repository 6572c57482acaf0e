/**
 * Every setting the CLI resolves (issue 7 item 7), in one table: its flag, environment variable, config file
 * key, help text, default and the parser that turns text into a typed value. The parsers throw one
 * InvalidArgumentError sentence that starts with `where` (the flag, variable or file key the text came from)
 * and ends with the fix. Pure: no I/O.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../src/errors.js';
import { DEFAULT_DIFFICULTY, MAX_MINT_DIFFICULTY, parseContact, type Contact } from '../src/identity/index.js';
import { quoteInput } from '../src/identity/index.js';
import { CONFIG_FILE_NAME, CONTROL_SOCKET_NAME, DEFAULT_DATA_DIR, DEFAULT_LISTEN, DEFAULT_LOG_LEVEL, ENV_PREFIX, LOG_LEVELS } from './constants.js';
import { parseHostPort, type HostPort } from './host-port.js';

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The resolved settings every command reads (issue 7 item 7). */
export interface WiremeshConfig {
  /** Absolute path of the data directory (identity, state, config.json, control.sock). */
  dataDir: string;
  /** UDP listen address; port 0 means any free port. */
  listen: HostPort;
  /** Contacts to join through; empty: this node is a bootstrap node. */
  bootstrap: Contact[];
  /** Volunteer to relay for peers behind NAT. */
  relay: boolean;
  /** Network-wide proof of work in leading zero bits. */
  difficulty: number;
  /** Where to serve Prometheus metrics; undefined: not served. */
  metrics: HostPort | undefined;
  logLevel: LogLevel;
  /** One JSON object per line on stdout instead of text. */
  json: boolean;
}

export type ConfigKey = keyof WiremeshConfig;

/** How a setting is written: one text, a yes/no, or a list of texts. */
export type SettingKind = 'text' | 'boolean' | 'list';
/** A raw value after its source (flag, variable, file) has been read, before the setting's parser. */
export type RawSettingValue = string | boolean | string[];

export interface ConfigSetting<K extends ConfigKey = ConfigKey> {
  key: K;
  /** Long flag without dashes, e.g. `data-dir`. */
  flag: string;
  /** Environment variable, e.g. `WIREMESH_DATA_DIR`. */
  env: string;
  /** Key in config.json; undefined when the file cannot set it. */
  fileKey: string | undefined;
  kind: SettingKind;
  describe: string;
  /** The default as the help shows it. */
  defaultText: string;
  /** The value when no source sets it; `cwd` resolves relative paths. */
  defaultValue(cwd: string): WiremeshConfig[K];
  /** Text (or yes/no, or list) to typed value; throws InvalidArgumentError starting with `where`. */
  parse(raw: RawSettingValue, where: string, cwd: string): WiremeshConfig[K];
}

const envName = (key: string): string => ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
const flagName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const asText = (raw: RawSettingValue): string => (Array.isArray(raw) ? raw.join(',') : String(raw));

function parseDataDir(raw: RawSettingValue, where: string, cwd: string): string {
  const text = asText(raw).trim();
  if (text === '' || text.includes('\0')) {
    throw new InvalidArgumentError(`${where} is ${quoteInput(text)}, which is not a directory path: give one such as ${DEFAULT_DATA_DIR}`);
  }
  return resolve(cwd, text);
}

function parseListen(raw: RawSettingValue, where: string): HostPort {
  return parseHostPort(asText(raw).trim(), where, { allowPortZero: true, example: DEFAULT_LISTEN });
}

/** Words that switch an optional address off, so a flag can override an address set in the file. */
const OFF_WORDS = new Set(['off', 'none', 'no', 'false']);

function parseMetrics(raw: RawSettingValue, where: string): HostPort | undefined {
  const text = asText(raw).trim();
  if (OFF_WORDS.has(text.toLowerCase())) return undefined;
  return parseHostPort(text, where, { allowPortZero: true, example: '127.0.0.1:9100' });
}

function parseDifficulty(raw: RawSettingValue, where: string): number {
  const text = asText(raw).trim();
  const value = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(value <= MAX_MINT_DIFFICULTY)) {
    throw new InvalidArgumentError(
      `${where} is ${quoteInput(text)}, which is not a valid difficulty: use a whole number from 0 to ${MAX_MINT_DIFFICULTY} (each bit doubles the minting time)`,
    );
  }
  return value;
}

function parseLogLevel(raw: RawSettingValue, where: string): LogLevel {
  const text = asText(raw).trim().toLowerCase();
  const level = LOG_LEVELS.find((l) => l === text);
  if (level === undefined) {
    throw new InvalidArgumentError(`${where} is ${quoteInput(asText(raw))}, which is not a log level: use one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** Yes/no from a flag or JSON (already boolean) or from an environment variable (text). */
export function parseBooleanSetting(raw: RawSettingValue, where: string): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = asText(raw).trim().toLowerCase();
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new InvalidArgumentError(`${where} is ${quoteInput(asText(raw))}, which is not yes or no: use true or false (or 1/0, yes/no, on/off)`);
}

/**
 * Splits a bootstrap list into contact strings. Items are separated by commas or white space, but a contact
 * string itself separates its addresses with commas (`<keys>@a:1,b:2`): an item without `@` is therefore
 * one more address of the contact before it.
 */
export function splitContactList(items: readonly string[], where: string): string[] {
  const contacts: string[] = [];
  for (const item of items) {
    for (const piece of item.split(/[\s,]+/)) {
      if (piece === '') continue;
      if (piece.includes('@')) contacts.push(piece);
      else if (contacts.length > 0) contacts[contacts.length - 1] += `,${piece}`;
      else {
        throw new InvalidArgumentError(
          `${where} starts with ${quoteInput(piece)}, which is not a contact: write each contact as <keys>@host:port, as \`wiremesh run\` prints it`,
        );
      }
    }
  }
  return contacts;
}

function parseBootstrap(raw: RawSettingValue, where: string): Contact[] {
  const items = Array.isArray(raw) ? raw : [asText(raw)];
  return splitContactList(items, where).map((text) => {
    try {
      return parseContact(text);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`${where}: ${err.message}`, { cause: err });
      throw err;
    }
  });
}

function setting<K extends ConfigKey>(
  key: K,
  spec: Omit<ConfigSetting<K>, 'key' | 'flag' | 'env' | 'fileKey'> & { inFile?: boolean },
): ConfigSetting<K> {
  const { inFile, ...rest } = spec;
  return { key, flag: flagName(key), env: envName(key), fileKey: inFile === false ? undefined : key, ...rest };
}

/** The settings, in the order help lists them. */
export const CONFIG_SETTINGS: readonly ConfigSetting[] = [
  setting('dataDir', {
    kind: 'text',
    inFile: false,
    describe: `directory for the identity, persisted state, ${CONFIG_FILE_NAME} and ${CONTROL_SOCKET_NAME}`,
    defaultText: DEFAULT_DATA_DIR,
    defaultValue: (cwd) => resolve(cwd, DEFAULT_DATA_DIR),
    parse: parseDataDir,
  }),
  setting('listen', {
    kind: 'text',
    describe: 'UDP address to listen on, HOST:PORT (port 0: any free port)',
    defaultText: DEFAULT_LISTEN,
    defaultValue: () => parseListen(DEFAULT_LISTEN, 'the default listen address'),
    parse: parseListen,
  }),
  setting('bootstrap', {
    kind: 'list',
    describe: 'contact to join through, <keys>@host:port; repeat the flag or separate with spaces for several',
    defaultText: 'none: this node is a bootstrap node',
    defaultValue: () => [],
    parse: parseBootstrap,
  }),
  setting('relay', {
    kind: 'boolean',
    describe: 'volunteer to relay traffic for peers behind NAT',
    defaultText: 'false',
    defaultValue: () => false,
    parse: parseBooleanSetting,
  }),
  setting('difficulty', {
    kind: 'text',
    describe: `proof of work: leading zero bits every NodeID must have (0..${MAX_MINT_DIFFICULTY}, network-wide)`,
    defaultText: String(DEFAULT_DIFFICULTY),
    defaultValue: () => DEFAULT_DIFFICULTY,
    parse: parseDifficulty,
  }),
  setting('metrics', {
    kind: 'text',
    describe: "serve Prometheus metrics at http://HOST:PORT/metrics ('off' disables)",
    defaultText: 'off',
    defaultValue: () => undefined,
    parse: parseMetrics,
  }),
  setting('logLevel', {
    kind: 'text',
    describe: `log level: ${LOG_LEVELS.join(', ')}`,
    defaultText: DEFAULT_LOG_LEVEL,
    defaultValue: (): LogLevel => DEFAULT_LOG_LEVEL,
    parse: parseLogLevel,
  }),
  setting('json', {
    kind: 'boolean',
    describe: 'machine-readable output: one JSON object with an "event" field per line on stdout',
    defaultText: 'false',
    defaultValue: () => false,
    parse: parseBooleanSetting,
  }),
];

/** The setting of `key`. */
export function configSetting<K extends ConfigKey>(key: K): ConfigSetting<K> {
  return CONFIG_SETTINGS.find((s) => s.key === key) as unknown as ConfigSetting<K>;
}
