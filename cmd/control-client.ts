/**
 * The client half of the control socket (issue 7 item 3), used by `wiremesh status`, `peers`, `send`, ...
 *
 *   const client = await ControlClient.connect(dataDir);   // NO_RUNNING_NODE with the fix when none runs
 *   const status = await client.request('status');
 *   await client.request('send', { to, data }, { signal, onEvent: (e) => progress(e) });
 *   await client.close();
 *
 * Several requests may be open at once; answers are matched by id. Aborting a request's signal rejects it at
 * once with AbortedError and tells the node to cancel it. Errors the node answers with become WiremeshErrors
 * with the node's code and message, so the CLI prints that sentence and exits non-zero.
 */
import { connect, type Socket } from 'node:net';
import { AbortedError, InvalidArgumentError, TimeoutError, WiremeshError } from '../src/errors.js';
import { CONTROL_CONNECT_TIMEOUT_MS, MAX_CONTROL_LINE_BYTES } from './constants.js';
import {
  CONTROL_ERROR_CODES,
  decodeServerMessage,
  encodeCancel,
  encodeRequest,
  parseJsonLine,
  type ControlErrorBody,
  type ServerMessage,
} from './control-protocol.js';
import { controlSocketPath, noRunningNodeMessage } from './control-socket-path.js';
import { LineSplitter } from './line-splitter.js';

export interface ControlClientOptions {
  /** How long to wait for the node to accept (default 2 s). */
  timeoutMs?: number;
  /** Longest answer line accepted, in bytes (default 1 MiB). */
  maxLineBytes?: number;
}

export interface ControlRequestOptions {
  /** Aborting rejects the request with AbortedError and cancels it on the node. */
  signal?: AbortSignal;
  /** Receives each progress event the node sends before the final answer. */
  onEvent?: (event: unknown) => void;
  /** Rejects with TimeoutError (and cancels on the node) when no answer comes in time. */
  timeoutMs?: number;
}

interface Pending {
  cmd: string;
  onEvent: ((event: unknown) => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class ControlClient {
  private readonly pending = new Map<number, Pending>();
  private readonly splitter: LineSplitter;
  private nextId = 1;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private readonly closedPromise: Promise<void>;
  private readonly onDataListener: (chunk: Buffer) => void;
  /** Set by openStream(): the connection is a byte stream from then on. */
  private upgraded = false;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
    maxLineBytes: number,
  ) {
    this.splitter = new LineSplitter(maxLineBytes);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    this.onDataListener = (chunk: Buffer) => {
      const fits = this.splitter.push(chunk, (line) => this.onLine(line));
      if (!fits && this.failure === undefined) {
        this.fail(new WiremeshError(CONTROL_ERROR_CODES.protocol, `the node at ${path} sent an answer longer than ${maxLineBytes} bytes`));
        socket.destroy();
      }
    };
    socket.on('data', this.onDataListener);
    socket.once('close', () =>
      this.fail(
        new WiremeshError(CONTROL_ERROR_CODES.closed, `the node closed the control connection at ${path}: it may have stopped; see its log`),
      ),
    );
  }

  /** Connects to the node using `dataDir`. */
  static async connect(dataDir: string, options: ControlClientOptions = {}): Promise<ControlClient> {
    const path = controlSocketPath(dataDir);
    const timeoutMs = options.timeoutMs ?? CONTROL_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TimeoutError(`the node at ${path} did not accept a control connection within ${timeoutMs} ms: it may be overloaded or hung`));
      }, timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(connectError(err, path, dataDir));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket, path, options.maxLineBytes ?? MAX_CONTROL_LINE_BYTES));
      });
    });
  }

  /** Sends `cmd` and resolves with the node's result; rejects with the node's error as a WiremeshError. */
  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}, options: ControlRequestOptions = {}): Promise<T> {
    const { signal, onEvent, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(new AbortedError(`'${cmd}' was aborted before it was sent`, { cause: signal.reason }));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing !== undefined) return Promise.reject(new WiremeshError(CONTROL_ERROR_CODES.closed, 'the control client is closed'));
    let line: string;
    const id = this.nextId++;
    try {
      line = encodeRequest(id, cmd, args);
    } catch (err) {
      return Promise.reject(new InvalidArgumentError(`the arguments of '${cmd}' cannot be sent as JSON: ${(err as Error).message}`));
    }
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const abandon = (error: Error): void => {
        if (!this.pending.has(id)) return;
        cleanup();
        this.write(encodeCancel(id));
        reject(error);
      };
      const onAbort = (): void => abandon(new AbortedError(`'${cmd}' was aborted`, { cause: signal?.reason }));
      this.pending.set(id, {
        cmd,
        onEvent: onEvent === undefined ? undefined : (event) => {
          try {
            onEvent(event);
          } catch (err) {
            abandon(err instanceof Error ? err : new Error(String(err)));
          }
        },
        resolve: (value) => {
          cleanup();
          resolve(value as T);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => abandon(new TimeoutError(`the node did not answer '${cmd}' within ${timeoutMs} ms`)), timeoutMs);
      }
      this.write(line);
    });
  }

  /**
   * Sends `cmd` and, at the node's first event, hands this connection over as a byte stream (the binary frames
   * of a pipe, stream-frames.ts; the node switched after that event). Resolves with the event, the socket
   * (paused) and the bytes that followed the event line; rejects with the node's error when it answers
   * before switching. Use a connection with no other request open; after this, only close() is left.
   */
  openStream(cmd: string, args: Record<string, unknown>): Promise<{ event: unknown; socket: Socket; head: Buffer }> {
    if (this.pending.size > 0) return Promise.reject(new WiremeshError('INVALID_STATE', 'a stream needs a control connection of its own'));
    let settle!: { resolve: (v: { event: unknown; socket: Socket; head: Buffer }) => void; reject: (e: Error) => void };
    const opened = new Promise<{ event: unknown; socket: Socket; head: Buffer }>((resolve, reject) => (settle = { resolve, reject }));
    const answered = this.request(cmd, args, {
      onEvent: (event) => {
        if (this.upgraded) return;
        this.upgraded = true;
        // Called from inside the line splitter: stop it after this line, so the frames after it stay bytes.
        this.splitter.stop();
        this.socket.pause();
        this.socket.off('data', this.onDataListener);
        this.pending.clear();
        settle.resolve({ event, socket: this.socket, head: this.splitter.takeRest() });
      },
    });
    answered.then(
      () => settle.reject(new WiremeshError(CONTROL_ERROR_CODES.protocol, `the node answered '${cmd}' without opening a stream`)),
      (err: Error) => settle.reject(err),
    );
    return opened;
  }

  /** Closes the connection; open requests reject. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.fail(new AbortedError('the control client was closed'));
      this.socket.end();
      // A node that does not close its side promptly is cut off.
      const cutOff = setTimeout(() => this.socket.destroy(), CONTROL_CONNECT_TIMEOUT_MS);
      await this.closedPromise;
      clearTimeout(cutOff);
    })();
    return this.closing;
  }

  private write(text: string): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(text);
  }

  private onLine(line: Buffer): void {
    if (line.length === 0) return;
    const parsed = parseJsonLine(line);
    const decoded = parsed.ok ? decodeServerMessage(parsed.value) : parsed;
    if (!decoded.ok) {
      this.fail(
        new WiremeshError(CONTROL_ERROR_CODES.protocol, `${this.path} sent an invalid answer (${decoded.error.message}): is a wiremesh node listening there?`),
      );
      this.socket.destroy();
      return;
    }
    this.dispatch(decoded.value);
  }

  private dispatch(message: ServerMessage): void {
    if (message.id === null) {
      // An error that belongs to no request concerns the whole connection (the node is busy, a line was too long).
      if (message.kind === 'error') this.fail(errorFromNode(message.error));
      return;
    }
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    // Answers to requests we abandoned (aborted, timed out) are dropped.
    if (pending === undefined) return;
    if (message.kind === 'event') pending.onEvent?.(message.event);
    else if (message.kind === 'result') pending.resolve(message.result);
    else pending.reject(errorFromNode(message.error));
  }

  /** Rejects every open request with `error` (the first failure sticks for later requests). */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of [...this.pending.values()]) {
      pending.reject(
        error instanceof WiremeshError && error.code === CONTROL_ERROR_CODES.closed
          ? new WiremeshError(error.code, `the node closed the control connection before answering '${pending.cmd}': it may have stopped; see its log`)
          : error,
      );
    }
  }
}

/** The node's error as the typed error a caller can switch on (`code` is preserved in every case). */
function errorFromNode(body: ControlErrorBody): WiremeshError {
  switch (body.code) {
    case 'INVALID_ARGUMENT':
      return new InvalidArgumentError(body.message);
    case 'ABORTED':
      return new AbortedError(body.message);
    case 'TIMEOUT':
      return new TimeoutError(body.message);
    default:
      return new WiremeshError(body.code, body.message);
  }
}

function connectError(err: NodeJS.ErrnoException, path: string, dataDir: string): WiremeshError {
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
    case 'ENOTDIR':
      // ECONNREFUSED: the file is left over from a node that is gone.
      return new WiremeshError(CONTROL_ERROR_CODES.noRunningNode, noRunningNodeMessage(dataDir), { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new WiremeshError(
        CONTROL_ERROR_CODES.permissionDenied,
        `permission denied on ${path}: run this command as the user that runs the node`,
        { cause: err },
      );
    case 'EAGAIN':
      // The node's accept backlog is full: it runs but cannot take us now.
      return new WiremeshError(CONTROL_ERROR_CODES.busy, `the node at ${path} is too busy to accept a control connection: retry in a moment`, {
        cause: err,
      });
    default:
      return new WiremeshError(CONTROL_ERROR_CODES.noRunningNode, `${noRunningNodeMessage(dataDir)} (${err.code ?? err.message})`, { cause: err });
  }
}
