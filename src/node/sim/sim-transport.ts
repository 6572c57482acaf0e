/**
 * One bound socket of the simulated fabric: the `DatagramTransport` an Endpoint (or a Node) uses instead of
 * a UDP socket. It only holds its address and handler; the fabric (SimNetwork) routes what it sends.
 */
import type { DatagramHandler, DatagramTransport, UdpAddress } from '../../session/transport.js';
import type { SimNat } from './sim-nat.js';

/** What a transport needs from the network that bound it. */
export interface DatagramFabric {
  transmit(from: SimTransport, buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void;
  unbind(transport: SimTransport): void;
}

export class SimTransport implements DatagramTransport {
  readonly host: string;
  readonly port: number;
  /** The NAT this transport's host sits behind, or null on the public fabric. */
  readonly behind: SimNat | null;
  private readonly fabric: DatagramFabric;
  private readonly bound: UdpAddress;
  private _handler: DatagramHandler | null = null;
  private _closed = false;

  constructor(fabric: DatagramFabric, host: string, port: number, behind: SimNat | null) {
    this.fabric = fabric;
    this.host = host;
    this.port = port;
    this.behind = behind;
    this.bound = Object.freeze({ host, port });
  }

  get closed(): boolean {
    return this._closed;
  }

  /** The current datagram handler (the fabric calls it on delivery). */
  get handler(): DatagramHandler | null {
    return this._handler;
  }

  /** Copies `length` bytes of `buf` at once (the caller may reuse `buf` after `done`); `done` runs on a later turn. */
  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    this.fabric.transmit(this, buf, length, host, port, done);
  }

  onDatagram(handler: DatagramHandler): void {
    this._handler = handler;
  }

  /** The bound (private, for a host behind a NAT) address; still answers after close. */
  address(): UdpAddress {
    return this.bound;
  }

  /** Unbinds at once: datagrams still in flight to this address are dropped as 'unbound'. Idempotent. */
  close(): Promise<void> {
    if (!this._closed) {
      this._closed = true;
      this._handler = null;
      this.fabric.unbind(this);
    }
    return Promise.resolve();
  }
}
