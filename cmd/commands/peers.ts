/**
 * `wiremesh peers`: the running node's edges as a table (NodeID, address, path, RTT, last seen), all measured
 * by the node itself: RTT is the edge's smoothed round trip from the node's own pings, last seen the time of
 * the last authenticated packet, path 'direct' or 'relayed via <relay>'.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatDuration, formatMs } from '../byte-units.js';
import type { ConfigArgs } from '../config-options.js';
import { Output } from '../output.js';
import { withClientOptions, withControl } from './control-command.js';
import type { PeerRow } from './node-service.js';

/** A relay's NodeID shortened for the table (`--json` has it whole). */
function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}..${id.slice(-4)}` : id;
}

/** "0.4 s ago" below 10 s (edges hear keepalives every few seconds), else the coarse duration. */
function lastSeen(agoMs: number): string {
  const ms = Math.max(0, agoMs);
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s ago` : `${formatDuration(ms / 1000)} ago`;
}

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
      { header: 'PATH', value: (p) => (p.relay === null ? p.path : `${p.path} via ${shortId(p.relay)}`) },
      { header: 'DIR', value: (p) => (p.inbound ? 'in' : 'out') },
      { header: 'KIND', value: (p) => p.kind },
      { header: 'RTT', value: (p) => (p.rttMs === null ? null : formatMs(p.rttMs)), align: 'right' },
      { header: 'LAST SEEN', value: (p) => lastSeen(now - p.lastSeenMs), align: 'right' },
    ]);
  },
};
