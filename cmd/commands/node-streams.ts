/**
 * The node's side of `wiremesh pipe` and `wiremesh listen` (issue 7 item 4): a byte stream between a local
 * client (over the control socket) and a peer (over a reliable application channel, spec 11).
 *
 * Control requests (arguments and results are JSON; bytes are base64):
 *   stream.open  {mode:'pipe', to, channel} | {mode:'listen', channel}
 *                -> event {stream, peer} once the channel is open; the request stays open for the stream's
 *                   life and answers {bytesIn, bytesOut} when both directions ended. Cancelling it (or the
 *                   client disconnecting) closes the channel.
 *   stream.read  {stream}        -> {data, eof}: up to 64 KiB; waits for bytes (pull: the client's pace is
 *                                   the reading pace, so the reliable window throttles the peer).
 *   stream.write {stream, data}  -> null once the channel took the bytes (its send window is the throttle).
 *   stream.end   {stream}        -> null: no more bytes from this side.
 *
 * On the channel: event STREAM_DATA_EVENT carries bytes, STREAM_EOF_EVENT is a half close. The channel is
 * closed once both sides sent EOF; its close signal travels in sequence after the data (spec 11), so
 * nothing sent is lost.
 */
import { AbortedError, InvalidArgumentError, WiremeshError } from '../../src/errors.js';
import { formatNodeId } from '../../src/identity/index.js';
import type { IncomingChannel, Node } from '../../src/node/index.js';
import type { Channel } from '../../src/session/index.js';
import type { ControlContext, ControlServer } from '../control-socket.js';
import { bytesArg, integerArg, nodeIdArg, parseAppChannel } from './control-args.js';
import {
  MAX_UNCLAIMED_CHANNELS,
  NETWORK_REQUEST_TIMEOUT_MS,
  STREAM_CONTROL_CHUNK_BYTES,
  STREAM_DATA_EVENT,
  STREAM_EOF_EVENT,
  STREAM_EVENT_BYTES,
  UNCLAIMED_CHANNEL_MS,
} from './constants.js';

const EMPTY = new Uint8Array(0);

/** One open stream: a channel and what each direction has done. */
class Stream {
  bytesIn = 0;
  bytesOut = 0;
  private eofReceived = false;
  private eofSent = false;
  private endQueued = false;
  /** Tail of the write queue. */
  private writes: Promise<void> = Promise.resolve();
  /** The client has been told the peer ended (a read answered eof), so it reads no more. */
  private eofDelivered = false;
  private readonly done: Promise<void>;
  private markDone!: () => void;
  private reading = false;

  constructor(
    readonly id: number,
    readonly peer: Uint8Array,
    readonly channel: Channel,
  ) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
  }

  /** Resolves when both directions have ended (or the channel is gone). */
  finished(): Promise<void> {
    return this.done;
  }

  /** Up to one control chunk of bytes from the peer; eof once the peer ended (or the channel closed). */
  async read(signal: AbortSignal): Promise<{ data: Uint8Array; eof: boolean }> {
    if (this.reading) throw new InvalidArgumentError('one stream.read at a time: wait for the answer before reading again');
    if (this.eofReceived) {
      this.eofDelivered = true;
      this.settle();
      return { data: EMPTY, eof: true };
    }
    this.reading = true;
    try {
      const parts: Uint8Array[] = [];
      let size = 0;
      let ev = await this.channel.recv(signal).catch(() => null);
      // Gather what is already buffered, so one answer carries many channel events.
      while (ev !== null) {
        if (ev.type === STREAM_EOF_EVENT) {
          this.eofReceived = true;
          break;
        }
        if (ev.type === STREAM_DATA_EVENT) {
          // Copied: an event's payload may be a view into a receive buffer the session reuses.
          parts.push(ev.payload.slice());
          size += ev.payload.length;
        }
        if (size >= STREAM_CONTROL_CHUNK_BYTES || this.channel.buffered === 0) break;
        ev = await this.channel.recv(signal).catch(() => null);
      }
      if (ev === null) this.eofReceived = true;
      this.bytesIn += size;
      const eof = this.eofReceived && size === 0;
      if (eof) {
        this.eofDelivered = true;
        this.settle();
      }
      return { data: Buffer.concat(parts), eof };
    } finally {
      this.reading = false;
    }
  }

  /**
   * Queues `data` behind earlier writes: a client keeps several writes in flight, and their events must
   * not interleave on the channel.
   */
  write(data: Uint8Array): Promise<void> {
    if (this.endQueued) return Promise.reject(new InvalidArgumentError('this stream was already ended: nothing more can be written'));
    const next = this.writes.then(async () => {
      for (let at = 0; at < data.length; at += STREAM_EVENT_BYTES) {
        await this.channel.send(STREAM_DATA_EVENT, data.subarray(at, Math.min(at + STREAM_EVENT_BYTES, data.length)));
      }
      this.bytesOut += data.length;
    });
    // A failed write fails its own request; the ones queued after it fail on the closed channel themselves.
    this.writes = next.catch(() => {});
    return next;
  }

  /** The half close, after every queued write. */
  async end(): Promise<void> {
    if (this.endQueued) return;
    this.endQueued = true;
    await this.writes;
    await this.channel.send(STREAM_EOF_EVENT, EMPTY).catch(() => {});
    this.eofSent = true;
    this.settle();
  }

  /**
   * Closes the channel once both sides ended and the client read everything; the close follows the data in
   * sequence (spec 11).
   */
  private settle(): void {
    if (!(this.eofSent && this.eofDelivered)) return;
    this.close();
  }

  close(): void {
    this.channel.close();
    this.markDone();
  }
}

/** Channels peers opened, waiting for a `listen` on their channel number. */
interface Unclaimed {
  incoming: IncomingChannel;
  timer: NodeJS.Timeout;
}

export class NodeStreams {
  private readonly streams = new Map<number, Stream>();
  private readonly unclaimed: Unclaimed[] = [];
  private readonly listeners = new Map<number, Array<(incoming: IncomingChannel) => void>>();
  private nextId = 1;

  constructor(private readonly node: Node) {}

  /** Registers the stream.* handlers on `server`. */
  register(server: ControlServer): void {
    server.handle('stream.open', (args, ctx) => this.open(args, ctx));
    server.handle('stream.read', async (args, ctx) => {
      const { data, eof } = await this.stream(args).read(ctx.signal);
      return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), eof };
    });
    server.handle('stream.write', async (args) => {
      await this.stream(args).write(bytesArg(args, 'data'));
      return null;
    });
    server.handle('stream.end', async (args) => {
      await this.stream(args).end();
      return null;
    });
  }

  /** Takes the channels peers open (drains node.channels); call once after the node started. */
  async acceptChannels(): Promise<void> {
    for await (const incoming of this.node.channels) this.offer(incoming);
  }

  /** Closes every stream and every unclaimed channel (the node is stopping). */
  close(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
    for (const u of this.unclaimed.splice(0)) {
      clearTimeout(u.timer);
      u.incoming.channel.close();
    }
  }

  private offer(incoming: IncomingChannel): void {
    const waiting = this.listeners.get(incoming.channel.id);
    const take = waiting?.shift();
    if (take !== undefined) {
      if (waiting!.length === 0) this.listeners.delete(incoming.channel.id);
      take(incoming);
      return;
    }
    if (this.unclaimed.length >= MAX_UNCLAIMED_CHANNELS) {
      incoming.channel.close();
      return;
    }
    const entry: Unclaimed = {
      incoming,
      timer: setTimeout(() => {
        const i = this.unclaimed.indexOf(entry);
        if (i >= 0) this.unclaimed.splice(i, 1);
        incoming.channel.close();
      }, UNCLAIMED_CHANNEL_MS),
    };
    entry.timer.unref();
    this.unclaimed.push(entry);
  }

  private waitForChannel(channel: number, signal: AbortSignal): Promise<IncomingChannel> {
    const i = this.unclaimed.findIndex((u) => u.incoming.channel.id === channel && !u.incoming.channel.closed);
    if (i >= 0) {
      const [entry] = this.unclaimed.splice(i, 1);
      clearTimeout(entry!.timer);
      return Promise.resolve(entry!.incoming);
    }
    return new Promise((resolve, reject) => {
      const list = this.listeners.get(channel) ?? [];
      const take = (incoming: IncomingChannel): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(incoming);
      };
      const onAbort = (): void => {
        const at = list.indexOf(take);
        if (at >= 0) list.splice(at, 1);
        reject(new AbortedError('stopped listening: the client went away'));
      };
      list.push(take);
      this.listeners.set(channel, list);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async open(args: Record<string, unknown>, ctx: ControlContext): Promise<{ bytesIn: number; bytesOut: number }> {
    const channelNumber = parseAppChannel(args.channel, 'channel');
    let peer: Uint8Array;
    let channel: Channel;
    if (args.mode === 'pipe') {
      peer = nodeIdArg(args, 'to');
      channel = await this.node.openChannel(peer, channelNumber, { reliable: true, signal: ctx.signal, timeoutMs: NETWORK_REQUEST_TIMEOUT_MS });
    } else if (args.mode === 'listen') {
      const incoming = await this.waitForChannel(channelNumber, ctx.signal);
      peer = incoming.from;
      channel = incoming.channel;
    } else {
      throw new InvalidArgumentError('"mode" must be "pipe" or "listen"');
    }
    const stream = new Stream(this.nextId++, peer, channel);
    this.streams.set(stream.id, stream);
    const onAbort = (): void => stream.close();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      ctx.emit({ stream: stream.id, peer: formatNodeId(peer) });
      await stream.finished();
      return { bytesIn: stream.bytesIn, bytesOut: stream.bytesOut };
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.streams.delete(stream.id);
    }
  }

  private stream(args: Record<string, unknown>): Stream {
    const stream = this.streams.get(integerArg(args, 'stream'));
    if (stream === undefined) throw new WiremeshError('NO_STREAM', 'that stream is not open (it ended, or was opened on another node)');
    return stream;
  }
}
