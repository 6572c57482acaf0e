/** Test helpers for the simulated fabric: record what a transport receives, send without caring about done. */
import type { SimNetwork, SimTransport } from '../../src/node/sim/index.js';

export interface Received {
  data: Uint8Array;
  host: string;
  port: number;
  atMs: number;
}

/** Starts recording every datagram `t` receives, with the virtual time it arrived at. */
export function record(net: SimNetwork, t: SimTransport): Received[] {
  const got: Received[] = [];
  t.onDatagram((data, host, port) => got.push({ data, host, port, atMs: net.clock.now() }));
  return got;
}

/** Sends `bytes` and ignores completion (errors are checked by the tests that care). */
export function fire(t: SimTransport, bytes: Uint8Array, host: string, port: number): void {
  t.send(bytes, bytes.length, host, port, () => {});
}

/** A 4-byte datagram carrying `n` (little-endian), so receivers can tell datagrams apart. */
export function numbered(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

export function numberOf(data: Uint8Array): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
}
