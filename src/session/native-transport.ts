/**
 * A DatagramTransport over the native addon's UDP socket (native-addon.ts): datagrams sent during one
 * event-loop turn leave in one sendmmsg(2) call, and received datagrams arrive in batches of up to
 * RECV_BATCH_DATAGRAMS per recvmmsg(2) call with one call into JavaScript per batch. Node's dgram makes a
 * system call, a send request and a callback per packet on the way out, and a Buffer, an rinfo object and
 * an event per packet on the way in; on the 2-core benchmark machine those were most of the per-packet
 * cost of a session (docs/decisions.md "Native fast path").
 *
 * Semantics match UdpTransport: the same bind errors, `done` once per send (with the kernel's error for
 * that datagram), dual-stack `::` with IPv4 peers reported without the mapped prefix.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError, WiremeshError } from '../errors.js';
import {
  NATIVE_RECV_BATCH_DATAGRAMS,
  NATIVE_RECV_COPY_BELOW_DATAGRAMS,
  NATIVE_SEND_BATCH_DATAGRAMS,
  NATIVE_SLOT_BYTES,
  SOCKET_BUFFER_BYTES,
} from './constants.js';
import { nativeAddon, type NativeAddon, type NativeSocket } from './native-addon.js';
import { bindError, UdpTransport, type DatagramHandler, type DatagramTransport, type UdpAddress, type UdpTransportOptions } from './transport.js';

const SOCKADDR_BYTES = 28;
const META_INTS = 8;
/** Destinations whose sockaddr bytes are remembered (a node talks to a few hundred peers at most). */
const SOCKADDR_CACHE_ENTRIES = 4096;
/** errno values the kernel reports for a send, by name (the ones a UDP send can see). */
const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 11: 'EAGAIN', 13: 'EACCES', 22: 'EINVAL', 90: 'EMSGSIZE', 97: 'EAFNOSUPPORT', 101: 'ENETUNREACH', 105: 'ENOBUFS', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH' };

type Done = (err: Error | null) => void;

/** Native transports not yet closed in this process (their libuv poll handles are invisible to Node). */
let openTransports = 0;

/**
 * How many NativeUdpTransports are open. process.getActiveResourcesInfo() lists node:dgram sockets but not
 * an addon's poll handle, so leak checks (test/support/resources.ts) add this count.
 */
export function openNativeTransports(): number {
  return openTransports;
}

export class NativeUdpTransport implements DatagramTransport {
  private readonly addon: NativeAddon;
  private readonly socket: NativeSocket;
  private readonly ipv6: boolean;
  private readonly bound: UdpAddress;
  private handler: DatagramHandler | null = null;
  private batchEnd: (() => void) | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  // ---- send batch: packets are copied into slots of one arena and leave together ----
  /** Bytes per arena slot: the largest datagram received whole (larger ones are sent alone). */
  private readonly slotBytes: number;
  // Allocated on the first send (an idle endpoint keeps only its receive arena).
  private sendArena: Uint8Array | null = null;
  private readonly sendLengths = new Int32Array(NATIVE_SEND_BATCH_DATAGRAMS);
  private readonly sendDests = new Uint8Array(NATIVE_SEND_BATCH_DATAGRAMS * SOCKADDR_BYTES);
  private readonly sendErrors = new Int32Array(NATIVE_SEND_BATCH_DATAGRAMS);
  private readonly sendDone: Done[] = [];
  private queued = 0;
  private flushScheduled = false;
  private readonly flushSoon = () => {
    this.flushScheduled = false;
    this.flush();
  };
  private readonly sockaddrs = new Map<string, Uint8Array>();
  private lastHost = '';
  private lastPort = -1;
  private lastSockaddr: Uint8Array | null = null;
  // ---- receive batch ----
  private recvArena: Uint8Array;
  private readonly meta = new Int32Array(NATIVE_RECV_BATCH_DATAGRAMS * META_INTS);
  private lastFromWord = 0;
  private lastFromFamily = 0;
  private lastFromHost = '';
  /** Datagrams sent and received through the batch calls (for tests and the benchmark report). */
  readonly counters = { sendBatches: 0, sent: 0, recvBatches: 0, received: 0 };

  private constructor(addon: NativeAddon, socket: NativeSocket, ipv6: boolean, host: string, slotBytes: number) {
    this.addon = addon;
    this.socket = socket;
    this.ipv6 = ipv6;
    this.bound = { host, port: addon.localPort(socket) };
    this.slotBytes = slotBytes;
    this.recvArena = this.newArena();
    addon.recvStart(socket, this.recvArena, slotBytes, this.meta, (count) => this.onBatch(count));
    openTransports++;
  }

  /** True when the native addon loaded here (otherwise use UdpTransport). */
  static available(): boolean {
    return nativeAddon() !== null;
  }

  /** Binds like UdpTransport.bind; throws WiremeshError NATIVE_UNAVAILABLE when the addon is not loaded. */
  static async bind(options: UdpTransportOptions = {}): Promise<NativeUdpTransport> {
    const addon = nativeAddon();
    if (addon === null) throw new WiremeshError('NATIVE_UNAVAILABLE', 'the native addon is not loaded: use UdpTransport');
    const host = options.host ?? '::';
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidArgumentError(`port ${port} is out of range: use a number from 0 to 65535`);
    }
    let ipv6: boolean;
    if (isIPv4(host)) ipv6 = false;
    else if (isIPv6(host)) ipv6 = true;
    else throw new InvalidArgumentError(`listen host '${host}' is not an IP address: use e.g. 0.0.0.0, :: or 127.0.0.1`);
    let socket: NativeSocket;
    try {
      // As UdpTransport: IPv6 sockets are never IPv6-only (`::` is dual-stack).
      socket = addon.open(ipv6, false, host, port, options.socketBufferBytes ?? SOCKET_BUFFER_BYTES);
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      throw bindError(errnoCode(errno), (err as Error).message, host, port, err);
    }
    // Slots hold the largest datagram this endpoint expects whole (its maxPacketSize), at least 2 KiB.
    const slotBytes = Math.max(NATIVE_SLOT_BYTES, Math.ceil((options.maxDatagramBytes ?? 0) / 64) * 64);
    return new NativeUdpTransport(addon, socket, ipv6, host, slotBytes);
  }

  send(buf: Uint8Array, length: number, host: string, port: number, done: Done): void {
    if (this.closed) {
      done(new WiremeshError('CLOSED', 'the socket is closed'));
      return;
    }
    if (length > this.slotBytes || length < 0 || length > buf.length) {
      this.sendLarge(buf, length, host, port, done);
      return;
    }
    const sockaddr = this.sockaddrFor(host, port);
    if (sockaddr === null) {
      done(new WiremeshError('BAD_ADDRESS', `cannot send to ${host}:${port} from a socket bound to ${this.bound.host}`));
      return;
    }
    const i = this.queued++;
    const arena = this.sendArena ?? (this.sendArena = new Uint8Array(NATIVE_SEND_BATCH_DATAGRAMS * this.slotBytes));
    arena.set(length === buf.length ? buf : buf.subarray(0, length), i * this.slotBytes);
    this.sendLengths[i] = length;
    this.sendDests.set(sockaddr, i * SOCKADDR_BYTES);
    this.sendDone.push(done);
    if (this.queued === NATIVE_SEND_BATCH_DATAGRAMS) this.flush();
    else if (!this.flushScheduled) {
      // The endpoint flushes at the end of its turn; this covers sends from anywhere else.
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Sends every queued datagram now (one sendmmsg per batch). */
  flush(): void {
    const count = this.queued;
    if (count === 0) return;
    this.queued = 0;
    const dones = this.sendDone.splice(0, count);
    let handled = 0;
    if (!this.closed && this.sendArena !== null) {
      handled = this.addon.sendBatch(this.socket, this.sendArena, this.slotBytes, this.sendLengths, this.sendDests, 0, count, this.sendErrors);
      this.counters.sendBatches++;
      this.counters.sent += handled;
    }
    for (let i = 0; i < count; i++) {
      const errno = i < handled ? this.sendErrors[i]! : 11;
      dones[i]!(errno === 0 ? null : sendError(errno));
    }
  }

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  onReceiveBatchEnd(handler: () => void): void {
    this.batchEnd = handler;
  }

  address(): UdpAddress {
    return this.bound;
  }

  get receiveBufferBytes(): number {
    return this.closed ? 0 : this.addon.bufferSizes(this.socket)[0];
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.flush();
    this.closed = true;
    this.handler = null;
    this.batchEnd = null;
    this.addon.close(this.socket);
    openTransports--;
    this.sockaddrs.clear();
    // The fd is closed by libuv's close callback, on the next loop iteration.
    this.closing = new Promise<void>((resolve) => setImmediate(resolve));
    return this.closing;
  }

  /** A datagram larger than a slot goes alone, after what is queued (order kept). */
  private sendLarge(buf: Uint8Array, length: number, host: string, port: number, done: Done): void {
    if (!Number.isInteger(length) || length < 0 || length > buf.length) {
      done(new InvalidArgumentError(`send length ${length} does not fit the ${buf.length}-byte buffer`));
      return;
    }
    const sockaddr = this.sockaddrFor(host, port);
    if (sockaddr === null) {
      done(new WiremeshError('BAD_ADDRESS', `cannot send to ${host}:${port} from a socket bound to ${this.bound.host}`));
      return;
    }
    this.flush();
    const arena = buf.subarray(0, length);
    const lengths = Int32Array.of(length);
    const errors = new Int32Array(1);
    const handled = this.addon.sendBatch(this.socket, arena, Math.max(1, length), lengths, sockaddr, 0, 1, errors);
    this.counters.sendBatches++;
    this.counters.sent += handled;
    const errno = handled === 1 ? errors[0]! : 11;
    done(errno === 0 ? null : sendError(errno));
  }

  private sockaddrFor(host: string, port: number): Uint8Array | null {
    if (host === this.lastHost && port === this.lastPort) return this.lastSockaddr;
    const key = `${host} ${port}`;
    let sa = this.sockaddrs.get(key);
    if (sa === undefined) {
      sa = new Uint8Array(SOCKADDR_BYTES);
      if (!this.addon.sockaddr(host, port, this.ipv6, sa)) return null;
      if (this.sockaddrs.size >= SOCKADDR_CACHE_ENTRIES) this.sockaddrs.clear();
      this.sockaddrs.set(key, sa);
    }
    this.lastHost = host;
    this.lastPort = port;
    this.lastSockaddr = sa;
    return sa;
  }

  /**
   * One recvmmsg batch. A large batch is handed over as views of the arena, and the arena is replaced
   * (the views may live on in delivered events); a small one is copied out so the arena can be reused
   * without keeping a whole arena alive per datagram.
   */
  private onBatch(count: number): void {
    const handler = this.handler;
    if (handler === null) return;
    this.counters.recvBatches++;
    this.counters.received += count;
    const arena = this.recvArena;
    const zeroCopy = count >= NATIVE_RECV_COPY_BELOW_DATAGRAMS;
    if (zeroCopy) {
      this.recvArena = this.newArena();
      this.addon.setArena(this.socket, this.recvArena);
    }
    const meta = this.meta;
    for (let i = 0; i < count; i++) {
      const m = i * META_INTS;
      let length = meta[m]!;
      // -1: longer than a slot and truncated by the kernel; the cut datagram fails its checks and is counted.
      if (length < 0) length = this.slotBytes;
      const start = i * this.slotBytes;
      const buf = zeroCopy ? arena.subarray(start, start + length) : arena.slice(start, start + length);
      handler(buf, this.hostOf(i), meta[m + 1]!);
      if (this.closed) return;
    }
    this.batchEnd?.();
  }

  private newArena(): Uint8Array {
    // allocUnsafeSlow: an arena of its own (not Node's shared pool), left uninitialised: the kernel fills it.
    const b = Buffer.allocUnsafeSlow(NATIVE_RECV_BATCH_DATAGRAMS * this.slotBytes);
    // Plain Uint8Array views (sub-views of a Buffer are Buffers, which cost more per event delivered).
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }

  /** The sender's address as UdpTransport reports it (IPv4-mapped IPv6 without its prefix). */
  private hostOf(i: number): string {
    const meta = this.meta;
    const m = i * META_INTS;
    const family = meta[m + 2]!;
    let word: number;
    if (family === 4) word = meta[m + 3]!;
    else if (meta[m + 3] === 0 && meta[m + 4] === 0 && meta[m + 5] === -65536) word = meta[m + 6]!; // ::ffff:a.b.c.d
    else return this.addon.formatIPv6(meta, i);
    if (word === this.lastFromWord && this.lastFromFamily === 4) return this.lastFromHost;
    const host = `${word & 0xff}.${(word >>> 8) & 0xff}.${(word >>> 16) & 0xff}.${word >>> 24}`;
    this.lastFromWord = word;
    this.lastFromFamily = 4;
    this.lastFromHost = host;
    return host;
  }
}


function errnoCode(errno: number | undefined): string | undefined {
  if (errno === 98) return 'EADDRINUSE';
  if (errno === 99) return 'EADDRNOTAVAIL';
  if (errno === 13) return 'EACCES';
  return undefined;
}

function sendError(errno: number): Error {
  const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  return Object.assign(new Error(`send failed: ${code}`), { code, errno });
}

/**
 * The UDP transport an Endpoint binds by default: the native one when the addon loaded (and
 * WIREMESH_NATIVE is not 0), else node:dgram. Both behave alike; the native one is faster.
 */
export async function bindUdpTransport(options: UdpTransportOptions = {}): Promise<DatagramTransport> {
  return NativeUdpTransport.available() ? NativeUdpTransport.bind(options) : UdpTransport.bind(options);
}
