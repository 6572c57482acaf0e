/**
 * Routed ping (issue 7: `wiremesh ping <NODEID>` is a routed round trip): a signed ROUTED_PING envelope
 * travels over the overlay to the target by NodeID like any routed message (up to 3 disjoint copies), and
 * the target answers with a signed ROUTED_PONG carrying the ping's nonce and the number of links the ping
 * took. Neither is delivered to the application.
 *
 * The target verifies the ping's signature and dedupes it (router.ts, before this module sees it) and
 * charges the answer to the originator's bucket, like a lookup or a hello (nodenet 8): a ping makes the
 * target originate a message, so a flood of them must be throttled per originator. The pong is accepted
 * only when it answers a ping of ours and is signed by the node we pinged (forgedReply otherwise).
 */
import { InvalidArgumentError, TimeoutError, WiremeshError } from '../errors.js';
import { idKey } from '../kad/index.js';
import {
  LOOKUP_NONCE_BYTES,
  MAX_TTL,
  ROUTED_PING,
  ROUTED_PONG,
  decodeRoutedPing,
  decodeRoutedPong,
  encodeRoutedPing,
  encodeRoutedPong,
  type RoutedEnvelope,
} from '../wire/index.js';
import { MAX_ROUTED_PINGS_IN_FLIGHT } from './constants.js';
import type { NodeContext } from './context.js';
import { withSignal } from './edge-manager.js';
import { RoutedRetry } from './routed-retry.js';
import { UnroutableError } from './errors.js';

/** What a routed ping measured. */
export interface RoutedPingResult {
  /** Round trip time in ms of the node's clock: ping out, pong back. */
  rttMs: number;
  /** Links the ping traversed to the target (1 = this node has an edge to it). */
  hops: number;
  /** Links the pong traversed back. */
  returnHops: number;
}

interface PendingRoutedPing {
  targetKey: string;
  /** Nonce (hex) of every copy that went out -> when it left: the pong names the copy it answers. */
  sentMs: Map<string, number>;
  resolve: (result: RoutedPingResult) => void;
  reject: (err: Error) => void;
  deadline: unknown;
  retry: RoutedRetry | null;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Links an envelope traversed: the originator sends with MAX_TTL and every forwarder decrements it. */
export function hopsOf(env: RoutedEnvelope): number {
  return MAX_TTL + 1 - Math.min(env.ttl, MAX_TTL);
}

export class RoutedPings {
  /** Nonce (hex) -> the ping it belongs to; one ping has a nonce per copy sent (retries, routed-retry.ts). */
  private readonly byNonce = new Map<string, PendingRoutedPing>();
  private readonly inFlight = new Set<PendingRoutedPing>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly originate: (payloadType: number, target: Uint8Array, payload: Uint8Array) => number,
  ) {}

  /**
   * Pings `target` over the overlay; rejects with UNROUTABLE, TIMEOUT, BUSY or ABORTED. Like an acked send
   * it sends again until the pong arrives (each copy with its own nonce, so the RTT is the answered copy's),
   * and while no edge leads toward the target yet but the node holds sessions, it waits for one.
   */
  ping(target: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<RoutedPingResult> {
    const ctx = this.ctx;
    if (idKey(target) === ctx.selfKey) return Promise.reject(new InvalidArgumentError('a node cannot ping itself over the overlay'));
    if (this.inFlight.size >= MAX_ROUTED_PINGS_IN_FLIGHT) {
      return Promise.reject(new WiremeshError('BUSY', `${MAX_ROUTED_PINGS_IN_FLIGHT} routed pings are already waiting for an answer`));
    }
    let resolve!: (result: RoutedPingResult) => void;
    let reject!: (err: Error) => void;
    const result = new Promise<RoutedPingResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: PendingRoutedPing = { targetKey: idKey(target), sentMs: new Map(), resolve, reject, deadline: null, retry: null };
    const attempt = (): boolean => {
      const nonce = ctx.randomBytes(LOOKUP_NONCE_BYTES);
      const sentMs = ctx.clock.now();
      if (this.originate(ROUTED_PING, target, encodeRoutedPing(nonce)) === 0) return false;
      ctx.counters.routedPingsSent++;
      const key = hex(nonce);
      entry.sentMs.set(key, sentMs);
      this.byNonce.set(key, entry);
      return true;
    };
    const sent = attempt();
    if (!sent && !ctx.edges.connecting) {
      this.forget(entry);
      return Promise.reject(new UnroutableError('no live edge leads toward the target: wait until the node has joined the overlay'));
    }
    this.inFlight.add(entry);
    entry.retry = new RoutedRetry(ctx.clock, attempt, sent, () => ctx.running);
    entry.deadline = ctx.clock.setTimer(() => {
      entry.deadline = null;
      const sentOnce = entry.retry?.sentOnce === true;
      this.forget(entry);
      reject(
        sentOnce
          ? new TimeoutError(`no routed pong from the target within ${timeoutMs} ms`)
          : new UnroutableError(`no live edge led toward the target within ${timeoutMs} ms: wait until the node has joined the overlay`),
      );
    }, timeoutMs);
    return withSignal(result, signal).finally(() => this.forget(entry));
  }

  /** A verified, first-seen ROUTED_PING addressed to this node. */
  onPing(env: RoutedEnvelope, originId: Uint8Array, originKey: string): void {
    const ctx = this.ctx;
    const nonce = decodeRoutedPing(env.payload);
    if (!nonce.ok) {
      ctx.drops.malformed++;
      return;
    }
    if (!ctx.router.chargeOriginator(originKey)) return;
    if (this.originate(ROUTED_PONG, originId, encodeRoutedPong({ nonce: nonce.value, pingHops: hopsOf(env) })) > 0) ctx.counters.routedPingsAnswered++;
  }

  /** A verified, first-seen ROUTED_PONG addressed to this node. */
  onPong(env: RoutedEnvelope, originKey: string): void {
    const ctx = this.ctx;
    const pong = decodeRoutedPong(env.payload);
    if (!pong.ok) {
      ctx.drops.malformed++;
      return;
    }
    const key = hex(pong.value.nonce);
    const entry = this.byNonce.get(key);
    if (entry === undefined) {
      ctx.drops.unsolicited++;
      return;
    }
    if (entry.targetKey !== originKey) {
      // Only the pinged node can sign its pong: anyone else naming this nonce is forging.
      ctx.drops.forgedReply++;
      return;
    }
    const sentMs = entry.sentMs.get(key) ?? ctx.clock.now();
    this.forget(entry);
    entry.resolve({ rttMs: ctx.clock.now() - sentMs, hops: pong.value.pingHops, returnHops: hopsOf(env) });
  }

  /** Fails every outstanding routed ping (node stopping). */
  close(err: Error): void {
    for (const entry of [...this.inFlight]) {
      this.forget(entry);
      entry.reject(err);
    }
  }

  /** Drops every trace of a ping (answered, timed out, aborted or failed); idempotent. */
  private forget(entry: PendingRoutedPing): void {
    entry.retry?.cancel();
    if (entry.deadline !== null) this.ctx.clock.clearTimer(entry.deadline);
    entry.deadline = null;
    for (const key of entry.sentMs.keys()) if (this.byNonce.get(key) === entry) this.byNonce.delete(key);
    entry.sentMs.clear();
    this.inFlight.delete(entry);
  }
}
