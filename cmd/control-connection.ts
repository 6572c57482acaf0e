/**
 * The server side of one control connection: splits the byte stream into bounded lines, decodes requests,
 * runs handlers with an AbortSignal and an `emit` for progress events, and writes answers. Garbage never
 * throws: a bad line gets a BAD_REQUEST answer, and after too many of them (or one oversized line) the
 * connection is closed. A client that stops reading is dropped once its unread output passes a bound.
 */
import type { Socket } from 'node:net';
import { AbortedError, WiremeshError } from '../src/errors.js';
import {
  CONTROL_ERROR_CODES,
  decodeClientMessage,
  encodeError,
  encodeEvent,
  encodeResult,
  parseJsonLine,
  requestIdOf,
  type ControlRequest,
  type RequestId,
} from './control-protocol.js';
import { CONTROL_LINGER_MS } from './constants.js';
import { LineSplitter } from './line-splitter.js';

export interface ControlContext {
  /** The request's id, as the client chose it. */
  readonly id: RequestId;
  readonly cmd: string;
  /** Fires when the client cancels the request or disconnects, or the server closes. */
  readonly signal: AbortSignal;
  /** Sends a progress event ahead of the final answer; ignored once the request has ended. */
  emit(event: unknown): void;
  /**
   * Hands the connection to the handler as a byte stream (a pipe's binary frames, stream-frames.ts): writes
   * `event` as the request's last JSON line (it tells the client to switch), then reads no more lines; the
   * handler's result or error is not written as JSON (the handler writes its own last words, and the socket
   * is ended when it returns). Only a connection with no other request in flight can switch (INVALID_STATE
   * otherwise, before anything is written). Returns the socket, paused, and any bytes after the request line.
   */
  upgrade(event: unknown): { socket: Socket; head: Buffer };
}

/** Runs one command; its return value (JSON) is the result, a thrown WiremeshError the error answer. */
export type ControlHandler = (args: Record<string, unknown>, ctx: ControlContext) => unknown;

export interface ConnectionLimits {
  maxLineBytes: number;
  maxInFlight: number;
  maxBadLines: number;
  maxBufferedBytes: number;
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  handlerFor(cmd: string): ControlHandler | undefined;
  commandNames(): string[];
  onHandlerError(error: unknown, cmd: string): void;
  count(event: 'request' | 'badLine' | 'overflow' | 'dropped'): void;
}

export class ControlConnection {
  private readonly splitter: LineSplitter;
  private readonly inFlight = new Map<RequestId, AbortController>();
  private badLines = 0;
  private ending = false;
  /** The request that owns the socket as a byte stream (ControlContext.upgrade), if any. */
  private upgradedBy: RequestId | undefined;
  private readonly onDataListener = (chunk: Buffer): void => this.onData(chunk);
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
    private readonly limits: ConnectionLimits,
  ) {
    this.splitter = new LineSplitter(limits.maxLineBytes);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // Errors (a reset, a broken pipe) end the connection through 'close'; they must never reach the process.
    socket.on('error', () => {});
    socket.on('data', this.onDataListener);
    socket.once('close', () => this.abortAll(new AbortedError('the control client disconnected')));
  }

  /** Aborts every open request and drops the connection. */
  close(reason: AbortedError): void {
    this.abortAll(reason);
    this.splitter.reset();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    const fits = this.splitter.push(chunk, (line) => this.onLine(line));
    if (!fits && !this.ending) {
      this.host.count('overflow');
      this.hangUp(
        encodeError(null, CONTROL_ERROR_CODES.lineTooLong, `a line is longer than ${this.limits.maxLineBytes} bytes: closing the connection`),
      );
    }
  }

  private onLine(line: Buffer): void {
    if (this.ending || line.length === 0) return;
    const parsed = parseJsonLine(line);
    const decoded = parsed.ok ? decodeClientMessage(parsed.value) : parsed;
    if (!decoded.ok) {
      this.host.count('badLine');
      const id = parsed.ok ? requestIdOf(parsed.value) : null;
      const answer = encodeError(id, CONTROL_ERROR_CODES.badRequest, decoded.error.message);
      if (++this.badLines >= this.limits.maxBadLines) this.hangUp(answer);
      else this.send(answer);
      return;
    }
    const message = decoded.value;
    if (message.kind === 'cancel') {
      this.inFlight.get(message.id)?.abort(new AbortedError(`request ${String(message.id)} was cancelled by the client`));
      return;
    }
    this.host.count('request');
    // run() answers every failure itself; this only catches a failure to answer, which must not crash the node.
    this.run(message).catch((err: unknown) => this.host.onHandlerError(err, message.cmd));
  }

  private async run(request: ControlRequest): Promise<void> {
    const { id, cmd } = request;
    const handler = this.host.handlerFor(cmd);
    if (handler === undefined) {
      const known = this.host.commandNames();
      this.send(
        encodeError(id, CONTROL_ERROR_CODES.unknownCommand, `unknown command '${cmd}': this node answers ${known.length > 0 ? known.join(', ') : 'no commands yet'}`),
      );
      return;
    }
    if (this.inFlight.has(id)) {
      this.send(encodeError(id, CONTROL_ERROR_CODES.duplicateId, `id ${JSON.stringify(id)} is already used by an open request: use a new id`));
      return;
    }
    if (this.inFlight.size >= this.limits.maxInFlight) {
      this.send(
        encodeError(id, CONTROL_ERROR_CODES.busy, `too many requests in flight on this connection (at most ${this.limits.maxInFlight}): wait for an answer first`),
      );
      return;
    }
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    let open = true;
    const ctx: ControlContext = {
      id,
      cmd,
      signal: controller.signal,
      emit: (event) => {
        if (open && !controller.signal.aborted && this.upgradedBy === undefined) this.send(encodeEvent(id, event));
      },
      upgrade: (event) => this.upgrade(id, event),
    };
    try {
      const result = await handler(request.args, ctx);
      open = false;
      if (this.upgradedBy === id) this.socket.end();
      else this.send(encodeResult(id, result));
    } catch (err) {
      open = false;
      if (this.upgradedBy === id) {
        if (!(err instanceof WiremeshError)) this.host.onHandlerError(err, cmd);
        this.socket.end();
      } else this.send(this.errorAnswer(id, cmd, err));
    } finally {
      this.inFlight.delete(id);
    }
  }

  private upgrade(id: RequestId, event: unknown): { socket: Socket; head: Buffer } {
    if (this.upgradedBy !== undefined || this.ending || this.inFlight.size !== 1 || !this.inFlight.has(id)) {
      throw new WiremeshError('INVALID_STATE', 'a stream needs a control connection of its own: open a new connection with no other request in flight');
    }
    this.send(encodeEvent(id, event));
    this.upgradedBy = id;
    // Paused before the listener goes: a flowing socket with no 'data' listener would drop bytes.
    this.socket.pause();
    this.socket.off('data', this.onDataListener);
    this.splitter.stop();
    return { socket: this.socket, head: this.splitter.takeRest() };
  }

  private errorAnswer(id: RequestId, cmd: string, err: unknown): string {
    if (err instanceof WiremeshError) return encodeError(id, err.code, err.message);
    this.host.onHandlerError(err, cmd);
    return encodeError(id, CONTROL_ERROR_CODES.internal, `'${cmd}' failed with an internal error: the node's log has the details`);
  }

  private send(text: string): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded || this.upgradedBy !== undefined) return;
    socket.write(text);
    if (socket.writableLength > this.limits.maxBufferedBytes) {
      // The client stopped reading; holding more of its output would let it grow our memory without bound.
      this.host.count('dropped');
      this.close(new AbortedError('the control client stopped reading its answers'));
    }
  }

  /** Sends last words and closes; the client gets a moment to read them. */
  private hangUp(lastWords: string): void {
    if (this.ending) return;
    this.ending = true;
    this.splitter.reset();
    this.abortAll(new AbortedError('the control connection is closing after a protocol error'));
    if (!this.socket.destroyed) this.socket.end(lastWords);
    setTimeout(() => this.socket.destroy(), CONTROL_LINGER_MS).unref();
  }

  private abortAll(reason: AbortedError): void {
    for (const controller of this.inFlight.values()) controller.abort(reason);
    this.inFlight.clear();
  }
}
