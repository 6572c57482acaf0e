/**
 * `wiremesh ping <NODEID>`: the round trip time to a peer. Without an edge to it, the node first finds the
 * peer by NodeID (routed rendezvous) and connects; the time shown is the round trip over that path.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ConfigArgs } from '../config-options.js';
import { Output } from '../output.js';
import { nodeIdText, withClientOptions, withControl } from './control-command.js';

type PingArgs = ConfigArgs & { nodeid: string };

export const pingCommand: CommandModule<object, PingArgs> = {
  command: 'ping <nodeid>',
  describe: 'Measure the round trip time to a peer by NodeID',
  builder: (y: Argv) =>
    withClientOptions(y).positional('nodeid', { type: 'string', describe: 'the peer NodeID' }) as unknown as Argv<PingArgs>,
  handler: async (args: ArgumentsCamelCase<PingArgs>) => {
    const to = nodeIdText(args.nodeid);
    const r = await withControl(args.config.dataDir, (c) =>
      c.request<{ nodeId: string; rttMs: number; connected: boolean; address: string | null }>('ping', { to }),
    );
    new Output({ json: args.config.json }).event('pong', r, () =>
      `${r.nodeId}: ${r.rttMs.toFixed(2)} ms via ${r.address ?? 'an edge'}${r.connected ? ' (connected first)' : ''}`,
    );
  },
};
