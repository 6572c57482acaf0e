/**
 * Routing by NodeID over real UDP on loopback: a 20-node overlay where every ordered pair exchanges a
 * message by NodeID with an end-to-end ack, multi-hop paths, dedupe of the disjoint copies, local
 * repair when a next hop dies, and a clean stop (no sockets or timers left).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/identity/index.js';
import type { Node, NodeOptions } from '../../src/node/index.js';
import { UdpTransport } from '../../src/session/index.js';
import { activeResources, waitForNoLeaks } from '../support/resources.js';
import { fingersCover, hex, loopbackHost, startCluster, startNode, stopAll, str, text, until } from './fixtures.js';

const started: Node[] = [];
let before: Map<string, number>;

beforeEach(() => {
  before = activeResources();
});

afterEach(async () => {
  await stopAll(started);
  expect(await waitForNoLeaks(before)).toEqual([]);
});

describe('20 nodes on real UDP loopback', () => {
  it('every ordered pair exchanges a message by NodeID, acknowledged end to end and delivered once', async () => {
    const nodes = await startCluster({ count: 20, bootstraps: 2, targetDegree: 4 }, started);
    await until(
      () => nodes.every((n) => n.stats().edges.total >= 4 && n.stats().knownContacts >= 15 && fingersCover(n)),
      15_000,
      'every node to reach its degree and cover its buckets',
    );

    const received = new Map<string, Set<string>>();
    const hops: number[] = [];
    for (const n of nodes) {
      const key = hex(n.id);
      received.set(key, new Set());
      n.on('message', (m: { from: Uint8Array; data: Uint8Array; hops: number }) => {
        received.get(key)!.add(`${hex(m.from)}|${str(m.data)}`);
        hops.push(m.hops);
      });
    }
    const sends: Promise<void>[] = [];
    for (const s of nodes) {
      for (const t of nodes) {
        if (s === t) continue;
        sends.push(s.send(t.id, text(`from ${hex(s.id)} to ${hex(t.id)}`), { ack: true, timeoutMs: 8_000 }));
      }
    }
    const results = await Promise.allSettled(sends);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      for (const n of nodes) console.log(JSON.stringify(n.stats().edges), JSON.stringify(Object.fromEntries(Object.entries(n.stats().drops).filter(([, v]) => v > 0))));
    }
    expect(failed).toEqual([]);
    for (const s of nodes) {
      for (const t of nodes) {
        if (s === t) continue;
        expect(received.get(hex(t.id))!.has(`${hex(s.id)}|from ${hex(s.id)} to ${hex(t.id)}`)).toBe(true);
      }
    }
    // Each message delivered exactly once although up to 3 copies travel.
    expect(hops.length).toBe(20 * 19);
    expect(Math.min(...hops)).toBeGreaterThanOrEqual(1);
    const dups = nodes.reduce((sum, n) => sum + n.stats().drops.duplicate, 0);
    expect(dups).toBeGreaterThan(0); // disjoint copies arrived and were suppressed
  }, 30_000);
});

describe('hand-wired paths (maintenance off)', () => {
  /** Identities sorted by XOR distance to `target`, farthest first. */
  function byDistanceTo(target: Uint8Array, ids: Identity[]): Identity[] {
    const d = (id: Identity) => Buffer.from(id.nodeId.map((b, i) => b ^ target[i]));
    return [...ids].sort((a, b) => Buffer.compare(d(b), d(a)));
  }

  async function wired(identity: Identity, host: number, peers: Node[], extra: Partial<NodeOptions> = {}): Promise<Node> {
    const node = await startNode({ identity, host: loopbackHost(100 + host), maintenance: false, bootstrap: peers.map((p) => p.contact), ...extra }, started);
    await until(() => peers.every((p) => node.edges().some((e) => hex(e.id) === hex(p.id))), 3_000, 'the wired edges');
    return node;
  }

  it('greedy forwarding carries a message along a 4-link chain, every hop strictly closer', async () => {
    const r = Identity.generate();
    const [sId, m1Id, m2Id, m3Id] = byDistanceTo(r.nodeId, [0, 1, 2, 3].map(() => Identity.generate()));
    const R = await wired(r, 0, []);
    const m3 = await wired(m3Id, 1, [R]);
    const m2 = await wired(m2Id, 2, [m3]);
    const m1 = await wired(m1Id, 3, [m2]);
    const S = await wired(sId, 4, [m1]);
    const got = new Promise<{ from: Uint8Array; data: Uint8Array; hops: number }>((resolve) => R.once('message', resolve));
    // No ack: the reverse direction is not greedy-routable on a chain sorted toward R.
    await S.send(R.id, text('along the chain'));
    const m = await got;
    expect(str(m.data)).toBe('along the chain');
    expect(hex(m.from)).toBe(hex(S.id));
    expect(m.hops).toBe(4);
    for (const fwd of [m1, m2, m3]) expect(fwd.stats().counters.forwarded).toBe(1);
  });

  it('from a local optimum a message leaves on the nearest edge, avoiding home, and is dropped (counted) where greedy stops', async () => {
    const r = Identity.generate();
    const [far, near] = byDistanceTo(r.nodeId, [Identity.generate(), Identity.generate()]);
    const N = await wired(near, 10, []);
    const F = await wired(far, 11, [N]);
    // N is the closest node to r it knows: no edge is closer, so it originates on its nearest edge (F) with
    // itself in the avoid-set; F has nowhere closer to go but N, which it must avoid: dropped at F.
    await N.send(r.nodeId, text('x'));
    await until(() => F.stats().drops.noRoute === 1, 2_000, 'the drop at F');
    expect(N.stats().drops.noRoute).toBe(0);
    // A message F routes toward r through N stops at N (its only other edge is where it came from).
    await F.send(r.nodeId, text('x'));
    await until(() => N.stats().drops.noRoute === 1, 2_000, 'the drop at the local optimum');
    // Without any edge, origination is UNROUTABLE.
    const lonely = await wired(Identity.generate(), 12, []);
    await expect(lonely.send(r.nodeId, text('x'))).rejects.toMatchObject({ code: 'UNROUTABLE' });
  });

  it('local repair: a dead best next hop is skipped and the message still arrives; the dead edge is reaped', async () => {
    const r = Identity.generate();
    const [sId, mId, bId, aId] = byDistanceTo(r.nodeId, [0, 1, 2, 3].map(() => Identity.generate()));
    const timing = { keepaliveMs: 200, deadAfterMs: 4_000 };
    const R = await wired(r, 20, [], timing);
    const aTransport = await UdpTransport.bind({ host: loopbackHost(121), port: 0 });
    const A = await wired(aId, 21, [R], { ...timing, transport: aTransport });
    const B = await wired(bId, 22, [R], timing);
    const M = await wired(mId, 23, [A, B], timing);
    const S = await wired(sId, 24, [M], timing);
    const closed = new Promise<{ id: Uint8Array }>((resolve) => M.on('edge-closed', resolve));
    // A dies without a goodbye: M still holds the edge, and A is M's best hop toward R.
    await aTransport.close();
    let delivered: string | null = null;
    R.once('message', (m: { data: Uint8Array }) => (delivered = str(m.data)));
    // Resend until it arrives (no ack: the way back is not greedy-routable in this hand-wired graph).
    // The first copies go to A and are lost; once A's channel has retransmitted unanswered, M skips it.
    for (let i = 0; i < 20 && delivered === null; i++) {
      await S.send(R.id, text('around the hole'));
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(delivered).toBe('around the hole');
    // Repaired while M still held the dead edge (it is reaped only after 4 s of silence).
    expect(M.edges().some((e) => hex(e.id) === hex(A.id))).toBe(true);
    expect(B.stats().counters.forwarded).toBeGreaterThanOrEqual(1);
    expect(hex((await closed).id)).toBe(hex(A.id));
  }, 15_000);
});
