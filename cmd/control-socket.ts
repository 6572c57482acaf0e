/**
 * The node's local control channel (issue 7 item 3): a Unix domain socket `<dataDir>/control.sock`, mode
 * 0600, speaking JSON lines (control-protocol.ts). Other commands (`status`, `peers`, `send`, ...) reach the
 * running node through it.
 *
 *   const server = new ControlServer(dataDir);
 *   server.handle('status', async (args, ctx) => ({ uptimeMs: 1234 }));
 *   await server.listen();   // refuses if another live node answers on the socket; removes a stale one
 *   ...
 *   await server.close();    // idempotent; removes the socket file
 *
 * The socket is bound under a restrictive umask and chmod'ed 0600 right after, inside a data directory
 * created 0700, so no other user can connect even for an instant. Limits (line length, connections,
 * requests in flight, bad lines, unread output) bound what one misbehaving client can cost; no input makes
 * the server throw. The client half is ControlClient (control-client.ts, re-exported here).
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { AbortedError, InvalidArgumentError, WiremeshError } from '../src/errors.js';
import {
  CONTROL_DATA_DIR_MODE,
  CONTROL_LINGER_MS,
  CONTROL_SOCKET_MODE,
  MAX_CONTROL_BAD_LINES,
  MAX_CONTROL_BUFFERED_BYTES,
  MAX_CONTROL_CONNECTIONS,
  MAX_CONTROL_IN_FLIGHT,
  MAX_CONTROL_LINE_BYTES,
} from './constants.js';
import { ControlConnection, type ConnectionLimits, type ControlHandler } from './control-connection.js';
import { CONTROL_ERROR_CODES, encodeError, isCommandName } from './control-protocol.js';
import { bindRestricted, removeStaleSocket } from './control-socket-file.js';
import { controlSocketPath } from './control-socket-path.js';

export { ControlClient, type ControlClientOptions, type ControlRequestOptions } from './control-client.js';
export type { ControlContext, ControlHandler } from './control-connection.js';

export interface ControlServerOptions {
  /** Longest request line in bytes (default 1 MiB). */
  maxLineBytes?: number;
  /** Connections served at once (default 16). */
  maxConnections?: number;
  /** Requests in flight per connection (default 8). */
  maxInFlight?: number;
  /** Malformed lines per connection before it is closed (default 8). */
  maxBadLines?: number;
  /** Unread output per connection before it is closed (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Told about handler failures that are not WiremeshErrors (log them: the client only sees INTERNAL). */
  onHandlerError?: (error: unknown, cmd: string) => void;
  /** Told about errors of the listening socket itself (e.g. out of file descriptors while accepting). */
  onServerError?: (error: Error) => void;
}

export interface ControlServerStats {
  /** Connections open now. */
  connections: number;
  connectionsAccepted: number;
  /** Connections turned away because `maxConnections` were open. */
  connectionsRefused: number;
  requests: number;
  /** Lines that were not valid requests. */
  badLines: number;
  /** Connections closed for an oversized line. */
  oversizedLines: number;
  /** Connections closed because the client stopped reading. */
  slowClientsDropped: number;
}

type State = 'idle' | 'listening' | 'closed';

export class ControlServer {
  /** Absolute path of the socket file. */
  readonly path: string;
  private readonly handlers = new Map<string, ControlHandler>();
  private readonly connections = new Set<ControlConnection>();
  /** Sockets turned away (busy), still reading our last words. */
  private readonly refused = new Set<Socket>();
  private readonly limits: ConnectionLimits;
  private readonly maxConnections: number;
  private readonly counters: Omit<ControlServerStats, 'connections'> = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    requests: 0,
    badLines: 0,
    oversizedLines: 0,
    slowClientsDropped: 0,
  };
  private server: Server | undefined;
  private socketIno: number | undefined;
  private state: State = 'idle';
  private listening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** Absolute path of the data directory. */
  readonly dataDir: string;

  constructor(
    dataDir: string,
    private readonly options: ControlServerOptions = {},
  ) {
    this.dataDir = resolvePath(dataDir);
    this.path = controlSocketPath(this.dataDir);
    this.limits = {
      maxLineBytes: options.maxLineBytes ?? MAX_CONTROL_LINE_BYTES,
      maxInFlight: options.maxInFlight ?? MAX_CONTROL_IN_FLIGHT,
      maxBadLines: options.maxBadLines ?? MAX_CONTROL_BAD_LINES,
      maxBufferedBytes: options.maxBufferedBytes ?? MAX_CONTROL_BUFFERED_BYTES,
    };
    this.maxConnections = options.maxConnections ?? MAX_CONTROL_CONNECTIONS;
  }

  /** Registers (or replaces) the handler of `cmd`; may be called before or after listen(). */
  handle(cmd: string, handler: ControlHandler): this {
    if (!isCommandName(cmd)) {
      throw new InvalidArgumentError(`'${cmd}' cannot be a control command name: use letters, digits, '.', '_' or '-', starting with a letter`);
    }
    this.handlers.set(cmd, handler);
    return this;
  }

  /** Whether the socket is accepting connections. */
  get isListening(): boolean {
    return this.state === 'listening';
  }

  stats(): ControlServerStats {
    return { connections: this.connections.size, ...this.counters };
  }

  /** Creates the socket. Throws ALREADY_RUNNING when another live server answers on it. */
  listen(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    this.listening ??= this.start();
    return this.listening;
  }

  /** Stops accepting, aborts open requests, closes connections and removes the socket file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async start(): Promise<void> {
    await this.prepareDirectory();
    await removeStaleSocket(this.path, this.dataDir);
    const server = createServer((socket) => this.accept(socket));
    server.on('error', (err) => this.options.onServerError?.(err));
    await bindRestricted(server, this.path, this.dataDir);
    this.server = server;
    try {
      await chmod(this.path, CONTROL_SOCKET_MODE);
      this.socketIno = (await lstat(this.path)).ino;
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.server = undefined;
      throw new WiremeshError('CONTROL_SOCKET_FAILED', `cannot restrict the control socket ${this.path} to this user (${(err as NodeJS.ErrnoException).code}): check the data directory`, {
        cause: err,
      });
    }
    if (this.closing !== undefined) return; // close() came while we were binding; stop() finishes the job.
    this.state = 'listening';
  }

  private async stop(): Promise<void> {
    if (this.listening !== undefined) await this.listening.catch(() => {});
    this.state = 'closed';
    const server = this.server;
    if (server === undefined) return;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const reason = new AbortedError('the node is shutting down');
    for (const connection of this.connections) connection.close(reason);
    for (const socket of this.refused) socket.destroy();
    await stopped;
    await this.removeOwnSocketFile();
  }

  private async prepareDirectory(): Promise<void> {
    try {
      await mkdir(this.dataDir, { recursive: true, mode: CONTROL_DATA_DIR_MODE });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InvalidArgumentError(`cannot create the data directory ${this.dataDir} (${code}): choose a writable --data-dir`, { cause: err });
    }
  }

  private accept(socket: Socket): void {
    if (this.state !== 'listening' || this.connections.size >= this.maxConnections) {
      this.counters.connectionsRefused++;
      socket.on('error', () => {});
      // Read and discard, so the client's end of the conversation is seen and the socket closes promptly.
      socket.resume();
      this.refused.add(socket);
      socket.once('close', () => this.refused.delete(socket));
      const why =
        this.state === 'listening'
          ? `the node serves at most ${this.maxConnections} control connections at once: close idle clients and retry`
          : 'the node is starting or shutting down: retry in a moment';
      socket.end(encodeError(null, CONTROL_ERROR_CODES.busy, why));
      setTimeout(() => socket.destroy(), CONTROL_LINGER_MS).unref();
      return;
    }
    this.counters.connectionsAccepted++;
    const connection = new ControlConnection(
      socket,
      {
        handlerFor: (cmd) => this.handlers.get(cmd),
        commandNames: () => [...this.handlers.keys()].sort(),
        onHandlerError: (error, cmd) => {
          try {
            this.options.onHandlerError?.(error, cmd);
          } catch {
            // A failing error reporter (a broken log stream) must not take the node down with it.
          }
        },
        count: (event) => {
          if (event === 'request') this.counters.requests++;
          else if (event === 'badLine') this.counters.badLines++;
          else if (event === 'overflow') this.counters.oversizedLines++;
          else this.counters.slowClientsDropped++;
        },
      },
      this.limits,
    );
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
  }

  /** Unlinks the socket file unless it is no longer ours (a successor may have replaced it). */
  private async removeOwnSocketFile(): Promise<void> {
    try {
      const info = await lstat(this.path);
      if (info.ino === this.socketIno) await unlink(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function closedError(): WiremeshError {
  return new WiremeshError('CLOSED', 'the control server was closed: create a new one to listen again');
}
