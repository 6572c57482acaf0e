/**
 * Persistence (issue 5 item 7): the knowledge table is saved in the data directory (level) on stop and
 * loaded on start, so a restarted node rejoins without a bootstrap contact; corrupt, foreign or
 * unreadable data is reported through 'warning' and skipped, never fatal.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/identity/index.js';
import { createNode, type Node } from '../../src/node/index.js';
import { activeResources, waitForNoLeaks } from '../support/resources.js';
import { FAST_MAINTENANCE, hex, loopbackHost, startNode, stopAll, until } from './fixtures.js';
import { recordOf } from './rogue-peer.js';

const started: Node[] = [];
const dirs: string[] = [];
let before: Map<string, number>;

beforeEach(() => {
  before = activeResources();
});

afterEach(async () => {
  await stopAll(started);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  expect(await waitForNoLeaks(before)).toEqual([]);
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'wiremesh-node-'));
  dirs.push(d);
  return d;
}

function warnings(node: Node): Array<{ code: string; message: string }> {
  const list: Array<{ code: string; message: string }> = [];
  node.on('warning', (w: { code: string; message: string }) => list.push(w));
  return list;
}

describe('knowledge persistence', () => {
  it('a restarted node rejoins from its saved knowledge without any bootstrap contact', async () => {
    const dataDir = await tempDir();
    const peers = [
      await startNode({ host: loopbackHost(1), maintenance: FAST_MAINTENANCE }, started),
    ];
    peers.push(await startNode({ host: loopbackHost(2), maintenance: FAST_MAINTENANCE, bootstrap: [peers[0].contact] }, started));
    const first = await startNode({ dataDir, host: loopbackHost(3), maintenance: FAST_MAINTENANCE, bootstrap: [peers[0].contact] }, started);
    await until(() => first.stats().knownContacts === 2, 3_000, 'the node to learn both peers');
    const id = hex(first.id);
    await first.stop();
    expect(first.stats().running).toBe(false);

    const again = createNode({ dataDir, host: loopbackHost(4), maintenance: FAST_MAINTENANCE });
    started.push(again);
    const seen = warnings(again);
    await again.start();
    expect(hex(again.id)).toBe(id); // the seed file too
    expect(again.stats().counters.knowledgeLoaded).toBe(2);
    await until(() => again.edges().length === 2, 3_000, 'the rejoin');
    expect(seen).toEqual([]);
  });

  it('corrupt entries are reported and skipped; the good ones load', async () => {
    const dataDir = await tempDir();
    const n1 = await startNode({ dataDir, host: loopbackHost(10), maintenance: false }, started);
    const id = n1.identity.nodeId.slice();
    await n1.stop();
    const good = Identity.generate();
    const db = new Level<string, Uint8Array>(join(dataDir, 'knowledge'), { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    const meta = new Uint8Array(33);
    meta[0] = 1;
    meta.set(id, 1);
    const value = (record: Uint8Array) => {
      const v = new Uint8Array(9 + record.length);
      v[0] = 1;
      v.set(record, 9);
      return v;
    };
    await db.batch([
      { type: 'put', key: 'meta', value: meta },
      { type: 'put', key: `contact/${hex(good.nodeId)}`, value: value(recordOf(good, '198.51.100.7', 4242)) },
      { type: 'put', key: 'contact/garbage', value: Uint8Array.of(1, 2, 3) },
      { type: 'put', key: `contact/${hex(Identity.generate().nodeId)}`, value: value(recordOf(good, '198.51.100.8', 4242)) }, // key and record disagree
      { type: 'put', key: 'other/thing', value: Uint8Array.of(9) },
    ]);
    await db.close();
    const n2 = createNode({ dataDir, host: loopbackHost(11), maintenance: false });
    started.push(n2);
    const seen = warnings(n2);
    await n2.start();
    expect(seen.map((w) => w.code)).toEqual(['KNOWLEDGE_CORRUPT']);
    expect(seen[0].message).toMatch(/3 stored knowledge entries/);
    expect(n2.knownContacts().map((c) => [hex(c.nodeId), c.addresses])).toEqual([[hex(good.nodeId), [{ host: '198.51.100.7', port: 4242 }]]]);
  });

  it("another node's knowledge is reported as foreign and ignored; an unreadable store is reported and the node runs", async () => {
    const shared = await tempDir();
    const a = await startNode({ dataDir: shared, host: loopbackHost(20), maintenance: false, bootstrap: [] }, started);
    const helper = await startNode({ host: loopbackHost(21), maintenance: false, bootstrap: [a.contact] }, started);
    await until(() => a.stats().knownContacts === 1, 2_000, 'a to learn the helper');
    await a.stop();
    await helper.stop();
    // Same data directory, different identity (the seed file is replaced by an explicit identity).
    const b = createNode({ dataDir: shared, identity: Identity.generate(), host: loopbackHost(22), maintenance: false });
    started.push(b);
    const seenB = warnings(b);
    await b.start();
    expect(seenB.map((w) => w.code)).toEqual(['KNOWLEDGE_FOREIGN']);
    expect(b.stats().knownContacts).toBe(0);
    await b.stop();

    const broken = await tempDir();
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'knowledge'), 'not a directory');
    const c = createNode({ dataDir: broken, host: loopbackHost(23), maintenance: false });
    started.push(c);
    const seenC = warnings(c);
    await c.start();
    expect(seenC.map((w) => w.code)).toEqual(['KNOWLEDGE_UNAVAILABLE']);
    expect(c.running).toBe(true);
  });
});
