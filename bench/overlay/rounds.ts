/**
 * Measurement rounds on a running cluster, in virtual time:
 * - routed messages: `count` acknowledged sends between random distinct live nodes, leaving at random
 *   instants over `spreadMs`; a message counts as delivered when the sender gets the target's signed ack
 *   within the node's ack budget (end-to-end retransmissions included, as an application sees it); the
 *   receivers also count what arrives (exactly once each) and how many links it took;
 * - lookups: `node.find(id)` (rendezvous: a signed Hello routed to the target by ID alone, its signed
 *   Reply back) between random live pairs without an edge between them; success = the target's verified
 *   contact came back within the budget.
 */
import { WiremeshError } from '../../src/errors.js';
import type { Delivery } from '../../src/node/index.js';
import type { ClusterMember, SimCluster } from './cluster.js';
import { LOOKUP_TIMEOUT_MS, MESSAGE_TIMEOUT_MS } from './constants.js';

export interface MessageRound {
  sent: number;
  /** Acknowledged end to end within the budget. */
  acked: number;
  /** Arrived at the target (counted there, once per message). */
  received: number;
  /** Links taken by each received message. */
  hops: number[];
  /** Failed sends by error code. */
  failures: Record<string, number>;
}

export interface LookupRound {
  started: number;
  found: number;
  failures: Record<string, number>;
}

const MAGIC = 0x6f76; // 'ov': marks the benchmark's payloads

function codeOf(err: unknown): string {
  return err instanceof WiremeshError ? err.code : err instanceof Error ? err.name : 'unknown';
}

/**
 * Sends `count` messages spread over `spreadMs` and runs the clock until every send settled. Sender and
 * target are drawn among the nodes alive at the moment of sending.
 */
export async function messageRound(cluster: SimCluster, count: number, spreadMs: number): Promise<MessageRound> {
  const clock = cluster.clock;
  const round = ++roundCounter;
  const result: MessageRound = { sent: 0, acked: 0, received: 0, hops: [], failures: {} };
  const seen = new Uint8Array(count);
  const listeners = new Map<ClusterMember, (d: Delivery) => void>();
  const listen = (m: ClusterMember) => {
    if (listeners.has(m)) return;
    const on = (d: Delivery) => {
      const data = d.data;
      if (data.length !== 8) return;
      const view = new DataView(data.buffer, data.byteOffset, 8);
      if (view.getUint16(0) !== MAGIC || view.getUint16(2) !== (round & 0xffff)) return;
      const index = view.getUint32(4);
      if (index >= count || seen[index] === 1) return;
      seen[index] = 1;
      result.received++;
      result.hops.push(d.hops);
    };
    m.node.on('message', on);
    listeners.set(m, on);
  };
  let settled = 0;
  const sendOne = (index: number) => {
    const alive = cluster.alive();
    const [from, to] = cluster.picker.pair(alive);
    listen(to);
    const payload = new Uint8Array(8);
    const view = new DataView(payload.buffer);
    view.setUint16(0, MAGIC);
    view.setUint16(2, round & 0xffff);
    view.setUint32(4, index);
    result.sent++;
    from.node.send(to.id, payload, { ack: true, timeoutMs: MESSAGE_TIMEOUT_MS }).then(
      () => {
        result.acked++;
        settled++;
      },
      (err: unknown) => {
        const code = codeOf(err);
        result.failures[code] = (result.failures[code] ?? 0) + 1;
        settled++;
      },
    );
  };
  const offsets = Array.from({ length: count }, () => Math.floor(cluster.picker.fraction() * spreadMs)).sort((a, b) => a - b);
  offsets.forEach((at, index) => clock.setTimer(() => sendOne(index), at));
  await clock.runUntil(() => settled === count, { maxMs: spreadMs + MESSAGE_TIMEOUT_MS + 5_000 });
  for (const [m, on] of listeners) m.node.off('message', on);
  return result;
}

let roundCounter = 0;

/** `count` lookups by ID alone, spread over `spreadMs`, between live pairs without an edge between them. */
export async function lookupRound(cluster: SimCluster, count: number, spreadMs: number): Promise<LookupRound> {
  const clock = cluster.clock;
  const result: LookupRound = { started: 0, found: 0, failures: {} };
  let settled = 0;
  const lookupOne = () => {
    const alive = cluster.alive();
    let [from, to] = cluster.picker.pair(alive);
    for (let tries = 0; tries < 10 && from.node.edges().some((e) => Buffer.from(e.id).toString('hex') === to.key); tries++) {
      [from, to] = cluster.picker.pair(alive);
    }
    result.started++;
    from.node.find(to.id, { timeoutMs: LOOKUP_TIMEOUT_MS }).then(
      (contact) => {
        if (Buffer.from(contact.nodeId).toString('hex') === to.key) result.found++;
        else result.failures.wrongNode = (result.failures.wrongNode ?? 0) + 1;
        settled++;
      },
      (err: unknown) => {
        const code = codeOf(err);
        result.failures[code] = (result.failures[code] ?? 0) + 1;
        settled++;
      },
    );
  };
  for (let i = 0; i < count; i++) clock.setTimer(lookupOne, Math.floor(cluster.picker.fraction() * spreadMs));
  await clock.runUntil(() => settled === count, { maxMs: spreadMs + LOOKUP_TIMEOUT_MS + 5_000 });
  return result;
}
