/**
 * The control socket in one process: requests and results, streamed events, typed errors, cancellation and
 * timeouts, the socket file's mode and lifecycle (refuse a live predecessor, refuse a foreign file, remove the
 * file on close), the per-connection limits, and garbage input (property: the server answers with errors or
 * hangs up, and keeps serving).
 */
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, InvalidArgumentError, TimeoutError, WiremeshError } from '../../src/errors.js';
import { ControlClient, ControlServer } from '../../cmd/control-socket.js';
import { decodeServerMessage, parseJsonLine, type ServerMessage } from '../../cmd/control-protocol.js';
import { activeResources, until, waitForNoLeaks } from '../support/resources.js';

const servers: ControlServer[] = [];
const clients: ControlClient[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function dataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'wm-ctl-'));
}

async function startServer(dir?: string, options: ConstructorParameters<typeof ControlServer>[1] = {}): Promise<ControlServer> {
  const server = new ControlServer(dir ?? (await dataDir()), options);
  servers.push(server);
  server.handle('status', (args) => ({ uptimeMs: 1234, echo: args }));
  await server.listen();
  return server;
}

async function client(dir: string): Promise<ControlClient> {
  const c = await ControlClient.connect(dir);
  clients.push(c);
  return c;
}

async function failureOf(p: Promise<unknown>): Promise<WiremeshError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WiremeshError);
    return err as WiremeshError;
  }
  throw new Error('expected a rejection');
}

/** A raw connection that records every reply line until the server closes it. */
async function rawConnection(path: string): Promise<{ socket: Socket; replies: ServerMessage[]; closed: Promise<void> }> {
  const socket = connect(path);
  sockets.push(socket);
  const replies: ServerMessage[] = [];
  let buffered = '';
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const parsed = parseJsonLine(Buffer.from(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
      const decoded = parsed.ok ? decodeServerMessage(parsed.value) : parsed;
      if (!decoded.ok) throw new Error(`the server wrote an invalid reply: ${decoded.error.message}`);
      replies.push(decoded.value);
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, replies, closed };
}

describe('ControlServer and ControlClient', () => {
  it('answer requests over a 0600 socket in the data directory', async () => {
    const before = activeResources();
    const dir = await dataDir();
    const server = await startServer(dir);
    expect(server.path).toBe(join(dir, 'control.sock'));
    const info = await stat(server.path);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    const c = await client(dir);
    expect(await c.request('status', { verbose: true })).toEqual({ uptimeMs: 1234, echo: { verbose: true } });
    expect(await c.request('status')).toEqual({ uptimeMs: 1234, echo: {} });
    expect(server.stats()).toMatchObject({ connections: 1, connectionsAccepted: 1, requests: 2, badLines: 0 });
    await c.close();
    await server.close();
    expect(await waitForNoLeaks(before)).toEqual([]);
  });

  it('streams events before the final result, and matches interleaved answers by id', async () => {
    const server = await startServer();
    server.handle('count', async (args, ctx) => {
      const n = Number(args.to);
      for (let i = 1; i <= n; i++) {
        ctx.emit({ done: i, of: n });
        await new Promise((r) => setTimeout(r, 1));
      }
      return { counted: n };
    });
    server.handle('sleep', async (args) => {
      await new Promise((r) => setTimeout(r, Number(args.ms)));
      return args.ms;
    });
    const c = await client(server.dataDir);
    const events: unknown[] = [];
    expect(await c.request('count', { to: 3 }, { onEvent: (e) => events.push(e) })).toEqual({ counted: 3 });
    expect(events).toEqual([
      { done: 1, of: 3 },
      { done: 2, of: 3 },
      { done: 3, of: 3 },
    ]);
    const order: number[] = [];
    await Promise.all([40, 5, 20].map((ms) => c.request<number>('sleep', { ms }).then((v) => order.push(v))));
    expect(order).toEqual([5, 20, 40]);
  });

  it('turns failures into typed errors with the node’s code and sentence', async () => {
    const internal: Array<[unknown, string]> = [];
    const server = await startServer(undefined, { onHandlerError: (e, cmd) => internal.push([e, cmd]) });
    server.handle('send', () => {
      throw new InvalidArgumentError("NodeID 'xyz' is not valid: copy it from `wiremesh status`");
    });
    server.handle('crash', () => {
      throw new TypeError('undefined is not a function');
    });
    server.handle('cyclic', () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    });
    const c = await client(server.dataDir);
    const unknown = await failureOf(c.request('nope'));
    expect(unknown.code).toBe('UNKNOWN_COMMAND');
    expect(unknown.message).toBe("unknown command 'nope': this node answers crash, cyclic, send, status");
    const invalid = await failureOf(c.request('send'));
    expect(invalid).toBeInstanceOf(InvalidArgumentError);
    expect(invalid.message).toBe("NodeID 'xyz' is not valid: copy it from `wiremesh status`");
    const crash = await failureOf(c.request('crash'));
    expect(crash.code).toBe('INTERNAL');
    expect(crash.message).toBe("'crash' failed with an internal error: the node's log has the details");
    expect(crash.message).not.toContain('undefined is not a function');
    expect((await failureOf(c.request('cyclic'))).code).toBe('INTERNAL');
    expect(internal.map(([e, cmd]) => [(e as Error).constructor.name, cmd])).toEqual([
      ['TypeError', 'crash'],
      ['TypeError', 'cyclic'],
    ]);
    // The connection is still good after every failure.
    expect(await c.request('status')).toMatchObject({ uptimeMs: 1234 });
  });

  it('cancels a request on abort, on timeout and on disconnect: the handler’s signal fires', async () => {
    const server = await startServer();
    const aborts: string[] = [];
    server.handle('wait', (_args, ctx) => {
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborts.push(String((ctx.signal.reason as Error).message));
          reject(ctx.signal.reason);
        });
      });
    });
    const c = await client(server.dataDir);
    const controller = new AbortController();
    const pending = c.request('wait', {}, { signal: controller.signal });
    await until(() => server.stats().requests === 1, 2000, 'the request to arrive');
    controller.abort();
    expect(await failureOf(pending)).toBeInstanceOf(AbortedError);
    await until(() => aborts.length === 1, 2000, 'the handler to see the cancel');
    expect(aborts[0]).toMatch(/cancelled by the client/);

    const timedOut = await failureOf(c.request('wait', {}, { timeoutMs: 30 }));
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(timedOut.message).toBe("the node did not answer 'wait' within 30 ms");
    await until(() => aborts.length === 2, 2000, 'the handler to see the timeout');

    const already = new AbortController();
    already.abort();
    expect(await failureOf(c.request('status', {}, { signal: already.signal }))).toBeInstanceOf(AbortedError);

    const other = await client(server.dataDir);
    const lost = failureOf(other.request('wait'));
    await until(() => server.stats().requests === 3, 2000, 'the third wait');
    await other.close();
    expect(await lost).toBeInstanceOf(AbortedError);
    await until(() => aborts.length === 3, 2000, 'the handler to see the disconnect');
    expect(aborts[2]).toBe('the control client disconnected');
    expect(await c.request('status')).toMatchObject({ uptimeMs: 1234 });
  });

  it('an event callback that throws abandons its request', async () => {
    const server = await startServer();
    let signalled = false;
    server.handle('chatty', async (_args, ctx) => {
      ctx.signal.addEventListener('abort', () => (signalled = true));
      for (let i = 0; i < 100 && !ctx.signal.aborted; i++) {
        ctx.emit(i);
        await new Promise((r) => setTimeout(r, 2));
      }
      return 'done';
    });
    const c = await client(server.dataDir);
    await expect(
      c.request('chatty', {}, {
        onEvent: (e) => {
          if (e === 2) throw new Error('the caller gave up');
        },
      }),
    ).rejects.toThrow('the caller gave up');
    await until(() => signalled, 2000, 'the cancel');
  });

  it('says how to start a node when none runs, and refuses socket paths the OS cannot bind', async () => {
    const dir = await dataDir();
    const err = await failureOf(ControlClient.connect(dir));
    expect(err.code).toBe('NO_RUNNING_NODE');
    expect(err.message).toBe(`no running node found at ${dir}/control.sock: start one with \`wiremesh run --data-dir ${dir}\``);
    expect(() => new ControlServer(dir).handle('no spaces', () => 1)).toThrow(InvalidArgumentError);
    const long = join(dir, 'x'.repeat(120));
    expect(() => new ControlServer(long)).toThrow(InvalidArgumentError);
    await expect(ControlClient.connect(long)).rejects.toThrow(/longer than the 103 the OS allows: use a data directory with a shorter path/);
  });

  it('the client rejects answers that are not this protocol, or too long', async () => {
    const dir = await dataDir();
    const replies = ['HTTP/1.1 400 Bad Request\n', `{"id":1,"ok":true,"result":"${'z'.repeat(200)}"}\n`];
    const impostor = createNetServer((socket) => {
      socket.once('data', () => socket.write(replies.shift() ?? ''));
    });
    await new Promise<void>((resolve) => impostor.listen(join(dir, 'control.sock'), resolve));
    try {
      const garbage = await failureOf((await client(dir)).request('status'));
      expect(garbage.code).toBe('CONTROL_PROTOCOL');
      expect(garbage.message).toBe(
        `${join(dir, 'control.sock')} sent an invalid answer (the line is not JSON: send one JSON object per line, like {"id":1,"cmd":"status"}): is a wiremesh node listening there?`,
      );
      const small = await ControlClient.connect(dir, { maxLineBytes: 100 });
      clients.push(small);
      const long = await failureOf(small.request('status'));
      expect(long.code).toBe('CONTROL_PROTOCOL');
      expect(long.message).toMatch(/sent an answer longer than 100 bytes/);
    } finally {
      impostor.close();
    }
  });

  it('refuses to start while another server answers, and refuses a file that is not a socket', async () => {
    const server = await startServer();
    const second = new ControlServer(server.dataDir);
    const err = await failureOf(second.listen());
    expect(err.code).toBe('ALREADY_RUNNING');
    expect(err.message).toBe(
      `a node is already running with data directory ${server.dataDir} (its control socket ${server.path} answers): stop it first or use another --data-dir`,
    );
    await second.close();
    // The first server was not disturbed.
    expect(await (await client(server.dataDir)).request('status')).toMatchObject({ uptimeMs: 1234 });

    const dir = await dataDir();
    await writeFile(join(dir, 'control.sock'), 'not a socket');
    await expect(new ControlServer(dir).listen()).rejects.toThrow(`${join(dir, 'control.sock')} exists and is not a socket: move it away`);
  });

  it('close() is idempotent, removes the socket file and ends open requests', async () => {
    const server = await startServer();
    server.handle('forever', () => new Promise(() => {}));
    const c = await client(server.dataDir);
    const pending = failureOf(c.request('forever'));
    await until(() => server.stats().requests === 1, 2000, 'the request');
    await Promise.all([server.close(), server.close()]);
    await server.close();
    expect(server.isListening).toBe(false);
    await expect(stat(server.path)).rejects.toThrow(/ENOENT/);
    const err = await pending;
    expect(err.code).toBe('CONTROL_CLOSED');
    expect(err.message).toBe("the node closed the control connection before answering 'forever': it may have stopped; see its log");
    expect((await failureOf(c.request('status'))).code).toBe('CONTROL_CLOSED');
    expect((await failureOf(ControlClient.connect(server.dataDir))).code).toBe('NO_RUNNING_NODE');
    await expect(server.listen()).rejects.toThrow();
    // A new server takes over the same data directory.
    const again = await startServer(server.dataDir);
    expect(await (await client(again.dataDir)).request('status')).toMatchObject({ uptimeMs: 1234 });
  });

  it('turns away connections and requests beyond the limits', async () => {
    const server = await startServer(undefined, { maxConnections: 2, maxInFlight: 2 });
    server.handle('hold', (_a, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(null))));
    const a = await client(server.dataDir);
    await client(server.dataDir);
    const third = await client(server.dataDir);
    const busy = await failureOf(third.request('status'));
    expect(busy.code).toBe('BUSY');
    expect(busy.message).toBe('the node serves at most 2 control connections at once: close idle clients and retry');
    expect(server.stats().connectionsRefused).toBe(1);

    const holds = [a.request('hold'), a.request('hold')].map((p) => failureOf(p));
    const overflow = await failureOf(a.request('hold'));
    expect(overflow.code).toBe('BUSY');
    expect(overflow.message).toMatch(/too many requests in flight on this connection \(at most 2\)/);
    await a.close();
    for (const hold of holds) expect((await hold).code).toBe('ABORTED');
  });

  it('hangs up on an oversized line and after too many bad lines, and keeps serving others', async () => {
    const server = await startServer(undefined, { maxLineBytes: 1024, maxBadLines: 3 });
    const big = await rawConnection(server.path);
    big.socket.write('x'.repeat(2000));
    await big.closed;
    expect(big.replies).toEqual([{ kind: 'error', id: null, error: { code: 'LINE_TOO_LONG', message: 'a line is longer than 1024 bytes: closing the connection' } }]);

    const bad = await rawConnection(server.path);
    bad.socket.write('hello\n{"id":5,"cmd":"no way"}\n\n[]\n{"id":6,"cmd":"status"}\n');
    await bad.closed;
    expect(bad.replies.map((r) => [r.kind, r.id, r.kind === 'error' ? r.error.code : ''])).toEqual([
      ['error', null, 'BAD_REQUEST'],
      ['error', 5, 'BAD_REQUEST'],
      ['error', null, 'BAD_REQUEST'],
    ]);
    expect(server.stats()).toMatchObject({ oversizedLines: 1, badLines: 3 });
    expect(await (await client(server.dataDir)).request('status')).toMatchObject({ uptimeMs: 1234 });
  });

  it('drops a client that stops reading instead of buffering without bound', async () => {
    const server = await startServer(undefined, { maxBufferedBytes: 256 * 1024 });
    const chunk = 'y'.repeat(64 * 1024);
    server.handle('flood', async (_args, ctx) => {
      for (let i = 0; i < 400 && !ctx.signal.aborted; i++) {
        ctx.emit(chunk);
        if (i % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      return 'done';
    });
    const raw = await rawConnection(server.path);
    raw.socket.pause();
    raw.socket.write('{"id":1,"cmd":"flood"}\n');
    await until(() => server.stats().slowClientsDropped === 1, 5000, 'the slow client to be dropped');
    expect(server.stats().connections).toBe(0);
    expect(await (await client(server.dataDir)).request('status')).toMatchObject({ uptimeMs: 1234 });
  });

  it('survives arbitrary bytes: every reply is an error, or the server hangs up, and it keeps serving (property)', async () => {
    const server = await startServer(undefined, { maxLineBytes: 256, maxBadLines: 4 });
    const line = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.jsonValue().map((v) => Buffer.from(`${JSON.stringify(v)}\n`)),
      fc
        .record({ id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), cmd: fc.oneof(fc.string(), fc.integer()), args: fc.jsonValue() }, { requiredKeys: [] })
        .map((v) => Buffer.from(`${JSON.stringify(v)}\n`)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 6 }), async (chunks) => {
        const raw = await rawConnection(server.path);
        for (const chunk of chunks) raw.socket.write(chunk);
        raw.socket.end();
        await raw.closed;
        for (const reply of raw.replies) {
          // `status` is the only command, so anything it did not answer is an error.
          if (reply.kind !== 'error') expect(reply).toMatchObject({ kind: 'result', result: { uptimeMs: 1234 } });
          else expect(['BAD_REQUEST', 'LINE_TOO_LONG', 'UNKNOWN_COMMAND', 'DUPLICATE_ID', 'BUSY', 'ABORTED']).toContain(reply.error.code);
        }
      }),
      { numRuns: 60 },
    );
    expect(server.isListening).toBe(true);
    expect(server.stats().badLines).toBeGreaterThan(0);
    expect(await (await client(server.dataDir)).request('status')).toMatchObject({ uptimeMs: 1234 });
  }, 30_000);
});
