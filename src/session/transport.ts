/**
 * The thin I/O boundary of the session layer (wireguard-go's `conn.Bind`): one datagram socket and one clock.
 * Everything above it is driven through these two interfaces, so the same Endpoint runs on real UDP and on
 * the in-memory fabric used by deterministic simulations.
 */
import dgram from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError, WiremeshError } from '../errors.js';

export interface UdpAddress {
  readonly host: string;
  readonly port: number;
}

export type DatagramHandler = (buf: Uint8Array, host: string, port: number) => void;

/** One datagram socket. `send` must not touch `buf` after `done` is called; `done` is always called once. */
export interface DatagramTransport {
  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void;
  onDatagram(handler: DatagramHandler): void;
  address(): UdpAddress;
  close(): Promise<void>;
  /**
   * Optional: sends what `send` queued during this turn now (batching transports). The Endpoint calls it
   * after its end-of-turn flush; transports that send at once leave it out.
   */
  flush?(): void;
  /**
   * Optional: a transport that receives in batches (recvmmsg) calls `handler` after handing a batch to the
   * datagram handler, so the owner can send what the batch produced (reliable-channel ACKs above all) before
   * the next batch is read instead of at the end of the whole wakeup. Transports that deliver one datagram
   * per callback leave it out (their owner flushes at the end of the turn).
   */
  onReceiveBatchEnd?(handler: () => void): void;
}

/** Wall-clock and timers; injectable for deterministic tests. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Strips the IPv4-mapped IPv6 prefix a dual-stack socket reports, so one peer has one address string. */
export function normalizeHost(host: string): string {
  if (host.startsWith('::ffff:') && isIPv4(host.slice(7))) return host.slice(7);
  return host;
}

export interface UdpTransportOptions {
  host?: string;
  port?: number;
  /** Requested SO_RCVBUF / SO_SNDBUF (spec 13: 4 MiB; Linux clamps to rmem_max / wmem_max). */
  socketBufferBytes?: number;
  /**
   * The largest datagram expected (the endpoint's maxPacketSize). node:dgram needs no hint; the native
   * transport sizes its receive slots from it (at least 2 KiB): longer datagrams arrive cut.
   */
  maxDatagramBytes?: number;
}

/** The one-sentence error for a failed bind (`code` is the errno name), shared by both UDP transports. */
export function bindError(code: string | undefined, message: string, host: string, port: number, cause: unknown): WiremeshError {
  if (code === 'EADDRINUSE') {
    return new WiremeshError('ADDRESS_IN_USE', `UDP port ${host}:${port} is already in use: stop the other process or choose another port`, { cause });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new WiremeshError('ADDRESS_NOT_AVAILABLE', `address ${host} is not assigned to this machine: listen on one of its addresses or on 0.0.0.0`, { cause });
  }
  if (code === 'EACCES') {
    return new WiremeshError('PERMISSION_DENIED', `not allowed to bind ${host}:${port}: choose a port above 1023 or run with the needed privilege`, { cause });
  }
  return new WiremeshError('BIND_FAILED', `cannot bind UDP ${host}:${port}: ${message}`, { cause });
}

/** A real UDP socket. `::` (the default) binds dual-stack so IPv4 and IPv6 peers share the socket. */
export class UdpTransport implements DatagramTransport {
  private readonly socket: dgram.Socket;
  private readonly dualStack: boolean;
  private handler: DatagramHandler | null = null;
  private readonly bound: UdpAddress;
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(socket: dgram.Socket, dualStack: boolean) {
    this.socket = socket;
    this.dualStack = dualStack;
    const a = socket.address();
    // Remembered so address() still answers after close().
    this.bound = { host: dualStack ? normalizeHost(a.address) : a.address, port: a.port };
    socket.on('message', (msg, rinfo) => {
      const h = this.handler;
      // A plain Uint8Array view: sub-views of a Buffer are Buffers, which cost more per event delivered.
      if (h !== null) h(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), dualStack ? normalizeHost(rinfo.address) : rinfo.address, rinfo.port);
    });
    // Errors on an unconnected UDP socket (ICMP unreachable and the like) concern one send, not the socket.
    socket.on('error', () => {});
  }

  static async bind(options: UdpTransportOptions = {}): Promise<UdpTransport> {
    const host = options.host ?? '::';
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidArgumentError(`port ${port} is out of range: use a number from 0 to 65535`);
    }
    let type: 'udp4' | 'udp6';
    if (isIPv4(host)) type = 'udp4';
    else if (isIPv6(host)) type = 'udp6';
    else throw new InvalidArgumentError(`listen host '${host}' is not an IP address: use e.g. 0.0.0.0, :: or 127.0.0.1`);
    const dualStack = type === 'udp6' && host === '::';
    const socket = dgram.createSocket({ type, ipv6Only: false, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        socket.close();
        reject(bindError(err.code, err.message, host, port, err));
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    const want = options.socketBufferBytes ?? 4 * 1024 * 1024;
    try {
      socket.setRecvBufferSize(want);
      socket.setSendBufferSize(want);
    } catch {
      // Best effort (spec 13): the kernel may refuse or clamp; the socket still works.
    }
    return new UdpTransport(socket, dualStack);
  }

  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    if (this.closed) {
      done(new WiremeshError('CLOSED', 'the socket is closed'));
      return;
    }
    // A udp4 socket cannot reach an IPv6 peer; report it as a failed send rather than throwing.
    // A dual-stack socket reports IPv4 peers without the mapped prefix (normalizeHost); put it back to send.
    const to = this.dualStack && host.indexOf(':') < 0 ? `::ffff:${host}` : host;
    try {
      this.socket.send(buf, 0, length, port, to, done);
    } catch (err) {
      done(err as Error);
    }
  }

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  address(): UdpAddress {
    return this.bound;
  }

  get receiveBufferBytes(): number {
    return this.socket.getRecvBufferSize();
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.handler = null;
    this.closing = new Promise<void>((resolve) => this.socket.close(() => resolve()));
    return this.closing;
  }
}
