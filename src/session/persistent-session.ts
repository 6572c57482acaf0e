/**
 * A session that redials: after a timeout, a Disconnect or a failed dial it dials again with exponential
 * backoff (with jitter) until closed. Every (re)connection is surfaced as a 'session' event; spec 11.7
 * applies: each new session starts with fresh channels, so the application re-opens its channels there.
 *
 * Events: 'session' (session, { attempt, reconnect }), 'disconnect' (reason), 'dial-error' (error, attempt),
 * 'close'.
 */
import { EventEmitter } from 'node:events';
import { AbortedError, WiremeshError } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import type { Session, SessionCloseReason } from './session.js';
import type { UdpAddress } from './transport.js';

export interface PersistentDialOptions {
  /** First redial delay (default 200 ms); doubles per failed attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Largest redial delay (default 30 s). */
  maxBackoffMs?: number;
  /** Timeout of each dial attempt (default: the endpoint's). */
  dialTimeoutMs?: number;
  /** Stops redialing (like `close()`). */
  signal?: AbortSignal;
}

export class PersistentSession extends EventEmitter {
  private readonly endpoint: Endpoint;
  private readonly address: UdpAddress | string;
  private readonly remoteStaticKey: Uint8Array;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly dialTimeoutMs: number | undefined;
  private current: Session | null = null;
  private attempt = 0;
  private connections = 0;
  private timer: unknown = null;
  private dialAbort: AbortController | null = null;
  private closed = false;
  private waiters: Array<{ resolve: (s: Session) => void; reject: (e: Error) => void }> = [];
  private readonly onAbort = () => this.close();
  private readonly signal: AbortSignal | undefined;

  constructor(endpoint: Endpoint, address: UdpAddress | string, remoteStaticKey: Uint8Array, options: PersistentDialOptions = {}) {
    super();
    this.endpoint = endpoint;
    this.address = address;
    this.remoteStaticKey = remoteStaticKey;
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.dialTimeoutMs = options.dialTimeoutMs;
    this.signal = options.signal;
    if (this.signal?.aborted) {
      this.closed = true;
      return;
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    queueMicrotask(() => this.dial());
  }

  /** The live session, or null while (re)connecting. */
  get session(): Session | null {
    return this.current;
  }

  /** How many sessions were established so far (the first connection included). */
  get connectionCount(): number {
    return this.connections;
  }

  /** Resolves with the live session, waiting for the next (re)connection if there is none. */
  ready(signal?: AbortSignal): Promise<Session> {
    if (this.current !== null && this.current.state !== 'closed') return Promise.resolve(this.current);
    if (this.closed) return Promise.reject(new WiremeshError('CLOSED', 'the persistent session is closed'));
    if (signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise<Session>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new AbortedError());
        },
        { once: true },
      );
    });
  }

  /** Stops redialing and closes the live session (Disconnect). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.timer !== null) this.endpoint.clock.clearTimer(this.timer);
    this.timer = null;
    this.dialAbort?.abort();
    this.dialAbort = null;
    const s = this.current;
    this.current = null;
    s?.close();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new WiremeshError('CLOSED', 'the persistent session was closed'));
    this.emit('close');
  }

  private dial(): void {
    if (this.closed) return;
    if (this.endpoint.closed) {
      this.close();
      return;
    }
    this.attempt++;
    const attempt = this.attempt;
    const abort = new AbortController();
    this.dialAbort = abort;
    this.endpoint.dial(this.address, this.remoteStaticKey, { signal: abort.signal, timeoutMs: this.dialTimeoutMs }).then(
      (session) => {
        this.dialAbort = null;
        if (this.closed) {
          session.close();
          return;
        }
        this.attempt = 0;
        this.connections++;
        this.current = session;
        session.once('close', (reason: SessionCloseReason) => this.onSessionClose(session, reason));
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w.resolve(session);
        this.emit('session', session, { attempt, reconnect: this.connections > 1 });
      },
      (err: Error) => {
        this.dialAbort = null;
        if (this.closed) return;
        this.emit('dial-error', err, attempt);
        this.scheduleRedial();
      },
    );
  }

  private onSessionClose(session: Session, reason: SessionCloseReason): void {
    if (this.current !== session) return;
    this.current = null;
    if (this.closed) return;
    this.emit('disconnect', reason);
    this.scheduleRedial();
  }

  private scheduleRedial(): void {
    if (this.closed || this.timer !== null) return;
    const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(this.attempt, 30));
    const delay = base * (0.75 + 0.5 * this.endpoint.random());
    this.timer = this.endpoint.clock.setTimer(() => {
      this.timer = null;
      this.dial();
    }, delay);
  }
}
