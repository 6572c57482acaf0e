/**
 * The client side of `pipe` and `listen` (issue 7 item 4): stdin goes to the peer and the peer's bytes go to
 * stdout, through the running node's stream.* requests (node-streams.ts). Reads are pulled one at a time, so
 * a slow stdout slows the peer (through the channel's window) instead of filling memory; writes keep a small
 * number in flight so the node always has bytes to send. A progress line goes to stderr when stdout is not a
 * terminal (it is then a file or a pipe, and the bytes are not visible).
 */
import { once } from 'node:events';
import type { ControlClient } from '../control-client.js';
import { ProgressLine } from '../progress-line.js';
import { STREAM_CONTROL_CHUNK_BYTES, STREAM_WRITES_IN_FLIGHT } from './constants.js';

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

/** Opens a stream with `openArgs` (stream.open) and runs it until both directions ended. */
export async function runStream(
  client: ControlClient,
  openArgs: Record<string, unknown>,
  io: StreamIo,
  onOpen: (peer: string) => void,
): Promise<StreamSummary> {
  let opened!: (info: { stream: number; peer: string }) => void;
  const openedPromise = new Promise<{ stream: number; peer: string }>((resolve) => (opened = resolve));
  const finished = client.request<{ bytesIn: number; bytesOut: number }>('stream.open', openArgs, {
    onEvent: (event) => opened(event as { stream: number; peer: string }),
  });
  // Observed here too, so a failure while the pumps run is not an unhandled rejection; awaited below.
  finished.catch(() => {});
  const { stream, peer } = await Promise.race([openedPromise, finished.then(() => openedPromise)]);
  onOpen(peer);
  const progress = io.stdout.isTTY === true ? undefined : new ProgressLine({ label: 'transfer', stream: io.stderr, isTty: io.stderr.isTTY === true });
  let moved = 0;
  const count = (n: number): void => {
    moved += n;
    progress?.update(moved);
  };
  try {
    await Promise.all([pumpIn(client, stream, io.stdout, count), pumpOut(client, stream, io.stdin, count)]);
    const totals = await finished;
    return { peer, ...totals };
  } finally {
    progress?.finish();
  }
}

/** Peer -> stdout, one read request at a time. */
async function pumpIn(client: ControlClient, stream: number, stdout: NodeJS.WritableStream, count: (n: number) => void): Promise<void> {
  for (;;) {
    const r = await client.request<{ data: string; eof: boolean }>('stream.read', { stream });
    const bytes = Buffer.from(r.data, 'base64');
    if (bytes.length > 0) {
      count(bytes.length);
      if (!stdout.write(bytes)) await once(stdout, 'drain');
    }
    if (r.eof) return;
  }
}

/** stdin -> peer in control-sized chunks, a few writes in flight, then the half close. */
async function pumpOut(client: ControlClient, stream: number, stdin: NodeJS.ReadableStream, count: (n: number) => void): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const write = (chunk: Buffer): Promise<void> => {
    const p = client.request('stream.write', { stream, data: chunk.toString('base64') }).then(
      () => count(chunk.length),
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return tracked;
  };
  for await (const piece of stdin) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
    for (let at = 0; at < buf.length; at += STREAM_CONTROL_CHUNK_BYTES) {
      while (inFlight.size >= STREAM_WRITES_IN_FLIGHT) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
      void write(buf.subarray(at, Math.min(at + STREAM_CONTROL_CHUNK_BYTES, buf.length)));
    }
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  await client.request('stream.end', { stream });
}
