/**
 * yargs glue for config.ts: `withConfigOptions(y, keys)` adds the flags of the named settings to a command
 * (help shows each default, its WIREMESH_* variable and its config file key) and a middleware that resolves
 * the whole configuration before the handler runs, so every command sees the same `argv.config`.
 *
 * The flags are declared without yargs defaults on purpose: a default would be indistinguishable from a flag
 * the user typed and would hide the environment and the config file. The defaults are shown through
 * `defaultDescription` instead.
 */
import type { Argv } from 'yargs';
import { resolveConfig, type ConfigSource } from './config.js';
import { configSetting, type ConfigKey, type WiremeshConfig } from './config-settings.js';

/** What the middleware adds to argv. */
export interface ConfigArgs {
  config: WiremeshConfig;
  configSources: Record<ConfigKey, ConfigSource>;
}

export interface ConfigOptionsOptions {
  /** Environment to read (default: process.env at the time the command runs). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths (default: process.cwd()). */
  cwd?: string;
  /** Receives each warning sentence (default: `wiremesh: warning: ...` on stderr). */
  onWarning?: (message: string) => void;
}

const warnOnStderr = (message: string): void => {
  process.stderr.write(`wiremesh: warning: ${message}\n`);
};

/** Adds the flags of `keys` to `y` and resolves the configuration into `argv.config` before the handler. */
export function withConfigOptions<T>(y: Argv<T>, keys: readonly ConfigKey[], options: ConfigOptionsOptions = {}): Argv<T & ConfigArgs> {
  for (const key of keys) {
    const setting = configSetting(key);
    const sources = [`env ${setting.env}`, ...(setting.fileKey === undefined ? [] : [`config "${setting.fileKey}"`])];
    y.option(setting.flag, {
      type: setting.kind === 'boolean' ? 'boolean' : 'string',
      describe: `${setting.describe} (${sources.join(', ')})`,
      defaultDescription: setting.defaultText,
      requiresArg: setting.kind !== 'boolean',
    });
  }
  const onWarning = options.onWarning ?? warnOnStderr;
  y.middleware(async (argv) => {
    const flags: Partial<Record<ConfigKey, unknown>> = {};
    for (const key of keys) flags[key] = (argv as Record<string, unknown>)[key];
    const resolved = await resolveConfig({ flags, env: options.env ?? process.env, cwd: options.cwd });
    for (const warning of resolved.warnings) onWarning(warning);
    const out = argv as unknown as ConfigArgs;
    out.config = resolved.config;
    out.configSources = resolved.sources;
  });
  return y as unknown as Argv<T & ConfigArgs>;
}
