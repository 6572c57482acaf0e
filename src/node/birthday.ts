/**
 * The birthday strategy's I/O (issue 6 item 3; plan and budget in src/nat birthday-plan.ts). It runs when
 * exactly one side of a pair is behind a symmetric NAT, on both sides at once: the routed rendezvous
 * (Hello on the target, Reply on the caller) starts each side's role.
 *
 * - Cone side ('spray'): from its one socket, BIRTHDAY_SPRAY_PORTS random ports of the symmetric side's
 *   public host get a PACKET_PUNCH each, BIRTHDAY_SPRAY_PER_S at a time. This opens our NAT's filter
 *   toward those ports. A PACKET_PUNCH that then arrives from that host (the transport's punch observer)
 *   came through one of them: that host:port is a direct path to the peer.
 * - Symmetric side ('sockets'): BIRTHDAY_SOCKETS extra sockets each probe the cone side's one reflexive
 *   address every BIRTHDAY_PROBE_INTERVAL_MS, so our NAT holds that many mappings toward it. The first
 *   datagram from the peer's address on one of them (its spray, or already its session's packets) means
 *   that mapping is a path: the socket is pinned to the peer's address in the relay transport, and the
 *   session to the peer runs over it from then on (the decision: the session moves to the socket the
 *   mapping belongs to, since the main socket's mapping toward the peer cannot be chosen). The other
 *   sockets close when the attempt ends; the pinned one sends 3 more probes at once, so the cone side
 *   learns the winning port too (it may be the side that dials).
 *
 * The side that asks (connect() or the upgrade loop) starts its role on the rendezvous Reply, and only
 * when its budget allows one; the answering side starts its role on the Hello with half the per-peer
 * interval, so both run in the same rounds. Maintenance dials never take the asking role (a background
 * edge does not justify thousands of datagrams); they are relayed.
 *
 * Either side reports a found path to `onFound`: the node moves a relayed session there (trial copies,
 * then roaming) or dials it. Attempts are rate-limited per node (BirthdayBudget: one at a time, spaced,
 * a global datagram rate). A pin lives while an edge to the peer uses it; it goes with the edge.
 */
import type { ContactAddress } from '../identity/index.js';
import {
  BIRTHDAY_ATTEMPT_MS,
  BIRTHDAY_PROBE_INTERVAL_MS,
  BIRTHDAY_SOCKETS,
  BIRTHDAY_SPRAY_PER_S,
  BIRTHDAY_SPRAY_PORTS,
  BIRTHDAY_TICK_MS,
  BirthdayBudget,
  PUNCH_PACKET,
  reportableHost,
  sprayPorts,
  type BirthdayRole,
} from '../nat/index.js';
import type { DatagramTransport, UdpAddress } from '../session/index.js';
import type { NodeContext } from './context.js';
import type { RelayTransport } from './relay-transport.js';

const IGNORE_SEND_RESULT = (): void => {};

/** Probes the symmetric side sends from the winning socket once it is found, and their spacing. */
const FOUND_PROBES = 3;
const FOUND_PROBE_INTERVAL_MS = 100;
/** A pin whose path no edge uses this long after its attempt ended is released. */
const PIN_UNUSED_GRACE_MS = 10_000;

export type PathFound = (peerKey: string, address: UdpAddress) => void;

interface Attempt {
  readonly peerKey: string;
  readonly role: 'spray' | 'sockets';
  /** Spray: the symmetric side's host. Sockets: the cone side's address. */
  readonly target: UdpAddress;
  readonly ports: number[];
  next: number;
  readonly sockets: DatagramTransport[];
  found: boolean;
  tickTimer: unknown;
  endTimer: unknown;
  ended: boolean;
}

export class Birthday {
  private readonly ctx: NodeContext;
  private readonly socket: DatagramTransport;
  private readonly transport: RelayTransport;
  private readonly openSocket: (() => Promise<DatagramTransport>) | undefined;
  private readonly onFound: PathFound;
  readonly budget = new BirthdayBudget();
  private readonly attempts = new Map<string, Attempt>();
  /** Peer key -> the address its pin is for (symmetric side). */
  private readonly pins = new Map<string, UdpAddress>();
  private readonly timers = new Set<unknown>();
  private readonly waiters = new Map<string, Set<(a: UdpAddress | null) => void>>();

  constructor(ctx: NodeContext, socket: DatagramTransport, transport: RelayTransport, openSocket: (() => Promise<DatagramTransport>) | undefined, onFound: PathFound) {
    this.ctx = ctx;
    this.socket = socket;
    this.transport = transport;
    this.openSocket = openSocket;
    this.onFound = onFound;
    transport.setPunchObserver((host, port) => this.onPunch(host, port));
  }

  /** Would an attempt toward `peerKey` start now (as the side that asks)? */
  canStart(peerKey: string): boolean {
    return !this.attempts.has(peerKey) && this.budget.canStart(peerKey, this.ctx.clock.now());
  }

  /** True while an attempt toward `peerKey` runs. */
  running(peerKey: string): boolean {
    return this.attempts.has(peerKey);
  }

  /**
   * Starts our `role` toward the peer `peerKey` whose contact lists `addresses` (first: its public
   * address). False when skipped: no role, no usable address, no socket opener, or the budget says no.
   */
  start(role: BirthdayRole, peerKey: string, addresses: readonly ContactAddress[], answering = false): boolean {
    const ctx = this.ctx;
    if (role === null || !ctx.running || this.attempts.has(peerKey)) return false;
    const first = addresses[0];
    const host = first === undefined ? null : reportableHost(first.host);
    if (host === null) return false;
    if (role === 'sockets' && this.openSocket === undefined) return false;
    if (!this.budget.startAttempt(peerKey, ctx.clock.now(), answering)) {
      ctx.counters.birthdaySkipped++;
      return false;
    }
    ctx.counters.birthdayAttempts++;
    const attempt: Attempt = {
      peerKey,
      role,
      target: { host, port: first.port },
      ports: role === 'spray' ? sprayPorts(BIRTHDAY_SPRAY_PORTS, () => this.randomUint32(), addresses.filter((a) => reportableHost(a.host) === host).map((a) => a.port)) : [],
      next: 0,
      sockets: [],
      found: false,
      tickTimer: null,
      endTimer: null,
      ended: false,
    };
    this.attempts.set(peerKey, attempt);
    attempt.endTimer = this.setTimer(() => this.end(attempt), BIRTHDAY_ATTEMPT_MS);
    if (role === 'spray') this.tick(attempt);
    else void this.openSockets(attempt);
    return true;
  }

  /** Resolves with the path found toward `peerKey` within `timeoutMs`, else null. */
  waitFound(peerKey: string, timeoutMs: number, signal?: AbortSignal): Promise<UdpAddress | null> {
    return new Promise((resolve) => {
      let set = this.waiters.get(peerKey);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(peerKey, set);
      }
      const waiters = set;
      let timer: unknown = null;
      const finish = (a: UdpAddress | null) => {
        waiters.delete(finish);
        if (waiters.size === 0 && this.waiters.get(peerKey) === waiters) this.waiters.delete(peerKey);
        if (timer !== null) this.clearTimer(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(a);
      };
      const onAbort = () => finish(null);
      waiters.add(finish);
      timer = this.setTimer(() => {
        timer = null;
        finish(null);
      }, timeoutMs);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The edge to `peerKey` closed: its pinned socket (if any) goes too. */
  release(peerKey: string): void {
    const address = this.pins.get(peerKey);
    if (address === undefined) return;
    this.pins.delete(peerKey);
    this.transport.unpin(address);
  }

  close(): void {
    for (const a of [...this.attempts.values()]) this.end(a);
    for (const t of this.timers) this.ctx.clock.clearTimer(t);
    this.timers.clear();
    for (const set of this.waiters.values()) for (const w of [...set]) w(null);
    this.waiters.clear();
    this.transport.setPunchObserver(null);
  }

  // ---- internals ----

  private randomUint32(): number {
    const b = this.ctx.randomBytes(4);
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }

  private setTimer(fn: () => void, ms: number): unknown {
    const timer = this.ctx.clock.setTimer(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: unknown): void {
    this.timers.delete(timer);
    this.ctx.clock.clearTimer(timer);
  }

  /** One pacing step of either role, within the global budget. */
  private tick(attempt: Attempt): void {
    attempt.tickTimer = null;
    if (attempt.ended || attempt.found || !this.ctx.running) return;
    const now = this.ctx.clock.now();
    if (attempt.role === 'spray') {
      const wanted = Math.min(Math.ceil((BIRTHDAY_SPRAY_PER_S * BIRTHDAY_TICK_MS) / 1000), attempt.ports.length - attempt.next);
      const granted = this.budget.take(wanted, now);
      for (let i = 0; i < granted; i++) {
        this.socket.send(PUNCH_PACKET, PUNCH_PACKET.length, attempt.target.host, attempt.ports[attempt.next++], IGNORE_SEND_RESULT);
      }
      this.ctx.counters.birthdayPackets += granted;
    } else if (attempt.sockets.length > 0) {
      const perTick = Math.ceil((attempt.sockets.length * BIRTHDAY_TICK_MS) / BIRTHDAY_PROBE_INTERVAL_MS);
      const granted = this.budget.take(perTick, now);
      for (let i = 0; i < granted; i++) {
        const s = attempt.sockets[attempt.next++ % attempt.sockets.length];
        s.send(PUNCH_PACKET, PUNCH_PACKET.length, attempt.target.host, attempt.target.port, IGNORE_SEND_RESULT);
      }
      this.ctx.counters.birthdayPackets += granted;
    }
    // The spray stops when its ports are used up; probes go on until the attempt ends.
    if (attempt.role === 'spray' && attempt.next >= attempt.ports.length) return;
    attempt.tickTimer = this.setTimer(() => this.tick(attempt), BIRTHDAY_TICK_MS);
  }

  private async openSockets(attempt: Attempt): Promise<void> {
    const opener = this.openSocket!;
    const opened = await Promise.allSettled(Array.from({ length: BIRTHDAY_SOCKETS }, () => opener()));
    for (const r of opened) {
      if (r.status !== 'fulfilled') continue;
      const socket = r.value;
      if (attempt.ended || attempt.found) {
        void socket.close().catch(() => {});
        continue;
      }
      socket.onDatagram((buf, host, port) => this.onSocketDatagram(attempt, socket, buf, host, port));
      attempt.sockets.push(socket);
    }
    if (attempt.sockets.length === 0) {
      this.ctx.counters.birthdaySkipped++;
      return;
    }
    // First probe from every socket at once: each opens its mapping before the spray gets there.
    const granted = this.budget.take(attempt.sockets.length, this.ctx.clock.now());
    for (let i = 0; i < granted; i++) attempt.sockets[i].send(PUNCH_PACKET, PUNCH_PACKET.length, attempt.target.host, attempt.target.port, IGNORE_SEND_RESULT);
    this.ctx.counters.birthdayPackets += granted;
    attempt.next = granted;
    attempt.tickTimer = this.setTimer(() => this.tick(attempt), BIRTHDAY_TICK_MS);
  }

  /** Symmetric side: a datagram on an extra socket. From the peer's address, this socket's mapping is the path. */
  private onSocketDatagram(attempt: Attempt, socket: DatagramTransport, buf: Uint8Array, host: string, port: number): void {
    if (host !== attempt.target.host || port !== attempt.target.port || attempt.found) return;
    if (!this.transport.pin(attempt.target, socket)) return;
    attempt.found = true;
    this.pins.set(attempt.peerKey, { ...attempt.target });
    const i = attempt.sockets.indexOf(socket);
    if (i >= 0) attempt.sockets.splice(i, 1);
    // It may already be the peer's session packet (a dial or a trial copy): the Endpoint needs it.
    this.transport.receiveReal(buf, host, port);
    // Tell the cone side which port won (its filter admits it now): a few probes from the pinned socket,
    // in case it is the one that dials.
    const target = attempt.target;
    for (let i = 0; i < FOUND_PROBES; i++) {
      this.setTimer(() => {
        if (this.transport.isPinned(target)) socket.send(PUNCH_PACKET, PUNCH_PACKET.length, target.host, target.port, IGNORE_SEND_RESULT);
      }, i * FOUND_PROBE_INTERVAL_MS);
    }
    this.found(attempt, attempt.target);
  }

  /** Cone side: a PACKET_PUNCH reached our main socket. From the host we spray, it came through a sprayed port. */
  private onPunch(host: string, port: number): void {
    if (this.attempts.size === 0) return;
    for (const attempt of this.attempts.values()) {
      if (attempt.role !== 'spray' || attempt.found || attempt.target.host !== host) continue;
      attempt.found = true;
      this.found(attempt, { host, port });
      return;
    }
  }

  private found(attempt: Attempt, address: UdpAddress): void {
    const ctx = this.ctx;
    ctx.counters.birthdayFound++;
    const waiters = this.waiters.get(attempt.peerKey);
    if (waiters !== undefined) for (const w of [...waiters]) w({ ...address });
    this.onFound(attempt.peerKey, { ...address });
    this.end(attempt);
  }

  private end(attempt: Attempt): void {
    if (attempt.ended) return;
    attempt.ended = true;
    if (this.attempts.get(attempt.peerKey) === attempt) this.attempts.delete(attempt.peerKey);
    if (attempt.tickTimer !== null) this.clearTimer(attempt.tickTimer);
    if (attempt.endTimer !== null) this.clearTimer(attempt.endTimer);
    attempt.tickTimer = null;
    attempt.endTimer = null;
    for (const s of attempt.sockets.splice(0)) void s.close().catch(() => {});
    this.budget.endAttempt();
    const peerKey = attempt.peerKey;
    if (this.pins.has(peerKey) && this.ctx.running) {
      // A pin no edge ends up using (the dial or the move failed) is released after a grace period.
      this.setTimer(() => {
        const address = this.pins.get(peerKey);
        if (address === undefined) return;
        const link = this.ctx.edges.edgeLinkByKey(peerKey);
        const remote = link?.session.remoteAddress;
        if (remote === undefined || remote.host !== address.host || remote.port !== address.port) this.release(peerKey);
      }, PIN_UNUSED_GRACE_MS);
    }
  }
}
