/**
 * The overlay attack scenarios (issue 8 item 5), shared by test/abuse/overlay-attacks.test.ts (small
 * sizes, in `npm test`) and bench/attacks.ts (larger sizes, `--write` publishes docs/figures/attacks.md).
 * Each runs on its own simulated network in virtual time, with the real node code, and returns what it
 * measured: attempts, outcome and the drops the defenders counted, by reason. Nothing here asserts; the
 * callers decide what must hold.
 */
import { createHash } from 'node:crypto';
import type { Identity } from '../../src/identity/index.js';
import { subnetOfHost } from '../../src/kad/index.js';
import { RELAY_FORWARD, RELAY_REFUSED, decodeRelayRefusal, encodeRelayPacket } from '../../src/nat/index.js';
import { createNode, type Node, type NodeOptions, type NodeStats } from '../../src/node/index.js';
import { SimNetwork, type SimNat, type VirtualClock } from '../../src/node/sim/index.js';
import {
  ROUTED_DATA,
  ROUTED_HELLO,
  ROUTED_LOOKUP,
  ROUTED_NEIGHBORS,
  ROUTED_REPLY,
  copyBytes,
  decodeEnvelope,
  decodeNeighbors,
  decodeRendezvous,
  encodeRendezvous,
} from '../../src/wire/index.js';
import { craftEnvelope } from '../node/rogue-peer.js';
import { SIM_MAINTENANCE, seededRandom, simHost } from '../node/sim-fixtures.js';
import { Outcomes, Rogue, hex, identities, recordWith, settle, type RogueLink } from './fixtures.js';

export interface ScenarioResult {
  attack: string;
  /** What the attacker tried, in words with numbers. */
  attempts: string;
  /** What happened, in words with numbers. */
  outcome: string;
  /** Drops and refusals the defenders counted, by reason (summed over the nodes named in the key). */
  drops: Record<string, number>;
  /** Measured numbers the callers assert on. */
  metrics: Record<string, number>;
}

type DropName = keyof NodeStats['drops'];

/** One simulated world: its network, honest nodes, attackers; `close()` stops everything. */
class World {
  readonly net: SimNetwork;
  readonly clock: VirtualClock;
  readonly nodes: Node[] = [];
  readonly rogues: Rogue[] = [];

  constructor(seed: number, latencyMs = 5) {
    this.net = new SimNetwork({ seed, latencyMs });
    this.clock = this.net.clock;
  }

  async node(identity: Identity, host: string, options: Partial<NodeOptions>, port = 4000, behind?: SimNat): Promise<Node> {
    const transport = this.net.createTransport(host, port, behind === undefined ? undefined : { behind });
    const node = createNode({ identity, transport, clock: this.clock, random: seededRandom(this.nodes.length * 7 + port), ...options });
    this.nodes.push(node);
    await node.start();
    return node;
  }

  async rogue(identity: Identity, host: string, options: { advertise?: { host: string; port: number }[]; gossip?: () => Uint8Array[] } = {}): Promise<Rogue> {
    const rogue = await Rogue.open(identity, { transport: this.net.createTransport(host, 4000), clock: this.clock, ...options });
    this.rogues.push(rogue);
    return rogue;
  }

  /** A cluster of `count` honest nodes in their own /24s (10.x.y.1), bootstrapping from the first 3. */
  async cluster(count: number, ids: Identity[], options: Partial<NodeOptions>, perNode: (i: number) => Partial<NodeOptions> = () => ({})): Promise<Node[]> {
    const out: Node[] = [];
    for (let i = 0; i < count; i++) {
      const bootstrap = out.slice(0, 3).map((n) => n.contact);
      out.push(await this.node(ids[i], simHost(i), { maintenance: SIM_MAINTENANCE, targetDegree: 8, bootstrap, ...options, ...perNode(i) }));
      await this.clock.advance(10);
    }
    return out;
  }

  async close(): Promise<void> {
    const stopping = this.nodes.splice(0).map((n) => n.stop());
    for (const r of this.rogues.splice(0)) stopping.push(r.close());
    await this.clock.settle();
    await Promise.all(stopping);
  }
}

function sumDrops(nodes: Node[], reasons: DropName[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of reasons) out[r] = nodes.reduce((s, n) => s + n.stats().drops[r], 0);
  return out;
}

function sumCounter(nodes: Node[], name: keyof NodeStats['counters']): number {
  return nodes.reduce((s, n) => s + n.stats().counters[name], 0);
}

async function waitLinked(world: World, rogue: Rogue, id: Uint8Array, maxMs = 5_000): Promise<RogueLink> {
  await world.clock.runUntil(() => rogue.linkTo(id) !== undefined, { maxMs });
  return rogue.linkTo(id)!;
}

/** Starts acknowledged routed messages from each `from` to its `to` (the caller drives the clock). */
function startAckedSends(pairs: Array<[Node, Node]>, timeoutMs = 10_000): Outcomes<void> {
  const out = new Outcomes<void>();
  for (const [a, b] of pairs) out.add(a.send(b.id, Uint8Array.of(1, 2, 3), { ack: true, timeoutMs }));
  return out;
}

/** Acknowledged routed messages from each `from` to its `to`; how many were acknowledged. */
async function ackedSends(world: World, pairs: Array<[Node, Node]>, timeoutMs = 10_000): Promise<number> {
  const out = startAckedSends(pairs, timeoutMs);
  await world.clock.runUntil(() => out.done, { maxMs: timeoutMs + 2_000 });
  return out.codes().get('OK') ?? 0;
}

// ---------------------------------------------------------------------------------------------------

export interface SybilOptions {
  honest?: number;
  sybils?: number;
  difficulty?: number;
  seed?: number;
}

/**
 * Sybil identities below the network's proof-of-work difficulty try every way in: they run the node
 * code and dial honest nodes (Identify), honest nodes are asked to connect to them, an accomplice with
 * a valid identity routes their DATA, LOOKUP and HELLO envelopes into the overlay, and gossips their
 * contact records in its neighbour answers.
 */
export async function sybilScenario(o: SybilOptions = {}): Promise<ScenarioResult> {
  const H = o.honest ?? 10;
  const S = o.sybils ?? 30;
  const difficulty = o.difficulty ?? 6;
  const seed = o.seed ?? 1;
  const world = new World(seed);
  try {
    const honestIds = identities(H + 1, difficulty, seed * 1_000_000);
    const weak = identities(S, difficulty, seed * 1_000_000 + 500_000, false);
    const sybilKeys = new Set(weak.map((w) => hex(w.nodeId)));
    const honest = await world.cluster(H, honestIds, { difficulty, targetDegree: 6 });
    await world.clock.advance(20_000);

    // 1. Join: each Sybil runs the node code (believing the difficulty is 0) and dials an honest node.
    const joinErrors = new Map<string, number>();
    const sybilNodes: Node[] = [];
    for (let j = 0; j < S; j++) {
      sybilNodes.push(await world.node(weak[j], `10.77.${j % 250}.${1 + Math.floor(j / 250)}`, { maintenance: false, bootstrap: [honest[j % H].contact] }));
    }
    const joins = new Outcomes<unknown>();
    sybilNodes.forEach((s, j) => joins.add(s.connect(honest[j % H].id, { timeoutMs: 5_000 })));
    await world.clock.runUntil(() => joins.done, { maxMs: 6_000 });
    for (const [code, n] of joins.codes()) joinErrors.set(code === 'OK' ? 'CONNECTED' : code, n);

    // 2. Dial: honest nodes are asked to connect to the Sybils.
    const dialErrors = new Map<string, number>();
    for (let j = 0; j < S; j++) {
      const r = await settle(world.clock, honest[j % H].connect(weak[j].nodeId, { timeoutMs: 2_000 }), 3_000);
      const code = r.ok ? 'CONNECTED' : ((r.error as { code?: string }).code ?? r.error.name);
      dialErrors.set(code, (dialErrors.get(code) ?? 0) + 1);
    }

    // 3. Route and 4. gossip, through an accomplice that holds a valid identity and an edge.
    const gossiped = weak.slice(0, 20).map((w, j) => recordWith(w, [{ host: `10.78.${j}.1`, port: 4000 }]));
    const accomplice = await world.rogue(honestIds[H], '10.79.0.1', { gossip: () => gossiped });
    const entry = honest[0];
    const subPowBefore = entry.stats().drops.subPow;
    void accomplice.dial(entry).catch(() => {});
    const link = await waitLinked(world, accomplice, entry.id);
    // The entry node asks its new neighbour for its neighbourhood (sibling exchange): the answer is Sybils.
    await world.clock.runUntil(() => accomplice.lookupsAnswered > 0, { maxMs: 5_000 });
    await world.clock.advance(200);
    const gossipDrops = entry.stats().drops.subPow - subPowBefore;
    let routed = 0;
    for (let j = 0; j < S; j++) {
      const target = honest[(j + 1) % H].id;
      const now = world.clock.now();
      for (const payloadType of [ROUTED_DATA, ROUTED_LOOKUP, ROUTED_HELLO]) {
        const payload = payloadType === ROUTED_HELLO ? encodeRendezvous({ nonce: new Uint8Array(16).fill(j), record: recordWith(weak[j], [{ host: '10.78.0.1', port: 4000 }]) }) : new Uint8Array(8).fill(j);
        await accomplice.sendRouted(link, craftEnvelope({ signer: weak[j], payloadType, target, payload, sentMs: now }));
        routed++;
      }
    }
    await world.clock.advance(1_000);
    const routedDrops = entry.stats().drops.subPow - subPowBefore - gossipDrops;

    let sybilsKnown = 0;
    let sybilEdges = 0;
    for (const n of honest) {
      sybilsKnown += n.knownContacts().filter((c) => sybilKeys.has(hex(c.nodeId))).length;
      sybilEdges += n.edges().filter((e) => sybilKeys.has(hex(e.id))).length;
    }
    sybilEdges += sybilNodes.reduce((s, n) => s + n.edges().length, 0);
    const joinsRejected = S - (joinErrors.get('CONNECTED') ?? 0);
    const dialsRejected = S - (dialErrors.get('CONNECTED') ?? 0);
    const drops = sumDrops(honest, ['subPow', 'identifyFailed', 'edgeRefused', 'badSignature']);
    return {
      attack: 'Sybil below the PoW difficulty',
      attempts: `${S} identities under ${difficulty} bits: ${S} joins (dial + Identify), ${S} dials asked of honest nodes, ${routed} routed envelopes (DATA, LOOKUP, HELLO), ${gossiped.length} gossiped records; ${H} honest nodes`,
      outcome: `joins refused ${joinsRejected}/${S} (${[...joinErrors].map(([k, v]) => `${k} ${v}`).join(', ')}), honest dials refused ${dialsRejected}/${S} (${[...dialErrors].map(([k, v]) => `${k} ${v}`).join(', ')}), routed dropped ${routedDrops}/${routed}, gossip dropped ${gossipDrops}/${gossiped.length}; Sybils in knowledge tables ${sybilsKnown}, edges with Sybils ${sybilEdges}`,
      drops,
      metrics: { sybils: S, joinsRejected, dialsRejected, routed, routedDrops, gossiped: gossiped.length, gossipDrops, sybilsKnown, sybilEdges, subPow: drops.subPow },
    };
  } finally {
    await world.close();
  }
}

// ---------------------------------------------------------------------------------------------------

export interface EclipseOptions {
  honest?: number;
  attackers?: number;
  /** The attackers advertise addresses in other /24s than the one their packets come from. */
  lying?: boolean;
  /** false: the victim runs without subnet caps (noSubnet), the baseline the caps are measured against. */
  caps?: boolean;
  attackMs?: number;
  targetDegree?: number;
  seed?: number;
}

/**
 * Eclipse: `attackers` valid identities in one /24 (10.66.6.0/24) go after one victim: every attacker
 * dials it again and again, completes Identify, answers its lookups with 16 attacker records each time,
 * and black-holes every routed message it is handed. Measured at the victim: the share of its knowledge
 * table and of its live edges the attacker holds, the most edges any one /24 holds, and whether routed
 * messages to and from every honest node still arrive (acknowledged end to end).
 */
export async function eclipseScenario(o: EclipseOptions = {}): Promise<ScenarioResult> {
  const H = o.honest ?? 16;
  const M = o.attackers ?? 100;
  const lying = o.lying ?? false;
  const caps = o.caps ?? true;
  const attackMs = o.attackMs ?? 40_000;
  const seed = o.seed ?? 2;
  const world = new World(seed);
  try {
    const ids = identities(H, 0, seed * 1_000_000);
    const victimIndex = 5;
    const honest = await world.cluster(H, ids, { targetDegree: o.targetDegree ?? 8 }, (i) => (i === victimIndex && !caps ? { noSubnet: true } : {}));
    const victim = honest[victimIndex];
    await world.clock.advance(20_000);

    const attackerIds = identities(M, 0, seed * 1_000_000 + 500_000);
    const attackerKeys = new Set(attackerIds.map((a) => hex(a.nodeId)));
    const records: Uint8Array[] = [];
    let cursor = 0;
    const gossip = () => {
      const out: Uint8Array[] = [];
      for (let k = 0; k < 16; k++) out.push(records[cursor++ % records.length]);
      return out;
    };
    const rogues: Rogue[] = [];
    for (let j = 0; j < M; j++) {
      // One /24 for all: 10.66.6.1 ... (a /24 has 254 hosts; more attackers share hosts on other ports).
      const host = `10.66.6.${1 + (j % 254)}`;
      const advertise = lying ? [{ host: `10.${100 + (j >> 8)}.${j & 255}.1`, port: 4000 }] : undefined;
      const rogue = await Rogue.open(attackerIds[j], { transport: world.net.createTransport(host, 4000 + Math.floor(j / 254)), clock: world.clock, advertise, gossip });
      world.rogues.push(rogue);
      rogues.push(rogue);
      records.push(rogue.record);
    }
    const before = victim.stats();
    let dials = 0;
    let dialsFailed = 0;
    const dialing = new Set<Rogue>();
    for (let t = 0; t < attackMs; t += 2_000) {
      for (const r of rogues) {
        if (dialing.has(r) || r.linkTo(victim.id) !== undefined) continue;
        dialing.add(r);
        dials++;
        r.dial(victim, 1_500).then(
          () => dialing.delete(r),
          () => {
            dialsFailed++;
            dialing.delete(r);
          },
        );
      }
      await world.clock.advance(2_000);
    }
    const edges = victim.edges();
    const attackerEdges = edges.filter((e) => attackerKeys.has(hex(e.id))).length;
    const known = victim.knownContacts();
    const attackerKnown = known.filter((c) => attackerKeys.has(hex(c.nodeId))).length;
    const perSubnet = new Map<string, number>();
    for (const e of edges) {
      const s = subnetOfHost(e.address.host) ?? '?';
      perSubnet.set(s, (perSubnet.get(s) ?? 0) + 1);
    }
    const maxEdgesPerSubnet = Math.max(...perSubnet.values());
    const routedToAttackers = rogues.reduce((s, r) => s + r.routedReceived, 0);
    const others = honest.filter((n) => n !== victim);
    const fromVictim = await ackedSends(world, others.map((n) => [victim, n]));
    const toVictim = await ackedSends(world, others.map((n) => [n, victim]));
    const routedToAttackersAfter = rogues.reduce((s, r) => s + r.routedReceived, 0) - routedToAttackers;
    const after = victim.stats();
    const d = (r: DropName) => after.drops[r] - before.drops[r];
    const drops = { subnetFull: d('subnetFull'), knowledgeSubnetFull: d('knowledgeSubnetFull'), inboundFull: d('inboundFull'), unsolicited: d('unsolicited') };
    const pct = (a: number, b: number) => (b === 0 ? 0 : Math.round((1000 * a) / b) / 10);
    return {
      attack: `Eclipse from one /24${lying ? ' (advertising addresses in other /24s)' : ''}${caps ? '' : ' - victim WITHOUT subnet caps (baseline)'}`,
      attempts: `${M} valid identities in 10.66.6.0/24, ${dials} dials over ${attackMs / 1000} s (Identify, 16 attacker records per lookup answer), black-holing routed traffic; ${H} honest nodes`,
      outcome: `attacker holds ${attackerEdges}/${edges.length} live edges (${pct(attackerEdges, edges.length)} %) and ${attackerKnown}/${known.length} known contacts (${pct(attackerKnown, known.length)} %); at most ${maxEdgesPerSubnet} edges per /24; acked sends victim->honest ${fromVictim}/${others.length}, honest->victim ${toVictim}/${others.length} (${routedToAttackersAfter} copies black-holed)`,
      drops,
      metrics: {
        attackers: M,
        dials,
        dialsFailed,
        edges: edges.length,
        attackerEdges,
        known: known.length,
        attackerKnown,
        maxEdgesPerSubnet,
        fromVictim,
        toVictim,
        honestPeers: others.length,
        blackholed: routedToAttackersAfter,
        ...drops,
      },
    };
  } finally {
    await world.close();
  }
}

// ---------------------------------------------------------------------------------------------------

export interface SquatOptions {
  squatters?: number;
  maxInbound?: number;
  caps?: boolean;
  seed?: number;
}

/**
 * Inbound slot squatting (the "flood it with dials" half of an eclipse): `squatters` valid identities
 * in one /24 keep sessions open to the victim without ever sending Identify (each lives until the
 * victim's identify deadline, then is redialed at once). Meanwhile an honest node joins through the
 * victim. Measured: the most unverified sessions the /24 held, and whether the newcomer got its edge.
 */
export async function squatScenario(o: SquatOptions = {}): Promise<ScenarioResult> {
  const S = o.squatters ?? 40;
  const maxInbound = o.maxInbound ?? 32;
  const caps = o.caps ?? true;
  const seed = o.seed ?? 8;
  const world = new World(seed);
  try {
    const ids = identities(10, 0, seed * 1_000_000);
    const honest = await world.cluster(8, ids, { targetDegree: 4 }, (i) => (i === 2 ? { maxInboundEdges: maxInbound, ...(caps ? {} : { noSubnet: true }) } : {}));
    const victim = honest[2];
    await world.clock.advance(10_000);
    const before = victim.stats();
    const squatters: Rogue[] = [];
    for (let j = 0; j < S; j++) {
      const rogue = await Rogue.open(identities(1, 0, seed * 1_000_000 + 500_000 + j * 1_000)[0], { transport: world.net.createTransport(`10.66.6.${1 + j}`, 4000), clock: world.clock, identify: false });
      world.rogues.push(rogue);
      squatters.push(rogue);
    }
    let dials = 0;
    let peakSessions = 0;
    const dialing = new Set<Rogue>();
    const squat = () => {
      for (const r of squatters) {
        if (dialing.has(r) || r.links.size > 0) continue;
        dialing.add(r);
        dials++;
        r.dial(victim, 1_000).then(
          () => dialing.delete(r),
          () => dialing.delete(r),
        );
      }
      peakSessions = Math.max(peakSessions, victim.stats().sessions - victim.stats().edges.total);
    };
    for (let t = 0; t < 3_000; t += 250) {
      squat();
      await world.clock.advance(250);
    }
    // An honest newcomer joins through the victim while the squat goes on.
    const newcomer = await world.node(ids[9], simHost(50), { maintenance: false, bootstrap: [victim.contact] });
    let joinedAfterMs = -1;
    const joinStart = world.clock.now();
    for (let t = 0; t < 12_000; t += 250) {
      squat();
      if (joinedAfterMs < 0 && newcomer.edges().some((e) => hex(e.id) === hex(victim.id))) joinedAfterMs = world.clock.now() - joinStart;
      await world.clock.advance(250);
    }
    const after = victim.stats();
    const d = (r: DropName) => after.drops[r] - before.drops[r];
    const drops = { subnetFull: d('subnetFull'), inboundFull: d('inboundFull') };
    return {
      attack: `Inbound slot squatting from one /24${caps ? '' : ' - victim WITHOUT subnet caps (baseline)'}`,
      attempts: `${S} valid identities in 10.66.6.0/24 keep ${dials} sessions open without Identify over 15 s; victim accepts ${maxInbound} inbound; an honest node joins through the victim`,
      outcome: `at most ${peakSessions} unverified sessions held at once; the newcomer ${joinedAfterMs >= 0 ? `got its edge after ${joinedAfterMs} ms` : 'never got an edge'}`,
      drops,
      metrics: { squatters: S, dials, peakSessions, joined: joinedAfterMs >= 0 ? 1 : 0, joinedAfterMs, ...drops },
    };
  } finally {
    await world.close();
  }
}

// ---------------------------------------------------------------------------------------------------

/**
 * Forged rendezvous replies: A connects to T by NodeID while T's address in A's table is stale (T
 * restarted on another port), so A must rendezvous. Mallory, one of A's two edges, sees the Hello and
 * answers first with: a Reply signed by herself (right nonce), a Reply of hers carrying T's keys and
 * her own address (redirection), a Reply claiming T's keys but signed by her, a Reply T signed two
 * minutes ago (replayed capture), a Reply T signed for an earlier rendezvous (old nonce), and a gossiped
 * record of T's keys with her address. The genuine Reply comes later over a slow honest path.
 */
export async function rendezvousScenario(o: { seed?: number } = {}): Promise<ScenarioResult> {
  const seed = o.seed ?? 3;
  const world = new World(seed);
  try {
    const [hId, tId, aId, mId] = identities(4, 0, seed * 1_000_000);
    const h = await world.node(hId, simHost(0), { maintenance: false });
    let t = await world.node(tId, simHost(1), { maintenance: false, bootstrap: [h.contact] });
    const a = await world.node(aId, simHost(2), { maintenance: false, bootstrap: [h.contact] });
    await world.clock.runUntil(() => a.knownContacts().some((c) => hex(c.nodeId) === hex(tId.nodeId)), { maxMs: 5_000 });
    const stale = a.knownContacts().find((c) => hex(c.nodeId) === hex(tId.nodeId))!.addresses[0];
    // T restarts on another port: A's table now holds a stale address.
    await settle(world.clock, t.stop(), 5_000);
    t = await world.node(tId, simHost(1), { maintenance: false, bootstrap: [h.contact] }, 4001);
    await world.clock.runUntil(() => h.edges().some((e) => hex(e.id) === hex(tId.nodeId)), { maxMs: 5_000 });
    // The honest path is slow, so every forgery arrives before the genuine reply.
    world.net.setLink(simHost(0), simHost(1), { latencyMs: 300 });
    const mallory = await world.rogue(mId, simHost(3), { gossip: () => [recordWith(tId, [{ host: simHost(3), port: 4000 }])] });
    mallory.keepRouted = true;
    void mallory.dial(a).catch(() => {});
    const link = await waitLinked(world, mallory, a.id);
    await world.clock.runUntil(() => mallory.lookupsAnswered > 0, { maxMs: 5_000 });
    await world.clock.advance(100);
    const before = a.stats();
    const connecting = new Outcomes<Awaited<ReturnType<Node['connect']>>>();
    connecting.add(a.connect(tId.nodeId, { timeoutMs: 8_000 }));
    let nonce: Uint8Array | null = null;
    await world.clock.runUntil(
      () => {
        for (const ev of mallory.routedEvents) {
          const env = decodeEnvelope(ev.payload);
          if (env.ok && env.value.payloadType === ROUTED_HELLO) {
            const hello = decodeRendezvous(env.value.payload);
            if (hello.ok) nonce = copyBytes(hello.value.nonce);
          }
        }
        return nonce !== null;
      },
      { maxMs: 5_000 },
    );
    const n = nonce!;
    const now = world.clock.now();
    const redirected = recordWith(tId, [{ host: simHost(3), port: 4000 }]);
    const forgeries = [
      craftEnvelope({ signer: mId, payloadType: ROUTED_REPLY, target: aId.nodeId, payload: encodeRendezvous({ nonce: n, record: mallory.record }), sentMs: now }),
      craftEnvelope({ signer: mId, payloadType: ROUTED_REPLY, target: aId.nodeId, payload: encodeRendezvous({ nonce: n, record: redirected }), sentMs: now }),
      craftEnvelope({ signer: tId, signWith: mId, payloadType: ROUTED_REPLY, target: aId.nodeId, payload: encodeRendezvous({ nonce: n, record: redirected }), sentMs: now }),
      craftEnvelope({ signer: tId, payloadType: ROUTED_REPLY, target: aId.nodeId, payload: encodeRendezvous({ nonce: new Uint8Array(n.length).fill(1), record: recordWith(tId, [stale]) }), sentMs: now - 120_000 }),
      craftEnvelope({ signer: tId, payloadType: ROUTED_REPLY, target: aId.nodeId, payload: encodeRendezvous({ nonce: new Uint8Array(n.length).fill(2), record: recordWith(tId, [stale]) }), sentMs: now - 5_000 }),
    ];
    for (const f of forgeries) await mallory.sendRouted(link, f);
    await world.clock.runUntil(() => connecting.done, { maxMs: 10_000 });
    const result = connecting.results[0];
    // After the fact: the first forgery again (its nonce is no longer pending).
    await mallory.sendRouted(link, forgeries[0]);
    await world.clock.advance(500);
    const after = a.stats();
    const d = (r: DropName) => after.drops[r] - before.drops[r];
    const drops = { forgedReply: d('forgedReply'), badSignature: d('badSignature'), stale: d('stale'), unsolicited: d('unsolicited'), duplicate: d('duplicate') };
    const real = { host: simHost(1), port: 4001 };
    const connectedTo = result.ok ? result.value.remoteAddress : null;
    const reachedReal = connectedTo !== null && connectedTo.host === real.host && connectedTo.port === real.port ? 1 : 0;
    const knownT = a.knownContacts().find((c) => hex(c.nodeId) === hex(tId.nodeId));
    const knownAtMallory = knownT?.addresses.some((x) => x.host === simHost(3)) ? 1 : 0;
    return {
      attack: 'Forged rendezvous replies',
      attempts: `${forgeries.length + 1} forged or replayed Replies (wrong signer, redirected address, forged signature, 2-min-old capture, old nonce, replay after completion) + 1 gossiped redirect of T's record`,
      outcome: `connect() ${result.ok ? 'reached the real T' : `failed: ${(result as { error: Error }).error.message}`} at ${connectedTo === null ? '-' : `${connectedTo.host}:${connectedTo.port}`}; A's table holds T at ${knownT?.addresses.map((x) => `${x.host}:${x.port}`).join(',') ?? '-'}; rendezvous completed ${after.counters.rendezvousCompleted - before.counters.rendezvousCompleted}`,
      drops,
      metrics: { forgeries: forgeries.length + 1, connected: result.ok ? 1 : 0, reachedReal, knownAtMallory, ...drops },
    };
  } finally {
    await world.close();
  }
}

// ---------------------------------------------------------------------------------------------------

export interface LookupFloodOptions {
  honest?: number;
  flood?: number;
  honestLookups?: number;
  seed?: number;
}

/**
 * Lookup flood: an attacker with an edge to one node floods routed lookups from one originator toward
 * a victim across the overlay (`flood` of them over 2 s), while an honest originator elsewhere sends
 * its own lookups toward the same victim and honest nodes exchange acknowledged messages.
 */
export async function lookupFloodScenario(o: LookupFloodOptions = {}): Promise<ScenarioResult> {
  const H = o.honest ?? 16;
  const F = o.flood ?? 1_000;
  const G = o.honestLookups ?? 20;
  const seed = o.seed ?? 4;
  const world = new World(seed);
  try {
    const ids = identities(H, 0, seed * 1_000_000);
    const honest = await world.cluster(H, ids, {});
    await world.clock.advance(20_000);
    const victim = honest[9];
    const entry = honest[2];
    const home = honest[4];
    // The honest originator's ID is closer to `home` than to any other node, so answers routed back
    // to it end at `home`, which holds its edge.
    const [attackerId, badOrigin] = identities(2, 0, seed * 1_000_000 + 500_000);
    let goodId: Identity | undefined;
    for (let s = seed * 1_000_000 + 700_000; goodId === undefined; s += 1) {
      const [c] = identities(1, 0, s);
      const d = (x: Uint8Array) => Buffer.from(x.map((b, i) => b ^ c.nodeId[i]));
      if (honest.every((n) => n === home || Buffer.compare(d(home.id), d(n.id)) < 0)) goodId = c;
      else c.destroy();
    }
    const attacker = await world.rogue(attackerId, '10.90.0.1');
    const good = await world.rogue(goodId, '10.91.0.1');
    good.keepRouted = true;
    void attacker.dial(entry).catch(() => {});
    void good.dial(home).catch(() => {});
    const aLink = await waitLinked(world, attacker, entry.id);
    const gLink = await waitLinked(world, good, home.id);
    const before = honest.map((n) => n.stats());
    const nonces = new Set<string>();
    const rounds = 10;
    let floodSent = 0;
    const acked = startAckedSends(Array.from({ length: 10 }, (_, k) => [honest[k], honest[(k * 7 + 3) % H]] as [Node, Node]).filter(([a, b]) => a !== b));
    for (let r = 0; r < rounds; r++) {
      const now = world.clock.now();
      for (let k = 0; k < F / rounds; k++) {
        const nonce = new Uint8Array(8);
        seededRandom(floodSent + 1)(nonce);
        await attacker.sendRouted(aLink, craftEnvelope({ signer: badOrigin, payloadType: ROUTED_LOOKUP, target: victim.id, payload: nonce, sentMs: now }));
        floodSent++;
      }
      for (let k = 0; k < G / rounds; k++) {
        const nonce = new Uint8Array(8);
        seededRandom(1_000_000 + nonces.size)(nonce);
        nonces.add(hex(nonce));
        await good.sendRouted(gLink, craftEnvelope({ signer: goodId, payloadType: ROUTED_LOOKUP, target: victim.id, payload: nonce, sentMs: now }));
      }
      await world.clock.advance(200);
    }
    await world.clock.runUntil(() => acked.done, { maxMs: 12_000 });
    const ackedOk = acked.codes().get('OK') ?? 0;
    await world.clock.advance(3_000);
    const answered = new Set<string>();
    for (const ev of good.routedEvents) {
      const env = decodeEnvelope(ev.payload);
      if (!env.ok || env.value.payloadType !== ROUTED_NEIGHBORS) continue;
      const nb = decodeNeighbors(env.value.payload);
      if (nb.ok && nonces.has(hex(nb.value.nonce))) answered.add(hex(nb.value.nonce));
    }
    const after = honest.map((n) => n.stats());
    const delta = (r: DropName) => after.reduce((s, x, i) => s + x.drops[r] - before[i].drops[r], 0);
    const answers = after.reduce((s, x, i) => s + x.counters.lookupsAnswered - before[i].counters.lookupsAnswered, 0);
    const drops = { originatorRateLimited: delta('originatorRateLimited'), edgeRateLimited: delta('edgeRateLimited'), nextHopFailed: delta('nextHopFailed') };
    const floodAnswered = answers - answered.size;
    return {
      attack: 'Lookup flood from one originator',
      attempts: `${floodSent} routed lookups in 2 s from one originator (entering at one node, toward one victim); meanwhile ${nonces.size} honest lookups from another originator and ${10} acked sends; ${H} nodes`,
      outcome: `flood answered ${floodAnswered}/${floodSent} (burst 32 + 16/s per originator); honest lookups answered ${answered.size}/${nonces.size}; acked sends ${ackedOk}/10`,
      drops,
      metrics: { floodSent, floodAnswered, honestLookups: nonces.size, honestAnswered: answered.size, ackedOk, ...drops },
    };
  } finally {
    await world.close();
  }
}

// ---------------------------------------------------------------------------------------------------

export interface RelayAbuseOptions {
  seed?: number;
  /** Packets of 1,200 bytes the abuser pushes through one pair as fast as it can. */
  floodPackets?: number;
  transferBytes?: number;
}

/**
 * Relay abuse: A and B (both behind symmetric NATs) talk through relay R with a reliable channel. An
 * abuser C with a valid identity and an edge to R sends FORWARD frames toward nodes R has no edge to,
 * opens pairs toward every neighbour of R to take its session slots, and floods one pair with packets
 * far beyond the per-pair packets/s and bytes/s caps. Afterwards a new NATed node D must still get a
 * relayed session to A. Measured: REFUSED frames by reason, A-B's transfer intact, D's connect.
 */
export async function relayAbuseScenario(o: RelayAbuseOptions = {}): Promise<ScenarioResult> {
  const seed = o.seed ?? 5;
  const floodPackets = o.floodPackets ?? 2_000;
  const transferBytes = o.transferBytes ?? 256 * 1024;
  const world = new World(seed, 10);
  const symmetric = (publicHost: string) => world.net.addNat({ publicHost, mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' });
  try {
    const ids = identities(8, 0, seed * 1_000_000);
    const limits = { maxSessions: 4, maxSessionsPerPeer: 2, packetsPerSecond: 500, bytesPerSecond: 512 * 1024 };
    const publics: Node[] = [];
    for (let i = 0; i < 3; i++) {
      publics.push(await world.node(ids[i], simHost(i), { maintenance: false, bootstrap: publics.map((p) => p.contact), ...(i === 0 ? { relay: true, relayLimits: limits } : {}) }));
    }
    const relay = publics[0];
    const bootstrap = publics.map((p) => p.contact);
    const a = await world.node(ids[3], '192.168.1.2', { maintenance: false, bootstrap }, 4000, symmetric('203.0.113.1'));
    const b = await world.node(ids[4], '192.168.2.2', { maintenance: false, bootstrap }, 4000, symmetric('198.51.100.1'));
    await world.clock.runUntil(() => a.edges().length === 3 && b.edges().length === 3, { maxMs: 10_000 });
    const ab = await settle(world.clock, a.connect(b.id), 12_000);
    if (!ab.ok) throw ab.error;

    // A steady transfer A -> B over the relayed session, running through the whole attack.
    const data = new Uint8Array(transferBytes);
    seededRandom(99)(data);
    const received: Uint8Array[] = [];
    let receivedBytes = 0;
    b.on('channel', ({ channel }) => {
      void (async () => {
        for (;;) {
          const ev = await channel.recv().catch(() => null);
          if (ev === null) return;
          received.push(copyBytes(ev.payload));
          receivedBytes += ev.payload.length;
        }
      })();
    });
    const ch = await settle(world.clock, a.openChannel(b.id, 16), 2_000);
    if (!ch.ok) throw ch.error;
    const chunk = 4 * 1024;
    let sentBytes = 0;
    const sending = (async () => {
      for (let off = 0; off < data.length; off += chunk) {
        await ch.value.send(1, data.subarray(off, off + chunk));
        sentBytes += Math.min(chunk, data.length - off);
      }
    })();

    const abuser = await world.rogue(ids[5], '10.95.0.1');
    void abuser.dial(relay).catch(() => {});
    const link = await waitLinked(world, abuser, relay.id);
    const relayBefore = relay.stats().counters;
    const garbage = new Uint8Array(1_200).fill(0xee);
    let frames = 0;
    const forward = (peer: Uint8Array, n = 1) => {
      for (let k = 0; k < n; k++) {
        link.relay.send(RELAY_FORWARD, encodeRelayPacket(peer, garbage)).catch(() => {});
        frames++;
      }
    };
    // 1. Toward NodeIDs the relay has no edge to.
    const strangers = identities(20, 0, seed * 1_000_000 + 500_000);
    for (const s of strangers) forward(s.nodeId, 2);
    await world.clock.advance(200);
    // 2. One pair toward every neighbour of the relay: only maxSessionsPerPeer of them get a slot.
    for (const peer of [publics[1], publics[2], a, b]) forward(peer.id);
    await world.clock.advance(200);
    // 3. A flood through one admitted pair, far past packets/s and bytes/s: 100 frames every 20 ms
    // (5,000 packets/s, 5.9 MB/s) against caps of 500 packets/s and 512 KiB/s.
    for (let sent = 0; sent < floodPackets; sent += 100) {
      forward(publics[1].id, Math.min(100, floodPackets - sent));
      await world.clock.advance(20);
    }
    await world.clock.advance(1_000);

    // A new NATed node wants a relayed session too: the abuser must not have taken every slot.
    const d = await world.node(ids[6], '192.168.3.2', { maintenance: false, bootstrap }, 4000, symmetric('192.0.2.1'));
    await world.clock.runUntil(() => d.edges().length === 3, { maxMs: 10_000 });
    const dConnect = await settle(world.clock, d.connect(a.id), 12_000);
    await settle(world.clock, sending, 60_000);
    await world.clock.runUntil(() => receivedBytes >= data.length, { maxMs: 30_000 });
    const got = Buffer.concat(received);
    const intact = got.length === data.length && createHash('sha256').update(got).digest('hex') === createHash('sha256').update(data).digest('hex') ? 1 : 0;

    const byReason: Record<string, number> = {};
    for (const ev of abuser.relayEvents) {
      if (ev.type !== RELAY_REFUSED) continue;
      const r = decodeRelayRefusal(ev.payload);
      const reason = r.ok ? r.value.reason : 'malformed';
      byReason[reason] = (byReason[reason] ?? 0) + 1;
    }
    const relayAfter = relay.stats().counters;
    const refused = relayAfter.relayRefused - relayBefore.relayRefused;
    const c = (k: keyof NodeStats['counters']) => relayAfter[k] - relayBefore[k];
    const drops = { relayRefusedNoEdge: c('relayRefusedNoEdge'), relayRefusedSessionsFull: c('relayRefusedSessionsFull'), relayRefusedRateLimited: c('relayRefusedRateLimited') };
    const admitted = relayAfter.relayedPackets - relayBefore.relayedPackets;
    return {
      attack: 'Relay abuse',
      attempts: `${frames} FORWARD frames of 1,200 B: ${strangers.length * 2} toward nodes the relay has no edge to, 4 new pairs (caps: ${limits.maxSessions} sessions, ${limits.maxSessionsPerPeer} per client, ${limits.packetsPerSecond} packets/s, ${limits.bytesPerSecond / 1024} KiB/s per pair), ${floodPackets} in one burst through one pair`,
      outcome: `relay refused ${refused} (REFUSED frames the abuser got back: ${Object.entries(byReason).map(([k, v]) => `${k} ${v}`).join(', ')}); relayed packets during the attack ${admitted} (A-B transfer included); A->B ${transferBytes / 1024} KiB ${intact ? 'intact' : 'CORRUPT'} (${sentBytes} B sent); new relayed pair D->A ${dConnect.ok ? 'connected' : `failed (${(dConnect as { error: Error }).error.message})`}`,
      drops,
      metrics: { frames, refused, noEdge: drops.relayRefusedNoEdge, sessionsFull: drops.relayRefusedSessionsFull, rateLimited: drops.relayRefusedRateLimited, refusedSeen: Object.values(byReason).reduce((x, y) => x + y, 0), intact, dConnected: dConnect.ok ? 1 : 0 },
    };
  } finally {
    await world.close();
  }
}
