/**
 * Rendezvous (DESIGN "Overlay"; nodenet 6): find the keys and addresses of a node by its NodeID alone.
 * A Hello carrying our contact record is routed to the target; the target learns us and routes back a
 * Reply with its own record and the Hello's nonce. Both are routed envelopes, so each is signed by its
 * originator, and the Reply is accepted only when its originator's keys hash to the NodeID we asked for:
 * a forwarder that saw the nonce can drop or misroute, but cannot answer in the target's place.
 * Hellos are resent (new message id) until a Reply comes or the deadline passes.
 */
import { AbortedError, TimeoutError } from '../errors.js';
import { decodeContactRecord, encodeContactRecord, type Contact } from '../identity/index.js';
import { CAP_BIRTHDAY_ASK } from '../nat/index.js';
import { idKey } from '../kad/index.js';
import { RENDEZVOUS_NONCE_BYTES, ROUTED_HELLO, ROUTED_REPLY, decodeRendezvous, encodeRendezvous, type RoutedEnvelope } from '../wire/index.js';
import { HELLO_COPY_WINDOW_MS, MAX_PENDING_LOOKUPS, RENDEZVOUS_RETRY_MS } from './constants.js';
import type { NodeContext } from './context.js';
import { UnroutableError } from './errors.js';
import { sameBytes } from './identify-check.js';

interface PendingRendezvous {
  targetKey: string;
  resolve: (c: Contact) => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class Rendezvous {
  private readonly ctx: NodeContext;
  private readonly pending = new Map<string, PendingRendezvous>();
  /** Hello nonces answered lately (time answered): the copies of one send get one Reply and one punch. */
  private readonly answered = new Map<string, number>();

  constructor(ctx: NodeContext) {
    this.ctx = ctx;
  }

  /** The target's verified contact (keys hash to `target`); UNROUTABLE, TIMEOUT or ABORTED otherwise. */
  find(target: Uint8Array, timeoutMs: number, signal?: AbortSignal, askBirthday = false): Promise<Contact> {
    const ctx = this.ctx;
    const nonce = ctx.randomBytes(RENDEZVOUS_NONCE_BYTES);
    // Asking for the birthday strategy: our record with CAP_BIRTHDAY_ASK, for this Hello only.
    const self = ctx.selfContact();
    const record = askBirthday ? encodeContactRecord({ ...self, capabilities: ((self.capabilities ?? 0) | CAP_BIRTHDAY_ASK) >>> 0 }) : ctx.selfRecord();
    const payload = encodeRendezvous({ nonce, record });
    if (this.originate(ROUTED_HELLO, target, payload) === 0) {
      return Promise.reject(new UnroutableError('no live edge leads toward the target: the node has not joined the overlay yet'));
    }
    const key = hex(nonce);
    return new Promise<Contact>((resolve, reject) => {
      let retryTimer: unknown = null;
      let deadlineTimer: unknown = null;
      const onAbort = () => {
        entry.cleanup();
        reject(new AbortedError('rendezvous aborted', { cause: signal?.reason }));
      };
      const entry: PendingRendezvous = {
        targetKey: idKey(target),
        resolve,
        reject,
        cleanup: () => {
          if (this.pending.get(key) === entry) this.pending.delete(key);
          if (retryTimer !== null) ctx.clock.clearTimer(retryTimer);
          if (deadlineTimer !== null) ctx.clock.clearTimer(deadlineTimer);
          retryTimer = null;
          deadlineTimer = null;
          signal?.removeEventListener('abort', onAbort);
        },
      };
      const retry = () => {
        retryTimer = null;
        if (!ctx.running) return;
        this.originate(ROUTED_HELLO, target, payload);
        retryTimer = ctx.clock.setTimer(retry, RENDEZVOUS_RETRY_MS);
      };
      retryTimer = ctx.clock.setTimer(retry, RENDEZVOUS_RETRY_MS);
      deadlineTimer = ctx.clock.setTimer(() => {
        deadlineTimer = null;
        entry.cleanup();
        reject(new TimeoutError(`no rendezvous reply from the target within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, entry);
      if (signal !== undefined) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  onHello(env: RoutedEnvelope, originId: Uint8Array, originKey: string): void {
    const ctx = this.ctx;
    const hello = decodeRendezvous(env.payload);
    if (!hello.ok) {
      ctx.drops.malformed++;
      return;
    }
    if (!ctx.router.chargeOriginator(originKey)) return;
    const nonceKey = `${originKey}/${hex(hello.value.nonce)}`;
    const now = ctx.clock.now();
    const answeredMs = this.answered.get(nonceKey);
    if (answeredMs !== undefined && now - answeredMs < HELLO_COPY_WINDOW_MS) {
      // Another copy of a Hello just answered (greedy and nearest copies travel together); a resend
      // comes a full retry interval later and is answered again, in case our Reply was lost.
      ctx.drops.duplicate++;
      return;
    }
    this.answered.delete(nonceKey);
    if (this.answered.size >= MAX_PENDING_LOOKUPS) {
      const oldest = this.answered.keys().next();
      if (!oldest.done) this.answered.delete(oldest.value);
    }
    this.answered.set(nonceKey, now);
    const record = decodeContactRecord(hello.value.record);
    if (!record.ok || !sameBytes(record.value.contact.nodeId, originId)) {
      // The record must describe the node that signed the envelope.
      ctx.drops.badContact++;
      return;
    }
    const caps = record.value.contact.capabilities ?? 0;
    const asksBirthday = (caps & CAP_BIRTHDAY_ASK) !== 0;
    const contact = { ...record.value.contact, capabilities: (caps & ~CAP_BIRTHDAY_ASK) >>> 0 };
    ctx.learning.firstHand(contact);
    // The caller dials us as soon as this Reply arrives: open our NAT toward its candidates first (or take
    // our birthday role, or nothing when both are symmetric), and with a relayed edge to the caller put
    // it on trial toward them (it is upgrading to a direct path).
    ctx.punching.approach(contact, asksBirthday ? 'answer' : 'none');
    ctx.relaying.onPeerCandidates(originKey, contact);
    const reply = encodeRendezvous({ nonce: hello.value.nonce, record: ctx.selfRecord() });
    if (this.originate(ROUTED_REPLY, originId, reply) > 0) ctx.counters.hellosAnswered++;
  }

  onReply(env: RoutedEnvelope, originId: Uint8Array, originKey: string): void {
    const ctx = this.ctx;
    const reply = decodeRendezvous(env.payload);
    if (!reply.ok) {
      ctx.drops.malformed++;
      return;
    }
    const pending = this.pending.get(hex(reply.value.nonce));
    if (pending === undefined) {
      ctx.drops.unsolicited++;
      return;
    }
    if (pending.targetKey !== originKey) {
      // Right nonce, wrong signer: someone who saw our Hello is answering in the target's place.
      ctx.drops.forgedReply++;
      return;
    }
    const record = decodeContactRecord(reply.value.record);
    if (!record.ok || !sameBytes(record.value.contact.nodeId, originId)) {
      ctx.drops.forgedReply++;
      return;
    }
    ctx.learning.firstHand(record.value.contact);
    ctx.counters.rendezvousCompleted++;
    pending.cleanup();
    pending.resolve(record.value.contact);
  }

  /**
   * Greedy copies and nearest-edge copies of one Hello or Reply. A greedy first hop can be a dead end
   * (XOR-closer to the target but without an edge onward: a NAT node with few edges, a small overlay),
   * or there may be none, while one of our nearest neighbours holds the target's edge, which is exactly
   * when a rendezvous matters for punching and relaying (issue 6). Rendezvous messages are rare, so up to
   * twice the copies is cheap; the receiver answers or accepts the first and counts the rest.
   */
  private originate(type: number, target: Uint8Array, payload: Uint8Array): number {
    const router = this.ctx.router;
    return router.originate(type, target, payload, { greedyOnly: true }) + router.originate(type, target, payload, { nearest: true });
  }

  close(err: Error): void {
    for (const p of [...this.pending.values()]) {
      p.cleanup();
      p.reject(err);
    }
  }
}
