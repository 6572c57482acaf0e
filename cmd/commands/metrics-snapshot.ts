/**
 * The numbers `--metrics` serves (issue 7 item 6: all stats): node.stats() flattened into the shape
 * serveMetrics takes (numbers, booleans, maps of numbers). Pure.
 */
import type { NodeStats } from '../../src/node/index.js';
import type { ControlServerStats } from '../control-socket.js';

export type MetricsSnapshot = Record<string, number | boolean | Record<string, number>>;

/** Stats that go up and down; every other number is a monotonic counter. */
export const METRIC_GAUGES = ['running', 'edges', 'sessions', 'knownContacts', 'sessionsActive', 'controlConnections'];

export function metricsSnapshot(stats: NodeStats, control: ControlServerStats): MetricsSnapshot {
  const out: MetricsSnapshot = {
    running: stats.running,
    edges: { ...stats.edges },
    sessions: stats.sessions,
    knownContacts: stats.knownContacts,
    ...stats.counters,
    drops: { ...stats.drops },
    controlConnections: control.connections,
    controlRequests: control.requests,
  };
  const endpoint = stats.endpoint;
  if (endpoint !== null) {
    const { drops, ...numbers } = endpoint;
    Object.assign(out, numbers);
    out.sessionDrops = { ...drops };
  }
  return out;
}

/** Label of each map: `wiremesh_drops_total{reason="stale"}`, `wiremesh_edges{kind="inbound"}`. */
export const METRIC_LABELS: Readonly<Record<string, string>> = { drops: 'reason', sessionDrops: 'reason', edges: 'kind' };
