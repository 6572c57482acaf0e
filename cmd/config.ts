/**
 * Option resolution for every command (issue 7 item 7). Each setting comes from the first of:
 *
 *   1. a command-line flag            --listen 0.0.0.0:4242
 *   2. an environment variable        WIREMESH_LISTEN=0.0.0.0:4242   (empty counts as unset)
 *   3. the config file                <dataDir>/config.json  {"listen": "0.0.0.0:4242"}   (optional)
 *   4. the embedded default           (see constants.ts and config-settings.ts)
 *
 * The data directory itself comes only from 1, 2 or 4, since the config file is found through it. Only the
 * value that wins is parsed, so a flag can override a broken variable. Every problem becomes one sentence
 * naming where the value came from and the fix; all problems are reported together in one ConfigError, so a
 * user fixes them in one round. Unknown WIREMESH_* variables are not errors (other tools may share the
 * prefix) but produce warnings with a suggestion.
 */
import { join } from 'node:path';
import { InvalidArgumentError } from '../src/errors.js';
import { closestName } from './closest-name.js';
import { readConfigFile, type ConfigFileValues } from './config-file.js';
import { CONFIG_FILE_NAME, ENV_PREFIX } from './constants.js';
import {
  CONFIG_SETTINGS,
  configSetting,
  type ConfigKey,
  type ConfigSetting,
  type RawSettingValue,
  type WiremeshConfig,
} from './config-settings.js';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

export interface ConfigInputs {
  /** Flag values by camelCase key (as yargs gives them); undefined means the flag was not given. */
  flags?: Readonly<Partial<Record<ConfigKey, unknown>>>;
  /** The environment (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths (default: process.cwd()). */
  cwd?: string;
}

export interface ResolvedConfig {
  config: WiremeshConfig;
  /** Where each setting came from, for `--help`-style diagnostics and `wiremesh status`. */
  sources: Record<ConfigKey, ConfigSource>;
  /** Path of the config file that was looked for. */
  configFile: string;
  /** Whether that file existed (and was read). */
  configFileFound: boolean;
  /** Sentences about ignored input (unknown WIREMESH_* variables). */
  warnings: string[];
}

/** One or more configuration problems; `problems` holds one sentence each. */
export class ConfigError extends InvalidArgumentError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} configuration problems:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Winner = { source: ConfigSource; raw: RawSettingValue | undefined; where: string };

/** Resolves every setting; throws ConfigError listing every problem found. */
export async function resolveConfig(inputs: ConfigInputs = {}): Promise<ResolvedConfig> {
  const flags = inputs.flags ?? {};
  const env = inputs.env ?? process.env;
  const cwd = inputs.cwd ?? process.cwd();
  const problems: string[] = [];
  const sources = {} as Record<ConfigKey, ConfigSource>;
  const config = {} as Record<ConfigKey, unknown>;

  const take = <K extends ConfigKey>(setting: ConfigSetting<K>, winner: Winner): void => {
    sources[setting.key] = winner.source;
    if (winner.raw === undefined) {
      config[setting.key] = setting.defaultValue(cwd);
      return;
    }
    try {
      config[setting.key] = setting.parse(winner.raw, winner.where, cwd);
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      problems.push(err.message);
      config[setting.key] = setting.defaultValue(cwd);
    }
  };

  const dataDirSetting = configSetting('dataDir');
  const dataDirWinner = fromFlag(dataDirSetting, flags, problems) ?? fromEnv(dataDirSetting, env) ?? defaultWinner();
  const problemsBeforeDataDir = problems.length;
  take(dataDirSetting, dataDirWinner);
  const dataDirUsable = problems.length === problemsBeforeDataDir;

  const configFile = join(config.dataDir as string, CONFIG_FILE_NAME);
  let fileValues: ConfigFileValues | undefined;
  if (dataDirUsable) {
    try {
      fileValues = await readConfigFile(configFile);
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      problems.push(err.message);
    }
  }
  if (fileValues !== undefined) checkFileKeys(fileValues, configFile, problems);

  for (const setting of CONFIG_SETTINGS) {
    if (setting.key === 'dataDir') continue;
    const winner =
      fromFlag(setting, flags, problems) ?? fromEnv(setting, env) ?? fromFile(setting, fileValues, configFile, problems) ?? defaultWinner();
    take(setting, winner);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    config: config as unknown as WiremeshConfig,
    sources,
    configFile,
    configFileFound: fileValues !== undefined,
    warnings: unknownEnvWarnings(env),
  };
}

const defaultWinner = (): Winner => ({ source: 'default', raw: undefined, where: 'the default' });

function fromFlag(setting: ConfigSetting, flags: Readonly<Partial<Record<ConfigKey, unknown>>>, problems: string[]): Winner | undefined {
  const value = flags[setting.key];
  if (value === undefined || value === null) return undefined;
  const where = `--${setting.flag}`;
  if (setting.kind === 'list') {
    const items = (Array.isArray(value) ? value : [value]).map(String);
    return { source: 'flag', raw: items, where };
  }
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      problems.push(`${where} was given ${value.length} times: give it once`);
      return { source: 'flag', raw: undefined, where };
    }
    return { source: 'flag', raw: typeof value[0] === 'boolean' ? value[0] : String(value[0]), where };
  }
  return { source: 'flag', raw: typeof value === 'boolean' ? value : String(value), where };
}

function fromEnv(setting: ConfigSetting, env: Readonly<Record<string, string | undefined>>): Winner | undefined {
  const text = env[setting.env];
  if (text === undefined || text.trim() === '') return undefined;
  return { source: 'env', raw: setting.kind === 'list' ? [text] : text, where: setting.env };
}

function fromFile(setting: ConfigSetting, values: ConfigFileValues | undefined, file: string, problems: string[]): Winner | undefined {
  if (values === undefined || setting.fileKey === undefined || !Object.hasOwn(values, setting.fileKey)) return undefined;
  const value = values[setting.fileKey];
  // null in the file means "not set here": the default applies.
  if (value === null) return undefined;
  const where = `"${setting.fileKey}" in ${file}`;
  const raw = fileRaw(setting, value);
  if (raw === undefined) {
    problems.push(`${where} is ${describeJson(value)}: ${FILE_SHAPES[setting.kind]}`);
    return { source: 'file', raw: undefined, where };
  }
  return { source: 'file', raw, where };
}

const FILE_SHAPES: Record<ConfigSetting['kind'], string> = {
  text: 'write a JSON string, e.g. "0.0.0.0:4242"',
  boolean: 'write true or false',
  list: 'write a list of contact strings, e.g. ["<keys>@203.0.113.5:4242"]',
};

function fileRaw(setting: ConfigSetting, value: unknown): RawSettingValue | undefined {
  switch (setting.kind) {
    case 'text':
      return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
        ? String(value)
        : undefined;
    case 'boolean':
      return typeof value === 'boolean' || typeof value === 'string' ? value : undefined;
    case 'list':
      if (typeof value === 'string') return [value];
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  }
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'string' ? 'the text' : 'the value'} ${JSON.stringify(value)}`;
}

const FILE_KEYS = CONFIG_SETTINGS.flatMap((s) => (s.fileKey === undefined ? [] : [s.fileKey]));

function checkFileKeys(values: ConfigFileValues, file: string, problems: string[]): void {
  for (const key of Object.keys(values)) {
    if (FILE_KEYS.includes(key)) continue;
    const dataDir = configSetting('dataDir');
    if (closestName(key, [dataDir.key]) === dataDir.key) {
      problems.push(
        `config file ${file} sets "${key}", but the data directory cannot come from the file inside it: use --${dataDir.flag} or ${dataDir.env}`,
      );
      continue;
    }
    const guess = closestName(key, FILE_KEYS);
    problems.push(
      `config file ${file} has an unknown key ${JSON.stringify(key)}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}: valid keys are ${FILE_KEYS.join(', ')}`,
    );
  }
}

const ENV_NAMES = CONFIG_SETTINGS.map((s) => s.env);

function unknownEnvWarnings(env: Readonly<Record<string, string | undefined>>): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX) || ENV_NAMES.includes(name)) continue;
    const guess = closestName(name, ENV_NAMES);
    warnings.push(
      `${name} is not a wiremesh setting and is ignored${guess === undefined ? '' : ` (did you mean ${guess}?)`}; settings are ${ENV_NAMES.join(', ')}`,
    );
  }
  return warnings;
}

export { CONFIG_SETTINGS, configSetting, type ConfigKey, type ConfigSetting, type WiremeshConfig } from './config-settings.js';
export type { LogLevel } from './config-settings.js';
