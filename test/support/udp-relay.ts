/**
 * A real-UDP man in the middle on 127.0.0.1 for integration tests: clients send to the relay, which forwards
 * to the server from a per-client upstream socket (so the server sees one address per client), with seeded
 * loss, duplication and reordering, plus capture and injection of raw datagrams.
 */
import dgram from 'node:dgram';
import { mulberry32 } from '../../src/node/sim/index.js';

export interface RelayOptions {
  target: { host: string; port: number };
  seed?: number;
  /** Probability (0-1) that a datagram is dropped. */
  loss?: number;
  /** Probability that a datagram is sent twice. */
  duplicate?: number;
  /** Probability that a datagram is held back and released after the next one (reordering). */
  reorder?: number;
  /** Only datagrams for which this returns true are subject to loss/duplication/reordering. */
  impair?: (buf: Buffer, direction: 'up' | 'down') => boolean;
}

export interface RelayCounters {
  forwarded: { up: number; down: number };
  dropped: { up: number; down: number };
  duplicated: { up: number; down: number };
  reordered: { up: number; down: number };
  /** Dropped datagrams by first byte (packet type) and direction. */
  droppedByType: Map<string, number>;
}

export class UdpRelay {
  readonly counters: RelayCounters = {
    forwarded: { up: 0, down: 0 },
    dropped: { up: 0, down: 0 },
    duplicated: { up: 0, down: 0 },
    reordered: { up: 0, down: 0 },
    droppedByType: new Map(),
  };
  /** Every datagram seen, in arrival order, when `capture` is true. */
  captured: Array<{ direction: 'up' | 'down'; data: Buffer }> = [];
  capture = false;
  /** When true every datagram is silently discarded (a dead link). */
  blackhole = false;
  private readonly front: dgram.Socket;
  private readonly upstreams = new Map<string, { socket: dgram.Socket; client: { host: string; port: number } }>();
  private readonly held: { up: Buffer | null; down: Buffer | null } = { up: null, down: null };
  private readonly random: () => number;
  private readonly options: RelayOptions;

  private constructor(front: dgram.Socket, options: RelayOptions) {
    this.front = front;
    this.options = options;
    this.random = mulberry32(options.seed ?? 1);
    front.on('message', (msg, rinfo) => this.fromClient(msg, rinfo.address, rinfo.port));
  }

  static async start(options: RelayOptions): Promise<UdpRelay> {
    const front = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
    // Large kernel buffers: the relay must lose only what the test tells it to lose.
    front.setRecvBufferSize(4 << 20);
    front.setSendBufferSize(4 << 20);
    return new UdpRelay(front, options);
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.front.address().port };
  }

  /** Sends raw bytes to the server as if they came from the client at `clientPort` (must have spoken before). */
  injectUp(data: Uint8Array, clientPort?: number): void {
    const up = clientPort === undefined ? this.upstreams.values().next().value : this.upstreams.get(`127.0.0.1:${clientPort}`);
    if (!up) throw new Error('no client has spoken through the relay yet');
    up.socket.send(data, this.options.target.port, this.options.target.host);
  }

  /** Releases datagrams held back for reordering (call at the end of a burst so nothing stays held). */
  releaseHeld(): void {
    const up = this.held.up;
    const down = this.held.down;
    this.held.up = null;
    this.held.down = null;
    const first = this.upstreams.values().next().value;
    if (up !== null && first) {
      this.counters.forwarded.up++;
      first.socket.send(up, this.options.target.port, this.options.target.host);
    }
    if (down !== null && first) {
      this.counters.forwarded.down++;
      this.front.send(down, first.client.port, first.client.host);
    }
  }

  private fromClient(msg: Buffer, host: string, port: number): void {
    const key = `${host}:${port}`;
    let up = this.upstreams.get(key);
    if (up === undefined) {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1', () => {
        socket.setRecvBufferSize(4 << 20);
        socket.setSendBufferSize(4 << 20);
      });
      const entry = { socket, client: { host, port } };
      socket.on('message', (m) => this.forward(m, 'down', entry));
      this.upstreams.set(key, entry);
      up = entry;
    }
    this.forward(msg, 'up', up);
  }

  private forward(msg: Buffer, direction: 'up' | 'down', entry: { socket: dgram.Socket; client: { host: string; port: number } }): void {
    if (this.capture) this.captured.push({ direction, data: Buffer.from(msg) });
    if (this.blackhole) return;
    const send = (b: Buffer) => {
      this.counters.forwarded[direction]++;
      if (direction === 'up') entry.socket.send(b, this.options.target.port, this.options.target.host);
      else this.front.send(b, entry.client.port, entry.client.host);
    };
    const impaired = this.options.impair ? this.options.impair(msg, direction) : true;
    if (!impaired) {
      send(msg);
      return;
    }
    const r = this.random;
    if (r() < (this.options.loss ?? 0)) {
      this.counters.dropped[direction]++;
      const k = `${direction}:${msg[0]}`;
      this.counters.droppedByType.set(k, (this.counters.droppedByType.get(k) ?? 0) + 1);
      return;
    }
    const dup = r() < (this.options.duplicate ?? 0);
    if (this.held[direction] === null && r() < (this.options.reorder ?? 0)) {
      this.held[direction] = msg;
      this.counters.reordered[direction]++;
      return;
    }
    send(msg);
    if (dup) {
      this.counters.duplicated[direction]++;
      send(msg);
    }
    const held = this.held[direction];
    if (held !== null) {
      this.held[direction] = null;
      send(held);
    }
  }

  async close(): Promise<void> {
    const closes: Promise<void>[] = [new Promise((r) => this.front.close(() => r()))];
    for (const { socket } of this.upstreams.values()) closes.push(new Promise((r) => socket.close(() => r())));
    this.upstreams.clear();
    await Promise.all(closes);
  }
}
