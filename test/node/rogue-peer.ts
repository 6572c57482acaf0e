/**
 * A hand-driven peer for the attack and edge tests: a raw Wiresocket endpoint with an identity that
 * speaks the overlay protocol only as far as each test wants (valid or forged Identify, crafted
 * envelopes, unsolicited answers), and records everything the node under test sends it.
 */
import { Identity, parseContact } from '../../src/identity/index.js';
import { ENVELOPE_DOMAIN } from '../../src/node/index.js';
import { buildIdentify } from '../../src/node/identify-check.js';
import { Endpoint, type Channel, type ChannelEvent, type Session } from '../../src/session/index.js';
import {
  CONTROL_CHANNEL,
  MAX_TTL,
  MSG_IDENTIFY,
  MSG_IDENTIFY_ACK,
  MSG_ROUTED,
  ROUTED_CHANNEL,
  encodeEnvelope,

  encodeSignedPart,
  type IdentifyFields,
} from '../../src/wire/index.js';
import { encodeContactRecord } from '../../src/identity/index.js';
import type { Node } from '../../src/node/index.js';

export interface EnvelopeSpec {
  signer: Identity;
  payloadType: number;
  target: Uint8Array;
  payload: Uint8Array;
  sentMs?: number;
  flags?: number;
  messageId?: Uint8Array;
  ttl?: number;
  avoid?: Uint8Array[];
  /** Sign with this identity instead (a forgery), keeping `signer`'s keys in the envelope. */
  signWith?: Identity;
}

export function craftEnvelope(spec: EnvelopeSpec): Uint8Array {
  const signed = encodeSignedPart({
    payloadType: spec.payloadType,
    flags: spec.flags ?? 0,
    target: spec.target,
    originEd: spec.signer.edPublicKey,
    originX: spec.signer.xPublicKey,
    sentMs: spec.sentMs ?? Date.now(),
    messageId: spec.messageId ?? crypto.getRandomValues(new Uint8Array(16)),
    payload: spec.payload,
  });
  const signature = (spec.signWith ?? spec.signer).sign(ENVELOPE_DOMAIN, signed);
  return encodeEnvelope(spec.ttl ?? MAX_TTL, spec.avoid ?? [], signed, signature);
}

export function recordOf(identity: Identity, host: string, port: number): Uint8Array {
  return encodeContactRecord({ nodeId: identity.nodeId, edPublicKey: identity.edPublicKey, xPublicKey: identity.xPublicKey, addresses: [{ host, port }] });
}

export type IdentifyMode = 'valid' | 'none' | ((session: Session) => Uint8Array);

export class RoguePeer {
  readonly identity: Identity;
  readonly endpoint: Endpoint;
  session: Session | null = null;
  control: Channel | null = null;
  routed: Channel | null = null;
  readonly controlEvents: ChannelEvent[] = [];
  readonly routedEvents: ChannelEvent[] = [];
  identifyAcked = false;
  victimIdentified = false;

  private constructor(identity: Identity, endpoint: Endpoint) {
    this.identity = identity;
    this.endpoint = endpoint;
  }

  static async open(identity: Identity, host: string): Promise<RoguePeer> {
    const endpoint = await Endpoint.listen({ staticKey: { publicKey: identity.xPublicKey, privateKey: identity.xPrivateKey }, host, port: 0 });
    return new RoguePeer(identity, endpoint);
  }

  get address(): { host: string; port: number } {
    return this.endpoint.address();
  }

  get record(): Uint8Array {
    return recordOf(this.identity, this.address.host, this.address.port);
  }

  /** Dials the node and runs the Identify exchange as `mode` says. */
  async connectTo(victim: Node, mode: IdentifyMode = 'valid'): Promise<void> {
    const contact = parseContact(victim.contact);
    const session = await this.endpoint.dial(contact.addresses[0], contact.xPublicKey, { timeoutMs: 2_000 });
    this.adopt(session, mode);
  }

  /** Answers the next inbound session (the node dials us) with `mode`. */
  acceptNext(mode: IdentifyMode = 'valid'): void {
    this.endpoint.once('session', (session: Session) => this.adopt(session, mode));
  }

  sendControl(type: number, payload: Uint8Array): Promise<void> {
    return this.control!.send(type, payload);
  }

  sendRouted(envelope: Uint8Array): Promise<void> {
    return this.routed!.send(MSG_ROUTED, envelope);
  }

  async waitFor(cond: () => boolean, timeoutMs = 2_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`rogue peer timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }

  /** A valid Identify from this rogue for `session`, with `fields` overriding the defaults. */
  identifyFor(session: Session, fields: Partial<IdentifyFields> = {}, signer: Identity = this.identity): Uint8Array {
    return buildIdentify(signer, session.handshakeHash, {
      bootId: fields.bootId ?? new Uint8Array(8).fill(7),
      record: fields.record ?? this.record,
      observed: fields.observed ?? null,
    });
  }

  private adopt(session: Session, mode: IdentifyMode): void {
    this.session = session;
    this.control = session.channel(CONTROL_CHANNEL);
    this.routed = session.channel(ROUTED_CHANNEL).setReliable();
    void this.pump(this.control, (ev) => {
      this.controlEvents.push(ev);
      if (ev.type === MSG_IDENTIFY) {
        this.victimIdentified = true;
        void this.control!.send(MSG_IDENTIFY_ACK, new Uint8Array(0)).catch(() => {});
      } else if (ev.type === MSG_IDENTIFY_ACK) this.identifyAcked = true;
    });
    void this.pump(this.routed, (ev) => this.routedEvents.push(ev));
    if (mode === 'none') return;
    const bytes = mode === 'valid' ? this.identifyFor(session) : mode(session);
    void this.control.send(MSG_IDENTIFY, bytes).catch(() => {});
  }

  private async pump(ch: Channel, onEvent: (ev: ChannelEvent) => void): Promise<void> {
    for (;;) {
      const ev = await ch.recv().catch(() => null);
      if (ev === null) return;
      onEvent(ev);
    }
  }
}

