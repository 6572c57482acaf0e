/** `wiremesh peers`: the running node's edges as a table (NodeID, address, path, RTT, last seen). */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatDuration } from '../byte-units.js';
import type { ConfigArgs } from '../config-options.js';
import { Output } from '../output.js';
import { withClientOptions, withControl } from './control-command.js';
import type { PeerRow } from './node-service.js';

export const peersCommand: CommandModule<object, ConfigArgs> = {
  command: 'peers',
  describe: "List the running node's edges: NodeID, address, direct/relayed, round trip, last seen",
  builder: (y: Argv) => withClientOptions(y) as unknown as Argv<ConfigArgs>,
  handler: async (args: ArgumentsCamelCase<ConfigArgs>) => {
    const peers = await withControl(args.config.dataDir, (c) => c.request<PeerRow[]>('peers'));
    const now = Date.now();
    new Output({ json: args.config.json }).table('peers', peers, [
      { header: 'NODE ID', value: (p) => p.nodeId },
      { header: 'ADDRESS', value: (p) => p.address },
      { header: 'PATH', value: (p) => p.path },
      { header: 'DIR', value: (p) => (p.inbound ? 'in' : 'out') },
      { header: 'KIND', value: (p) => p.kind },
      { header: 'RTT', value: (p) => (p.rttMs === null ? null : `${p.rttMs.toFixed(2)} ms`), align: 'right' },
      { header: 'LAST SEEN', value: (p) => `${formatDuration(Math.max(0, now - p.lastSeenMs) / 1000)} ago`, align: 'right' },
    ]);
  },
};
