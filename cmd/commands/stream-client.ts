/**
 * The client side of `pipe` and `listen` (issue 7 item 4): stdin goes to the peer and the peer's bytes go to
 * stdout, through the running node (node-streams.ts). After the `stream.open` request and the node's event,
 * the control connection carries binary frames (stream-frames.ts): no base64, no request per chunk.
 *
 * Backpressure: stdin is read only as fast as the socket drains (and the node reads the socket only as fast
 * as the peer's window allows); the socket is read only as fast as stdout drains. A progress line goes to
 * stderr when stdout is not a terminal (it is then a file or a pipe, and the bytes are not visible).
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { WiremeshError } from '../../src/errors.js';
import type { ControlClient } from '../control-client.js';
import { ProgressLine } from '../progress-line.js';
import { FRAME_DATA, FRAME_END, FRAME_EOF, FRAME_ERROR, FrameReader, frameHeader, encodeFrame } from '../stream-frames.js';
import { MAX_STREAM_FRAME_BYTES } from './constants.js';

export interface StreamIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface StreamSummary {
  peer: string;
  bytesIn: number;
  bytesOut: number;
}

const closedEarly = (): WiremeshError =>
  new WiremeshError('CONTROL_CLOSED', 'the node closed the stream before it finished: it may have stopped; see its log');

/** Waits until `stream` can take more; rejects when `socket` closes meanwhile. */
async function drained(stream: NodeJS.WritableStream, socket: Socket): Promise<void> {
  if (socket.destroyed) throw closedEarly();
  // Both listeners go once either fires: a transfer waits for 'drain' thousands of times.
  const done = new AbortController();
  try {
    await Promise.race([
      once(stream as NodeJS.EventEmitter, 'drain', { signal: done.signal }),
      once(socket, 'close', { signal: done.signal }).then(() => {
        throw closedEarly();
      }),
    ]);
  } finally {
    done.abort();
  }
}

/** Opens a stream with `openArgs` (stream.open) and runs it until both directions ended. */
export async function runStream(
  client: ControlClient,
  openArgs: Record<string, unknown>,
  io: StreamIo,
  onOpen: (peer: string) => void,
): Promise<StreamSummary> {
  const { event, socket, head } = await client.openStream('stream.open', openArgs);
  const peer = String((event as { peer?: unknown }).peer);
  onOpen(peer);
  const progress = io.stdout.isTTY === true ? undefined : new ProgressLine({ label: 'transfer', stream: io.stderr, isTty: io.stderr.isTTY === true });
  let moved = 0;
  const count = (n: number): void => {
    moved += n;
    progress?.update(moved);
  };
  try {
    const outgoing = pumpOut(socket, io.stdin, count);
    // A failure while sending is reported by the node's ERROR frame, which pumpIn reads; observe it here.
    outgoing.catch(() => {});
    const totals = await pumpIn(socket, head, io.stdout, count);
    await outgoing.catch(() => {});
    return { peer, ...totals };
  } finally {
    progress?.finish();
  }
}

/** Node -> stdout until the node's END (the totals) or ERROR frame. */
async function pumpIn(
  socket: Socket,
  head: Buffer,
  stdout: NodeJS.WritableStream,
  count: (n: number) => void,
): Promise<{ bytesIn: number; bytesOut: number }> {
  const reader = new FrameReader(MAX_STREAM_FRAME_BYTES, [FRAME_DATA, FRAME_EOF, FRAME_END, FRAME_ERROR]);
  const chunks: AsyncIterable<Buffer> = socket;
  const iterator = chunks[Symbol.asyncIterator]();
  let chunk: Buffer | undefined = head.length > 0 ? head : undefined;
  for (;;) {
    if (chunk === undefined) {
      const next = await iterator.next();
      if (next.done === true) throw closedEarly();
      chunk = next.value;
    }
    const frames = reader.push(chunk);
    chunk = undefined;
    if (!frames.ok) throw new WiremeshError('CONTROL_PROTOCOL', `the node sent a bad stream frame: ${frames.error.message}`);
    for (const frame of frames.value) {
      switch (frame.type) {
        case FRAME_DATA:
          count(frame.payload.length);
          if (!stdout.write(frame.payload)) await drained(stdout, socket);
          break;
        case FRAME_EOF:
          break;
        case FRAME_END: {
          const totals = JSON.parse(frame.payload.toString('utf8')) as { bytesIn: number; bytesOut: number };
          return { bytesIn: Number(totals.bytesIn), bytesOut: Number(totals.bytesOut) };
        }
        case FRAME_ERROR: {
          const body = JSON.parse(frame.payload.toString('utf8')) as { code?: unknown; message?: unknown };
          throw new WiremeshError(String(body.code ?? 'STREAM_FAILED'), String(body.message ?? 'the stream failed'));
        }
      }
    }
  }
}

/** stdin -> node as DATA frames (one per stdin chunk), then EOF. */
async function pumpOut(socket: Socket, stdin: NodeJS.ReadableStream, count: (n: number) => void): Promise<void> {
  for await (const piece of stdin) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
    for (let at = 0; at < buf.length; at += MAX_STREAM_FRAME_BYTES) {
      const part = buf.subarray(at, Math.min(at + MAX_STREAM_FRAME_BYTES, buf.length));
      if (socket.destroyed) throw closedEarly();
      socket.write(frameHeader(FRAME_DATA, part.length));
      const more = socket.write(part);
      count(part.length);
      if (!more) await drained(socket, socket);
    }
  }
  if (!socket.destroyed) socket.write(encodeFrame(FRAME_EOF));
}
