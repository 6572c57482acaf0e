/**
 * Relay frames on channel 2 (DESIGN "NAT traversal": a relay forwards whole Wiresocket packets; the
 * end-to-end session stays between the two endpoints, so the relay only ever holds ciphertext). The
 * channel event type says what the frame is (RELAY_FORWARD, RELAY_DELIVER, RELAY_REFUSED); the payload:
 *
 *   FORWARD / DELIVER:  peer NodeID(32) | Wiresocket packet (1..MAX_RELAYED_PACKET_BYTES)
 *   REFUSED:            peer NodeID(32) | reason(1)
 *
 * In FORWARD the peer is the destination; in DELIVER and REFUSED it is the other endpoint (the source of
 * the packet, or the destination that was refused). Decoders return views into the payload and never throw.
 */
import { InvalidArgumentError } from '../errors.js';
import { fail, ok, type DecodeResult } from '../wire/result.js';
import { NODE_ID_BYTES } from '../wire/index.js';
import { MAX_RELAYED_PACKET_BYTES } from './constants.js';

export interface RelayPacketFrame {
  readonly peer: Uint8Array;
  readonly packet: Uint8Array;
}

/** Why a relay does not forward: it relays for nobody, has no edge to the target, or a cap is reached. */
export const RELAY_REFUSAL_REASONS = ['disabled', 'no-edge', 'sessions-full', 'rate-limited'] as const;
export type RelayRefusalReason = (typeof RELAY_REFUSAL_REASONS)[number];

export interface RelayRefusalFrame {
  readonly peer: Uint8Array;
  readonly reason: RelayRefusalReason;
}

function checkPeer(peer: Uint8Array): void {
  if (!(peer instanceof Uint8Array) || peer.length !== NODE_ID_BYTES) throw new InvalidArgumentError(`a relay frame names a ${NODE_ID_BYTES}-byte NodeID`);
}

export function encodeRelayPacket(peer: Uint8Array, packet: Uint8Array, length = packet.length): Uint8Array {
  checkPeer(peer);
  if (length < 1 || length > MAX_RELAYED_PACKET_BYTES || length > packet.length) {
    throw new InvalidArgumentError(`a relayed packet is 1-${MAX_RELAYED_PACKET_BYTES} bytes, got ${length}`);
  }
  const out = new Uint8Array(NODE_ID_BYTES + length);
  out.set(peer, 0);
  out.set(packet.subarray(0, length), NODE_ID_BYTES);
  return out;
}

export function decodeRelayPacket(payload: Uint8Array): DecodeResult<RelayPacketFrame> {
  if (payload.length < NODE_ID_BYTES + 1) return fail('TOO_SHORT', `a relay packet frame is at least ${NODE_ID_BYTES + 1} bytes, got ${payload.length}`);
  if (payload.length > NODE_ID_BYTES + MAX_RELAYED_PACKET_BYTES) return fail('BAD_SIZE', `a relayed packet is at most ${MAX_RELAYED_PACKET_BYTES} bytes`);
  return ok({ peer: payload.subarray(0, NODE_ID_BYTES), packet: payload.subarray(NODE_ID_BYTES) });
}

export function encodeRelayRefusal(peer: Uint8Array, reason: RelayRefusalReason): Uint8Array {
  checkPeer(peer);
  const code = RELAY_REFUSAL_REASONS.indexOf(reason);
  if (code < 0) throw new InvalidArgumentError(`unknown relay refusal reason ${String(reason)}`);
  const out = new Uint8Array(NODE_ID_BYTES + 1);
  out.set(peer, 0);
  out[NODE_ID_BYTES] = code;
  return out;
}

export function decodeRelayRefusal(payload: Uint8Array): DecodeResult<RelayRefusalFrame> {
  if (payload.length < NODE_ID_BYTES + 1) return fail('TOO_SHORT', `a relay refusal is ${NODE_ID_BYTES + 1} bytes, got ${payload.length}`);
  if (payload.length > NODE_ID_BYTES + 1) return fail('TRAILING_BYTES', `a relay refusal is ${NODE_ID_BYTES + 1} bytes, got ${payload.length}`);
  const reason = RELAY_REFUSAL_REASONS[payload[NODE_ID_BYTES]];
  if (reason === undefined) return fail('BAD_FIELD', `unknown relay refusal reason ${payload[NODE_ID_BYTES]}`);
  return ok({ peer: payload.subarray(0, NODE_ID_BYTES), reason });
}
