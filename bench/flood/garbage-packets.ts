/**
 * The garbage flood (issue 8 item 4), as pure, seeded packet generation from captured valid packets (every
 * packet type: handshakes, cookie replies, data, fragments, keepalives, disconnects, many of them addressed
 * to the target's live sessions). Kinds:
 * - bitflip: 1-8 random bits flipped anywhere (header, counter, ciphertext, tag)
 * - truncate: cut to a random shorter length (0 included)
 * - oversized: valid header, then random bytes up to 16 KiB, sometimes the 65,507-byte UDP maximum
 * - wrong_index: receiver index replaced by a random one
 * - type_swap: the type byte replaced by another type 0-7 (a data packet read as a fragment, and so on)
 * - counter: the counter set to an extreme value (0, 2^64-1, far ahead of the window, just behind it)
 * - fragment_header: the first ciphertext bytes of a fragment (where the encrypted frag_index / frag_count
 *   sit) set to 0xff: without the key, "huge fragment counts" can only be forged inside the ciphertext
 * - random: random length 0-1500, random type byte 0-255
 * - replay: an exact copy of a captured packet (the replay window or handshake replay guard must drop it)
 */
import { PACKET_DATA_FRAGMENT } from '../../src/wire/index.js';
import { mulberry32 } from '../../src/node/sim/index.js';

export const GARBAGE_KINDS = [
  'bitflip',
  'truncate',
  'oversized',
  'wrong_index',
  'type_swap',
  'counter',
  'fragment_header',
  'random',
  'replay',
] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

/** The largest UDP payload over IPv4. */
const MAX_UDP_PAYLOAD_BYTES = 65_507;
const OVERSIZED_MAX_BYTES = 16 * 1024;
const RANDOM_MAX_BYTES = 1500;
/** Offsets of the transport header (spec 4.4): receiver index at 4, counter at 8, ciphertext at 16. */
const RECEIVER_INDEX_OFFSET = 4;
const COUNTER_OFFSET = 8;
const CIPHERTEXT_OFFSET = 16;
const FRAGMENT_HEADER_BYTES = 8;

export interface GarbageOptions {
  captured: Uint8Array[];
  count: number;
  seed: number;
}

export interface GarbageSet {
  packets: Uint8Array[];
  kinds: GarbageKind[];
}

/** mulberry32 (src/node/sim): a seeded generator, so a failing flood can be re-run with the same packets. */
export const seededRandom: (seed: number) => () => number = mulberry32;

export function makeGarbagePackets(o: GarbageOptions): GarbageSet {
  if (o.captured.length === 0) throw new Error('the garbage flood needs captured valid packets to mutate');
  const rnd = seededRandom(o.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const fragments = o.captured.filter((p) => p[0] === PACKET_DATA_FRAGMENT && p.length > CIPHERTEXT_OFFSET + FRAGMENT_HEADER_BYTES);
  const packets: Uint8Array[] = [];
  const kinds: GarbageKind[] = [];
  for (let i = 0; i < o.count; i++) {
    const kind = GARBAGE_KINDS[i % GARBAGE_KINDS.length]!;
    const base = o.captured[int(o.captured.length)]!;
    let p: Uint8Array;
    switch (kind) {
      case 'bitflip': {
        p = new Uint8Array(base);
        const flips = 1 + int(8);
        for (let f = 0; f < flips && p.length > 0; f++) p[int(p.length)]! ^= 1 << int(8);
        break;
      }
      case 'truncate':
        p = new Uint8Array(base.subarray(0, int(base.length)));
        break;
      case 'oversized': {
        const size = int(16) === 0 ? MAX_UDP_PAYLOAD_BYTES : base.length + 1 + int(OVERSIZED_MAX_BYTES - base.length);
        p = new Uint8Array(size);
        p.set(base.subarray(0, Math.min(base.length, size)));
        p.set(bytes(Math.min(256, size - base.length)), base.length);
        break;
      }
      case 'wrong_index':
        p = new Uint8Array(base);
        if (p.length >= RECEIVER_INDEX_OFFSET + 4) p.set(bytes(4), RECEIVER_INDEX_OFFSET);
        break;
      case 'type_swap':
        p = new Uint8Array(base);
        p[0] = (p[0]! + 1 + int(7)) % 8;
        break;
      case 'counter': {
        p = new Uint8Array(base);
        if (p.length >= COUNTER_OFFSET + 8) {
          const view = new DataView(p.buffer, p.byteOffset, p.length);
          const choice = int(4);
          const old = view.getBigUint64(COUNTER_OFFSET, true);
          const value = choice === 0 ? 0n : choice === 1 ? 0xffff_ffff_ffff_ffffn : choice === 2 ? old + 1_000_000n : old > 5000n ? old - 5000n : 0n;
          view.setBigUint64(COUNTER_OFFSET, value, true);
        }
        break;
      }
      case 'fragment_header': {
        const f = fragments.length > 0 ? fragments[int(fragments.length)]! : base;
        p = new Uint8Array(f);
        p.fill(0xff, CIPHERTEXT_OFFSET, Math.min(p.length, CIPHERTEXT_OFFSET + FRAGMENT_HEADER_BYTES));
        break;
      }
      case 'random':
        p = bytes(int(RANDOM_MAX_BYTES + 1));
        break;
      case 'replay':
        p = new Uint8Array(base);
        break;
    }
    packets.push(p);
    kinds.push(kind);
  }
  return { packets, kinds };
}
