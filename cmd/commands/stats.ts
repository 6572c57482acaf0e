/** `wiremesh stats`: every counter of the running node (node, sessions, drops, control socket). */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ConfigArgs } from '../config-options.js';
import { Output } from '../output.js';
import { withClientOptions, withControl } from './control-command.js';

/** `[name, value]` pairs for nested stats (`counters.delivered`), in the order the node gives them. */
export function flattenStats(value: unknown, prefix = ''): Array<[string, string]> {
  if (value === null || typeof value !== 'object') return [[prefix, String(value)]];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => flattenStats(v, prefix === '' ? key : `${prefix}.${key}`));
}

/** Aligned `name  value` lines. */
export function statLines(value: unknown): string[] {
  const pairs = flattenStats(value);
  const width = Math.max(0, ...pairs.map(([name]) => name.length));
  return pairs.map(([name, v]) => `${name.padEnd(width)}  ${v}`);
}

export const statsCommand: CommandModule<object, ConfigArgs> = {
  command: 'stats',
  describe: 'Print every counter of the running node (--json: one object)',
  builder: (y: Argv) => withClientOptions(y) as unknown as Argv<ConfigArgs>,
  handler: async (args: ArgumentsCamelCase<ConfigArgs>) => {
    const stats = await withControl(args.config.dataDir, (c) => c.request<Record<string, unknown>>('stats'));
    new Output({ json: args.config.json }).event('stats', stats, () => statLines(stats).join('\n'));
  },
};
