/**
 * The node's side of `wiremesh pipe` and `wiremesh listen` (issue 7 item 4): a byte stream between a local
 * client (over the control socket) and a peer (over a reliable application channel, spec 11).
 *
 *   stream.open {mode:'pipe', to, channel} | {mode:'listen', channel}
 *     -> event {stream, peer} once the channel is open; from then on the connection carries binary frames
 *        (stream-frames.ts) both ways instead of JSON lines: DATA and EOF from the client, DATA, EOF and a
 *        last END {bytesIn, bytesOut} or ERROR {code, message} from the node, which then closes it.
 *        Errors before the event (unroutable peer, bad channel) are ordinary JSON error answers.
 *
 * Backpressure both ways, with nothing buffered beyond fixed bounds: the node reads the socket only as fast
 * as the channel accepts events (a reliable channel's send waits while the peer's window is full), and it
 * takes events off the channel only as fast as the socket drains (a full receive buffer closes the window,
 * which stops the peer's sender). The client does the same with stdin and stdout.
 *
 * On the channel: event STREAM_DATA_EVENT carries bytes, STREAM_EOF_EVENT is a half close. The channel is
 * closed once both sides sent EOF; its close signal travels in sequence after the data (spec 11), so
 * nothing sent is lost.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { AbortedError, InvalidArgumentError, WiremeshError } from '../../src/errors.js';
import { formatNodeId } from '../../src/identity/index.js';
import type { IncomingChannel, Node } from '../../src/node/index.js';
import type { Channel } from '../../src/session/index.js';
import type { ControlContext, ControlServer } from '../control-socket.js';
import {
  FRAME_DATA,
  FRAME_END,
  FRAME_EOF,
  FRAME_ERROR,
  FRAME_HEADER_BYTES,
  FrameReader,
  encodeFrame,
  encodeJsonFrame,
  frameHeader,
} from '../stream-frames.js';
import { nodeIdArg, parseAppChannel } from './control-args.js';
import {
  MAX_STREAM_FRAME_BYTES,
  MAX_UNCLAIMED_CHANNELS,
  NETWORK_REQUEST_TIMEOUT_MS,
  STREAM_DATA_EVENT,
  STREAM_EOF_EVENT,
  STREAM_EVENT_BYTES,
  STREAM_QUEUED_EVENTS_MAX,
  STREAM_QUEUE_POLL_MS,
  STREAM_SOCKET_FRAME_BYTES,
  UNCLAIMED_CHANNEL_MS,
} from './constants.js';

const EMPTY = new Uint8Array(0);

/** The result of a stream: bytes from the peer to the client, and from the client to the peer. */
export interface StreamTotals {
  bytesIn: number;
  bytesOut: number;
}

function errorBody(err: unknown): { code: string; message: string } {
  if (err instanceof WiremeshError) return { code: err.code, message: err.message };
  return { code: 'STREAM_FAILED', message: `the stream failed: ${(err as Error)?.message ?? String(err)}` };
}

/** Waits until `socket` can take more, or rejects once it is gone. */
async function drained(socket: Socket): Promise<void> {
  if (socket.destroyed) throw new AbortedError('the client went away');
  // Both listeners go once either fires: a transfer waits for 'drain' thousands of times.
  const done = new AbortController();
  try {
    await Promise.race([
      once(socket, 'drain', { signal: done.signal }),
      once(socket, 'close', { signal: done.signal }).then(() => {
        throw new AbortedError('the client went away');
      }),
    ]);
  } finally {
    done.abort();
  }
}

/** One open stream: a channel, the client's socket, and what each direction has done. */
class Stream {
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly id: number,
    readonly peer: Uint8Array,
    readonly channel: Channel,
  ) {}

  /**
   * Runs both directions until each ended, then closes the channel and writes END (or ERROR on failure).
   * Returns when the client has its last frame.
   */
  async run(socket: Socket, head: Buffer, signal: AbortSignal): Promise<StreamTotals> {
    try {
      await Promise.all([this.clientToPeer(socket, head, signal), this.peerToClient(socket, signal)]);
      // Both sides sent EOF: the close follows the data in sequence (spec 11).
      this.channel.close();
      socket.end(encodeJsonFrame(FRAME_END, { bytesIn: this.bytesIn, bytesOut: this.bytesOut }));
    } catch (err) {
      this.channel.close();
      if (!socket.destroyed) socket.end(encodeJsonFrame(FRAME_ERROR, errorBody(err)));
      throw err;
    }
    return { bytesIn: this.bytesIn, bytesOut: this.bytesOut };
  }

  /** Socket -> channel: DATA frames become channel events; EOF becomes the channel's half close. */
  private async clientToPeer(socket: Socket, head: Buffer, signal: AbortSignal): Promise<void> {
    const reader = new FrameReader(MAX_STREAM_FRAME_BYTES, [FRAME_DATA, FRAME_EOF]);
    const chunks: AsyncIterable<Buffer> = socket;
    const iterator = chunks[Symbol.asyncIterator]();
    let chunk: Buffer | undefined = head.length > 0 ? head : undefined;
    for (;;) {
      if (chunk === undefined) {
        // for-await would close the socket on return; the socket must outlive this direction.
        const next = await iterator.next();
        if (next.done === true) throw new WiremeshError('STREAM_FAILED', 'the client closed the stream before its end of input');
        chunk = next.value;
      }
      const frames = reader.push(chunk);
      chunk = undefined;
      if (!frames.ok) throw new WiremeshError('STREAM_PROTOCOL', `the client sent a bad stream frame: ${frames.error.message}`);
      for (const frame of frames.value) {
        if (signal.aborted) throw new AbortedError('the stream was cancelled');
        if (frame.type === FRAME_EOF) {
          await this.channel.send(STREAM_EOF_EVENT, EMPTY);
          return;
        }
        const data = frame.payload;
        // Awaited per event: a reliable channel resolves once the event is in its window, so the socket is
        // read no faster than the peer takes the bytes (the socket's own buffer holds the rest).
        for (let at = 0; at < data.length; at += STREAM_EVENT_BYTES) {
          await this.channel.send(STREAM_DATA_EVENT, data.subarray(at, Math.min(at + STREAM_EVENT_BYTES, data.length)));
          await this.queueBelowLimit(signal);
        }
        this.bytesOut += data.length;
      }
    }
  }

  /**
   * Waits while the channel's send queue holds more than STREAM_QUEUED_EVENTS_MAX events beyond the peer's
   * window. The session lets 1024 events wait before send() blocks; at 16 KiB each that is 16 MiB per slow
   * stream, so the stream keeps its own, lower bound (the session has no event for a lower threshold: poll).
   */
  private async queueBelowLimit(signal: AbortSignal): Promise<void> {
    const rel = this.channel.rel;
    while (rel !== null && rel.queuedEvents > STREAM_QUEUED_EVENTS_MAX && !this.channel.closed) {
      if (signal.aborted) throw new AbortedError('the stream was cancelled');
      await new Promise((resolve) => setTimeout(resolve, STREAM_QUEUE_POLL_MS));
    }
  }

  /** Channel -> socket: events gathered into DATA frames; the peer's EOF (or the channel's end) as EOF. */
  private async peerToClient(socket: Socket, signal: AbortSignal): Promise<void> {
    const channel = this.channel;
    for (;;) {
      let ev = await channel.recv(signal);
      const parts: Uint8Array[] = [];
      let size = 0;
      let ended = false;
      // Everything already buffered goes out in one frame (one socket write for many channel events).
      while (ev !== null) {
        if (ev.type === STREAM_EOF_EVENT) {
          ended = true;
          break;
        }
        if (ev.type === STREAM_DATA_EVENT && ev.payload.length > 0) {
          parts.push(ev.payload);
          size += ev.payload.length;
        }
        if (size >= STREAM_SOCKET_FRAME_BYTES || channel.buffered === 0) break;
        ev = await channel.recv(signal);
      }
      if (size > 0) {
        this.bytesIn += size;
        // Header and payloads are written as one buffer: the payloads are views the session may reuse.
        const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + size);
        frame.set(frameHeader(FRAME_DATA, size), 0);
        let at = FRAME_HEADER_BYTES;
        for (const p of parts) {
          frame.set(p, at);
          at += p.length;
        }
        if (!socket.write(frame)) await drained(socket);
      }
      if (ended) {
        if (!socket.write(encodeFrame(FRAME_EOF))) await drained(socket);
        return;
      }
      // The channel ended without the peer's EOF: its side stopped (cancelled, or its node went away).
      if (ev === null) throw new WiremeshError('STREAM_FAILED', 'the peer closed the stream before the end of its data');
    }
  }

  close(): void {
    this.channel.close();
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

  /** Registers the stream.open handler on `server`. */
  register(server: ControlServer): void {
    server.handle('stream.open', (args, ctx) => this.open(args, ctx));
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

  private async open(args: Record<string, unknown>, ctx: ControlContext): Promise<StreamTotals> {
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
      const { socket, head } = ctx.upgrade({ stream: stream.id, peer: formatNodeId(peer) });
      return await stream.run(socket, head, ctx.signal);
    } catch (err) {
      stream.close();
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.streams.delete(stream.id);
    }
  }
}
