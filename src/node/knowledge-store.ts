/**
 * The knowledge table on disk (issue 5 item 7), in a `level` database under the data directory, so a
 * restarted node rejoins without a bootstrap contact. Layout:
 *
 *   'meta'           version(1) = 1 | NodeID of the node that wrote it (32)
 *   'contact/<hex>'  version(1) = 1 | lastSeenMs(u64) | identity's contact record
 *
 * Loading never fails the node: an unreadable database, another node's data, or a corrupt entry is
 * reported through `onWarning` and skipped. Saving writes one batch (removing entries no longer known).
 */
import { Level } from 'level';
import { decodeContactRecord, type Contact } from '../identity/index.js';
import { idKey } from '../kad/index.js';
import { KNOWLEDGE_FORMAT_VERSION as FORMAT_VERSION } from './constants.js';

const META_KEY = 'meta';
const CONTACT_PREFIX = 'contact/';

export interface StoredContact {
  contact: Contact;
  lastSeenMs: number;
}

export type StoreWarning = (code: string, message: string) => void;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class KnowledgeStore {
  private readonly db: Level<string, Uint8Array>;
  private readonly warn: StoreWarning;
  private queue: Promise<void> = Promise.resolve();

  private constructor(db: Level<string, Uint8Array>, warn: StoreWarning) {
    this.db = db;
    this.warn = warn;
  }

  /** Opens (creating) the database, or returns null and warns when it cannot be opened. */
  static async open(location: string, warn: StoreWarning): Promise<KnowledgeStore | null> {
    const db = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      warn('KNOWLEDGE_UNAVAILABLE', `the knowledge database at ${location} cannot be opened (${(err as Error).message}); running without persistence`);
      return null;
    }
    return new KnowledgeStore(db, warn);
  }

  /** The stored contacts written by node `self`; anything else is reported and skipped. */
  async load(self: Uint8Array): Promise<StoredContact[]> {
    const out: StoredContact[] = [];
    let skipped = 0;
    let meta: Uint8Array | undefined;
    try {
      meta = await this.db.get(META_KEY);
    } catch (err) {
      this.warn('KNOWLEDGE_CORRUPT', `the knowledge database cannot be read (${(err as Error).message}); starting empty`);
      return out;
    }
    if (meta === undefined) return out;
    if (meta.length !== 33 || meta[0] !== FORMAT_VERSION || !sameBytes(meta.subarray(1), self)) {
      this.warn('KNOWLEDGE_FOREIGN', 'the stored knowledge was written by another node or format; it is ignored and will be replaced');
      return out;
    }
    try {
      for await (const [key, value] of this.db.iterator()) {
        if (key === META_KEY) continue;
        const contact = key.startsWith(CONTACT_PREFIX) ? decodeStored(value) : null;
        if (contact === null || idKey(contact.contact.nodeId) !== key.slice(CONTACT_PREFIX.length)) {
          skipped++;
          continue;
        }
        out.push(contact);
      }
    } catch (err) {
      this.warn('KNOWLEDGE_CORRUPT', `reading the knowledge database failed part-way (${(err as Error).message}); using what was read`);
    }
    if (skipped > 0) this.warn('KNOWLEDGE_CORRUPT', `${skipped} stored knowledge entries are corrupt and were skipped`);
    return out;
  }

  /** Replaces the stored table with `contacts` (serialized with other saves). */
  save(self: Uint8Array, contacts: readonly { record: Uint8Array; id: Uint8Array; lastSeenMs: number }[]): Promise<void> {
    const run = async () => {
      const keep = new Set<string>();
      const ops: Array<{ type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }> = [];
      const meta = new Uint8Array(33);
      meta[0] = FORMAT_VERSION;
      meta.set(self, 1);
      ops.push({ type: 'put', key: META_KEY, value: meta });
      for (const c of contacts) {
        const key = CONTACT_PREFIX + idKey(c.id);
        keep.add(key);
        ops.push({ type: 'put', key, value: encodeStored(c.record, c.lastSeenMs) });
      }
      for await (const key of this.db.keys()) if (key !== META_KEY && !keep.has(key)) ops.push({ type: 'del', key });
      await this.db.batch(ops);
    };
    const result = this.queue.then(run);
    this.queue = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.db.close();
  }
}

function encodeStored(record: Uint8Array, lastSeenMs: number): Uint8Array {
  const out = new Uint8Array(9 + record.length);
  out[0] = FORMAT_VERSION;
  const seen = Math.max(0, Math.floor(lastSeenMs));
  const view = new DataView(out.buffer);
  view.setUint32(1, Math.floor(seen / 0x1_0000_0000), false);
  view.setUint32(5, seen >>> 0, false);
  out.set(record, 9);
  return out;
}

function decodeStored(value: Uint8Array): StoredContact | null {
  if (!(value instanceof Uint8Array) || value.length < 10 || value[0] !== FORMAT_VERSION) return null;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const lastSeenMs = view.getUint32(1, false) * 0x1_0000_0000 + view.getUint32(5, false);
  const decoded = decodeContactRecord(value.subarray(9));
  if (!decoded.ok || decoded.value.bytesRead !== value.length - 9) return null;
  return { contact: decoded.value.contact, lastSeenMs };
}
