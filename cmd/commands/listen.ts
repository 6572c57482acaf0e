/**
 * `wiremesh listen [--channel N]`: waits for one peer to open the channel on the running node (`wiremesh
 * pipe`), then writes its bytes to stdout and sends stdin back. Exits when both sides' input ended.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ConfigArgs } from '../config-options.js';
import { withConfigOptions } from '../config-options.js';
import { formatSummary } from '../progress-line.js';
import { parseAppChannel } from './control-args.js';
import { withControl } from './control-command.js';
import { channelOption } from './pipe.js';
import { runStream } from './stream-client.js';

type ListenArgs = ConfigArgs & { channel: string };

export const listenCommand: CommandModule<object, ListenArgs> = {
  command: 'listen',
  describe: 'Wait for a peer to `wiremesh pipe` to this node; its bytes go to stdout, stdin goes back',
  builder: (y: Argv) =>
    channelOption(withConfigOptions(y, ['dataDir'])).example('$0 listen > backup.tar', 'receive a file') as unknown as Argv<ListenArgs>,
  handler: async (args: ArgumentsCamelCase<ListenArgs>) => {
    const channel = parseAppChannel(args.channel, '--channel');
    let started = performance.now();
    const summary = await withControl(args.config.dataDir, (c) =>
      runStream(c, { mode: 'listen', channel }, process, (peer) => {
        started = performance.now();
        process.stderr.write(`connected: ${peer} on channel ${channel}\n`);
      }),
    );
    process.stderr.write(`${formatSummary(`received from ${summary.peer}`, summary.bytesIn, performance.now() - started)}; sent ${summary.bytesOut} bytes\n`);
    process.stdin.destroy();
  },
};
