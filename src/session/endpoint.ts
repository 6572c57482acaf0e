/**
 * The Endpoint owns one datagram socket and every session on it (spec 7.1: sessions are found by
 * receiver_index). It is initiator and responder at once, which the overlay needs: each edge is one session
 * and all of a node's edges share its one port.
 *
 * Untrusted datagrams flow through `onDatagram`, cheapest checks first (size, type, MAC1, cookie, then DH),
 * and every rejection is counted in `stats().drops`, never thrown.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { AbortedError, InvalidArgumentError, TimeoutError, WiremeshError } from '../errors.js';
import {
  HANDSHAKE_INIT_MAC1_OFFSET,
  HANDSHAKE_INIT_MAC2_OFFSET,
  HANDSHAKE_RESP_MAC1_OFFSET,
  PACKET_COOKIE_REPLY,
  PACKET_DATA,
  PACKET_DATA_FRAGMENT,
  PACKET_DISCONNECT,
  PACKET_HANDSHAKE_INIT,
  PACKET_HANDSHAKE_RESP,
  PACKET_KEEPALIVE,
  PACKET_PUNCH,
  SIZE_HANDSHAKE_INIT,
  copyBytes,
  decodeCookieReply,
  decodeHandshakeResp,
  readCounter,
  readReceiverIndex,
  validateTransportPacket,
} from '../wire/index.js';
import { CookieChecker, CookieGenerator, formatAddress } from './cookie.js';
import { HandshakeLoad } from './cookie-load.js';
import { SourceRateLimiter } from './cookie-ratelimit.js';
import { type CryptoSuite, type KeyPair, randomBytes, suiteByName } from './crypto/index.js';
import {
  StaticStaticCache,
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  type ConsumeResponseResult,
  type InitiatorState,
} from './handshake.js';
import { InitiationReplayGuard } from './initiation-replay.js';
import { resolveSessionConfig, type SessionConfig } from './config.js';
import { Session, type SessionHost } from './session.js';
import { PersistentSession, type PersistentDialOptions } from './persistent-session.js';
import { createStats, type EndpointStats } from './stats.js';
import { systemClock, type Clock, type DatagramTransport, type UdpAddress } from './transport.js';
import { bindUdpTransport } from './native-transport.js';
import {
  COOKIE_REPLIES_PER_SEC,
  COOKIE_REPLIES_PER_SOURCE_PER_SEC,
  COOKIE_REPLY_BURST_PER_SOURCE,
  COOKIE_THRESHOLD_PER_SEC,
  HANDSHAKE_BUDGET_MS_PER_SEC,
  HANDSHAKE_BURST_PER_SOURCE,
  HANDSHAKES_PER_SOURCE_PER_SEC,
  ANSWERABLE_INITIATIONS,
  MAX_TIMESTAMP_SKEW_MS,
  RATE_LIMITED_SOURCES_MAX,
  UNDER_LOAD_HOLD_MS,
} from './constants.js';

export interface EndpointOptions extends Partial<SessionConfig> {
  /** The endpoint's static X25519 key pair (the Noise `s`). */
  staticKey: KeyPair;
  /** Listen host (default `::`, dual-stack) and port (default 0: any free port). Ignored with `transport`. */
  host?: string;
  port?: number;
  /** A ready datagram transport instead of a UDP socket (in-memory fabric in simulations). */
  transport?: DatagramTransport;
  clock?: Clock;
  /** Crypto provider: 'auto' (default: native when it loads), 'native', 'pure' or a suite object. */
  crypto?: CryptoSuite | 'auto' | 'native' | 'pure';
  /** Answer every HandshakeInit without a valid MAC2 with a CookieReply (spec 6; for tests and attacks). */
  alwaysCookie?: boolean;
  /** Above this many HandshakeInits per second the endpoint is "under load" and demands cookies. */
  cookieThresholdPerSec?: number;
  /**
   * ...or above this many ms of handshake (DH) work per second (cookie-load.ts). Default: 50 ms at the
   * default threshold, scaled with `cookieThresholdPerSec` (a benchmark that raises the threshold raises it).
   */
  handshakeBudgetMsPerSec?: number;
  /** Sessions this endpoint holds at most (memory bound); further handshakes are refused. */
  maxSessions?: number;
  /** Handshake retransmission interval while dialing. */
  handshakeRetryMs?: number;
  /** Default dial timeout. */
  dialTimeoutMs?: number;
  /** Allowed clock difference for HandshakeInit timestamps (spec 4.1: 180 s). */
  maxClockSkewMs?: number;
  /** Source of jitter for handshake retries and redials (default Math.random; seeded in simulations). */
  random?: () => number;
  /** Policy hook: return false to refuse a peer before a session is created for it. */
  acceptPeer?: (remoteStaticKey: Uint8Array, address: UdpAddress) => boolean;
}

export interface DialOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A rekey in progress (spec 7.3): the original initiator re-runs the handshake for a live session. */
interface PendingRekey {
  session: Session;
  state: InitiatorState | null;
  /** Earlier initiations of this rekey, newest first, still answerable (see ANSWERABLE_INITIATIONS). */
  previous: InitiatorState[];
  cookies: CookieGenerator;
  retryTimer: unknown;
}

interface PendingDial {
  localIndex: number;
  remoteStaticKey: Uint8Array;
  address: UdpAddress;
  state: InitiatorState | null;
  /** Earlier initiations of this dial, newest first, still answerable (see ANSWERABLE_INITIATIONS). */
  previous: InitiatorState[];
  cookies: CookieGenerator;
  resolve: (s: Session) => void;
  reject: (err: Error) => void;
  retryTimer: unknown;
  deadlineTimer: unknown;
  cleanup: () => void;
}

const POOL_RETAIN = 4096;
/** Peers whose cookie state an endpoint remembers between dials. */
const COOKIE_GENERATORS_RETAINED = 4096;

export class Endpoint extends EventEmitter implements SessionHost {
  readonly clock: Clock;
  readonly suite: CryptoSuite;
  readonly stats: EndpointStats = createStats();
  readonly staticKey: KeyPair;
  private readonly config: SessionConfig;
  private readonly transport: DatagramTransport;
  private readonly cookieChecker: CookieChecker;
  private readonly replayGuard = new InitiationReplayGuard();
  private readonly sessions = new Map<number, Session>();
  private readonly dials = new Map<number, PendingDial>();
  private readonly rekeys = new Map<number, PendingRekey>();
  // Sessions we answered, by the initiator's static key: a HandshakeInit that reuses such a session's
  // remote index is that initiator rekeying the session (it keeps its index), not a new connection.
  private readonly responderSessions = new Map<string, Session>();
  private readonly persistents = new Set<PersistentSession>();
  private readonly staticStatic: StaticStaticCache;
  private readonly cookieGenerators = new Map<string, CookieGenerator>();
  private readonly alwaysCookie: boolean;
  private readonly load: HandshakeLoad;
  private readonly measureHandshakeCost: boolean;
  // Under load only (spec 6; WireGuard's ratelimiter): per source IP, DH work for initiations with a valid
  // cookie, and CookieReplies (also capped in total) for those without.
  private readonly handshakeLimiter: SourceRateLimiter;
  private readonly cookieReplyLimiter: SourceRateLimiter;
  private readonly maxSessions: number;
  private readonly handshakeRetryMs: number;
  private readonly dialTimeoutMs: number;
  private readonly maxClockSkewMs: number;
  private readonly acceptPeer: ((key: Uint8Array, addr: UdpAddress) => boolean) | null;
  /** Jitter source (seedable for deterministic simulations). */
  readonly random: () => number;
  private readonly freeBuffers: Uint8Array[] = [];
  private readonly sendDone = new Map<Uint8Array, (err: Error | null) => void>();
  private dirty: Session[] = [];
  private flushScheduled: NodeJS.Immediate | null = null;
  private closing: Promise<void> | null = null;

  private constructor(options: EndpointOptions, transport: DatagramTransport) {
    super();
    this.staticKey = options.staticKey;
    this.transport = transport;
    this.clock = options.clock ?? systemClock;
    const crypto = options.crypto ?? 'auto';
    this.suite = typeof crypto === 'string' ? suiteByName(crypto) : crypto;
    this.config = resolveSessionConfig(options);
    this.cookieChecker = new CookieChecker(options.staticKey.publicKey);
    this.staticStatic = new StaticStaticCache(this.suite, options.staticKey.privateKey);
    this.alwaysCookie = options.alwaysCookie ?? false;
    const threshold = positiveInt('cookieThresholdPerSec', options.cookieThresholdPerSec, COOKIE_THRESHOLD_PER_SEC);
    const budget = options.handshakeBudgetMsPerSec ?? (HANDSHAKE_BUDGET_MS_PER_SEC * threshold) / COOKIE_THRESHOLD_PER_SEC;
    if (!(budget > 0)) {
      throw new InvalidArgumentError(`option handshakeBudgetMsPerSec = ${String(budget)} is invalid: use a positive number of ms per second`);
    }
    this.load = new HandshakeLoad(threshold, UNDER_LOAD_HOLD_MS, budget);
    this.measureHandshakeCost = this.clock === systemClock;
    const startMs = this.clock.now();
    this.handshakeLimiter = new SourceRateLimiter(
      { perSourcePerSec: HANDSHAKES_PER_SOURCE_PER_SEC, perSourceBurst: HANDSHAKE_BURST_PER_SOURCE, maxSources: RATE_LIMITED_SOURCES_MAX },
      startMs,
    );
    this.cookieReplyLimiter = new SourceRateLimiter(
      {
        perSourcePerSec: COOKIE_REPLIES_PER_SOURCE_PER_SEC,
        perSourceBurst: COOKIE_REPLY_BURST_PER_SOURCE,
        totalPerSec: COOKIE_REPLIES_PER_SEC,
        maxSources: RATE_LIMITED_SOURCES_MAX,
      },
      startMs,
    );
    this.maxSessions = positiveInt('maxSessions', options.maxSessions, 100_000);
    this.handshakeRetryMs = positiveInt('handshakeRetryMs', options.handshakeRetryMs, 1000);
    this.dialTimeoutMs = positiveInt('dialTimeoutMs', options.dialTimeoutMs, 10_000);
    this.maxClockSkewMs = positiveInt('maxClockSkewMs', options.maxClockSkewMs, MAX_TIMESTAMP_SKEW_MS);
    this.acceptPeer = options.acceptPeer ?? null;
    this.random = options.random ?? Math.random;
    transport.onDatagram((buf, host, port) => this.onDatagram(buf, host, port));
    transport.onReceiveBatchEnd?.(() => this.onReceiveBatchEnd());
  }

  /** Binds a UDP socket (or adopts `options.transport`) and starts answering. */
  static async listen(options: EndpointOptions): Promise<Endpoint> {
    checkKeyPair(options.staticKey);
    // Validate everything before binding, so a bad option never leaves a socket open.
    resolveSessionConfig(options);
    const transport =
      options.transport ??
      (await bindUdpTransport({ host: options.host, port: options.port, maxDatagramBytes: options.maxPacketSize }));
    try {
      return new Endpoint(options, transport);
    } catch (err) {
      if (options.transport === undefined) await transport.close();
      throw err;
    }
  }

  get publicKey(): Uint8Array {
    return this.staticKey.publicKey;
  }

  address(): UdpAddress {
    return this.transport.address();
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Live sessions (established or awaiting the initiator's first packet). */
  allSessions(): Session[] {
    return [...new Set(this.sessions.values())];
  }

  /** A snapshot of the counters. */
  snapshot(): EndpointStats {
    return { ...this.stats, sessionsActive: new Set(this.sessions.values()).size, drops: { ...this.stats.drops } };
  }

  /**
   * Runs the Noise IK handshake with the peer at `address` whose static public key is `remoteStaticKey`.
   * Retransmits every `handshakeRetryMs` with a fresh ephemeral key, follows cookie replies, and rejects with
   * TIMEOUT, ABORTED or ENDPOINT_CLOSED.
   */
  dial(address: UdpAddress | string, remoteStaticKey: Uint8Array, options: DialOptions = {}): Promise<Session> {
    if (this.closing) return Promise.reject(new WiremeshError('ENDPOINT_CLOSED', 'the endpoint is closed'));
    let addr: UdpAddress;
    try {
      addr = typeof address === 'string' ? parseUdpAddress(address) : checkAddress(address);
      checkPublicKey(remoteStaticKey, 'remote static key');
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AbortedError('dial aborted', { cause: signal.reason }));
    const timeoutMs = options.timeoutMs ?? this.dialTimeoutMs;
    return new Promise<Session>((resolve, reject) => {
      const localIndex = this.allocateIndex();
      const dial: PendingDial = {
        localIndex,
        remoteStaticKey: copyBytes(remoteStaticKey),
        address: addr,
        state: null,
        previous: [],
        cookies: this.cookieGeneratorFor(remoteStaticKey),
        resolve,
        reject,
        retryTimer: null,
        deadlineTimer: null,
        cleanup: () => {},
      };
      const onAbort = () => this.failDial(dial, new AbortedError('dial aborted', { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      dial.cleanup = () => {
        signal?.removeEventListener('abort', onAbort);
        if (dial.retryTimer !== null) this.clock.clearTimer(dial.retryTimer);
        if (dial.deadlineTimer !== null) this.clock.clearTimer(dial.deadlineTimer);
        dial.retryTimer = null;
        dial.deadlineTimer = null;
        dial.state?.destroy();
        dial.state = null;
        for (const old of dial.previous.splice(0)) old.destroy();
        this.dials.delete(localIndex);
      };
      this.dials.set(localIndex, dial);
      dial.deadlineTimer = this.clock.setTimer(() => {
        dial.deadlineTimer = null;
        this.failDial(dial, new TimeoutError(`no handshake response from ${formatAddress(addr.host, addr.port)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.sendInitiation(dial);
    });
  }

  /**
   * Dials and keeps redialing with backoff after timeouts, Disconnects and failed dials (issue: persistent
   * dial). Reconnections are surfaced as 'session' events of the returned object. Closed with the endpoint.
   */
  dialPersistent(address: UdpAddress | string, remoteStaticKey: Uint8Array, options: PersistentDialOptions = {}): PersistentSession {
    if (this.closing) throw new WiremeshError('ENDPOINT_CLOSED', 'the endpoint is closed');
    if (typeof address === 'string') parseUdpAddress(address);
    else checkAddress(address);
    checkPublicKey(remoteStaticKey, 'remote static key');
    const p = new PersistentSession(this, address, copyBytes(remoteStaticKey), options);
    this.persistents.add(p);
    p.once('close', () => this.persistents.delete(p));
    return p;
  }

  /** Disconnects every session, stops every timer and closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const p of [...this.persistents]) p.close();
      for (const dial of [...this.dials.values()]) this.failDial(dial, new WiremeshError('ENDPOINT_CLOSED', 'the endpoint was closed while dialing'));
      for (const rekey of [...this.rekeys.values()]) this.endRekey(rekey);
      for (const s of new Set(this.sessions.values())) s.close();
      if (this.flushScheduled !== null) {
        clearImmediate(this.flushScheduled);
        this.flushScheduled = null;
      }
      this.runFlush();
      // Let the Disconnect packets leave before the socket goes.
      await new Promise<void>((r) => setImmediate(r));
      await this.transport.close();
      this.staticStatic.destroy();
      this.freeBuffers.length = 0;
      this.sendDone.clear();
      this.removeAllListeners('session');
    })();
    return this.closing;
  }

  // ---- SessionHost ----

  acquireBuffer(): Uint8Array {
    return this.freeBuffers.pop() ?? Buffer.allocUnsafe(this.config.maxPacketSize);
  }

  transmit(buf: Uint8Array, length: number, host: string, port: number): void {
    let done = this.sendDone.get(buf);
    if (done === undefined) {
      done = (err) => this.onSent(buf, err);
      this.sendDone.set(buf, done);
    }
    this.stats.txPackets++;
    this.stats.txBytes += length;
    this.transport.send(buf, length, host, port, done);
  }

  /**
   * A handshake message leaves at once instead of with the end-of-turn batch: each one took two to four
   * Diffie-Hellman operations (~170 us of CPU per side) to make, and holding a wakeup's worth of them (32
   * from one recvmmsg) until the end keeps the peer idle meanwhile, so both sides take turns. One send
   * system call per handshake message costs ~3 % of its making (bench (e): docs/decisions.md).
   */
  private transmitHandshake(buf: Uint8Array, length: number, host: string, port: number): void {
    this.transmit(buf, length, host, port);
    this.transport.flush?.();
  }

  requestFlush(session: Session): void {
    this.dirty.push(session);
    if (this.flushScheduled === null) this.flushScheduled = setImmediate(() => this.runFlush());
  }

  armTimer(session: Session, atMs: number): void {
    if (atMs === Infinity) return;
    if (session.timerHandle !== null && session.timerAtMs <= atMs) return;
    if (session.timerHandle !== null) this.clock.clearTimer(session.timerHandle);
    session.timerAtMs = atMs;
    session.timerHandle = this.clock.setTimer(() => this.fireTimer(session), Math.max(0, atMs - this.clock.now()));
  }

  startRekey(session: Session): void {
    if (this.closing !== null || this.rekeys.has(session.localIndex)) return;
    const rekey: PendingRekey = {
      session,
      state: null,
      previous: [],
      cookies: this.cookieGeneratorFor(session.remoteStaticKey),
      retryTimer: null,
    };
    this.rekeys.set(session.localIndex, rekey);
    this.sendRekeyInitiation(rekey);
  }

  releaseIndex(session: Session, localIndex: number): void {
    if (this.sessions.get(localIndex) === session) this.sessions.delete(localIndex);
  }

  sessionClosed(session: Session): void {
    for (const idx of session.localIndices()) {
      if (this.sessions.get(idx) === session) this.sessions.delete(idx);
    }
    const rekey = this.rekeys.get(session.localIndex);
    if (rekey !== undefined && rekey.session === session) this.endRekey(rekey);
    const key = keyHex(session.remoteStaticKey);
    if (this.responderSessions.get(key) === session) this.responderSessions.delete(key);
    if (session.timerHandle !== null) this.clock.clearTimer(session.timerHandle);
    session.timerHandle = null;
    session.timerAtMs = Infinity;
    this.stats.sessionsClosed++;
  }

  // ---- internals ----

  private onSent(buf: Uint8Array, err: Error | null): void {
    if (err) this.stats.drops.send_failed++;
    if (this.freeBuffers.length < POOL_RETAIN && this.closing === null) this.freeBuffers.push(buf);
    else this.sendDone.delete(buf);
  }

  /**
   * A batch of received datagrams was handled: send what it produced now rather than at the end of the
   * wakeup (up to 4 batches of 32). A reliable receiver's ACK for the first 32 frames then reaches the
   * sender while this side still decrypts the rest, so both ends work at once instead of taking turns
   * (docs/decisions.md "Reliable channel throughput").
   */
  private onReceiveBatchEnd(): void {
    if (this.dirty.length === 0) return;
    if (this.flushScheduled !== null) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = null;
    }
    this.runFlush();
  }

  private runFlush(): void {
    this.flushScheduled = null;
    const dirty = this.dirty;
    this.dirty = [];
    for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
    // A batching transport sends everything this turn produced in one go (native-transport.ts).
    this.transport.flush?.();
  }

  private fireTimer(session: Session): void {
    session.timerHandle = null;
    session.timerAtMs = Infinity;
    session.onTimer(this.clock.now());
    if (session.state !== 'closed') this.armTimer(session, session.nextDeadline());
  }

  /**
   * One cookie state per peer, kept across dials (as WireGuard keeps it per peer): a fresh cookie from the
   * last CookieReply is reused by the next dial instead of costing another round trip. Bounded LRU.
   */
  private cookieGeneratorFor(remoteStaticKey: Uint8Array): CookieGenerator {
    const key = keyHex(remoteStaticKey);
    let g = this.cookieGenerators.get(key);
    if (g !== undefined) {
      this.cookieGenerators.delete(key);
    } else {
      g = new CookieGenerator(remoteStaticKey);
      if (this.cookieGenerators.size >= COOKIE_GENERATORS_RETAINED) {
        this.cookieGenerators.delete(this.cookieGenerators.keys().next().value as string);
      }
    }
    this.cookieGenerators.set(key, g);
    return g;
  }

  private allocateIndex(): number {
    const view = new DataView(randomBytes(4).buffer);
    for (;;) {
      const idx = view.getUint32(0, true);
      if (!this.sessions.has(idx) && !this.dials.has(idx) && !this.rekeys.has(idx)) return idx;
      view.setUint32(0, (idx * 2654435761 + 1) >>> 0, true);
    }
  }

  private sendInitiation(dial: PendingDial): void {
    retainInitiation(dial);
    const init = this.transmitInitiation(dial.remoteStaticKey, dial.localIndex, dial.cookies, dial.address);
    if (init === null) {
      this.failDial(dial, new WiremeshError('BAD_PEER_KEY', 'the remote static key is a low-order point: check the key you dialed'));
      return;
    }
    dial.state = init;
    if (dial.retryTimer !== null) this.clock.clearTimer(dial.retryTimer);
    dial.retryTimer = this.clock.setTimer(() => {
      dial.retryTimer = null;
      if (this.dials.get(dial.localIndex) === dial) this.sendInitiation(dial);
    }, this.retryDelay());
  }

  /** Creates a HandshakeInit (spec 5.2), adds MAC1/MAC2 (spec 6) and sends it; null for a low-order key. */
  private transmitInitiation(
    remoteStatic: Uint8Array,
    senderIndex: number,
    cookies: CookieGenerator,
    to: UdpAddress,
  ): InitiatorState | null {
    const now = this.clock.now();
    const init = createInitiation({
      suite: this.suite,
      localStatic: this.staticKey,
      remoteStatic,
      senderIndex,
      nowMs: now,
      staticStatic: this.staticStatic,
    });
    if (init === null) return null;
    cookies.addMacs(init.packet, HANDSHAKE_INIT_MAC1_OFFSET, now);
    this.stats.handshakesInitiated++;
    const buf = this.acquireBuffer();
    buf.set(init.packet);
    this.transmitHandshake(buf, init.packet.length, to.host, to.port);
    return init.state;
  }

  /** Handshake retry interval with jitter, so simultaneous dialers do not stay in lockstep. */
  private retryDelay(): number {
    return this.handshakeRetryMs * (0.9 + 0.2 * this.random());
  }

  private sendRekeyInitiation(rekey: PendingRekey): void {
    retainInitiation(rekey);
    const session = rekey.session;
    if (session.state === 'closed' || this.closing !== null) {
      this.endRekey(rekey);
      return;
    }
    // The same sender index as the session's: how the responder tells a rekey from a new connection.
    const init = this.transmitInitiation(session.remoteStaticKey, session.localIndex, rekey.cookies, session.remoteAddress);
    if (init === null) {
      this.endRekey(rekey);
      return;
    }
    rekey.state = init;
    if (rekey.retryTimer !== null) this.clock.clearTimer(rekey.retryTimer);
    rekey.retryTimer = this.clock.setTimer(() => {
      rekey.retryTimer = null;
      if (this.rekeys.get(session.localIndex) === rekey) this.sendRekeyInitiation(rekey);
    }, this.retryDelay());
  }

  private endRekey(rekey: PendingRekey): void {
    if (rekey.retryTimer !== null) this.clock.clearTimer(rekey.retryTimer);
    rekey.retryTimer = null;
    rekey.state?.destroy();
    rekey.state = null;
    for (const old of rekey.previous.splice(0)) old.destroy();
    if (this.rekeys.get(rekey.session.localIndex) === rekey) this.rekeys.delete(rekey.session.localIndex);
  }

  private failDial(dial: PendingDial, err: Error): void {
    if (this.dials.get(dial.localIndex) !== dial) return;
    dial.cleanup();
    dial.reject(err);
  }

  private onDatagram(buf: Uint8Array, host: string, port: number): void {
    if (this.closing) return;
    this.stats.rxPackets++;
    this.stats.rxBytes += buf.length;
    try {
      this.dispatch(buf, host, port);
    } catch {
      // Defence in depth: decoders return errors, but nothing on the receive path may ever throw upwards.
      this.stats.drops.internal_error++;
    }
  }

  private dispatch(buf: Uint8Array, host: string, port: number): void {
    if (buf.length === 0) {
      this.stats.drops.empty++;
      return;
    }
    const type = buf[0]!;
    switch (type) {
      case PACKET_DATA:
      case PACKET_DATA_FRAGMENT:
      case PACKET_KEEPALIVE:
      case PACKET_DISCONNECT: {
        if (validateTransportPacket(buf) !== null) {
          this.stats.drops.malformed++;
          return;
        }
        const session = this.sessions.get(readReceiverIndex(buf));
        if (session === undefined) {
          this.stats.drops.unknown_index++;
          return;
        }
        session.receive(buf, type, readReceiverIndex(buf), readCounter(buf), host, port);
        if (session.state !== 'closed') this.armTimer(session, session.nextDeadline());
        return;
      }
      case PACKET_HANDSHAKE_INIT:
        this.onHandshakeInit(buf, host, port);
        return;
      case PACKET_HANDSHAKE_RESP:
        this.onHandshakeResp(buf, host, port);
        return;
      case PACKET_COOKIE_REPLY:
        this.onCookieReply(buf);
        return;
      case PACKET_PUNCH:
        // Editor's note 9: NAT punch probes only open mappings; every receiver drops them.
        this.stats.drops.punch++;
        return;
      default:
        this.stats.drops.unknown_type++;
    }
  }

  private onHandshakeInit(buf: Uint8Array, host: string, port: number): void {
    const drops = this.stats.drops;
    if (buf.length !== SIZE_HANDSHAKE_INIT || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) {
      drops.malformed++;
      return;
    }
    // spec 5.3: MAC1 first; it costs one keyed hash and proves the sender knows our public key.
    if (!this.cookieChecker.checkMac1(buf, HANDSHAKE_INIT_MAC1_OFFSET)) {
      drops.mac1++;
      return;
    }
    const now = this.clock.now();
    const addrString = formatAddress(host, port);
    const underLoad = this.load.arrive(now);
    this.stats.underLoadEpisodes = this.load.episodes;
    if (underLoad || this.alwaysCookie) {
      // spec 6: under load, only initiators that prove their address with a cookie get a DH computation.
      // An all-zero MAC2 means "no cookie" (spec 4.1): no need to compute the two it could have matched.
      if (isZeroMac2(buf) || !this.cookieChecker.checkMac2(buf, HANDSHAKE_INIT_MAC2_OFFSET, addrString, now)) {
        if (underLoad && !this.cookieReplyLimiter.allow(host, now)) {
          drops.cookie_rate_limited++;
          return;
        }
        this.sendCookieReply(buf, addrString, host, port, now);
        return;
      }
      // A valid cookie proves the address, not good intent: DH work per source IP stays bounded.
      if (underLoad && !this.handshakeLimiter.allow(host, now)) {
        drops.handshake_rate_limited++;
        return;
      }
    }
    if (this.sessions.size >= this.maxSessions) {
      drops.too_many_sessions++;
      return;
    }
    // The DH work is charged to the load window (cookie-load.ts: a time budget) as this process's CPU time,
    // so a busy machine preempting us does not count as work. Real clocks only: a simulation's virtual clock
    // must not make its runs depend on the speed of the machine.
    if (!this.measureHandshakeCost) {
      this.answerInitiation(buf, host, port, now);
      return;
    }
    const cpu0 = process.cpuUsage();
    this.answerInitiation(buf, host, port, now);
    const cpu = process.cpuUsage(cpu0);
    this.load.charge(now, (cpu.user + cpu.system) / 1000);
    this.stats.underLoadEpisodes = this.load.episodes;
  }

  /** spec 5.3, 5.4: consumes a checked initiation, answers it and creates (or rekeys) the session. */
  private answerInitiation(buf: Uint8Array, host: string, port: number, now: number): void {
    const drops = this.stats.drops;
    const consumed = consumeInitiation({
      suite: this.suite,
      localStatic: this.staticKey,
      packet: buf,
      nowMs: now,
      maxSkewMs: this.maxClockSkewMs,
      staticStatic: this.staticStatic,
    });
    if (!consumed.ok) {
      if (consumed.reason === 'skew') drops.handshake_skew++;
      else if (consumed.reason === 'low_order') drops.handshake_low_order++;
      else if (consumed.reason === 'decode') drops.malformed++;
      else drops.handshake_decrypt++;
      return;
    }
    // Editor's note 8: a replayed (same or older timestamp) initiation from the same key is refused.
    if (!this.replayGuard.accept(consumed.remoteStatic, consumed.timestamp)) {
      consumed.state.destroy();
      drops.handshake_replay++;
      return;
    }
    const address = { host, port };
    if (this.acceptPeer !== null && !this.acceptPeer(consumed.remoteStatic, address)) {
      consumed.state.destroy();
      drops.handshake_refused++;
      return;
    }
    const localIndex = this.allocateIndex();
    const resp = createResponse(consumed.state, { senderIndex: localIndex });
    if (resp === null) {
      drops.handshake_low_order++;
      return;
    }
    new CookieGenerator(consumed.remoteStatic).addMacs(resp.packet, HANDSHAKE_RESP_MAC1_OFFSET, now);
    const staticHex = keyHex(consumed.remoteStatic);
    const existing = this.responderSessions.get(staticHex);
    if (existing !== undefined && existing.state !== 'closed' && existing.remoteIndex === consumed.remoteIndex) {
      // spec 7.3 rekey of a live session: stage the new keys; they take over once the initiator uses them.
      existing.stageRekey(localIndex, this.suite.transportCipher(resp.keys.sendKey), this.suite.transportCipher(resp.keys.recvKey));
      resp.keys.sendKey.fill(0);
      resp.keys.recvKey.fill(0);
      this.sessions.set(localIndex, existing);
      this.stats.handshakesAccepted++;
      this.stats.rekeys++;
      const out = this.acquireBuffer();
      out.set(resp.packet);
      this.transmitHandshake(out, resp.packet.length, host, port);
      return;
    }
    const session = new Session({
      host: this,
      config: this.config,
      localIndex,
      remoteIndex: consumed.remoteIndex,
      remoteStaticKey: consumed.remoteStatic,
      remoteAddress: address,
      sendCipher: this.suite.transportCipher(resp.keys.sendKey),
      recvCipher: this.suite.transportCipher(resp.keys.recvKey),
      handshakeHash: resp.handshakeHash,
      isInitiator: false,
    });
    resp.keys.sendKey.fill(0);
    resp.keys.recvKey.fill(0);
    this.sessions.set(localIndex, session);
    this.stats.sessionsOpened++;
    this.stats.handshakesAccepted++;
    session.once('confirmed', () => {
      // The rekey lookup must find the session the initiator actually uses: when its retries made several
      // unconfirmed sessions, the confirmed one may be any of them, and the others time out.
      this.responderSessions.set(staticHex, session);
      this.stats.handshakesCompleted++;
      this.emit('session', session);
    });
    const out = this.acquireBuffer();
    out.set(resp.packet);
    this.transmitHandshake(out, resp.packet.length, host, port);
    this.armTimer(session, session.nextDeadline());
  }

  /** spec 6.2: answers an initiation that needs a cookie (counted as mac2_required). */
  private sendCookieReply(init: Uint8Array, addrString: string, host: string, port: number, now: number): void {
    this.stats.drops.mac2_required++;
    const reply = this.cookieChecker.createReply(init, addrString, now);
    const out = this.acquireBuffer();
    out.set(reply);
    this.stats.cookieRepliesSent++;
    this.transmit(out, reply.length, host, port);
  }

  private onHandshakeResp(buf: Uint8Array, host: string, port: number): void {
    const drops = this.stats.drops;
    const decoded = decodeHandshakeResp(buf);
    if (!decoded.ok) {
      drops.malformed++;
      return;
    }
    const dial = this.dials.get(decoded.value.receiverIndex);
    if (dial === undefined || dial.state === null) {
      const rekey = this.rekeys.get(decoded.value.receiverIndex);
      if (rekey !== undefined && rekey.state !== null) this.onRekeyResponse(rekey, buf);
      else drops.handshake_unexpected++;
      return;
    }
    const consumed = this.consumeResponseCounted(dial.state, dial.previous, buf);
    if (consumed === null) return;
    const session = new Session({
      host: this,
      config: this.config,
      localIndex: dial.localIndex,
      remoteIndex: consumed.remoteIndex,
      remoteStaticKey: dial.remoteStaticKey,
      remoteAddress: { host, port },
      sendCipher: this.suite.transportCipher(consumed.keys.sendKey),
      recvCipher: this.suite.transportCipher(consumed.keys.recvKey),
      handshakeHash: consumed.handshakeHash,
      isInitiator: true,
    });
    consumed.keys.sendKey.fill(0);
    consumed.keys.recvKey.fill(0);
    dial.cleanup();
    this.sessions.set(dial.localIndex, session);
    this.stats.sessionsOpened++;
    this.stats.handshakesCompleted++;
    this.armTimer(session, session.nextDeadline());
    dial.resolve(session);
  }

  /** MAC1 (keyed by our own static key, spec 5.4) then spec 5.5; every rejection counted. */
  private consumeResponseCounted(state: InitiatorState, previous: InitiatorState[], buf: Uint8Array): Extract<ConsumeResponseResult, { ok: true }> | null {
    const drops = this.stats.drops;
    if (!this.cookieChecker.checkMac1(buf, HANDSHAKE_RESP_MAC1_OFFSET)) {
      drops.mac1++;
      return null;
    }
    let consumed = consumeResponse(state, buf);
    // A response to an earlier initiation (it arrived after our retry): the round trip outlasted the retry
    // interval. Without this a path slower than handshakeRetryMs never completes a handshake.
    for (let i = 0; !consumed.ok && consumed.reason === 'decrypt' && i < previous.length; i++) {
      const answered = consumeResponse(previous[i]!, buf);
      if (answered.ok) consumed = answered;
    }
    if (consumed.ok) return consumed;
    if (consumed.reason === 'low_order') drops.handshake_low_order++;
    else if (consumed.reason === 'decode') drops.malformed++;
    else if (consumed.reason === 'index') drops.handshake_unexpected++;
    else drops.handshake_decrypt++;
    return null;
  }

  private onRekeyResponse(rekey: PendingRekey, buf: Uint8Array): void {
    const consumed = this.consumeResponseCounted(rekey.state!, rekey.previous, buf);
    if (consumed === null) return;
    this.endRekey(rekey);
    this.stats.handshakesCompleted++;
    this.stats.rekeys++;
    rekey.session.installRekey(
      consumed.remoteIndex,
      this.suite.transportCipher(consumed.keys.sendKey),
      this.suite.transportCipher(consumed.keys.recvKey),
    );
    consumed.keys.sendKey.fill(0);
    consumed.keys.recvKey.fill(0);
  }

  private onCookieReply(buf: Uint8Array): void {
    const decoded = decodeCookieReply(buf);
    if (!decoded.ok) {
      this.stats.drops.malformed++;
      return;
    }
    const dial = this.dials.get(decoded.value.receiverIndex);
    const rekey = dial === undefined ? this.rekeys.get(decoded.value.receiverIndex) : undefined;
    const cookies = dial?.cookies ?? rekey?.cookies;
    if (cookies === undefined) {
      this.stats.drops.handshake_unexpected++;
      return;
    }
    if (!cookies.consumeReply(buf, this.clock.now())) {
      this.stats.drops.cookie_reply_invalid++;
      return;
    }
    this.stats.cookieRepliesReceived++;
    // spec 6.3: retry at once with MAC2 keyed by the fresh cookie.
    if (dial !== undefined) this.sendInitiation(dial);
    else this.sendRekeyInitiation(rekey!);
  }
}

/**
 * Before a retry replaces the initiation in flight: keep it answerable (newest first) and destroy what
 * falls out of the window of ANSWERABLE_INITIATIONS.
 */
function retainInitiation(pending: { state: InitiatorState | null; previous: InitiatorState[] }): void {
  if (pending.state !== null) pending.previous.unshift(pending.state);
  pending.state = null;
  while (pending.previous.length > ANSWERABLE_INITIATIONS - 1) pending.previous.pop()!.destroy();
}

/** spec 4.1: an initiator without a cookie sends MAC2 as 16 zero bytes. */
function isZeroMac2(init: Uint8Array): boolean {
  let acc = 0;
  for (let i = HANDSHAKE_INIT_MAC2_OFFSET; i < SIZE_HANDSHAKE_INIT; i++) acc |= init[i]!;
  return acc === 0;
}

function keyHex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('hex');
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`option ${name} = ${String(value)} is invalid: use a positive whole number`);
  }
  return value;
}

function checkPublicKey(key: unknown, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new InvalidArgumentError(`${what} must be 32 bytes (64 hex characters)`);
  }
}

function checkKeyPair(kp: KeyPair | undefined): void {
  if (kp === undefined || !(kp.privateKey instanceof Uint8Array) || kp.privateKey.length !== 32) {
    throw new InvalidArgumentError('staticKey must be an X25519 key pair with a 32-byte privateKey and publicKey');
  }
  checkPublicKey(kp.publicKey, 'staticKey.publicKey');
}

function checkAddress(a: UdpAddress, minPort = 1): UdpAddress {
  if (!a || typeof a.host !== 'string' || isIP(a.host) === 0) {
    throw new InvalidArgumentError(`peer host '${String(a?.host)}' is not an IP address: use e.g. 127.0.0.1 or [::1]`);
  }
  if (!Number.isInteger(a.port) || a.port < minPort || a.port > 65535) {
    throw new InvalidArgumentError(`port ${String(a.port)} is out of range: use ${minPort}-65535`);
  }
  return { host: a.host, port: a.port };
}

/** Parses `host:port` or `[v6]:port` into an address; throws InvalidArgumentError with the fix. */
export function parseUdpAddress(text: string, options: { allowPortZero?: boolean } = {}): UdpAddress {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  if (m === null) {
    throw new InvalidArgumentError(`address '${text}' is not host:port: write it like 127.0.0.1:4242 or [::1]:4242`);
  }
  return checkAddress({ host: m[1]!, port: Number(m[2]) }, options.allowPortZero === true ? 0 : 1);
}
