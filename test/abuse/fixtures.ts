/**
 * Attackers for the overlay attack tests and bench (issue 8 item 5). A `Rogue` is a raw Wiresocket
 * endpoint with a valid (or weak) identity that speaks the overlay protocol only as far as an attack
 * needs: it completes the Identify exchange (advertising whatever addresses it likes), answers the
 * victim's lookups with the records it wants the victim to learn, black-holes routed traffic (counts it,
 * never forwards), and can send crafted envelopes and relay frames. It runs on the simulated fabric
 * (virtual time) or on real UDP, the same code either way.
 */
import { Identity, decodeContactRecord, encodeContactRecord, parseContact, type ContactAddress } from '../../src/identity/index.js';
import { buildIdentify } from '../../src/node/identify-check.js';
import type { Node } from '../../src/node/index.js';
import type { VirtualClock } from '../../src/node/sim/index.js';
import { Endpoint, type Channel, type ChannelEvent, type Clock, type DatagramTransport, type Session } from '../../src/session/index.js';
import {
  CONTROL_CHANNEL,
  MSG_IDENTIFY,
  MSG_IDENTIFY_ACK,
  MSG_LOOKUP,
  MSG_NEIGHBORS,
  MSG_ROUTED,
  ROUTED_CHANNEL,
  decodeIdentify,
  decodeLookupRequest,
  encodeNeighbors,
} from '../../src/wire/index.js';
import { seededRandom } from '../node/sim-fixtures.js';

/** The relay channel (DESIGN: channel 2 carries whole Wiresocket packets of other sessions). */
export const RELAY_CHANNEL = 2;

/**
 * `count` seeded identities, each with at least (`strong`) or fewer than (weak: a Sybil below the
 * network's difficulty) `difficulty` bits of proof of work, searching seeds upward from `seed`.
 */
export function identities(count: number, difficulty: number, seed: number, strong = true): Identity[] {
  const out: Identity[] = [];
  for (let s = seed; out.length < count; s++) {
    const id = identityFromSeed(s);
    if (id.leadingZeroBits >= difficulty === strong) out.push(id);
    else id.destroy();
  }
  return out;
}

function identityFromSeed(seed: number): Identity {
  const bytes = new Uint8Array(32);
  seededRandom(seed * 7919 + 13)(bytes);
  return Identity.fromSeed(bytes);
}

export function recordWith(identity: Identity, addresses: ContactAddress[], capabilities = 0): Uint8Array {
  return encodeContactRecord({ nodeId: identity.nodeId, edPublicKey: identity.edPublicKey, xPublicKey: identity.xPublicKey, addresses, capabilities });
}

export interface RogueOptions {
  /** Simulated fabric (with its clock), or real UDP on `host`. */
  transport?: DatagramTransport;
  clock?: Clock;
  host?: string;
  /** Addresses put in the Identify record (default: the endpoint's own address). */
  advertise?: ContactAddress[];
  /** Records to answer the victim's lookups with (default: just our own). */
  gossip?: () => Uint8Array[];
  /** false: never send Identify (a session that only holds a slot until the victim gives up on it). */
  identify?: boolean;
}

/** One session of a rogue, with its overlay channels. */
export interface RogueLink {
  session: Session;
  control: Channel;
  routed: Channel;
  relay: Channel;
  identifyAcked: boolean;
  peerIdentified: boolean;
  closed: boolean;
  /** The peer's NodeID (hex) once its Identify arrived. */
  peer: string | null;
}

export class Rogue {
  readonly identity: Identity;
  readonly endpoint: Endpoint;
  readonly links = new Set<RogueLink>();
  /** Counters of what the victims sent us. */
  routedReceived = 0;
  lookupsAnswered = 0;
  readonly relayEvents: ChannelEvent[] = [];
  readonly routedEvents: ChannelEvent[] = [];
  keepRouted = false;
  private readonly options: RogueOptions;

  private constructor(identity: Identity, endpoint: Endpoint, options: RogueOptions) {
    this.identity = identity;
    this.endpoint = endpoint;
    this.options = options;
    endpoint.on('session', (s: Session) => this.adopt(s));
  }

  static async open(identity: Identity, options: RogueOptions): Promise<Rogue> {
    const endpoint = await Endpoint.listen({
      staticKey: { publicKey: identity.xPublicKey, privateKey: identity.xPrivateKey },
      transport: options.transport,
      clock: options.clock,
      host: options.host,
      port: 0,
    });
    return new Rogue(identity, endpoint, options);
  }

  get address(): { host: string; port: number } {
    return this.endpoint.address();
  }

  get record(): Uint8Array {
    return recordWith(this.identity, this.options.advertise ?? [this.address]);
  }

  /** Live links whose Identify exchange finished both ways. */
  get edges(): RogueLink[] {
    return [...this.links].filter((l) => !l.closed && l.identifyAcked && l.peerIdentified);
  }

  /** Dials `victim` and runs a valid Identify; resolves with the link once the session is up (not yet identified). */
  async dial(victim: Node | string, timeoutMs = 2_000): Promise<RogueLink> {
    const contact = parseContact(typeof victim === 'string' ? victim : victim.contact);
    const session = await this.endpoint.dial(contact.addresses[0], contact.xPublicKey, { timeoutMs });
    return this.adopt(session);
  }

  /** The identified link to the node `id`. */
  linkTo(id: Uint8Array): RogueLink | undefined {
    const key = hex(id);
    return this.edges.find((l) => l.peer === key);
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }

  private adopt(session: Session): RogueLink {
    const link: RogueLink = {
      session,
      control: session.channel(CONTROL_CHANNEL),
      routed: session.channel(ROUTED_CHANNEL).setReliable(),
      relay: session.channel(RELAY_CHANNEL),
      identifyAcked: false,
      peerIdentified: false,
      closed: false,
      peer: null,
    };
    this.links.add(link);
    session.on('close', () => {
      link.closed = true;
      this.links.delete(link);
    });
    void this.pump(link.control, (ev) => this.onControl(link, ev));
    void this.pump(link.routed, (ev) => {
      // A black hole: acknowledged per hop by the session, never forwarded.
      this.routedReceived++;
      if (this.keepRouted) this.routedEvents.push(ev);
    });
    void this.pump(link.relay, (ev) => this.relayEvents.push(ev));
    if (this.options.identify === false) return link;
    const identify = buildIdentify(this.identity, session.handshakeHash, { bootId: new Uint8Array(8).fill(7), record: this.record, observed: null });
    link.control.send(MSG_IDENTIFY, identify).catch(() => {});
    return link;
  }

  private onControl(link: RogueLink, ev: ChannelEvent): void {
    if (ev.type === MSG_IDENTIFY) {
      if (!link.peerIdentified) {
        link.peerIdentified = true;
        const id = nodeIdOfIdentify(ev.payload);
        link.peer = id === null ? null : hex(id);
      }
      link.control.send(MSG_IDENTIFY_ACK, new Uint8Array(0)).catch(() => {});
    } else if (ev.type === MSG_IDENTIFY_ACK) {
      link.identifyAcked = true;
    } else if (ev.type === MSG_LOOKUP) {
      const req = decodeLookupRequest(ev.payload);
      if (!req.ok) return;
      const records = this.options.gossip?.() ?? [this.record];
      this.lookupsAnswered++;
      link.control.send(MSG_NEIGHBORS, encodeNeighbors({ nonce: req.value.nonce, records })).catch(() => {});
    }
  }

  sendRouted(link: RogueLink, envelope: Uint8Array): Promise<void> {
    return link.routed.send(MSG_ROUTED, envelope);
  }

  private async pump(ch: Channel, onEvent: (ev: ChannelEvent) => void): Promise<void> {
    for (;;) {
      const ev = await ch.recv().catch(() => null);
      if (ev === null) return;
      onEvent(ev);
    }
  }
}

/** The NodeID inside an Identify payload (decoded with the node's own codec). */
function nodeIdOfIdentify(payload: Uint8Array): Uint8Array | null {
  const id = decodeIdentify(payload);
  if (!id.ok) return null;
  const record = decodeContactRecord(id.value.record);
  return record.ok ? record.value.contact.nodeId : null;
}

/** Settles `p` while driving the virtual clock, for at most `maxMs` of virtual time. */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, maxMs: number): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  let out: { ok: true; value: T } | { ok: false; error: Error } | null = null;
  p.then(
    (value) => (out = { ok: true, value }),
    (error: Error) => (out = { ok: false, error }),
  );
  await clock.runUntil(() => out !== null, { maxMs });
  return out!;
}

/** Outcomes of promises settled in the background while the caller drives the clock itself. */
export class Outcomes<T> {
  readonly results: Array<{ ok: true; value: T } | { ok: false; error: Error }> = [];
  private expected = 0;

  add(p: Promise<T>): void {
    this.expected++;
    p.then(
      (value) => this.results.push({ ok: true, value }),
      (error: Error) => this.results.push({ ok: false, error }),
    );
  }

  get done(): boolean {
    return this.results.length === this.expected;
  }

  /** Counts by outcome: 'OK' or the error's code. */
  codes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.results) {
      const code = r.ok ? 'OK' : ((r.error as { code?: string }).code ?? r.error.name);
      out.set(code, (out.get(code) ?? 0) + 1);
    }
    return out;
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
