/**
 * `wiremesh connect <NODEID>`: make (or show) a session to a peer by NodeID and the path chosen: direct
 * (existing edge, known address, rendezvous, hole punch) or relayed through a relay-capable neighbour.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ConfigArgs } from '../config-options.js';
import { Output } from '../output.js';
import { nodeIdText, withClientOptions, withControl } from './control-command.js';
import type { ConnectResult } from './node-service.js';

type ConnectArgs = ConfigArgs & { nodeid: string };


export const connectCommand: CommandModule<object, ConnectArgs> = {
  command: 'connect <nodeid>',
  describe: 'Connect to a peer by NodeID and show the path chosen',
  builder: (y: Argv) =>
    withClientOptions(y).positional('nodeid', { type: 'string', describe: 'the peer NodeID' }) as unknown as Argv<ConnectArgs>,
  handler: async (args: ArgumentsCamelCase<ConnectArgs>) => {
    const to = nodeIdText(args.nodeid);
    const r = await withControl(args.config.dataDir, (c) => c.request<ConnectResult>('connect', { to }));
    new Output({ json: args.config.json }).event('connected', { ...r }, () =>
      `${r.nodeId}: ${r.path}${r.relay === null ? '' : ` via relay ${r.relay}`} to ${r.address ?? 'an unknown address'} (${r.how}, ${r.ms.toFixed(1)} ms)`,
    );
  },
};
