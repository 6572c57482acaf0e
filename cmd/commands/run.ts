/**
 * `wiremesh run`: runs a node until SIGINT/SIGTERM (issue 7 item 2). Without --bootstrap it is a bootstrap
 * node; with persisted contacts in the data directory it rejoins without one.
 *
 * stdout: the NodeID, the contact others should use, the listening addresses, edge changes, the NAT type once
 * known, and every message delivered to this node; with --json each of these is one JSON line with an
 * `event` field (started, edge-up, edge-down, nat, message, stopped). Logs go to stderr (pino).
 * The control socket <dataDir>/control.sock serves status, peers, stats, send, ping, connect and the
 * stream.* requests of pipe/listen. A second `run` on the same data directory is refused.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatNodeId } from '../../src/identity/index.js';
import { createNode, type Delivery, type Node } from '../../src/node/index.js';
import { withConfigOptions, type ConfigArgs } from '../config-options.js';
import { ControlServer } from '../control-socket.js';
import { createLogger, componentLogger, type Logger } from '../logger.js';
import { serveMetrics, type MetricsServer } from '../metrics.js';
import { Output } from '../output.js';
import { printable } from '../table.js';
import { waitForShutdownSignal } from '../shutdown.js';
import { SHUTDOWN_GRACE_MS } from './constants.js';
import { metricsSnapshot, METRIC_GAUGES, METRIC_LABELS } from './metrics-snapshot.js';
import { natViewOf } from './nat-view.js';
import { contactAddresses, edgeAddress, NodeService, pathOf } from './node-service.js';
import { NodeStreams } from './node-streams.js';

type RunArgs = ConfigArgs & { allowSameSubnet: boolean };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `data` when it is valid UTF-8, else undefined. */
export function utf8Text(data: Uint8Array): string | undefined {
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Run a node (a bootstrap node when no --bootstrap is given) until Ctrl-C',
  builder: (y: Argv) =>
    withConfigOptions(y, ['dataDir', 'listen', 'bootstrap', 'relay', 'difficulty', 'metrics', 'logLevel', 'json'])
      .option('allow-same-subnet', {
        type: 'boolean',
        default: false,
        describe: 'lift the per-subnet edge caps (test networks where every node shares one /24, e.g. loopback)',
      })
      .example('$0 run', 'a bootstrap node on 0.0.0.0:4242 with its state in ./.wiremesh')
      .example('$0 run --listen 0.0.0.0:4243 --bootstrap <keys>@203.0.113.5:4242', 'join through a bootstrap node')
      .example('$0 run --json --metrics 127.0.0.1:9100', 'JSON events on stdout, Prometheus metrics on :9100') as unknown as Argv<RunArgs>,
  handler: async (args: ArgumentsCamelCase<RunArgs>) => {
    const { config } = args;
    const shutdown = waitForShutdownSignal();
    const out = new Output({ json: config.json });
    const log = createLogger({ level: config.logLevel, json: config.json });
    const running = await startRunning(args, out, log);
    const signal = await shutdown;
    log.info({ signal }, 'shutting down');
    await running.stop();
    out.event('stopped', { nodeId: running.nodeId, signal }, `stopped (${signal}); state saved in ${config.dataDir}`);
  },
};

interface Running {
  nodeId: string;
  stop(): Promise<void>;
}

async function startRunning(args: RunArgs, out: Output, log: Logger): Promise<Running> {
  const { config } = args;
  const control = new ControlServer(config.dataDir, {
    onHandlerError: (err, cmd) => componentLogger(log, 'control').error({ err, cmd }, 'control request failed'),
  });
  // The socket first: a second `run` on this directory is refused before it touches the identity or state.
  await control.listen();
  let node: Node | undefined;
  let metrics: MetricsServer | undefined;
  const streams: { value: NodeStreams | undefined } = { value: undefined };
  const stop = async (): Promise<void> => {
    streams.value?.close();
    await control.close();
    await metrics?.close();
    if (node !== undefined) await stopWithin(node, SHUTDOWN_GRACE_MS, log);
  };
  try {
    node = createNode({
      dataDir: config.dataDir,
      difficulty: config.difficulty,
      host: config.listen.host,
      port: config.listen.port,
      bootstrap: config.bootstrap,
      // `relay` both advertises CAP_RELAY and forwards; the capability bit alone would be refused traffic.
      relay: config.relay,
      noSubnet: args.allowSameSubnet,
    });
    const service = new NodeService(node);
    const nodeStreams = new NodeStreams(node);
    streams.value = nodeStreams;
    watchNode(node, out, log);
    await node.start();
    service.register(control, () => ({ control: control.stats() }));
    nodeStreams.register(control);
    void nodeStreams.acceptChannels();
    void printDeliveries(node, out);
    if (config.metrics !== undefined) {
      const n = node;
      metrics = await serveMetrics({
        host: config.metrics.host,
        port: config.metrics.port,
        collect: () => metricsSnapshot(n.stats(), control.stats()),
        gauges: METRIC_GAUGES,
        labelNames: METRIC_LABELS,
        onError: (err) => log.error({ err }, 'collecting metrics failed'),
      });
    }
    const nodeId = formatNodeId(node.id);
    const contact = node.contact;
    const addresses = contactAddresses(contact);
    out.event(
      'started',
      { nodeId, contact, addresses, dataDir: config.dataDir, control: control.path, metrics: metrics?.url ?? null, bootstrap: config.bootstrap.length },
      () =>
        [
          `node id    ${nodeId}`,
          `contact    ${contact}`,
          `listening  ${addresses.join(', ')} (UDP)`,
          `control    ${control.path}`,
          ...(metrics === undefined ? [] : [`metrics    ${metrics.url}`]),
          config.bootstrap.length === 0
            ? 'no --bootstrap: running as a bootstrap node (or rejoining through saved contacts); others join with --bootstrap <contact>'
            : `joining through ${config.bootstrap.length} bootstrap contact(s)`,
        ].join('\n'),
    );
    return { nodeId, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

function watchNode(node: Node, out: Output, log: Logger): void {
  // Path of each live edge as announced, so edge-down can say which path went away.
  const paths = new Map<string, { path: 'direct' | 'relayed'; relay: string | null }>();
  node.on('edge', (e: { id: Uint8Array; inbound: boolean }) => {
    const nodeId = formatNodeId(e.id);
    const edges = node.edges();
    const edge = edges.find((x) => formatNodeId(x.id) === nodeId);
    const address = edge === undefined ? null : edgeAddress(edge, edges);
    const path = pathOf(edge);
    paths.set(nodeId, path);
    out.event(
      'edge-up',
      { nodeId, ...path, address, inbound: e.inbound },
      `edge up    ${nodeId} ${path.path}${path.relay === null ? '' : ` via ${path.relay}`} ${address ?? ''} (${e.inbound ? 'inbound' : 'outbound'})`,
    );
  });
  node.on('edge-closed', (e: { id: Uint8Array; reason: string }) => {
    const nodeId = formatNodeId(e.id);
    const path = paths.get(nodeId) ?? { path: 'direct', relay: null };
    paths.delete(nodeId);
    out.event('edge-down', { nodeId, ...path, reason: e.reason }, `edge down  ${nodeId} (${printable(String(e.reason))})`);
  });
  node.on('nat', (status: unknown) => {
    const nat = natViewOf(status);
    out.event('nat', { ...nat }, `nat        ${nat.type}${nat.reflexive === null ? '' : `, reflexive address ${nat.reflexive}`}`);
  });
  node.on('warning', (w: { code: string; message: string }) => componentLogger(log, 'node').warn({ code: w.code }, w.message));
}

async function printDeliveries(node: Node, out: Output): Promise<void> {
  for await (const m of node.deliveries as AsyncIterable<Delivery>) {
    const from = formatNodeId(m.from);
    const text = utf8Text(m.data);
    out.event('message', { from, data: m.data, ...(text === undefined ? {} : { text }), direct: m.direct, hops: m.hops }, () =>
      text === undefined ? `${from}: (${m.data.length} bytes of binary data)` : `${from}: ${printable(text)}`,
    );
  }
}

/** Stops the node gracefully, but never hangs the exit on a peer that does not answer. */
async function stopWithin(node: Node, graceMs: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const outcome = await Promise.race([node.stop().then(() => 'stopped' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') log.warn(`the node did not stop within ${graceMs} ms: exiting anyway`);
}

