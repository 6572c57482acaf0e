/**
 * Edges over real UDP: the Identify exchange and its checks (NodeID = hash(keys), the record's key is
 * the session's key, proof of work, signature over the handshake hash), refusals with typed errors,
 * simultaneous dials ending with exactly one edge, a restarted peer replacing its stale session, the
 * inbound cap, and reserved channels.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Identity, formatContact, mintIdentity } from '../../src/identity/index.js';
import type { Node } from '../../src/node/index.js';
import { UdpTransport, type Channel } from '../../src/session/index.js';
import { MSG_IDENTIFY } from '../../src/wire/index.js';
import { activeResources, waitForNoLeaks } from '../support/resources.js';
import { hex, loopbackHost, startNode, stopAll, until } from './fixtures.js';
import { RoguePeer, recordOf } from './rogue-peer.js';

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

async function rogue(identity: Identity, host: number): Promise<RoguePeer> {
  const r = await RoguePeer.open(identity, loopbackHost(host));
  rogues.push(r);
  return r;
}

async function withIdentityDifficulty(bits: number, below = false): Promise<Identity> {
  if (!below) return mintIdentity({ difficulty: bits });
  for (;;) {
    const id = Identity.generate();
    if (id.leadingZeroBits < bits) return id;
  }
}

describe('Identify', () => {
  it('an edge counts on both sides once both Identifies checked out; the peer learns our listen address', async () => {
    const a = await startNode({ host: loopbackHost(1), maintenance: false }, started);
    const b = await startNode({ host: loopbackHost(2), maintenance: false, bootstrap: [a.contact] }, started);
    await until(() => a.edges().length === 1 && b.edges().length === 1, 3_000, 'the edge');
    expect(hex(a.edges()[0].id)).toBe(hex(b.id));
    expect(a.edges()[0].inbound).toBe(true);
    expect(b.edges()[0].inbound).toBe(false);
    const learned = a.knownContacts().find((c) => hex(c.nodeId) === hex(b.id));
    expect(learned?.addresses).toEqual([{ host: loopbackHost(2), port: Number(b.contact.split(':').pop()) }]);
    // b reported the address it sees a at.
    expect(a.observedAddresses()[0].address).toBe(a.contact.split('@')[1]);
    expect(await a.ping(b.id)).toBeGreaterThanOrEqual(0);
  });

  it('refuses an Identify whose record key is not the session key, or whose signature is not over this session', async () => {
    const node = await startNode({ host: loopbackHost(3), maintenance: false }, started);
    const mallory = await rogue(Identity.generate(), 4);
    const victim = Identity.generate();
    // Mallory presents a victim's record (valid and self-certifying: anyone can build one from public
    // keys), even signed by the victim, on her own session: its X25519 key is not the session's.
    const victimRecord = recordOf(victim, mallory.address.host, mallory.address.port);
    await mallory.connectTo(node, (session) => mallory.identifyFor(session, { record: victimRecord }, victim));
    await until(() => node.stats().drops.identifyFailed === 1, 2_000, 'the refusal');
    const eve = await rogue(Identity.generate(), 5);
    // Eve signs a handshake hash of another session (replayed Identify).
    await eve.connectTo(node, (session) => {
      const other = new Uint8Array(session.handshakeHash);
      other[0] ^= 1;
      return eve.identifyFor({ ...session, handshakeHash: other } as typeof session);
    });
    await until(() => node.stats().drops.badSignature === 1, 2_000, 'the refusal');
    expect(node.edges()).toEqual([]);
    // Both were told (Leave) and their sessions closed.
    await until(() => mallory.session!.state === 'closed' && eve.session!.state === 'closed', 2_000, 'the sessions to close');
  });

  it('sub-PoW peers are refused in both directions with POW_UNMET', async () => {
    const node = await startNode({ host: loopbackHost(6), maintenance: false, difficulty: 4, identity: await withIdentityDifficulty(4) }, started);
    const weak = await rogue(await withIdentityDifficulty(4, true), 7);
    await weak.connectTo(node);
    await until(() => node.stats().drops.subPow === 1, 2_000, 'the inbound refusal');
    expect(node.edges()).toEqual([]);
    // Outbound: the node dials a weak peer it was told about; the dial fails with POW_UNMET.
    const weak2 = await rogue(await withIdentityDifficulty(4, true), 8);
    weak2.acceptNext('valid');
    const contact = formatContact({ nodeId: weak2.identity.nodeId, edPublicKey: weak2.identity.edPublicKey, xPublicKey: weak2.identity.xPublicKey, addresses: [weak2.address] });
    const dialer = await startNode({ host: loopbackHost(9), maintenance: false, difficulty: 4, identity: await withIdentityDifficulty(4), bootstrap: [contact] }, started);
    await until(() => dialer.stats().drops.subPow >= 1, 3_000, 'the outbound refusal');
    expect(dialer.edges()).toEqual([]);
    await expect(dialer.connect(weak2.identity.nodeId)).rejects.toMatchObject({ code: 'POW_UNMET' });
  });

  it('the application policy refuses a peer: EDGE_REFUSED for the dialer, counted at the refuser', async () => {
    const picky = await startNode({ host: loopbackHost(10), maintenance: false, acceptEdge: () => false }, started);
    const c = await startNode({ host: loopbackHost(12), maintenance: false, bootstrap: [picky.contact] }, started);
    await until(() => picky.stats().drops.edgeRefused === 1, 2_000, 'the refusal');
    await expect(c.connect(picky.id)).rejects.toMatchObject({ code: 'EDGE_REFUSED' });
    expect(picky.edges()).toEqual([]);
  });

  it('traffic before Identify is dropped and counted; a session that never identifies is closed', async () => {
    const node = await startNode({ host: loopbackHost(13), maintenance: false }, started);
    const silent = await rogue(Identity.generate(), 14);
    await silent.connectTo(node, 'none');
    await silent.sendControl(3, new Uint8Array(8)); // a ping
    await until(() => node.stats().drops.unverifiedLink === 1, 2_000, 'the drop');
    expect(node.stats().sessions).toBe(1);
    // IDENTIFY_TIMEOUT_MS (5 s) later the silent session is gone.
    await until(() => node.stats().sessions === 0, 7_000, 'the silent session to be closed');
    await until(() => silent.session!.state === 'closed', 1_000, 'the Disconnect to reach the silent peer');
  }, 10_000);
});

describe('one edge per pair', () => {
  it('simultaneous dials end with exactly one edge, the same session on both sides', async () => {
    for (let round = 0; round < 3; round++) {
      const ta = await UdpTransport.bind({ host: loopbackHost(20 + round * 2), port: 0 });
      const tb = await UdpTransport.bind({ host: loopbackHost(21 + round * 2), port: 0 });
      const ia = Identity.generate();
      const ib = Identity.generate();
      const ca = formatContact({ nodeId: ia.nodeId, edPublicKey: ia.edPublicKey, xPublicKey: ia.xPublicKey, addresses: [ta.address()] });
      const cb = formatContact({ nodeId: ib.nodeId, edPublicKey: ib.edPublicKey, xPublicKey: ib.xPublicKey, addresses: [tb.address()] });
      const nodes = await Promise.all([
        startNode({ identity: ia, transport: ta, maintenance: false, bootstrap: [cb] }, started),
        startNode({ identity: ib, transport: tb, maintenance: false, bootstrap: [ca] }, started),
      ]);
      const [a, b] = nodes;
      await until(() => a.edges().length === 1 && b.edges().length === 1 && a.stats().sessions === 1 && b.stats().sessions === 1, 3_000, 'one edge');
      const sa = await a.connect(b.id);
      const sb = await b.connect(a.id);
      expect(hex(sa.handshakeHash)).toBe(hex(sb.handshakeHash));
      // Both dialed: at least one of them saw two sessions and closed the loser.
      expect(a.stats().endpoint!.sessionsOpened + b.stats().endpoint!.sessionsOpened).toBeGreaterThanOrEqual(3);
      await stopAll(started);
    }
  });

  it('a restarted peer (new boot id) replaces its stale session at once', async () => {
    const a = await startNode({ host: loopbackHost(30), maintenance: false }, started);
    const ib = Identity.fromSeed(crypto.getRandomValues(new Uint8Array(32)));
    const tb = await UdpTransport.bind({ host: loopbackHost(31), port: 0 });
    await startNode({ identity: ib, transport: tb, maintenance: false, bootstrap: [a.contact] }, started);
    await until(() => a.edges().length === 1, 3_000, 'the first edge');
    const firstAddress = a.edges()[0].address;
    await tb.close(); // crash: no Leave, a still holds the session
    const b2 = await startNode({ identity: Identity.fromSeed(ib.seed), host: loopbackHost(32), maintenance: false, bootstrap: [a.contact] }, started);
    await until(() => a.edges().length === 1 && a.edges()[0].address.host === loopbackHost(32), 3_000, 'the replacement');
    expect(a.edges()[0].address).not.toEqual(firstAddress);
    expect(a.stats().sessions).toBe(1);
    expect(hex(b2.id)).toBe(hex(ib.nodeId));
  });
});

describe('caps and channels', () => {
  it('aborting the options signal stops the node (Leave, socket closed)', async () => {
    const controller = new AbortController();
    const a = await startNode({ host: loopbackHost(49), maintenance: false, signal: controller.signal }, started);
    const b = await startNode({ host: loopbackHost(50), maintenance: false, bootstrap: [a.contact] }, started);
    await until(() => b.edges().length === 1, 2_000, 'the edge');
    controller.abort();
    await until(() => !a.running && b.edges().length === 0, 2_000, 'the stop and the leave');
    await expect(a.send(b.id, new Uint8Array(1))).rejects.toMatchObject({ code: 'NOT_RUNNING' });
  });

  it('inbound edges beyond maxInboundEdges are refused at the handshake', async () => {
    const hub = await startNode({ host: loopbackHost(40), maintenance: false, maxInboundEdges: 2 }, started);
    for (let i = 0; i < 3; i++) await startNode({ host: loopbackHost(41 + i), maintenance: false, bootstrap: [hub.contact] }, started);
    await until(() => hub.edges().length === 2 && hub.stats().drops.inboundFull >= 1, 3_000, 'the cap');
    await new Promise((r) => setTimeout(r, 200));
    expect(hub.edges().length).toBe(2);
  });

  it('an application channel opened before Identify is handed out only once the peer is verified', async () => {
    const node = await startNode({ host: loopbackHost(47), maintenance: false }, started);
    const channels: Array<{ from: Uint8Array; channel: Channel }> = [];
    node.on('channel', (c: { from: Uint8Array; channel: Channel }) => channels.push(c));
    const r = await rogue(Identity.generate(), 48);
    await r.connectTo(node, 'none');
    await r.session!.channel(20).setReliable().send(9, Uint8Array.of(1, 2, 3));
    await new Promise((res) => setTimeout(res, 100));
    expect(channels).toEqual([]);
    await r.sendControl(MSG_IDENTIFY, r.identifyFor(r.session!));
    await until(() => channels.length === 1, 2_000, 'the channel');
    expect(hex(channels[0].from)).toBe(hex(r.identity.nodeId));
    const ev = await channels[0].channel.recv();
    expect(ev).toMatchObject({ type: 9 });
    expect(Array.from(ev!.payload)).toEqual([1, 2, 3]);
  });

  it('a peer-opened channel in the reserved range 2-15 is closed and counted', async () => {
    const node = await startNode({ host: loopbackHost(45), maintenance: false }, started);
    const r = await rogue(Identity.generate(), 46);
    await r.connectTo(node);
    await r.waitFor(() => r.identifyAcked && r.victimIdentified, 2_000, 'identify');
    await r.session!.channel(5).send(1, new Uint8Array(3));
    await until(() => node.stats().drops.reservedChannel === 1, 2_000, 'the drop');
  });
});
