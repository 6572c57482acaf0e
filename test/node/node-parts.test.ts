/**
 * The node's pure parts: dedupe window, per-originator buckets, solicited-lookup registry, the
 * simultaneous-dial preference, observed-address tallies, the async delivery queue, Identify checks,
 * and option validation (one clear InvalidArgumentError per bad option).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Identity } from '../../src/identity/index.js';
import { OriginatorBudgets, PendingLookups, SeenMessages, createNode, preferSession, resolveNodeOptions } from '../../src/node/index.js';
import { AsyncQueue } from '../../src/node/async-queue.js';
import { buildIdentify, checkIdentify } from '../../src/node/identify-check.js';
import { ObservedAddresses } from '../../src/node/observed-addresses.js';
import { recordOf } from './rogue-peer.js';

describe('SeenMessages', () => {
  it('reports duplicates until the entry expires, extends retention, and stays within capacity', () => {
    const seen = new SeenMessages(3);
    expect(seen.record('a', 0, 100)).toBeUndefined();
    expect(seen.record('a', 50, 200)).toMatchObject({ expiresAtMs: 200 });
    expect(seen.record('a', 150, 120)?.expiresAtMs).toBe(200); // never shortened
    expect(seen.record('a', 200, 300)).toBeUndefined(); // expired at 200: new again
    seen.record('b', 210, 400);
    seen.record('c', 210, 400);
    seen.record('d', 210, 400); // full: the oldest ('a') goes
    expect(seen.size).toBe(3);
    expect(seen.get('a')).toBeUndefined();
    expect(seen.record('b', 220, 400)).toBeDefined();
    seen.prune(400);
    expect(seen.size).toBe(0);
  });
});

describe('OriginatorBudgets', () => {
  it('allows the burst, then the rate, per originator', () => {
    const b = new OriginatorBudgets({ burst: 4, ratePerSecond: 2 }, 10);
    const takes = Array.from({ length: 6 }, () => b.take('x', 0));
    expect(takes).toEqual([true, true, true, true, false, false]);
    expect(b.take('y', 0)).toBe(true);
    expect(b.take('x', 500)).toBe(true); // one token after 0.5 s at 2/s
    expect(b.take('x', 500)).toBe(false);
  });

  it('evicts refilled buckets first and keeps throttled ones when the table is full', () => {
    const b = new OriginatorBudgets({ burst: 2, ratePerSecond: 1 }, 2);
    b.take('throttled', 0);
    b.take('throttled', 0);
    b.take('idle', 0);
    // 'idle' refills by t = 1 s; 'throttled' (empty at 0) has 1 token.
    b.take('new', 1_000);
    expect(b.size).toBe(2);
    expect(b.take('throttled', 1_000)).toBe(true);
    expect(b.take('throttled', 1_000)).toBe(false); // its state survived the eviction
  });
});

describe('PendingLookups', () => {
  it('accepts only issued, unexpired nonces, from the expected peer, up to the answer cap', () => {
    const p = new PendingLookups(30_000, 2, 10);
    p.issue('n1', 'peerA', 0);
    p.issue('n2', undefined, 0);
    expect(p.accept('nX', 'peerA', 1)).toBe(false);
    expect(p.accept('n1', 'peerB', 1)).toBe(false);
    expect(p.accept('n1', 'peerA', 1)).toBe(true);
    expect(p.accept('n2', 'anyone', 1)).toBe(true);
    expect(p.accept('n2', 'another', 2)).toBe(true);
    expect(p.accept('n2', 'third', 3)).toBe(false); // cap of 2 answers
    expect(p.accept('n1', 'peerA', 30_000)).toBe(false); // expired
  });

  it('forgets the oldest when full', () => {
    const p = new PendingLookups(30_000, 8, 2);
    p.issue('a', undefined, 0);
    p.issue('b', undefined, 0);
    p.issue('c', undefined, 0);
    expect(p.size).toBe(2);
    expect(p.accept('a', 'x', 1)).toBe(false);
    expect(p.accept('c', 'x', 1)).toBe(true);
  });
});

describe('preferSession', () => {
  it('keeps the session initiated by the smaller NodeID; both ends agree (antisymmetric)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (i1, h1, i2, h2) => {
        const a = { initiatorId: i1, handshakeHash: h1 };
        const b = { initiatorId: i2, handshakeHash: h2 };
        expect(preferSession(a, b)).toBe(-preferSession(b, a) as -1 | 0 | 1);
        if (Buffer.compare(i1, i2) !== 0) expect(preferSession(a, b)).toBe(Buffer.compare(i1, i2) < 0 ? -1 : 1);
      }),
    );
    const id = new Uint8Array(32).fill(5);
    expect(preferSession({ initiatorId: id, handshakeHash: Uint8Array.of(1) }, { initiatorId: id, handshakeHash: Uint8Array.of(2) })).toBe(-1);
  });
});

describe('ObservedAddresses', () => {
  it('keeps one report per reporter and tallies them', () => {
    const o = new ObservedAddresses(3);
    o.report('r1', '203.0.113.5:4242');
    o.report('r2', '203.0.113.5:4242');
    o.report('r3', '198.51.100.1:9');
    o.report('r3', '203.0.113.5:4242'); // latest wins
    expect(o.tally()).toEqual([{ address: '203.0.113.5:4242', reporters: 3 }]);
    o.report('r4', '192.0.2.1:1'); // full: oldest reporter (r1) goes
    o.remove('r2');
    expect(o.tally()).toEqual([
      { address: '192.0.2.1:1', reporters: 1 },
      { address: '203.0.113.5:4242', reporters: 1 },
    ]);
  });
});

describe('AsyncQueue', () => {
  it('hands items to waiting readers, buffers up to capacity, and ends after close', async () => {
    const q = new AsyncQueue<number>(2);
    const first = q.next();
    expect(q.push(1)).toBe(true);
    expect(await first).toEqual({ done: false, value: 1 });
    expect(q.push(2)).toBe(true);
    expect(q.push(3)).toBe(true);
    expect(q.push(4)).toBe(false);
    q.close();
    expect(q.push(5)).toBe(false);
    const seen: number[] = [];
    for await (const v of q) seen.push(v);
    expect(seen).toEqual([2, 3]);
  });
});

describe('checkIdentify', () => {
  const hh = new Uint8Array(32).fill(3);
  const me = Identity.generate();
  const record = recordOf(me, '192.0.2.10', 4242);
  const fields = { bootId: new Uint8Array(8).fill(1), record, observed: null };

  it('accepts a valid Identify and returns the verified peer', () => {
    const check = checkIdentify(buildIdentify(me, hh, fields), hh, me.xPublicKey, 0);
    expect(check.ok).toBe(true);
    if (check.ok) {
      expect(Buffer.from(check.peer.id)).toEqual(Buffer.from(me.nodeId));
      expect(check.peer.contact.addresses).toEqual([{ host: '192.0.2.10', port: 4242 }]);
    }
  });

  it('names the reason for every refusal', () => {
    const good = buildIdentify(me, hh, fields);
    expect(checkIdentify(good.subarray(0, 20), hh, me.xPublicKey, 0)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(checkIdentify(good, hh, Identity.generate().xPublicKey, 0)).toMatchObject({ ok: false, reason: 'identifyFailed' });
    const otherHash = new Uint8Array(32).fill(4);
    expect(checkIdentify(good, otherHash, me.xPublicKey, 0)).toMatchObject({ ok: false, reason: 'badSignature' });
    const difficulty = me.leadingZeroBits + 1;
    expect(checkIdentify(good, hh, me.xPublicKey, difficulty)).toMatchObject({ ok: false, reason: 'subPow' });
    const forgedRecord = record.slice();
    forgedRecord[40] ^= 1; // the ed25519 key no longer hashes to the NodeID
    expect(checkIdentify(buildIdentify(me, hh, { ...fields, record: forgedRecord }), hh, me.xPublicKey, 0)).toMatchObject({ ok: false, reason: 'identifyFailed' });
  });
});

describe('options', () => {
  it('refuses bad options with one InvalidArgumentError naming the option', () => {
    const bad: Array<[object, RegExp]> = [
      [{ difficulty: 65 }, /difficulty/],
      [{ port: 70000 }, /port/],
      [{ bootstrap: ['nonsense'] }, /bootstrap\[0\]/],
      [{ bootstrap: 'x' }, /bootstrap must be an array/],
      [{ advertise: ['localhost'] }, /advertise\[0\]/],
      [{ targetDegree: 2 }, /targetDegree/],
      [{ keepaliveMs: 1000, deadAfterMs: 500 }, /deadAfterMs/],
      [{ maintenance: { tickMs: 0 } }, /maintenance.tickMs/],
      [{ maintenance: { tickMS: 5 } }, /maintenance.tickMS is not known/],
      [{ budgets: { forward: { burst: 0, ratePerSecond: 1 } } }, /budgets.forward/],
      [{ crypto: 'fast' }, /crypto/],
      [{ acceptEdge: 'yes' }, /acceptEdge/],
      [{ identity: {} }, /identity must be an Identity/],
      [{ listen: 4242 }, /option listen is not known/],
    ];
    for (const [options, message] of bad) {
      expect(() => createNode(options as never), JSON.stringify(options)).toThrow(message);
      try {
        resolveNodeOptions(options as never);
      } catch (err) {
        expect((err as { code: string }).code).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it('refuses an identity below the difficulty', () => {
    let weak: Identity;
    do weak = Identity.generate();
    while (weak.leadingZeroBits >= 3);
    expect(() => createNode({ identity: weak, difficulty: 3 })).toThrow(/proof of work/);
  });

  it('fills defaults', () => {
    const o = resolveNodeOptions({});
    expect(o).toMatchObject({ difficulty: 0, host: '::', port: 0, targetDegree: 24, maxInboundEdges: 256, deadAfterMs: 45_000, keepaliveMs: 10_000 });
    expect(o.maintenance?.tickMs).toBe(5_000);
    expect(o.channelReliability(16)).toBe(true);
  });
});
