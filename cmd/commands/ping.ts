/**
 * `wiremesh ping <NODEID>`: the routed round trip time to any node by NodeID. The running node sends a signed
 * ping over the overlay (no session to the target is made) and the target answers with a signed pong; the
 * output is the round trip time and the number of links each way.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ConfigArgs } from '../config-options.js';
import { formatMs } from '../byte-units.js';
import { Output } from '../output.js';
import { nodeIdText, withClientOptions, withControl } from './control-command.js';
import type { PingResult } from './node-service.js';

type PingArgs = ConfigArgs & { nodeid: string };

export const pingCommand: CommandModule<object, PingArgs> = {
  command: 'ping <nodeid>',
  describe: 'Measure the routed round trip time to a node by NodeID (signed ping over the overlay, pong back)',
  builder: (y: Argv) =>
    withClientOptions(y)
      .positional('nodeid', { type: 'string', describe: 'the NodeID to ping (no edge to it is needed)' })
      .example('$0 ping bafy...q', 'pong from bafy...q: rtt 2 ms, 2 hops there, 2 back') as unknown as Argv<PingArgs>,
  handler: async (args: ArgumentsCamelCase<PingArgs>) => {
    const to = nodeIdText(args.nodeid);
    const r = await withControl(args.config.dataDir, (c) => c.request<PingResult>('ping', { to }));
    new Output({ json: args.config.json }).event('pong', { ...r }, () =>
      `pong from ${r.nodeId}: rtt ${formatMs(r.rttMs)}, ${r.hops} ${r.hops === 1 ? 'hop' : 'hops'} there, ${r.returnHops} back`,
    );
  },
};
