/**
 * `--metrics HOST:PORT` (issue 7 item 6): an HTTP server whose `/metrics` serves every stat in Prometheus
 * text format, through prom-client. Each scrape calls `collect()` once and mirrors the snapshot into a
 * private prom-client registry (metric-families.ts has the naming rules); other paths answer 404.
 *
 *   const metrics = await serveMetrics({ host: '127.0.0.1', port: 9100, collect: () => endpoint.snapshot(),
 *                                        gauges: ['sessionsActive'] });
 *   ...
 *   await metrics.close();   // idempotent
 *
 * A busy or foreign address is one InvalidArgumentError sentence with the fix.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { InvalidArgumentError } from '../src/errors.js';
import { METRICS_PATH } from './constants.js';
import { formatHostPort, type HostPort } from './host-port.js';
import { metricFamilies, type MetricFamily, type MetricKind, type MetricShapeOptions } from './metric-families.js';

/**
 * What `collect` may return: numbers (and booleans) by stat name, or maps of numbers. Written as a mapped
 * type so interfaces such as EndpointStats qualify without an index signature.
 */
export type MetricStats<T> = { [K in keyof T]: MetricValue<T[K]> };
/** One stat: a number or boolean, or a map of numbers (distributes over unions such as `number | Record<...>`). */
export type MetricValue<V> = V extends number | boolean ? V : V extends object ? { [L in keyof V]: number } : never;

export interface ServeMetricsOptions<T> extends MetricShapeOptions {
  host: string;
  /** 0 picks a free port (see `address`). */
  port: number;
  /** Called once per scrape. */
  collect: () => T;
  /** Told when `collect` throws (the scrape answers 500). */
  onError?: (error: unknown) => void;
}

export interface MetricsServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: HostPort;
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** Stops serving and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/** Serves `/metrics` on `host:port` until closed. */
export async function serveMetrics<T extends MetricStats<T>>(options: ServeMetricsOptions<T>): Promise<MetricsServer> {
  const mirror = new RegistryMirror();
  const shape: MetricShapeOptions = options;
  // One scrape at a time: two interleaved scrapes would mix values of two snapshots.
  let queue: Promise<unknown> = Promise.resolve();
  const scrape = (): Promise<string> => {
    const next = queue.then(() => {
      mirror.update(metricFamilies(options.collect() as object, shape));
      return mirror.registry.metrics();
    });
    queue = next.catch(() => {});
    return next;
  };
  const server = createServer((req, res) => {
    // answer() handles every expected failure; anything else (a throwing onError) just ends this response.
    answer(req, res, scrape, mirror.registry.contentType, options.onError).catch(() => res.destroy());
  });
  await listen(server, options.host, options.port);
  const bound = server.address();
  const address: HostPort = typeof bound === 'object' && bound !== null ? { host: bound.address, port: bound.port } : { host: options.host, port: options.port };
  let closing: Promise<void> | undefined;
  return {
    address,
    url: `http://${formatHostPort(address)}${METRICS_PATH}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep connections alive; without this close() would wait for their idle timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  scrape: () => Promise<string>,
  contentType: string,
  onError: ((error: unknown) => void) | undefined,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== METRICS_PATH) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: metrics are served at ${METRICS_PATH}\n`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }).end('use GET\n');
    return;
  }
  let body: string;
  try {
    body = await scrape();
  } catch (err) {
    onError?.(err);
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('collecting the stats failed: see the node log\n');
    return;
  }
  res.writeHead(200, { 'content-type': contentType });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  const shown = formatHostPort({ host, port });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new InvalidArgumentError(listenErrorSentence(err, shown), { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function listenErrorSentence(err: NodeJS.ErrnoException, shown: string): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `metrics address ${shown} is already in use: stop what listens there or choose another port with --metrics HOST:PORT`;
    case 'EADDRNOTAVAIL':
      return `metrics address ${shown} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own addresses`;
    case 'EACCES':
    case 'EPERM':
      return `metrics address ${shown} needs privileges this process lacks (ports below 1024 usually do): choose a port above 1023`;
    default:
      return `cannot serve metrics on ${shown} (${err.code ?? err.message}): choose another --metrics HOST:PORT`;
  }
}

type PromMetric = Gauge<string> | Counter<string>;

/** Keeps a prom-client registry in step with the families of the latest snapshot. */
class RegistryMirror {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, { kind: MetricKind; labelName: string | undefined; metric: PromMetric }>();

  update(families: readonly MetricFamily[]): void {
    const current = new Set<string>();
    for (const family of families) {
      current.add(family.name);
      const metric = this.metricFor(family);
      metric.reset();
      for (const sample of family.samples) {
        const labels = family.labelName === undefined ? {} : { [family.labelName]: sample.label ?? '' };
        if (metric instanceof Gauge) metric.set(labels, sample.value);
        else metric.inc(labels, sample.value);
      }
    }
    // A stat that disappeared from the snapshot disappears from the output.
    for (const name of [...this.metrics.keys()]) {
      if (current.has(name)) continue;
      this.registry.removeSingleMetric(name);
      this.metrics.delete(name);
    }
  }

  private metricFor(family: MetricFamily): PromMetric {
    const existing = this.metrics.get(family.name);
    if (existing !== undefined && existing.kind === family.kind && existing.labelName === family.labelName) return existing.metric;
    if (existing !== undefined) this.registry.removeSingleMetric(family.name);
    const config = {
      name: family.name,
      help: family.help,
      labelNames: family.labelName === undefined ? [] : [family.labelName],
      registers: [this.registry],
    };
    const metric: PromMetric = family.kind === 'gauge' ? new Gauge(config) : new Counter(config);
    this.metrics.set(family.name, { kind: family.kind, labelName: family.labelName, metric });
    return metric;
  }
}
