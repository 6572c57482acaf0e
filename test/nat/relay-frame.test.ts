import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_RELAYED_PACKET_BYTES,
  RELAY_REFUSAL_REASONS,
  decodeRelayPacket,
  decodeRelayRefusal,
  encodeRelayPacket,
  encodeRelayRefusal,
} from '../../src/nat/index.js';

const id = (b: number) => new Uint8Array(32).fill(b);

describe('relay packet frames', () => {
  it('round-trips peer and packet, and encodes a prefix of a larger buffer', () => {
    const frame = encodeRelayPacket(id(7), Uint8Array.of(1, 2, 3, 4, 5), 3);
    expect(frame.length).toBe(35);
    const d = decodeRelayPacket(frame);
    expect(d.ok && [...d.value.peer]).toEqual([...id(7)]);
    expect(d.ok && [...d.value.packet]).toEqual([1, 2, 3]);
  });

  it('rejects frames without a packet or beyond the size limit', () => {
    expect(decodeRelayPacket(new Uint8Array(32))).toMatchObject({ ok: false, error: { code: 'TOO_SHORT' } });
    expect(decodeRelayPacket(new Uint8Array(32 + MAX_RELAYED_PACKET_BYTES + 1))).toMatchObject({ ok: false, error: { code: 'BAD_SIZE' } });
    expect(() => encodeRelayPacket(id(1), new Uint8Array(0))).toThrow(/1-/);
    expect(() => encodeRelayPacket(new Uint8Array(31), new Uint8Array(1))).toThrow(/32-byte/);
  });

  it('never throws on arbitrary bytes and round-trips valid frames', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const d = decodeRelayPacket(bytes);
      expect(d.ok).toBe(bytes.length >= 33);
    }));
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 1, maxLength: 1500 }), (peer, packet) => {
      const d = decodeRelayPacket(encodeRelayPacket(peer, packet));
      expect(d.ok).toBe(true);
      if (d.ok) {
        expect(Buffer.from(d.value.peer).equals(Buffer.from(peer))).toBe(true);
        expect(Buffer.from(d.value.packet).equals(Buffer.from(packet))).toBe(true);
      }
    }));
  });
});

describe('relay refusal frames', () => {
  it('round-trips every reason', () => {
    for (const reason of RELAY_REFUSAL_REASONS) {
      const d = decodeRelayRefusal(encodeRelayRefusal(id(3), reason));
      expect(d.ok && d.value.reason).toBe(reason);
    }
    expect(() => encodeRelayRefusal(id(3), 'nope' as never)).toThrow(/reason/);
  });

  it('rejects wrong sizes and unknown reasons', () => {
    const good = encodeRelayRefusal(id(3), 'no-edge');
    expect(decodeRelayRefusal(good.subarray(0, 32))).toMatchObject({ ok: false, error: { code: 'TOO_SHORT' } });
    expect(decodeRelayRefusal(Uint8Array.of(...good, 0))).toMatchObject({ ok: false, error: { code: 'TRAILING_BYTES' } });
    const bad = good.slice();
    bad[32] = RELAY_REFUSAL_REASONS.length;
    expect(decodeRelayRefusal(bad)).toMatchObject({ ok: false, error: { code: 'BAD_FIELD' } });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const d = decodeRelayRefusal(bytes);
      expect(d.ok).toBe(bytes.length === 33 && bytes[32] < RELAY_REFUSAL_REASONS.length);
    }));
  });
});
