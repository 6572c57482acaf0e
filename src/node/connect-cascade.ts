/**
 * The connect cascade (DESIGN "NAT traversal"; issue 6 item 5), one path for connect() and maintenance:
 *
 *   existing edge -> dial the known address (short; skipped when the target is behind a NAT, whose
 *   filter drops a cold dial; a maintenance dial ends here when it fails) -> rendezvous (routed Hello/Reply: keys, fresh
 *   candidates, NAT type; the target punches toward us) -> by the NAT pair (src/nat traversalPlan):
 *     - ordinary: punch burst + direct dial (DIRECT_DIAL_BEFORE_RELAY_MS when a relay could follow)
 *     - exactly one side symmetric: the birthday roles start on both sides; with a relay at hand the
 *       relay comes first and the birthday's path upgrades the session later, without one the found
 *       path is dialed
 *     - both symmetric: no punch, no direct dial: straight to a relay
 *   -> each relay-capable edge in turn. A relayed edge we dialed keeps looking for a direct path
 *   (relaying.ts startUpgrade).
 *
 * Rejects with the last meaningful typed error: EDGE_REFUSED, POW_UNMET and ABORTED end the cascade at
 * once (the peer said no, or the caller gave up); TIMEOUT and UNROUTABLE let the next step try.
 */
import { AbortedError, TimeoutError, throwIfAborted } from '../errors.js';
import type { Contact } from '../identity/index.js';
import { idKey } from '../kad/index.js';
import { BIRTHDAY_ATTEMPT_MS, natTypeOfCapabilities } from '../nat/index.js';
import { DIAL_TIMEOUT_MS, DIRECT_DIAL_BEFORE_RELAY_MS, KNOWN_ADDRESS_DIAL_TIMEOUT_MS, RELAY_DIAL_TIMEOUT_MS } from './constants.js';
import { contactFromKad } from './contact-forms.js';
import type { NodeContext } from './context.js';
import { EdgeRefusedError, PowUnmetError, UnroutableError } from './errors.js';
import type { Link } from './link.js';

export interface CascadeOptions {
  /** Budget of the whole cascade; rejects with TIMEOUT. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** A maintenance dial: the edge counts as maintained (outbound, sibling exchange). */
  maintained?: boolean;
  /** Budget of the dial to the known address (default KNOWN_ADDRESS_DIAL_TIMEOUT_MS). */
  knownAddressTimeoutMs?: number;
}

/**
 * Ends the cascade: the peer said no, or the caller gave up. An AbortedError counts only when our own
 * signal fired: a dial we joined (same peer, same addresses, started by maintenance) may have been
 * aborted by its own budget, which says nothing about ours.
 */
function isFinal(err: unknown, signal: AbortSignal): boolean {
  if (err instanceof AbortedError) return signal.aborted;
  return err instanceof EdgeRefusedError || err instanceof PowUnmetError;
}

/**
 * Runs one step of the cascade with its own budget. A dial joins any dial to the same peer already in
 * flight (a maintenance dial, say), which knows nothing of this step's budget: without this, a step could
 * wait for someone else's slower attempt until the whole cascade times out. The step's timeout is a
 * TimeoutError (the cascade goes on); the caller's abort stays final.
 */
async function withStepBudget<T>(ctx: NodeContext, ms: number, outer: AbortSignal, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const step = new AbortController();
  const onOuter = () => step.abort(outer.reason);
  if (outer.aborted) onOuter();
  else outer.addEventListener('abort', onOuter, { once: true });
  const timer = ctx.clock.setTimer(() => step.abort(new TimeoutError(`this step did not finish within ${ms} ms`)), ms);
  try {
    return await run(step.signal);
  } catch (err) {
    if (err instanceof AbortedError && !outer.aborted && step.signal.reason instanceof TimeoutError) throw step.signal.reason;
    throw err;
  } finally {
    ctx.clock.clearTimer(timer);
    outer.removeEventListener('abort', onOuter);
  }
}

export class ConnectCascade {
  private readonly ctx: NodeContext;

  constructor(ctx: NodeContext) {
    this.ctx = ctx;
  }

  /** A verified edge to `target` (see the file comment). */
  async connect(target: Uint8Array, options: CascadeOptions): Promise<Link> {
    const ctx = this.ctx;
    const existing = ctx.edges.edgeLink(target);
    if (existing !== undefined) {
      // The application wants this peer: a relayed edge (e.g. one maintenance made) looks for a direct
      // path now, birthday included.
      if (options.maintained !== true && existing.peer !== null && ctx.relaying.isRelayed(existing.session.remoteAddress)) {
        ctx.relaying.startUpgrade(existing, existing.peer.contact, true);
      }
      return existing;
    }
    const timeoutMs = options.timeoutMs;
    // One signal for the whole cascade: the caller's abort or our deadline (on the node's clock).
    const deadline = new AbortController();
    const timer = ctx.clock.setTimer(() => deadline.abort(new TimeoutError(`connect did not finish within ${timeoutMs} ms`)), timeoutMs);
    const onCallerAbort = () => deadline.abort(options.signal?.reason);
    if (options.signal?.aborted) onCallerAbort();
    else options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const signal = deadline.signal;
    try {
      return await this.run(target, options, signal);
    } catch (err) {
      if (err instanceof AbortedError && signal.reason instanceof TimeoutError && !options.signal?.aborted) throw signal.reason;
      throw err;
    } finally {
      ctx.clock.clearTimer(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private async run(target: Uint8Array, options: CascadeOptions, signal: AbortSignal): Promise<Link> {
    const ctx = this.ctx;
    const maintained = options.maintained === true;
    const targetKey = idKey(target);
    const known = ctx.knowledge.get(target);
    const contact = known === undefined ? null : contactFromKad(known);
    // A target behind a NAT (its contact's NAT bits say cone or symmetric) filters a cold dial: only the
    // rendezvous, which makes it punch toward us, opens its side. Public and unknown targets are dialed.
    const behindNat = contact !== null && natTypeOfCapabilities(contact.capabilities) !== 'public' && natTypeOfCapabilities(contact.capabilities) !== 'unknown';
    if (contact !== null && contact.addresses.length > 0 && !behindNat) {
      try {
        const knownMs = Math.min(options.knownAddressTimeoutMs ?? KNOWN_ADDRESS_DIAL_TIMEOUT_MS, options.timeoutMs);
        return await withStepBudget(ctx, knownMs * contact.addresses.length, signal, (step) => ctx.edges.dial(contact, { timeoutMs: knownMs, signal: step, maintained }));
      } catch (err) {
        if (isFinal(err, signal)) throw err;
        // A background dial to a node that says it is not behind a NAT, and does not answer at its
        // address, is most likely gone: a rendezvous (routed Hellos for seconds) would be wasted on it.
        if (maintained) throw err;
        // A stale address: ask the target itself where it is.
      }
    }
    let lastError: Error = new UnroutableError('no path to that node was found');
    let dialable: Contact | null = contact;
    try {
      const ask = !maintained && ctx.birthday.canStart(targetKey);
      const found = await ctx.rendezvous.find(target, options.timeoutMs, signal, ask);
      dialable = found;
      // Punch (or take the birthday role) toward the target's candidates: it did the same on our Hello.
      const plan = ctx.punching.approach(found, ask ? 'ask' : 'none');
      const birthday = plan.birthday !== null;
      const relays = ctx.relaying.relayCandidates(targetKey).length;
      if (!plan.relayFirst || relays === 0) {
        const directMs = relays > 0 ? DIRECT_DIAL_BEFORE_RELAY_MS : DIAL_TIMEOUT_MS;
        if (!birthday) return await withStepBudget(ctx, directMs * found.addresses.length, signal, (step) => ctx.edges.dial(found, { timeoutMs: directMs, signal: step, maintained }));
        // No relay to fall back on: wait for the birthday's path and dial it (for the symmetric side it
        // leaves from the pinned socket).
        if (!ctx.birthday.running(targetKey)) throw new UnroutableError('no relay is at hand and the birthday strategy is not running');
        const path = await ctx.birthday.waitFound(targetKey, BIRTHDAY_ATTEMPT_MS, signal);
        throwIfAborted(signal);
        if (path === null) throw new TimeoutError('the birthday strategy found no direct path and no relay is at hand');
        return await ctx.edges.dial({ ...found, addresses: [path] }, { timeoutMs: DIAL_TIMEOUT_MS, signal, maintained });
      }
    } catch (err) {
      if (isFinal(err, signal)) throw err;
      lastError = err as Error;
    }
    // Relay (issue 6 item 4): a relay-capable neighbour forwards the session's packets; only the
    // target's keys are needed, which the rendezvous reply or the knowledge table gave us.
    if (dialable === null) throw lastError;
    for (const relay of ctx.relaying.relayCandidates(targetKey)) {
      throwIfAborted(signal);
      try {
        const via = dialable;
        const link = await withStepBudget(ctx, RELAY_DIAL_TIMEOUT_MS, signal, (step) => ctx.relaying.dialVia(relay, via, RELAY_DIAL_TIMEOUT_MS, step, maintained));
        ctx.counters.connectsRelayed++;
        ctx.relaying.startUpgrade(link, dialable, !maintained);
        return link;
      } catch (err) {
        if (err instanceof PowUnmetError || (err instanceof AbortedError && signal.aborted)) throw err;
        lastError = err as Error;
      }
    }
    throw lastError;
  }
}
