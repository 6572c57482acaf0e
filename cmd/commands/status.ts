/** `wiremesh status`: NodeID, uptime, NAT, edges by kind, knowledge size and traffic of the running node. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatBytes, formatDuration } from '../byte-units.js';
import type { ConfigArgs } from '../config-options.js';
import { Output } from '../output.js';
import { withClientOptions, withControl } from './control-command.js';
import type { StatusResult } from './node-service.js';

export const statusCommand: CommandModule<object, ConfigArgs> = {
  command: 'status',
  describe: 'Show the running node: NodeID, uptime, NAT, edges, knowledge and traffic',
  builder: (y: Argv) => withClientOptions(y).example('$0 status --json', 'one JSON object') as unknown as Argv<ConfigArgs>,
  handler: async (args: ArgumentsCamelCase<ConfigArgs>) => {
    const status = await withControl(args.config.dataDir, (c) => c.request<StatusResult>('status'));
    const out = new Output({ json: args.config.json });
    out.event('status', { ...status }, () => {
      const e = status.edges;
      const t = status.traffic;
      return [
        `node id    ${status.nodeId}`,
        `contact    ${status.contact}`,
        `uptime     ${formatDuration(status.uptimeMs / 1000)}`,
        `nat        ${status.nat.type}${status.nat.reflexive === null ? '' : ` (reflexive ${status.nat.reflexive})`}`,
        `edges      ${e.total} (${e.outbound} outbound, ${e.inbound} inbound; ${e.siblings} siblings, ${e.fingers} fingers; ${e.direct} direct, ${e.relayed} relayed)`,
        `knowledge  ${status.knownContacts} contacts`,
        `traffic    received ${formatBytes(t.rxBytes)} in ${t.rxPackets} packets, sent ${formatBytes(t.txBytes)} in ${t.txPackets} packets`,
        `messages   ${t.delivered} delivered, ${t.originated} originated, ${t.forwarded} forwarded`,
      ].join('\n');
    });
  },
};
