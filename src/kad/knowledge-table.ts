/**
 * The knowledge table: soft-state Kademlia k-buckets of contacts this node has heard of (DESIGN
 * "Overlay"; nodenet 2). It decides who is worth remembering; the live-edge table decides who we are
 * actually connected to.
 *
 * Rules enforced here:
 * - bucket index = common prefix length with self; self is never stored; K contacts per bucket, most
 *   recently seen first, plus a replacement cache of K newcomers per bucket;
 * - a full bucket never evicts blindly: the newcomer is stashed and the caller is asked to probe the
 *   least-recently-seen incumbent, then reports back with confirm();
 * - at most SUBNET_CAP contacts per /24 or /64 across the whole table, also when a contact moves;
 * - a newcomer below the proof-of-work difficulty is refused, and so is a keyless newcomer when the
 *   difficulty is above 0 (leading zeros prove nothing without keys bound to the ID);
 * - keys, when present, must hash to the ID (checked by the injected verifier before anything else), and
 *   a keyless observation never changes what a keyed (verified) contact says about itself.
 */
import { InvalidArgumentError } from '../errors.js';
import { PUBLIC_KEY_BYTES, keysMatchNodeId } from '../identity/index.js';
import { BUCKET_COUNT, K, MAX_CONTACT_ADDRESSES, NODE_ID_BYTES, REPLACEMENT_CACHE_SIZE, SUBNET_CAP, BUCKET_STALE_AFTER_MS } from './constants.js';
import { copyAddresses, hasKeys, sameAddresses, type KadContact, type ReadonlyKadContact } from './contact.js';
import {
  commonPrefixLength,
  compareDistance,
  defaultRandomFill,
  idKey,
  idsEqual,
  isNodeId,
  randomIdInBucket,
  satisfiesDifficulty,
  type RandomFill,
} from './node-id.js';
import { subnetOfAddresses, type SubnetOf } from './subnet.js';

export interface KnowledgeTableOptions {
  /** This node's ID. */
  self: Uint8Array;
  /** Network-wide proof-of-work: leading zero bits a newcomer's ID must have (default 0). */
  difficulty?: number;
  /**
   * Checks that a contact's two public keys hash to its ID. Called only for contacts that carry both
   * keys. Default: the real NodeID derivation from src/identity (keysMatchNodeId); tests inject a
   * cheaper stand-in.
   */
  verifyKeys?: (contact: ReadonlyKadContact) => boolean;
  /** Subnet rule for the diversity cap (default: /24 or /64 of the first public address). */
  subnetOf?: SubnetOf;
  /** Random source for refresh targets. */
  random?: RandomFill;
}

export type ObserveRejection =
  | 'bad-id'
  | 'self'
  | 'bad-keys'
  | 'key-mismatch'
  | 'bad-address'
  | 'bad-capabilities'
  | 'keyless'
  | 'pow'
  | 'subnet-full';

export interface ObserveResult {
  status: 'added' | 'refreshed' | 'rejected' | 'pending';
  reason?: ObserveRejection;
  /** With 'pending': the least-recently-seen incumbent to probe; answer with confirm(). */
  probe?: Uint8Array;
}

export interface ConfirmResult {
  /** kept: the incumbent answered; evicted: it was removed; unknown: not in the table. */
  status: 'kept' | 'evicted' | 'unknown';
  /** A stashed newcomer moved into the freed slot. */
  promoted?: ReadonlyKadContact;
}

export interface RefreshTarget {
  bucket: number;
  /** A random ID whose common prefix with self is exactly `bucket`: look it up. */
  target: Uint8Array;
  /** When that bucket last learned or refreshed a contact. */
  lastActivityMs: number;
}

interface Entry {
  readonly key: string;
  readonly bucket: number;
  subnet: string | undefined;
  readonly contact: KadContact;
}

function validKey(k: unknown): k is Uint8Array {
  return k instanceof Uint8Array && k.length === PUBLIC_KEY_BYTES;
}

function validAddresses(contact: ReadonlyKadContact): boolean {
  const list = contact.addresses;
  if (!Array.isArray(list) || list.length > MAX_CONTACT_ADDRESSES) return false;
  for (const a of list) {
    if (a === null || typeof a !== 'object') return false;
    if (typeof a.host !== 'string' || a.host.length === 0 || a.host.length > 255) return false;
    if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) return false;
  }
  return true;
}

/** Moves arr[index] to arr[0], shifting the ones before it down; no allocation. */
function moveToFront<T>(arr: T[], index: number): void {
  const item = arr[index];
  for (let j = index; j > 0; j--) arr[j] = arr[j - 1];
  arr[0] = item;
}

export class KnowledgeTable {
  readonly self: Uint8Array;
  readonly difficulty: number;
  private readonly verifyKeys: (contact: ReadonlyKadContact) => boolean;
  private readonly subnetOf: SubnetOf;
  private readonly random: RandomFill;
  private readonly entries = new Map<string, Entry>();
  private readonly buckets: Entry[][] = [];
  private readonly replacements: Entry[][] = [];
  private readonly replacementIndex = new Map<string, Entry>();
  private readonly subnetCounts = new Map<string, number>();
  private readonly bucketActivityMs = new Float64Array(BUCKET_COUNT);
  /** Reused by closest() to sort one bucket at a time (never more than K entries). */
  private readonly scratch: Entry[] = new Array<Entry>(K);

  constructor(options: KnowledgeTableOptions) {
    if (!isNodeId(options.self)) throw new InvalidArgumentError(`self must be a ${NODE_ID_BYTES}-byte NodeID`);
    const d = options.difficulty ?? 0;
    if (!Number.isInteger(d) || d < 0 || d > 256) {
      throw new InvalidArgumentError(`difficulty must be an integer number of bits in 0..256; got ${d}`);
    }
    this.self = options.self.slice();
    this.difficulty = d;
    this.verifyKeys = options.verifyKeys ?? verifyWithNodeIdHash;
    this.subnetOf = options.subnetOf ?? subnetOfAddresses;
    this.random = options.random ?? defaultRandomFill;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      this.buckets.push([]);
      this.replacements.push([]);
    }
  }

  /** Contacts in the table (the replacement caches are not counted). */
  get size(): number {
    return this.entries.size;
  }

  /** Newcomers waiting in replacement caches. */
  get replacementCount(): number {
    return this.replacementIndex.size;
  }

  bucketLength(bucket: number): number {
    return this.buckets[bucket]?.length ?? 0;
  }

  /** Contacts in the table that count against a subnet key. */
  subnetLoad(subnet: string): number {
    return this.subnetCounts.get(subnet) ?? 0;
  }

  has(id: Uint8Array): boolean {
    return isNodeId(id) && this.entries.has(idKey(id));
  }

  get(id: Uint8Array): ReadonlyKadContact | undefined {
    if (!isNodeId(id)) return undefined;
    return this.entries.get(idKey(id))?.contact;
  }

  /** Every contact in the table, bucket by bucket, most recently seen first within a bucket. */
  all(): ReadonlyKadContact[] {
    const out: ReadonlyKadContact[] = [];
    for (const bucket of this.buckets) for (const e of bucket) out.push(e.contact);
    return out;
  }

  /** The single learning and refresh entry point (nodenet 2, Observe). */
  observe(contact: ReadonlyKadContact, nowMs: number): ObserveResult {
    if (contact === null || typeof contact !== 'object' || !isNodeId(contact.id)) return rejected('bad-id');
    if (idsEqual(contact.id, this.self)) return rejected('self');
    const keyed = contact.edPublicKey !== undefined || contact.xPublicKey !== undefined;
    if (keyed) {
      // Both keys or neither: the ID commits to the pair, one key alone cannot be checked.
      if (!validKey(contact.edPublicKey) || !validKey(contact.xPublicKey)) return rejected('bad-keys');
      // Before any refresh, so a forged key can never touch a known contact.
      if (!this.verifyKeys(contact)) return rejected('key-mismatch');
    }
    if (!validAddresses(contact)) return rejected('bad-address');
    const caps = contact.capabilities;
    if (caps !== undefined && !(Number.isInteger(caps) && caps >= 0 && caps <= 0xffffffff)) return rejected('bad-capabilities');

    const key = idKey(contact.id);
    const existing = this.entries.get(key);
    if (existing) return this.refresh(existing, contact, keyed, nowMs);

    if (this.difficulty > 0 && !keyed) return rejected('keyless');
    if (!satisfiesDifficulty(contact.id, this.difficulty)) return rejected('pow');
    const subnet = this.subnetOf(contact.addresses);
    if (!this.subnetHasRoom(subnet)) return rejected('subnet-full');

    const bucketIndex = commonPrefixLength(this.self, contact.id);
    const bucket = this.buckets[bucketIndex];
    if (bucket.length < K) {
      this.dropReplacement(key);
      const entry: Entry = { key, bucket: bucketIndex, subnet, contact: copyContact(contact, nowMs) };
      bucket.unshift(entry);
      this.entries.set(key, entry);
      this.countSubnet(subnet, 1);
      this.bucketActivityMs[bucketIndex] = nowMs;
      return { status: 'added' };
    }
    this.stash(key, bucketIndex, subnet, contact, keyed, nowMs);
    // The least recently seen incumbent sits last; the caller probes it and answers with confirm().
    return { status: 'pending', probe: bucket[bucket.length - 1].contact.id.slice() };
  }

  /**
   * The caller's answer to a probe: alive keeps the contact (and counts as seeing it now); dead removes
   * it and promotes the freshest stashed newcomer whose subnet still has room.
   */
  confirm(id: Uint8Array, alive: boolean, nowMs: number): ConfirmResult {
    const entry = isNodeId(id) ? this.entries.get(idKey(id)) : undefined;
    if (!entry) return { status: 'unknown' };
    if (alive) {
      this.touch(entry, nowMs);
      return { status: 'kept' };
    }
    this.removeEntry(entry);
    return { status: 'evicted', promoted: this.promote(entry.bucket) };
  }

  /**
   * Removes a contact known to be dead (e.g. dials exhausted their backoff) and promotes a stashed
   * newcomer into its slot. A contact only waiting in a replacement cache is dropped from there.
   */
  markDead(id: Uint8Array): { removed: boolean; promoted?: ReadonlyKadContact } {
    if (!isNodeId(id)) return { removed: false };
    const key = idKey(id);
    const entry = this.entries.get(key);
    if (entry) {
      this.removeEntry(entry);
      return { removed: true, promoted: this.promote(entry.bucket) };
    }
    return { removed: this.dropReplacement(key) };
  }

  /** Forgets a contact (table or replacement cache) without promoting anyone into its slot. */
  remove(id: Uint8Array): boolean {
    if (!isNodeId(id)) return false;
    const key = idKey(id);
    const entry = this.entries.get(key);
    if (entry) {
      this.removeEntry(entry);
      return true;
    }
    return this.dropReplacement(key);
  }

  /**
   * Up to n contacts closest to target by XOR, closest first, skipping those `filter` refuses. Equal to
   * sorting the whole table, but visits buckets in distance order and stops early: every bucket covers
   * one contiguous range of distances to target (see bucketOrder), so only the buckets that contribute
   * are sorted, each at most K entries.
   */
  closest(target: Uint8Array, n: number, filter?: (contact: ReadonlyKadContact) => boolean): ReadonlyKadContact[] {
    const out: ReadonlyKadContact[] = [];
    if (!isNodeId(target) || !(n > 0) || this.entries.size === 0) return out;
    const self = this.self;
    // Buckets i where bit i of (self ^ target) is 1, in ascending order, come first: their contacts
    // agree with target on bits 0..i. Then buckets where that bit is 0, in descending order.
    for (let pass = 0; pass < 2; pass++) {
      const wantBit = pass === 0 ? 1 : 0;
      for (let step = 0; step < BUCKET_COUNT; step++) {
        const i = pass === 0 ? step : BUCKET_COUNT - 1 - step;
        const bucket = this.buckets[i];
        if (bucket.length === 0) continue;
        const byte = i >> 3;
        const bit = ((self[byte] ^ target[byte]) >> (7 - (i & 7))) & 1;
        if (bit !== wantBit) continue;
        if (this.takeSorted(bucket, target, n, out, filter)) return out;
      }
    }
    return out;
  }

  /**
   * Populated buckets with no learning or refresh for maxAgeMs, most stale first, each with a random
   * lookup target inside it (nodenet 2, RefreshTarget; 5, BucketStaleAfter).
   */
  staleBuckets(nowMs: number, maxAgeMs: number = BUCKET_STALE_AFTER_MS): RefreshTarget[] {
    const stale: RefreshTarget[] = [];
    for (let i = 0; i < BUCKET_COUNT; i++) {
      if (this.buckets[i].length === 0) continue;
      const last = this.bucketActivityMs[i];
      if (nowMs - last >= maxAgeMs) stale.push({ bucket: i, target: randomIdInBucket(this.self, i, this.random), lastActivityMs: last });
    }
    stale.sort((a, b) => a.lastActivityMs - b.lastActivityMs || a.bucket - b.bucket);
    return stale;
  }

  // ---- internals ----

  private refresh(entry: Entry, obs: ReadonlyKadContact, keyed: boolean, nowMs: number): ObserveResult {
    const stored = entry.contact;
    if (!keyed && hasKeys(stored)) {
      // Unauthenticated news about a verified contact: it may say the ID is around, nothing more.
      this.touch(entry, nowMs);
      return { status: 'refreshed' };
    }
    if (keyed && hasKeys(stored) && (!idsEqual(stored.edPublicKey!, obs.edPublicKey!) || !idsEqual(stored.xPublicKey!, obs.xPublicKey!))) {
      // Only reachable with a verifier that accepts two key pairs for one ID; never trust the newer one.
      return rejected('key-mismatch');
    }
    const moving = obs.addresses.length > 0 && !sameAddresses(stored.addresses, obs.addresses);
    let newSubnet = entry.subnet;
    if (moving) {
      newSubnet = this.subnetOf(obs.addresses);
      // nodenet 2: a move into a full subnet is refused, and nothing of this observation is applied.
      if (newSubnet !== entry.subnet && !this.subnetHasRoom(newSubnet)) return rejected('subnet-full');
    }
    if (keyed && !hasKeys(stored)) {
      stored.edPublicKey = obs.edPublicKey!.slice();
      stored.xPublicKey = obs.xPublicKey!.slice();
    }
    if (moving) {
      if (newSubnet !== entry.subnet) {
        this.countSubnet(entry.subnet, -1);
        this.countSubnet(newSubnet, 1);
        entry.subnet = newSubnet;
      }
      stored.addresses = copyAddresses(obs.addresses);
    }
    if (obs.capabilities !== undefined) stored.capabilities = obs.capabilities;
    this.touch(entry, nowMs);
    return { status: 'refreshed' };
  }

  private touch(entry: Entry, nowMs: number): void {
    entry.contact.lastSeenMs = nowMs;
    const bucket = this.buckets[entry.bucket];
    const index = bucket.indexOf(entry);
    if (index > 0) moveToFront(bucket, index);
    this.bucketActivityMs[entry.bucket] = nowMs;
  }

  private stash(key: string, bucketIndex: number, subnet: string | undefined, obs: ReadonlyKadContact, keyed: boolean, nowMs: number): void {
    const cache = this.replacements[bucketIndex];
    const waiting = this.replacementIndex.get(key);
    if (waiting) {
      const stored = waiting.contact;
      // Same rule as the table: keyless news never rewrites a keyed newcomer's record.
      if (keyed || !hasKeys(stored)) {
        if (keyed && !hasKeys(stored)) {
          stored.edPublicKey = obs.edPublicKey!.slice();
          stored.xPublicKey = obs.xPublicKey!.slice();
        }
        if (obs.addresses.length > 0 && !sameAddresses(stored.addresses, obs.addresses)) {
          stored.addresses = copyAddresses(obs.addresses);
          waiting.subnet = subnet;
        }
        if (obs.capabilities !== undefined) stored.capabilities = obs.capabilities;
      }
      stored.lastSeenMs = nowMs;
      moveToFront(cache, cache.indexOf(waiting));
      return;
    }
    const entry: Entry = { key, bucket: bucketIndex, subnet, contact: copyContact(obs, nowMs) };
    cache.unshift(entry);
    this.replacementIndex.set(key, entry);
    if (cache.length > REPLACEMENT_CACHE_SIZE) {
      const oldest = cache.pop()!;
      this.replacementIndex.delete(oldest.key);
    }
  }

  /** Moves the freshest stashed newcomer that fits the subnet cap into a freed slot of `bucketIndex`. */
  private promote(bucketIndex: number): ReadonlyKadContact | undefined {
    const bucket = this.buckets[bucketIndex];
    if (bucket.length >= K) return undefined;
    const cache = this.replacements[bucketIndex];
    for (let i = 0; i < cache.length; i++) {
      const candidate = cache[i];
      if (!this.subnetHasRoom(candidate.subnet)) continue;
      cache.splice(i, 1);
      this.replacementIndex.delete(candidate.key);
      // Keep most-recently-seen-first order: the newcomer goes where its lastSeen puts it.
      const seen = candidate.contact.lastSeenMs ?? 0;
      let at = 0;
      while (at < bucket.length && (bucket[at].contact.lastSeenMs ?? 0) >= seen) at++;
      bucket.splice(at, 0, candidate);
      this.entries.set(candidate.key, candidate);
      this.countSubnet(candidate.subnet, 1);
      return candidate.contact;
    }
    return undefined;
  }

  private removeEntry(entry: Entry): void {
    const bucket = this.buckets[entry.bucket];
    const index = bucket.indexOf(entry);
    if (index >= 0) bucket.splice(index, 1);
    this.entries.delete(entry.key);
    this.countSubnet(entry.subnet, -1);
  }

  private dropReplacement(key: string): boolean {
    const waiting = this.replacementIndex.get(key);
    if (!waiting) return false;
    const cache = this.replacements[waiting.bucket];
    cache.splice(cache.indexOf(waiting), 1);
    this.replacementIndex.delete(key);
    return true;
  }

  private subnetHasRoom(subnet: string | undefined): boolean {
    return subnet === undefined || (this.subnetCounts.get(subnet) ?? 0) < SUBNET_CAP;
  }

  private countSubnet(subnet: string | undefined, delta: 1 | -1): void {
    if (subnet === undefined) return;
    const next = (this.subnetCounts.get(subnet) ?? 0) + delta;
    if (next <= 0) this.subnetCounts.delete(subnet);
    else this.subnetCounts.set(subnet, next);
  }

  /** Sorts the bucket's accepted entries by distance into scratch and appends up to n; true when full. */
  private takeSorted(
    bucket: Entry[],
    target: Uint8Array,
    n: number,
    out: ReadonlyKadContact[],
    filter: ((contact: ReadonlyKadContact) => boolean) | undefined,
  ): boolean {
    const s = this.scratch;
    let len = 0;
    for (const e of bucket) {
      if (filter !== undefined && !filter(e.contact)) continue;
      // Insertion sort: at most K entries, and no comparator closure.
      let j = len;
      while (j > 0 && compareDistance(target, e.contact.id, s[j - 1].contact.id) < 0) {
        s[j] = s[j - 1];
        j--;
      }
      s[j] = e;
      len++;
    }
    for (let i = 0; i < len && out.length < n; i++) out.push(s[i].contact);
    return out.length >= n;
  }
}

function verifyWithNodeIdHash(contact: ReadonlyKadContact): boolean {
  return keysMatchNodeId(contact.id, contact.edPublicKey!, contact.xPublicKey!);
}

function rejected(reason: ObserveRejection): ObserveResult {
  return { status: 'rejected', reason };
}

/** The table's own copy: IDs, keys and addresses must not alias a decode buffer or the caller's objects. */
function copyContact(c: ReadonlyKadContact, nowMs: number): KadContact {
  const out: KadContact = { id: c.id.slice(), addresses: copyAddresses(c.addresses), lastSeenMs: nowMs };
  if (c.edPublicKey !== undefined && c.xPublicKey !== undefined) {
    out.edPublicKey = c.edPublicKey.slice();
    out.xPublicKey = c.xPublicKey.slice();
  }
  if (c.capabilities !== undefined) out.capabilities = c.capabilities;
  return out;
}
