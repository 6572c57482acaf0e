/**
 * What keeps a reliable stream's two ends working at once (docs/decisions.md "Reliable channels"):
 * - a transport that receives in batches tells the Endpoint when a batch is done, and what the batch
 *   produced (the ACK) leaves right then, not at the end of the whole wakeup;
 * - data frames carry ACK fields only when they are news, so a one-way stream's frames carry none;
 * - handshake messages leave at once.
 * Driven by hand over an in-memory transport, so every step is deterministic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite, type Channel, type DatagramHandler, type DatagramTransport, type Session, type UdpAddress } from '../../src/session/index.js';
import { PACKET_DATA } from '../../src/wire/index.js';

interface Sent {
  bytes: Uint8Array;
  to: UdpAddress;
}

/** Queues what the endpoint sends; `flush()` moves the queue to `wire` (like the native transport's batch). */
class HandTransport implements DatagramTransport {
  handler: DatagramHandler | null = null;
  batchEnd: (() => void) | null = null;
  private queued: Sent[] = [];
  readonly wire: Sent[] = [];
  flushes = 0;
  private flushSoon = false;

  constructor(
    private readonly self: UdpAddress,
    private readonly batching: boolean,
  ) {}

  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    this.queued.push({ bytes: Uint8Array.from(buf.subarray(0, length)), to: { host, port } });
    done(null);
    // As the native transport: sends made outside the Endpoint's flush leave at the end of the turn.
    if (!this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        this.flush();
      });
    }
  }

  flush(): void {
    this.flushes++;
    this.wire.push(...this.queued.splice(0));
  }

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  address(): UdpAddress {
    return this.self;
  }

  async close(): Promise<void> {
    this.handler = null;
  }

  /** Takes what went out on the wire so far. */
  take(): Sent[] {
    return this.wire.splice(0);
  }

  /** Hands datagrams over as one receive batch. */
  deliver(batch: Sent[], from: UdpAddress): void {
    for (const d of batch) this.handler?.(d.bytes, from.host, from.port);
    if (this.batching) this.batchEnd?.();
  }
}

/** A transport with the batch hook (the native transport's shape). */
class BatchingHandTransport extends HandTransport {
  onReceiveBatchEnd(handler: () => void): void {
    this.batchEnd = handler;
  }
}

const A: UdpAddress = { host: '10.0.0.1', port: 1000 };
const B: UdpAddress = { host: '10.0.0.2', port: 2000 };
const endpoints: Endpoint[] = [];

afterEach(async () => {
  for (const e of endpoints.splice(0)) await e.close();
});

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Moves packets both ways (one batch per direction per turn) until nothing is in flight. */
async function pump(ta: HandTransport, tb: HandTransport, turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await turn();
    const ab = ta.take();
    const ba = tb.take();
    if (ab.length === 0 && ba.length === 0) return;
    if (ab.length > 0) tb.deliver(ab, A);
    if (ba.length > 0) ta.deliver(ba, B);
  }
}

async function connected(batching: boolean): Promise<{ ta: HandTransport; tb: HandTransport; client: Session; server: Session }> {
  const ta = batching ? new BatchingHandTransport(A, true) : new HandTransport(A, false);
  const tb = batching ? new BatchingHandTransport(B, true) : new HandTransport(B, false);
  const a = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), transport: ta });
  const b = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), transport: tb });
  endpoints.push(a, b);
  const accepted = new Promise<Session>((res) => b.once('session', res));
  const dialing = a.dial(B, b.publicKey);
  // The initiation is on the wire before the end of the turn (handshake messages leave at once).
  expect(ta.wire.map((d) => d.bytes[0])).toEqual([1]);
  tb.deliver(ta.take(), A);
  expect(tb.wire.map((d) => d.bytes[0])).toEqual([2]);
  ta.deliver(tb.take(), B);
  const client = await dialing;
  await pump(ta, tb);
  const server = await accepted;
  return { ta, tb, client, server };
}

function reliablePair(client: Session, server: Session): { out: Channel; got: Promise<Channel> } {
  const got = new Promise<Channel>((res) => server.once('channel', (ch: Channel) => res(ch.setReliable())));
  return { out: client.channel(40).setReliable(), got };
}

describe('ACK per receive batch', () => {
  it('the receiver ACKs as soon as a batch is handled when the transport reports batch ends', async () => {
    const { ta, tb, client, server } = await connected(true);
    const { out, got } = reliablePair(client, server);
    const payload = new Uint8Array(1024).fill(7);
    for (let i = 0; i < 40; i++) void out.send(1, payload);
    await turn();
    const data = ta.take();
    expect(data.length).toBe(40);
    expect(data.every((d) => d.bytes[0] === PACKET_DATA)).toBe(true);
    tb.deliver(data.slice(0, 32), A);
    // Synchronously, before any later turn: the ACK for the first batch is already on the wire.
    const acks = tb.take();
    expect(acks.length).toBe(1);
    expect(acks[0]!.bytes.length).toBeLessThan(64);
    ta.deliver(acks, B);
    tb.deliver(data.slice(32), A);
    expect(tb.take().length).toBe(1);
    const ch = await got;
    let read = 0;
    for await (const ev of ch) {
      expect(ev.payload).toEqual(payload);
      if (++read === 40) break;
    }
  });

  it('without batch reports, the ACK waits for the end of the turn', async () => {
    const { ta, tb, client, server } = await connected(false);
    const { out } = reliablePair(client, server);
    for (let i = 0; i < 10; i++) void out.send(1, new Uint8Array(1024));
    await turn();
    tb.deliver(ta.take(), A);
    expect(tb.take()).toEqual([]);
    await turn();
    expect(tb.take().length).toBe(1);
  });
});

describe('piggybacked ACK fields', () => {
  it('a one-way stream carries none; a frame after data came the other way carries them once', async () => {
    const { ta, tb, client, server } = await connected(true);
    const { out, got } = reliablePair(client, server);
    const payload = new Uint8Array(1000);
    for (let i = 0; i < 5; i++) void out.send(1, payload);
    await turn();
    const first = ta.take();
    // Equal sizes: no frame carries AckSeq/WindowSize (sequence numbers 1-5 all encode in one byte).
    const plain = first[0]!.bytes.length;
    expect(first.map((d) => d.bytes.length)).toEqual([plain, plain, plain, plain, plain]);
    tb.deliver(first, A);
    const back = await got;
    ta.deliver(tb.take(), B); // the receiver's standalone ACK
    // Data the other way: the client's receiver now has news for the server.
    void back.send(2, new Uint8Array(10));
    await turn();
    const reply = tb.take();
    expect(reply.length).toBe(1);
    // It arrives in the same turn as the client's next two sends (handed over without a batch end, so
    // the end-of-turn flush sends the data frames and the ACK rides on the first of them).
    ta.handler!(reply[0]!.bytes, B.host, B.port);
    void out.send(1, payload);
    void out.send(1, payload);
    await turn();
    const later = ta.take();
    // No standalone ACK: the first data frame carried the ACK fields (longer); the second had nothing new.
    expect(later.length).toBe(2);
    expect(later[0]!.bytes.length).toBeGreaterThan(plain);
    expect(later[1]!.bytes.length).toBe(plain);
  });
});
