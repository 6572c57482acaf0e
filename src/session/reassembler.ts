/**
 * Reassembly of fragmented frames (spec 4.7, 9.2). Pure: the caller passes the clock.
 *
 * Each partial frame keeps its fragment bytes in one arena, appended in arrival order, plus an index
 * (two uint32 per expected fragment: offset + 1, length). When fragments arrive in index order (the
 * usual case) the arena already is the frame and completion copies nothing; otherwise completion
 * concatenates in `frag_index` order into a fresh buffer.
 *
 * Memory bound: `pendingBytes` is the memory held for partial frames (arena capacity plus index) and
 * never exceeds `maxBytes`. So a frame can be reassembled only if its bytes plus 8 bytes per fragment
 * fit. The arena is sized on the first fragment as (longest fragment seen x frag_count), which is
 * exact for a sender that splits into equal pieces (spec 9: pieces of maxFragPayload), and falls back
 * to growth by doubling within the budget otherwise.
 *
 * Rules (spec 9.2 and the session's defences); every dropped fragment is counted in `drops`:
 * - duplicate: same (frame_id, frag_index) as a buffered fragment, or any fragment of a frame that
 *   completed recently (a late copy must not start a new partial frame that could never complete);
 * - tooManyFrames: a fragment of a new frame while `maxIncompleteFrames` are already buffered;
 * - tooManyBytes: buffering the fragment would exceed `maxBytes`. Its frame can then never complete,
 *   so the partial frame is dropped at once and its memory freed;
 * - inconsistent: frag_count disagrees with the frame's, frag_count is 0, or frag_index >= frag_count;
 * - late: a fragment of a frame that expired or was dropped for lack of room;
 * - expired (counted per frame, by `gc`): a partial frame idle for longer than `timeoutMs`.
 * The ids of the last REASSEMBLY_RETIRED_FRAME_IDS finished frames are remembered (bounded ring).
 */
import { InvalidArgumentError } from '../errors.js';
import {
  MAX_FRAGMENTS_PER_FRAME,
  MAX_INCOMPLETE_FRAMES,
  MAX_REASSEMBLY_BYTES,
  REASSEMBLY_INDEX_BYTES_PER_FRAGMENT,
  REASSEMBLY_RETIRED_FRAME_IDS,
  REASSEMBLY_TIMEOUT_MS,
} from './constants.js';

export interface ReassemblerOptions {
  /** spec 9.2 MaxIncompleteFrames (default 64). */
  maxIncompleteFrames?: number;
  /** Cap on memory held for all partial frames, bytes (default 8 MiB). */
  maxBytes?: number;
  /** Partial frames idle longer than this are dropped by gc(), ms (default 2 x keepalive = 20 s). */
  timeoutMs?: number;
}

export interface ReassemblyDrops {
  duplicate: number;
  tooManyFrames: number;
  tooManyBytes: number;
  inconsistent: number;
  expired: number;
  late: number;
}

interface PartialFrame {
  readonly fragCount: number;
  received: number;
  /** Fragment bytes held (the arena's used prefix). */
  dataBytes: number;
  /** Longest fragment seen, for sizing the arena. */
  longestFragment: number;
  /** Fragments so far arrived as 0, 1, 2, ...: the arena's used prefix is the frame itself. */
  inOrder: boolean;
  arena: Uint8Array;
  /** slots[2i] = arena offset + 1 of fragment i (0 = not received), slots[2i + 1] = its length. */
  readonly slots: Uint32Array;
  lastActivityMs: number;
}

const RETIRED_COMPLETED = 0;
const RETIRED_ABANDONED = 1;
type RetiredReason = typeof RETIRED_COMPLETED | typeof RETIRED_ABANDONED;

const EMPTY = new Uint8Array(0);

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export class Reassembler {
  readonly drops: ReassemblyDrops = {
    duplicate: 0,
    tooManyFrames: 0,
    tooManyBytes: 0,
    inconsistent: 0,
    expired: 0,
    late: 0,
  };

  private readonly maxFrames: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly frames = new Map<number, PartialFrame>();
  private heldBytes = 0;

  // Bounded memory of finished frame ids: a ring of ids plus a map for O(1) lookup.
  private readonly retiredRing = new Uint32Array(REASSEMBLY_RETIRED_FRAME_IDS);
  private readonly retired = new Map<number, RetiredReason>();
  private retiredNext = 0;

  constructor(opts: ReassemblerOptions = {}) {
    this.maxFrames = positiveInteger('maxIncompleteFrames', opts.maxIncompleteFrames, MAX_INCOMPLETE_FRAMES);
    this.maxBytes = positiveInteger('maxBytes', opts.maxBytes, MAX_REASSEMBLY_BYTES);
    this.timeoutMs = positiveInteger('timeoutMs', opts.timeoutMs, REASSEMBLY_TIMEOUT_MS);
  }

  /** Partial frames currently buffered. */
  get pendingFrames(): number {
    return this.frames.size;
  }

  /** Memory held for partial frames (fragment arenas and indexes), bytes; at most `maxBytes`. */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /**
   * Adds one fragment. `data` is copied (it may be a view into a reused receive buffer). Returns the
   * whole frame, fragments concatenated in index order, when this fragment completes it; else null.
   * The returned bytes belong to the caller; the reassembler keeps no reference to them.
   */
  add(frameId: number, fragIndex: number, fragCount: number, data: Uint8Array, nowMs: number): Uint8Array | null {
    if (
      !Number.isInteger(frameId) || frameId < 0 || frameId > 0xffffffff ||
      !Number.isInteger(fragCount) || fragCount < 1 || fragCount > MAX_FRAGMENTS_PER_FRAME ||
      !Number.isInteger(fragIndex) || fragIndex < 0 || fragIndex >= fragCount
    ) {
      this.drops.inconsistent++;
      return null;
    }

    let frame: PartialFrame | null | undefined = this.frames.get(frameId);
    if (frame === undefined) {
      const retiredAs = this.retired.get(frameId);
      if (retiredAs !== undefined) {
        if (retiredAs === RETIRED_COMPLETED) this.drops.duplicate++;
        else this.drops.late++;
        return null;
      }
      if (fragCount === 1) {
        // A one-fragment frame is complete at once and never buffered.
        this.retire(frameId, RETIRED_COMPLETED);
        return data.slice();
      }
      frame = this.open(frameId, fragCount, nowMs);
      if (frame === null) return null;
    } else {
      if (fragCount !== frame.fragCount) {
        this.drops.inconsistent++;
        return null;
      }
      if (frame.slots[2 * fragIndex] !== 0) {
        this.drops.duplicate++;
        return null;
      }
    }

    const length = data.length;
    const offset = frame.dataBytes;
    if (length > frame.longestFragment) frame.longestFragment = length;
    if (offset + length > frame.arena.length && !this.grow(frame, offset + length)) {
      this.drops.tooManyBytes++;
      this.abandon(frameId, frame);
      return null;
    }
    frame.arena.set(data, offset);
    frame.slots[2 * fragIndex] = offset + 1;
    frame.slots[2 * fragIndex + 1] = length;
    if (fragIndex !== frame.received) frame.inOrder = false;
    frame.received++;
    frame.dataBytes = offset + length;
    frame.lastActivityMs = nowMs;
    if (frame.received < frame.fragCount) return null;

    const whole = this.assemble(frame);
    this.frames.delete(frameId);
    this.heldBytes -= frame.arena.length + frame.slots.byteLength;
    this.retire(frameId, RETIRED_COMPLETED);
    return whole;
  }

  /** Drops partial frames idle for longer than `timeoutMs` (spec 9.2); returns how many. */
  gc(nowMs: number): number {
    let dropped = 0;
    for (const [frameId, frame] of this.frames) {
      if (nowMs - frame.lastActivityMs > this.timeoutMs) {
        this.abandon(frameId, frame);
        dropped++;
      }
    }
    this.drops.expired += dropped;
    return dropped;
  }

  // Starts a partial frame, or counts the drop and returns null when there is no room for it.
  private open(frameId: number, fragCount: number, nowMs: number): PartialFrame | null {
    const indexBytes = fragCount * REASSEMBLY_INDEX_BYTES_PER_FRAGMENT;
    if (this.frames.size >= this.maxFrames || this.heldBytes + indexBytes > this.maxBytes) {
      // Room may be held by frames that are already stale: reclaim it before refusing.
      this.gc(nowMs);
      if (this.frames.size >= this.maxFrames) {
        this.drops.tooManyFrames++;
        this.retire(frameId, RETIRED_ABANDONED);
        return null;
      }
      if (this.heldBytes + indexBytes > this.maxBytes) {
        this.drops.tooManyBytes++;
        this.retire(frameId, RETIRED_ABANDONED);
        return null;
      }
    }
    const frame: PartialFrame = {
      fragCount,
      received: 0,
      dataBytes: 0,
      longestFragment: 0,
      inOrder: true,
      arena: EMPTY,
      slots: new Uint32Array(2 * fragCount),
      lastActivityMs: nowMs,
    };
    this.frames.set(frameId, frame);
    this.heldBytes += indexBytes;
    return frame;
  }

  // Gives the frame's arena room for `needed` bytes within the budget; false when impossible.
  private grow(frame: PartialFrame, needed: number): boolean {
    const current = frame.arena.length;
    const affordable = this.maxBytes - this.heldBytes + current;
    if (needed > affordable) return false;
    let capacity = Math.max(needed, frame.longestFragment * frame.fragCount);
    if (capacity > affordable) capacity = Math.max(needed, Math.min(2 * current, affordable));
    const arena = new Uint8Array(capacity);
    arena.set(frame.arena.subarray(0, frame.dataBytes));
    frame.arena = arena;
    this.heldBytes += capacity - current;
    return true;
  }

  private assemble(frame: PartialFrame): Uint8Array {
    const total = frame.dataBytes;
    if (frame.inOrder) {
      if (frame.arena.length === total) return frame.arena;
      // Hand out a view unless the unused tail is large enough to be worth a copy.
      return frame.arena.length - total <= frame.arena.length >>> 3
        ? frame.arena.subarray(0, total)
        : frame.arena.slice(0, total);
    }
    const whole = new Uint8Array(total);
    const slots = frame.slots;
    let pos = 0;
    for (let i = 0; i < frame.fragCount; i++) {
      const start = slots[2 * i] - 1;
      const length = slots[2 * i + 1];
      whole.set(frame.arena.subarray(start, start + length), pos);
      pos += length;
    }
    return whole;
  }

  private abandon(frameId: number, frame: PartialFrame): void {
    this.frames.delete(frameId);
    this.heldBytes -= frame.arena.length + frame.slots.byteLength;
    this.retire(frameId, RETIRED_ABANDONED);
  }

  private retire(frameId: number, reason: RetiredReason): void {
    if (this.retired.has(frameId)) {
      this.retired.set(frameId, reason);
      return;
    }
    const slot = this.retiredNext;
    if (this.retired.size >= this.retiredRing.length) this.retired.delete(this.retiredRing[slot]);
    this.retiredRing[slot] = frameId;
    this.retiredNext = (slot + 1) % this.retiredRing.length;
    this.retired.set(frameId, reason);
  }
}
