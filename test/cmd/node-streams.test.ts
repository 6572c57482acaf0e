/**
 * pipe/listen streams inside one process (issue 7 item 4), with real nodes on loopback, real control
 * sockets and the binary frames: bytes arrive exactly, and backpressure holds both ways: when the
 * receiving client stops reading, the sending client is stopped after a bounded amount (nothing buffers
 * without limit in between), and everything flows again once it reads.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, ControlServer } from '../../cmd/control-socket.js';
import { NodeStreams } from '../../cmd/commands/node-streams.js';
import { FRAME_DATA, FRAME_END, FRAME_EOF, FRAME_ERROR, FrameReader, encodeFrame, frameHeader } from '../../cmd/stream-frames.js';
import { formatNodeId } from '../../src/identity/index.js';
import { createNode, type Node } from '../../src/node/index.js';
import { tempDir } from '../e2e/cli/cli-process.js';

const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function nodeWithControl(bootstrap: string[]): Promise<{ node: Node; dir: string }> {
  const dir = await tempDir('wm-streams-');
  const node = createNode({ host: '127.0.0.1', port: 0, maintenance: false, noSubnet: true, bootstrap });
  await node.start();
  cleanup.push(() => node.stop());
  const server = new ControlServer(dir);
  const streams = new NodeStreams(node);
  streams.register(server);
  void streams.acceptChannels();
  await server.listen();
  cleanup.push(async () => {
    streams.close();
    await server.close();
  });
  return { node, dir };
}

async function client(dir: string): Promise<ControlClient> {
  const c = await ControlClient.connect(dir);
  cleanup.push(() => c.close());
  return c;
}

/** Reads a stream socket's frames: DATA into a hash, until END or ERROR. */
function readFrames(socket: Socket, head: Buffer): { bytes: () => number; done: Promise<{ type: number; body: unknown; sha: string; sawEof: boolean }> } {
  const reader = new FrameReader(1 << 20, [FRAME_DATA, FRAME_EOF, FRAME_END, FRAME_ERROR]);
  const hash = createHash('sha256');
  let bytes = 0;
  let sawEof = false;
  const done = new Promise<{ type: number; body: unknown; sha: string; sawEof: boolean }>((resolve, reject) => {
    const onChunk = (chunk: Buffer): void => {
      const r = reader.push(chunk);
      if (!r.ok) return reject(new Error(r.error.message));
      for (const f of r.value) {
        if (f.type === FRAME_DATA) {
          hash.update(f.payload);
          bytes += f.payload.length;
        } else if (f.type === FRAME_EOF) sawEof = true;
        else resolve({ type: f.type, body: JSON.parse(f.payload.toString()), sha: hash.digest('hex'), sawEof });
      }
    };
    if (head.length > 0) onChunk(head);
    socket.on('data', onChunk);
    socket.once('close', () => reject(new Error('closed before END')));
  });
  done.catch(() => {});
  return { bytes: () => bytes, done };
}

/** Deterministic bytes: chunk i of 64 KiB filled from i. */
function chunkOf(i: number): Buffer {
  const b = Buffer.allocUnsafe(64 * 1024);
  for (let j = 0; j < b.length; j += 4) b.writeUInt32BE((i * 16_411 + j) >>> 0, j);
  return b;
}

describe('pipe and listen streams over binary frames', () => {
  it('stop the sender when the receiver does not read, then deliver every byte exactly once it does', async () => {
    const b = await nodeWithControl([]);
    const a = await nodeWithControl([b.node.contact]);
    const deadline = Date.now() + 5_000;
    while (a.node.edges().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(a.node.edges().length).toBe(1);

    const listening = (await client(b.dir)).openStream('stream.open', { mode: 'listen', channel: 40 });
    const piping = await (await client(a.dir)).openStream('stream.open', { mode: 'pipe', to: formatNodeId(b.node.id), channel: 40 });
    expect((piping.event as { peer: string }).peer).toBe(formatNodeId(b.node.id));
    // The peer sees the channel with its first event; the listening client then never reads (paused socket).

    const sa = piping.socket;
    const sent = createHash('sha256');
    const TOTAL_CHUNKS = 512; // 32 MiB
    let written = 0;
    let i = 0;
    let stalled = false;
    while (i < TOTAL_CHUNKS) {
      const chunk = chunkOf(i++);
      sent.update(chunk);
      sa.write(frameHeader(FRAME_DATA, chunk.length));
      written += chunk.length;
      if (!sa.write(chunk)) {
        const drainedInTime = await Promise.race([once(sa, 'drain').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_500))]);
        if (!drainedInTime) {
          stalled = true;
          break;
        }
      }
    }
    process.stdout.write(`[node-streams] the sender stalled after ${(written / 1024 / 1024).toFixed(2)} MiB with the receiver not reading\n`);
    expect(stalled).toBe(true);
    // Bounded: socket buffers on both sides plus the channel's window, far below what the sender offered.
    expect(written).toBeLessThan(16 * 1024 * 1024);
    const listener = await listening;
    expect((listener.event as { peer: string }).peer).toBe(formatNodeId(a.node.id));

    // The receiver reads now; the sender finishes; the listener sends nothing back.
    const received = readFrames(listener.socket, listener.head);
    listener.socket.resume();
    const aFrames = readFrames(sa, piping.head);
    sa.resume();
    if (sa.writableNeedDrain) await once(sa, 'drain');
    while (i < TOTAL_CHUNKS) {
      const chunk = chunkOf(i++);
      sent.update(chunk);
      sa.write(frameHeader(FRAME_DATA, chunk.length));
      if (!sa.write(chunk)) await once(sa, 'drain');
    }
    sa.write(encodeFrame(FRAME_EOF));
    // Once the pipe's bytes and EOF arrived, the listener ends its side.
    const deadlineEof = Date.now() + 20_000;
    while (received.bytes() < TOTAL_CHUNKS * 64 * 1024 && Date.now() < deadlineEof) await new Promise((r) => setTimeout(r, 20));
    listener.socket.write(encodeFrame(FRAME_EOF));
    const [atListener, atPipe] = await Promise.all([received.done, aFrames.done]);
    expect(atListener).toMatchObject({ type: FRAME_END, body: { bytesIn: TOTAL_CHUNKS * 64 * 1024, bytesOut: 0 }, sawEof: true });
    expect(atListener.sha).toBe(sent.digest('hex'));
    expect(atPipe).toMatchObject({ type: FRAME_END, body: { bytesIn: 0, bytesOut: TOTAL_CHUNKS * 64 * 1024 }, sawEof: true });
  }, 60_000);

  it('answers a pipe to an unreachable node and a bad mode with JSON errors (no switch to frames)', async () => {
    const a = await nodeWithControl([]);
    const c = await client(a.dir);
    await expect(c.openStream('stream.open', { mode: 'pipe', to: 'b' + 'a'.repeat(52), channel: 40 })).rejects.toMatchObject({
      code: 'UNROUTABLE',
    });
    await expect(c.openStream('stream.open', { mode: 'sideways', channel: 40 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const status = await c.request('stream.open', { mode: 'pipe', channel: 3, to: 'x' }).catch((e: { code: string }) => e.code);
    expect(status).toBe('INVALID_ARGUMENT');
    // The connection is still JSON lines after those refusals.
    await expect(c.request('nonesuch')).rejects.toMatchObject({ code: 'UNKNOWN_COMMAND' });
  });
});

describe('switching a control connection to a byte stream', () => {
  it('is refused while another request is in flight on the connection, and then works on its own connection', async () => {
    const dir = await tempDir('wm-upgrade-');
    const server = new ControlServer(dir);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    server.handle('hold', () => held.then(() => 'released'));
    server.handle('raw', async (_args, ctx) => {
      const { socket, head } = ctx.upgrade({ switched: true });
      // Echo one frame back, then end: the handler owns the socket now.
      const reader = new FrameReader(1024, [FRAME_DATA, FRAME_EOF]);
      let chunk: Buffer = head;
      for (;;) {
        const r = reader.push(chunk);
        if (r.ok && r.value.length > 0) {
          socket.end(encodeFrame(FRAME_DATA, r.value[0]!.payload));
          return;
        }
        socket.resume();
        [chunk] = (await once(socket, 'data')) as [Buffer];
        socket.pause();
      }
    });
    await server.listen();
    cleanup.push(() => server.close());
    const busy = await client(dir);
    const holding = busy.request('hold');
    await expect(busy.openStream('raw', {})).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const viaRequest = await busy.request('raw').catch((e: { code: string }) => e.code);
    expect(viaRequest).toBe('INVALID_STATE');
    release();
    expect(await holding).toBe('released');

    const own = await client(dir);
    const { event, socket, head } = await own.openStream('raw', {});
    expect(event).toEqual({ switched: true });
    expect(head.length).toBe(0);
    socket.write(encodeFrame(FRAME_DATA, Buffer.from('ping\n{"id":9}\n')));
    socket.resume();
    const echoed = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      socket.on('data', (d: Buffer) => parts.push(d));
      socket.once('end', () => resolve(Buffer.concat(parts)));
    });
    expect(echoed.equals(encodeFrame(FRAME_DATA, Buffer.from('ping\n{"id":9}\n')))).toBe(true);
  });
});
