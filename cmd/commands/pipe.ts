/**
 * `wiremesh pipe <NODEID> [--channel N]`: netcat for the overlay. stdin goes to the peer over a reliable
 * channel opened by the running node (found by NodeID); what the peer sends back goes to stdout. The peer
 * runs `wiremesh listen` on the same channel. Ends when both sides' input ended.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ConfigArgs } from '../config-options.js';
import { formatSummary } from '../progress-line.js';
import { parseAppChannel } from './control-args.js';
import { DEFAULT_PIPE_CHANNEL } from './constants.js';
import { nodeIdText, withControl } from './control-command.js';
import { withConfigOptions } from '../config-options.js';
import { runStream } from './stream-client.js';

type PipeArgs = ConfigArgs & { nodeid: string; channel: string };

export function channelOption<T>(y: Argv<T>): Argv<T> {
  return y.option('channel', {
    type: 'string',
    default: String(DEFAULT_PIPE_CHANNEL),
    describe: 'application channel (16-254); pipe and listen must use the same one',
  }) as unknown as Argv<T>;
}

export const pipeCommand: CommandModule<object, PipeArgs> = {
  command: 'pipe <nodeid>',
  describe: 'Stream stdin to a peer by NodeID and the peer\'s bytes to stdout (the peer runs `wiremesh listen`)',
  builder: (y: Argv) =>
    channelOption(withConfigOptions(y, ['dataDir']))
      .positional('nodeid', { type: 'string', describe: 'the peer NodeID' })
      .example('$0 pipe bafy...q < backup.tar', 'send a file; the peer runs `wiremesh listen > backup.tar`') as unknown as Argv<PipeArgs>,
  handler: async (args: ArgumentsCamelCase<PipeArgs>) => {
    const to = nodeIdText(args.nodeid);
    const channel = parseAppChannel(args.channel, '--channel');
    const started = performance.now();
    const summary = await withControl(args.config.dataDir, (c) =>
      runStream(c, { mode: 'pipe', to, channel }, process, () => {}),
    );
    process.stderr.write(`${formatSummary(`sent to ${summary.peer}`, summary.bytesOut, performance.now() - started)}; received ${summary.bytesIn} bytes\n`);
    process.stdin.destroy();
  },
};
