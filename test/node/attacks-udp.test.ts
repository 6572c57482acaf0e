/**
 * Attack tests (issue 5 "Show"): forged Reply with the right nonce and wrong keys, stale and badly
 * signed envelopes, sub-PoW originators, a lookup flood from one originator spread across edges,
 * unsolicited neighbour answers, contacts that try to overwrite a good address, control floods and TTL.
 * The attackers are raw Wiresocket peers (rogue-peer.ts) connected to real nodes over loopback UDP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Identity, mintIdentity } from '../../src/identity/index.js';
import type { Node } from '../../src/node/index.js';
import {
  MSG_LOOKUP,
  MSG_NEIGHBORS,
  MSG_PING,
  MSG_PONG,
  MSG_ROUTED,
  ROUTED_DATA,
  ROUTED_HELLO,
  ROUTED_LOOKUP,
  ROUTED_NEIGHBORS,
  ROUTED_REPLY,
  decodeEnvelope,
  decodeLookupRequest,
  decodeRendezvous,
  encodeNeighbors,
  encodePing,
  encodeRendezvous,
} from '../../src/wire/index.js';
import { activeResources, waitForNoLeaks } from '../support/resources.js';
import { hex, loopbackHost, startNode, stopAll, str, text, until } from './fixtures.js';
import { RoguePeer, craftEnvelope, recordOf } from './rogue-peer.js';

const started: Node[] = [];
const rogues: RoguePeer[] = [];
let before: Map<string, number>;

beforeEach(() => {
  before = activeResources();
});

afterEach(async () => {
  await stopAll(started);
  for (const r of rogues.splice(0)) await r.close();
  expect(await waitForNoLeaks(before)).toEqual([]);
});

/** A rogue peer with a live edge to `node`. */
async function attacker(node: Node, host: number, identity: Identity = Identity.generate()): Promise<RoguePeer> {
  const r = await RoguePeer.open(identity, loopbackHost(host));
  rogues.push(r);
  await r.connectTo(node);
  await r.waitFor(() => r.identifyAcked && r.victimIdentified, 2_000, 'the identify exchange');
  await until(() => node.edges().some((e) => hex(e.id) === hex(r.identity.nodeId)), 2_000, 'the edge');
  return r;
}

function messages(node: Node): string[] {
  const got: string[] = [];
  node.on('message', (m: { data: Uint8Array }) => got.push(str(m.data)));
  return got;
}

describe('envelopes', () => {
  it('delivers a properly signed envelope with the right originator; drops stale and badly signed ones', async () => {
    const node = await startNode({ host: loopbackHost(1), maintenance: false }, started);
    const got = messages(node);
    const from: Uint8Array[] = [];
    node.on('message', (m: { from: Uint8Array }) => from.push(m.from));
    const r = await attacker(node, 2);
    const origin = Identity.generate();
    await r.sendRouted(craftEnvelope({ signer: origin, payloadType: ROUTED_DATA, target: node.id, payload: text('genuine') }));
    await until(() => got.length === 1, 2_000, 'the genuine delivery');
    expect(hex(from[0])).toBe(hex(origin.nodeId));
    // Signed an hour ago (replay of an old capture), and 31 s in the future.
    await r.sendRouted(craftEnvelope({ signer: origin, payloadType: ROUTED_DATA, target: node.id, payload: text('old'), sentMs: Date.now() - 3_600_000 }));
    await r.sendRouted(craftEnvelope({ signer: origin, payloadType: ROUTED_DATA, target: node.id, payload: text('future'), sentMs: Date.now() + 31_000 }));
    // Claims origin's keys but is signed by someone else.
    await r.sendRouted(craftEnvelope({ signer: origin, signWith: r.identity, payloadType: ROUTED_DATA, target: node.id, payload: text('forged') }));
    // A signature over other bytes: flip one payload byte after signing.
    const tampered = craftEnvelope({ signer: origin, payloadType: ROUTED_DATA, target: node.id, payload: text('tampered') });
    tampered[tampered.length - 64 - 1] ^= 1;
    await r.sendRouted(tampered);
    await until(() => node.stats().drops.stale === 2 && node.stats().drops.badSignature === 2, 2_000, 'the drops');
    expect(got).toEqual(['genuine']);
  });

  it('a replayed envelope is delivered once (dedupe by originator and message id)', async () => {
    const node = await startNode({ host: loopbackHost(3), maintenance: false }, started);
    const got = messages(node);
    const r = await attacker(node, 4);
    const env = craftEnvelope({ signer: Identity.generate(), payloadType: ROUTED_DATA, target: node.id, payload: text('once') });
    for (let i = 0; i < 5; i++) await r.sendRouted(env);
    await until(() => node.stats().drops.duplicate === 4, 2_000, 'the duplicates');
    expect(got).toEqual(['once']);
  });

  it('refuses sub-PoW originators at every hop, before any signature work', async () => {
    const node = await startNode({ host: loopbackHost(5), maintenance: false, difficulty: 4, identity: await mintIdentity({ difficulty: 4 }) }, started);
    const got = messages(node);
    const r = await attacker(node, 6, await mintIdentity({ difficulty: 4 }));
    let weak: Identity;
    do weak = Identity.generate();
    while (weak.leadingZeroBits >= 4);
    await r.sendRouted(craftEnvelope({ signer: weak, payloadType: ROUTED_DATA, target: node.id, payload: text('weak') }));
    await until(() => node.stats().drops.subPow === 1, 2_000, 'the drop');
    expect(got).toEqual([]);
    expect(node.stats().drops.badSignature).toBe(0);
  });

  it('an envelope whose TTL ran out short of its target is dropped; TTL above 16 is clamped', async () => {
    const node = await startNode({ host: loopbackHost(7), maintenance: false }, started);
    const r = await attacker(node, 8);
    // A target elsewhere with TTL 0 at this hop.
    const elsewhere = Identity.generate().nodeId;
    await r.sendRouted(craftEnvelope({ signer: Identity.generate(), payloadType: ROUTED_DATA, target: elsewhere, payload: text('x'), ttl: 0 }));
    await until(() => node.stats().drops.ttlExpired === 1, 2_000, 'the TTL drop');
    // TTL 255 to this node itself is simply delivered (decide clamps before deciding).
    const got = messages(node);
    await r.sendRouted(craftEnvelope({ signer: Identity.generate(), payloadType: ROUTED_DATA, target: node.id, payload: text('clamped'), ttl: 255 }));
    await until(() => got.length === 1, 2_000, 'the delivery');
  });
});

describe('rendezvous', () => {
  it('a forged Reply (right nonce, wrong keys) is rejected; the genuine one completes connect()', async () => {
    const a = await startNode({ host: loopbackHost(10), maintenance: false }, started);
    const t = await startNode({ host: loopbackHost(11), maintenance: false }, started);
    // Mallory must be closer to t than a is, or a could not route toward t through her at all.
    const closer = (x: Uint8Array) => Buffer.from(x.map((b, i) => b ^ t.id[i]));
    let mId: Identity;
    do mId = Identity.generate();
    while (Buffer.compare(closer(mId.nodeId), closer(a.id)) >= 0);
    const m = await attacker(a, 12, mId);
    // a knows nothing of t: connect() must rendezvous, and its only edge is Mallory.
    const connecting = a.connect(t.id, { timeoutMs: 5_000 });
    await m.waitFor(() => m.routedEvents.some((e) => e.type === MSG_ROUTED && decodeEnvelope(e.payload).ok), 2_000, 'the hello');
    const helloEv = m.routedEvents.find((e) => e.type === MSG_ROUTED)!;
    const hello = decodeEnvelope(helloEv.payload);
    if (!hello.ok) throw new Error('hello did not decode');
    expect(hello.value.payloadType).toBe(ROUTED_HELLO);
    const nonce = decodeRendezvous(hello.value.payload);
    if (!nonce.ok) throw new Error('hello payload did not decode');
    // Mallory answers with the right nonce, signed with her own keys and her own record.
    await m.sendRouted(
      craftEnvelope({ signer: m.identity, payloadType: ROUTED_REPLY, target: a.id, payload: encodeRendezvous({ nonce: nonce.value.nonce, record: m.record }) }),
    );
    await until(() => a.stats().drops.forgedReply === 1, 2_000, 'the forged reply drop');
    // The genuine reply (t's keys and signature, as if routed back by Mallory) completes the rendezvous.
    const tContact = t.contact.split('@')[1].split(':');
    await m.sendRouted(
      craftEnvelope({
        signer: t.identity,
        payloadType: ROUTED_REPLY,
        target: a.id,
        payload: encodeRendezvous({ nonce: nonce.value.nonce, record: recordOf(t.identity, tContact[0], Number(tContact[1])) }),
      }),
    );
    const session = await connecting;
    expect(a.stats().counters.rendezvousCompleted).toBe(1);
    expect(session.remoteAddress).toEqual({ host: tContact[0], port: Number(tContact[1]) });
    expect(a.edges().some((e) => hex(e.id) === hex(t.id))).toBe(true);
  });
});

describe('lookups and neighbours', () => {
  it('a lookup flood from one originator spread across three edges is throttled per originator', async () => {
    const node = await startNode({ host: loopbackHost(20), maintenance: false }, started);
    const edges = [await attacker(node, 21), await attacker(node, 22), await attacker(node, 23)];
    const origin = Identity.generate();
    const answered = node.stats().counters.lookupsAnswered;
    for (let i = 0; i < 200; i++) {
      const env = craftEnvelope({ signer: origin, payloadType: ROUTED_LOOKUP, target: node.id, payload: crypto.getRandomValues(new Uint8Array(8)) });
      await edges[i % 3].sendRouted(env);
    }
    await until(() => node.stats().counters.lookupsAnswered - answered + node.stats().drops.originatorRateLimited >= 200, 3_000, 'all lookups handled');
    const replies = node.stats().counters.lookupsAnswered - answered;
    // Burst 32 plus the refill (16/s) during the flood.
    expect(replies).toBeGreaterThanOrEqual(32);
    expect(replies).toBeLessThan(60);
    expect(node.stats().drops.originatorRateLimited).toBeGreaterThan(140);
    // Another originator is not affected.
    const before = node.stats().counters.lookupsAnswered;
    await edges[0].sendRouted(craftEnvelope({ signer: Identity.generate(), payloadType: ROUTED_LOOKUP, target: node.id, payload: new Uint8Array(8) }));
    await until(() => node.stats().counters.lookupsAnswered === before + 1, 2_000, 'the other originator');
  });

  it('unsolicited neighbour answers are ignored; a solicited one is learned', async () => {
    const node = await startNode({ host: loopbackHost(30), maintenance: false }, started);
    const r = await attacker(node, 31);
    const stranger = Identity.generate();
    const known = node.stats().knownContacts;
    await r.sendControl(MSG_NEIGHBORS, encodeNeighbors({ nonce: new Uint8Array(8).fill(9), records: [recordOf(stranger, '198.51.100.9', 4000)] }));
    await r.sendRouted(
      craftEnvelope({ signer: r.identity, payloadType: ROUTED_NEIGHBORS, target: node.id, payload: encodeNeighbors({ nonce: new Uint8Array(8), records: [recordOf(stranger, '198.51.100.9', 4000)] }) }),
    );
    await until(() => node.stats().drops.unsolicited === 2, 2_000, 'the drops');
    expect(node.stats().knownContacts).toBe(known);
    // The node asked r for its neighbourhood when the edge came up (sibling exchange): answer that.
    await r.waitFor(() => r.controlEvents.some((e) => e.type === MSG_LOOKUP), 2_000, 'the sibling exchange');
    const ask = r.controlEvents.find((e) => e.type === MSG_LOOKUP)!;
    const req = decodeLookupRequest(ask.payload);
    if (!req.ok) throw new Error('lookup did not decode');
    expect(hex(req.value.target)).toBe(hex(node.id));
    await r.sendControl(MSG_NEIGHBORS, encodeNeighbors({ nonce: req.value.nonce, records: [recordOf(stranger, '198.51.100.9', 4000)] }));
    await until(() => node.knownContacts().some((c) => hex(c.nodeId) === hex(stranger.nodeId)), 2_000, 'the solicited contact');
  });

  it('mismatched or re-addressed contacts never overwrite a good address', async () => {
    const node = await startNode({ host: loopbackHost(40), maintenance: false }, started);
    const honest = await startNode({ host: loopbackHost(41), maintenance: false, bootstrap: [node.contact] }, started);
    await until(() => node.edges().length === 1, 2_000, 'the honest edge');
    const good = node.knownContacts().find((c) => hex(c.nodeId) === hex(honest.id))!.addresses;
    const r = await attacker(node, 42);
    await r.waitFor(() => r.controlEvents.some((e) => e.type === MSG_LOOKUP), 2_000, 'the sibling exchange');
    const ask = r.controlEvents.find((e) => e.type === MSG_LOOKUP)!;
    const req = decodeLookupRequest(ask.payload);
    if (!req.ok) throw new Error('lookup did not decode');
    // 1. A valid record of the honest node (built from its public keys) pointing at the attacker.
    const readdressed = recordOf(honest.identity, r.address.host, r.address.port);
    // 2. The honest NodeID with the attacker's keys: the record does not self-certify.
    const mismatched = recordOf(r.identity, r.address.host, r.address.port);
    mismatched.set(honest.id, 1);
    // 3. "Keyless": zero keys under the honest NodeID.
    const keyless = recordOf(r.identity, r.address.host, r.address.port);
    keyless.set(honest.id, 1);
    keyless.fill(0, 33, 97);
    await r.sendControl(MSG_NEIGHBORS, encodeNeighbors({ nonce: req.value.nonce, records: [readdressed, mismatched, keyless] }));
    await until(() => node.stats().drops.badContact === 2, 2_000, 'the refused records');
    expect(node.knownContacts().find((c) => hex(c.nodeId) === hex(honest.id))!.addresses).toEqual(good);
  });
});

describe('per-edge budgets', () => {
  it('a ping flood over one edge gets at most the control burst (plus refill) answered', async () => {
    const node = await startNode({ host: loopbackHost(50), maintenance: false, budgets: { control: { burst: 32, ratePerSecond: 16 } } }, started);
    const r = await attacker(node, 51);
    const pongsBefore = r.controlEvents.filter((e) => e.type === MSG_PONG).length;
    for (let i = 0; i < 200; i++) await r.sendControl(MSG_PING, encodePing({ nonce: new Uint8Array(8).fill(i) }));
    await until(() => node.stats().drops.edgeRateLimited >= 140, 2_000, 'the throttling');
    await new Promise((res) => setTimeout(res, 100));
    const pongs = r.controlEvents.filter((e) => e.type === MSG_PONG).length - pongsBefore;
    expect(pongs).toBeGreaterThan(20);
    expect(pongs).toBeLessThan(50);
  });

  it('a forward flood over one edge is shed past the forward burst', async () => {
    const node = await startNode({ host: loopbackHost(52), maintenance: false, budgets: { forward: { burst: 50, ratePerSecond: 10 } } }, started);
    const got = messages(node);
    const r = await attacker(node, 53);
    const origin = Identity.generate();
    for (let i = 0; i < 120; i++) {
      await r.sendRouted(craftEnvelope({ signer: origin, payloadType: ROUTED_DATA, target: node.id, payload: text(`m${i}`) }));
    }
    await until(() => got.length + node.stats().drops.edgeRateLimited >= 120, 3_000, 'the flood to be handled');
    expect(got.length).toBeGreaterThanOrEqual(50);
    expect(got.length).toBeLessThan(70);
  });
});
