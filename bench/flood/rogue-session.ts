/**
 * Authenticated garbage for the garbage flood: the flooder completes a real handshake with the target (a
 * rogue peer that never identifies itself to the overlay) and sends well-encrypted but hostile contents,
 * the only way to reach what an outsider's bytes cannot (spec 4.7: the fragment sub-header is inside the
 * AEAD): huge fragment counts (65,535), fragment indices beyond the count, zero counts, one frame id with
 * conflicting counts, frames with oversized LEN records, random frame bytes, and events sprayed over many
 * channels. The node closes such a session after its Identify timeout, so the flooder keeps opening new
 * ones. Packet generation is pure (roguePackets); the handshake runs over one of the flooder's sockets.
 */
import type dgram from 'node:dgram';
import {
  CookieGenerator,
  consumeResponse,
  createInitiation,
  type CryptoSuite,
  type TransportCipher,
} from '../../src/session/index.js';
import {
  HANDSHAKE_INIT_MAC1_OFFSET,
  PACKET_COOKIE_REPLY,
  PACKET_DATA,
  PACKET_DATA_FRAGMENT,
  PACKET_HANDSHAKE_RESP,
  SIZE_AEAD_TAG,
  SIZE_DATA_HEADER,
  SIZE_FRAGMENT_HEADER,
  writeTransportHeader,
} from '../../src/wire/index.js';
import { seededRandom } from './garbage-packets.js';

export const ROGUE_KINDS = [
  'frag_huge_count',
  'frag_index_beyond_count',
  'frag_count_zero',
  'frag_conflicting_count',
  'frame_oversized_len',
  'frame_random',
  'channel_spray',
] as const;
export type RogueKind = (typeof ROGUE_KINDS)[number];

const HANDSHAKE_TIMEOUT_MS = 2_000;
const FRAGMENT_DATA_BYTES = 1000;
const MAX_FRAGMENTS = 65_535;
/** First application channel (DESIGN: 16-254 belong to applications). */
const FIRST_APP_CHANNEL = 16;
const LAST_APP_CHANNEL = 254;

export interface RogueKeys {
  remoteIndex: number;
  send: TransportCipher;
}

/** Runs the initiator side of the handshake (spec 5.2, 5.5, with a cookie round trip if asked) over `socket`. */
export async function rogueHandshake(socket: dgram.Socket, suite: CryptoSuite, targetPublicKey: Uint8Array): Promise<RogueKeys> {
  const local = suite.generateKeyPair();
  const macs = new CookieGenerator(targetPublicKey);
  const senderIndex = (Math.random() * 0xffffffff) >>> 0;
  const send = () => {
    const init = createInitiation({ suite, localStatic: local, remoteStatic: targetPublicKey, senderIndex, nowMs: Date.now() });
    if (init === null) throw new Error('the target key is a low-order point');
    macs.addMacs(init.packet, HANDSHAKE_INIT_MAC1_OFFSET, Date.now());
    socket.send(init.packet);
    return init.state;
  };
  return new Promise<RogueKeys>((resolve, reject) => {
    let state = send();
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error('the rogue handshake got no response'));
    }, HANDSHAKE_TIMEOUT_MS);
    const onMessage = (msg: Buffer) => {
      const p = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
      if (p[0] === PACKET_COOKIE_REPLY && macs.consumeReply(p, Date.now())) {
        state.destroy();
        state = send();
        return;
      }
      if (p[0] !== PACKET_HANDSHAKE_RESP) return;
      const r = consumeResponse(state, p);
      if (!r.ok) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      const cipher = suite.transportCipher(r.keys.sendKey);
      r.keys.sendKey.fill(0);
      r.keys.recvKey.fill(0);
      resolve({ remoteIndex: r.remoteIndex, send: cipher });
    };
    socket.on('message', onMessage);
  });
}

/** LEB128 varint bytes of `n` (up to 2^35). */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/**
 * `count` authenticated hostile packets of session `keys`, counters from `firstCounter` on, kinds in turn.
 * Frame ids start at a random base so sessions do not collide.
 */
export function roguePackets(keys: RogueKeys, firstCounter: number, count: number, seed: number): { packets: Uint8Array[]; kinds: RogueKind[] } {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const packets: Uint8Array[] = [];
  const kinds: RogueKind[] = [];
  let frameId = int(0x7fffffff);
  let lastHugeFrameId = frameId;
  for (let i = 0; i < count; i++) {
    const kind = ROGUE_KINDS[i % ROGUE_KINDS.length]!;
    let type = PACKET_DATA_FRAGMENT;
    let plain: Uint8Array;
    const fragment = (id: number, index: number, fragCount: number) => {
      const p = new Uint8Array(SIZE_FRAGMENT_HEADER + FRAGMENT_DATA_BYTES);
      const v = new DataView(p.buffer);
      v.setUint32(0, id >>> 0, true);
      v.setUint16(4, index, true);
      v.setUint16(6, fragCount, true);
      for (let j = SIZE_FRAGMENT_HEADER; j < p.length; j += 97) p[j] = int(256);
      return p;
    };
    switch (kind) {
      case 'frag_huge_count':
        lastHugeFrameId = ++frameId;
        plain = fragment(lastHugeFrameId, int(MAX_FRAGMENTS), MAX_FRAGMENTS);
        break;
      case 'frag_index_beyond_count': {
        const fragCount = 1 + int(100);
        plain = fragment(++frameId, fragCount + int(1000), fragCount);
        break;
      }
      case 'frag_count_zero':
        plain = fragment(++frameId, 0, 0);
        break;
      case 'frag_conflicting_count':
        plain = fragment(lastHugeFrameId, int(10), 2 + int(10));
        break;
      case 'frame_oversized_len':
        type = PACKET_DATA;
        // channel, event tag, LEN varint claiming ~4 GiB, then a few bytes.
        plain = new Uint8Array([FIRST_APP_CHANNEL + int(4), 0x0a, ...varint(0xffffffff), 1, 2, 3, 4]);
        break;
      case 'frame_random': {
        type = PACKET_DATA;
        plain = new Uint8Array(1 + int(1100));
        for (let j = 0; j < plain.length; j++) plain[j] = int(256);
        break;
      }
      case 'channel_spray': {
        type = PACKET_DATA;
        const payload = 1 + int(200);
        // One valid event (type 1) on a random application channel.
        plain = new Uint8Array([FIRST_APP_CHANNEL + int(LAST_APP_CHANNEL - FIRST_APP_CHANNEL + 1), 0x0a, ...varint(payload), 1, ...new Array<number>(payload - 1).fill(7)]);
        break;
      }
    }
    const packet = new Uint8Array(SIZE_DATA_HEADER + plain.length + SIZE_AEAD_TAG);
    const counter = firstCounter + i;
    writeTransportHeader(packet, type, keys.remoteIndex, counter);
    packet.set(plain, SIZE_DATA_HEADER);
    keys.send.sealInPlace(counter, packet, SIZE_DATA_HEADER, plain.length);
    packets.push(packet);
    kinds.push(kind);
  }
  return { packets, kinds };
}
