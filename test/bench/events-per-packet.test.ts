/**
 * The coalescing figure (c) paces its sender in packets' worth of events: eventsPerPacket must agree with
 * what the session's FrameWriter actually packs into one default-size Data packet.
 */
import { describe, expect, it } from 'vitest';
import { eventsPerPacket } from '../../bench/session-stream.js';
import { DEFAULT_MAX_PACKET_SIZE, FrameWriter, SIZE_AEAD_TAG, SIZE_DATA_HEADER } from '../../src/wire/index.js';

function packedByWriter(eventBytes: number): number {
  const packet = new Uint8Array(DEFAULT_MAX_PACKET_SIZE);
  const writer = new FrameWriter(packet, SIZE_DATA_HEADER, DEFAULT_MAX_PACKET_SIZE - SIZE_DATA_HEADER - SIZE_AEAD_TAG);
  writer.begin(16);
  const payload = new Uint8Array(eventBytes);
  let n = 0;
  while (writer.tryAddEvent(1, payload)) n++;
  return n;
}

describe('eventsPerPacket', () => {
  it.each([0, 1, 64, 125, 126, 200, 600, 1024, 1150])('matches the FrameWriter for %i-byte events', (bytes) => {
    expect(eventsPerPacket(bytes)).toBe(packedByWriter(bytes));
  });

  it('is 1 for events too big for one packet (they travel fragmented, one per frame)', () => {
    expect(packedByWriter(5000)).toBe(0);
    expect(eventsPerPacket(5000)).toBe(1);
  });

  it('packs 1 KiB events one per packet and 64-byte events many per packet', () => {
    expect(eventsPerPacket(1024)).toBe(1);
    expect(eventsPerPacket(64)).toBeGreaterThan(15);
  });
});
