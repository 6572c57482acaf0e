import { describe, expect, it } from 'vitest';
import { isVirtualRelayHost } from '../../src/node/index.js';
import { RelayTransport } from '../../src/node/relay-transport.js';
import type { DatagramHandler, DatagramTransport, UdpAddress } from '../../src/session/index.js';

class RecordingTransport implements DatagramTransport {
  readonly sent: Array<{ bytes: number[]; host: string; port: number }> = [];
  handler: DatagramHandler | null = null;
  closed = false;
  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    this.sent.push({ bytes: [...buf.subarray(0, length)], host, port });
    done(null);
  }
  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }
  address(): UdpAddress {
    return { host: '198.51.100.2', port: 4000 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const id = (b: number) => new Uint8Array(32).fill(b);

describe('RelayTransport', () => {
  it('passes ordinary datagrams through both ways', async () => {
    const inner = new RecordingTransport();
    const t = new RelayTransport(inner);
    const got: Array<[number[], string, number]> = [];
    t.onDatagram((buf, host, port) => got.push([[...buf], host, port]));
    t.send(Uint8Array.of(1, 2, 3), 2, '203.0.113.5', 9000, (err) => expect(err).toBeNull());
    expect(inner.sent).toEqual([{ bytes: [1, 2], host: '203.0.113.5', port: 9000 }]);
    inner.handler!(Uint8Array.of(9), '203.0.113.5', 9000);
    expect(got).toEqual([[[9], '203.0.113.5', 9000]]);
    expect(t.address()).toEqual({ host: '198.51.100.2', port: 4000 });
    await t.close();
    expect(inner.closed).toBe(true);
  });

  it('gives each (relay, peer) one virtual address and sends to it through the relay', () => {
    const inner = new RecordingTransport();
    const t = new RelayTransport(inner);
    const forwarded: Array<{ peer: number; bytes: number[] }> = [];
    t.setSender((route, packet, length) => forwarded.push({ peer: route.peerId[0], bytes: [...packet.subarray(0, length)] }));
    const r1 = t.route('R', id(1), 'B', id(2));
    expect(t.route('R', id(1), 'B', id(2))).toBe(r1);
    const r2 = t.route('R', id(1), 'C', id(3));
    expect(r2.address).not.toEqual(r1.address);
    expect(isVirtualRelayHost(r1.address.host)).toBe(true);
    t.send(Uint8Array.of(7, 8, 9), 3, r2.address.host, r2.address.port, (err) => expect(err).toBeNull());
    expect(forwarded).toEqual([{ peer: 3, bytes: [7, 8, 9] }]);
    expect(inner.sent).toEqual([]);
    expect(t.routeAt(r1.address)).toBe(r1);
    expect(t.routeAt({ host: '203.0.113.5', port: r1.address.port })).toBeUndefined();
  });

  it('injects delivered packets from the virtual address, and forgets routes whose relay is gone', () => {
    const inner = new RecordingTransport();
    const t = new RelayTransport(inner);
    const got: Array<[number[], string, number]> = [];
    t.onDatagram((buf, host, port) => got.push([[...buf], host, port]));
    let forwards = 0;
    t.setSender(() => forwards++);
    const r = t.route('R', id(1), 'B', id(2));
    t.inject(r, Uint8Array.of(5));
    expect(got).toEqual([[[5], r.address.host, r.address.port]]);
    t.dropRelay('R');
    expect(t.routeAt(r.address)).toBeUndefined();
    let result: Error | null | undefined;
    t.send(Uint8Array.of(1), 1, r.address.host, r.address.port, (err) => (result = err));
    expect(result).toBeNull();
    expect(forwards).toBe(0);
    expect(inner.sent).toEqual([]);
  });
});
