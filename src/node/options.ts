/**
 * createNode() options: their defaults and the checks that turn a bad option into one clear
 * InvalidArgumentError before anything is opened.
 */
import { InvalidArgumentError } from '../errors.js';
import { CAP_RELAY, Identity, parseContact, type Contact } from '../identity/index.js';
import { RelayBudget, type RelayBudgetOptions } from '../nat/index.js';
import {
  BUCKET_STALE_AFTER_MS,
  CONTROL_BUDGET,
  DEFAULT_TARGET_DEGREE,
  DEGREE_CAP,
  DEGREE_FLOOR,
  DIAL_BACKOFF_BASE_MS,
  DIAL_BACKOFF_MAX_MS,
  FORWARD_BUDGET,
  MAX_INBOUND_EDGES,
  type BudgetRate,
} from '../kad/index.js';
import { parseUdpAddress, systemClock, type Clock, type DatagramTransport, type UdpAddress } from '../session/index.js';
import { FIRST_APP_CHANNEL, LAST_APP_CHANNEL } from '../wire/index.js';
import {
  BUCKET_REFRESH_CHECK_MS,
  CHANNEL_BUFFER,
  DELIVERY_BUFFER,
  DIAL_TIMEOUT_MS,
  EDGE_DEAD_AFTER_MS,
  EDGE_KEEPALIVE_MS,
  MAINTENANCE_TICK_MS,
  ORIGINATOR_BURST,
  ORIGINATOR_RATE_PER_S,
  PERSIST_INTERVAL_MS,
  SELF_LOOKUP_MS,
  SIBLING_EXCHANGE_MS,
} from './constants.js';

export interface MaintenanceOptions {
  /** Period of the maintenance round: fill, probes, lookups, persistence checks. */
  tickMs: number;
  selfLookupMs: number;
  siblingExchangeMs: number;
  bucketRefreshCheckMs: number;
  bucketStaleAfterMs: number;
  persistIntervalMs: number;
  dialTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface NodeBudgets {
  /** Per-edge control messages (nodenet 8: burst 32, 16/s). */
  control?: BudgetRate;
  /** Per-edge routed and direct messages (nodenet 8: burst 1024, 512/s). */
  forward?: BudgetRate;
  /** Per-originator answers (nodenet 8: burst 32, 16/s). */
  originator?: BudgetRate;
}

export interface NodeOptions {
  /** The node's identity. Without it: loaded from (or minted into) `dataDir`, else a fresh one. */
  identity?: Identity;
  /** Directory for the seed file and the persisted knowledge table. */
  dataDir?: string;
  /** Network-wide proof of work: leading zero bits every NodeID must have (0..64, default 0). */
  difficulty?: number;
  /** Listen address (default `::` dual-stack) and port (default 0: any free port). */
  host?: string;
  port?: number;
  /** Addresses put in this node's contact (`host:port`); default: the bound address, or the interfaces' addresses. */
  advertise?: string[];
  /** Contacts to join through: contact strings (`<keys>@host:port`) or parsed contacts. */
  bootstrap?: Array<string | Contact>;
  /** Datagram transport and clock, for the in-memory simulator. */
  transport?: DatagramTransport;
  clock?: Clock;
  /**
   * Opens one more datagram socket on this host (birthday strategy behind a symmetric NAT, issue 6).
   * Default: a UDP socket on `host`, any port, when the node binds its own socket; none with `transport`.
   */
  openSocket?: () => Promise<DatagramTransport>;
  /** Outbound edges wanted (default 24). */
  targetDegree?: number;
  /** Peer-initiated edges accepted at most (default 256). */
  maxInboundEdges?: number;
  /** Live edges above which maintenance closes surplus inbound edges with a Leave (default 64, at least 2 x targetDegree; src/kad/degree-trim.ts). */
  degreeCap?: number;
  /** Disable the per-subnet caps (loopback tests where every node shares 127.0.0.0/24). */
  noSubnet?: boolean;
  /** Maintenance timings, or false to run no maintenance (hand-wired tests). */
  maintenance?: false | Partial<MaintenanceOptions>;
  /** Wiresocket keepalive on edges, and the silence after which an edge is reaped. */
  keepaliveMs?: number;
  deadAfterMs?: number;
  budgets?: NodeBudgets;
  /** Application edge policy: return false to refuse a peer. */
  acceptEdge?: (id: Uint8Array) => boolean;
  /** Whether an application channel (16-254) is reliable; both ends must agree. Default: all reliable. */
  channelReliability?: (channel: number) => boolean;
  deliveryBuffer?: number;
  channelBuffer?: number;
  /** Capability bits advertised in this node's contact (e.g. CAP_RELAY). */
  capabilities?: number;
  /** Forward Wiresocket packets on channel 2 between neighbours that cannot reach each other (advertises CAP_RELAY). */
  relay?: boolean;
  /** A relay's caps (default: src/nat's RELAY_* constants). */
  relayLimits?: RelayBudgetOptions;
  /** Stops the node when aborted. */
  signal?: AbortSignal;
  /** Random source for nonces and message ids (default: the system CSPRNG). */
  random?: (out: Uint8Array) => void;
  /** Wiresocket crypto provider. */
  crypto?: 'auto' | 'native' | 'pure';
}

export interface ResolvedNodeOptions {
  identity: Identity | undefined;
  dataDir: string | undefined;
  difficulty: number;
  host: string;
  port: number;
  advertise: UdpAddress[] | undefined;
  bootstrap: Contact[];
  transport: DatagramTransport | undefined;
  clock: Clock;
  openSocket: (() => Promise<DatagramTransport>) | undefined;
  targetDegree: number;
  maxInboundEdges: number;
  degreeCap: number;
  noSubnet: boolean;
  maintenance: MaintenanceOptions | null;
  keepaliveMs: number;
  deadAfterMs: number;
  controlBudget: BudgetRate;
  forwardBudget: BudgetRate;
  originatorBudget: BudgetRate;
  acceptEdge: ((id: Uint8Array) => boolean) | undefined;
  channelReliability: (channel: number) => boolean;
  deliveryBuffer: number;
  channelBuffer: number;
  capabilities: number;
  relay: boolean;
  relayLimits: RelayBudgetOptions;
  signal: AbortSignal | undefined;
  random: ((out: Uint8Array) => void) | undefined;
  crypto: 'auto' | 'native' | 'pure';
}

const KNOWN_KEYS = new Set<string>([
  'identity', 'dataDir', 'difficulty', 'host', 'port', 'advertise', 'bootstrap', 'transport', 'clock', 'openSocket', 'targetDegree',
  'maxInboundEdges', 'degreeCap', 'noSubnet', 'maintenance', 'keepaliveMs', 'deadAfterMs', 'budgets', 'acceptEdge', 'channelReliability',
  'deliveryBuffer', 'channelBuffer', 'capabilities', 'relay', 'relayLimits', 'signal', 'random', 'crypto',
]);

function bad(message: string): never {
  throw new InvalidArgumentError(message);
}

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`option ${name} = ${String(value)} is invalid: use a whole number from ${min} to ${max}`);
  }
  return value;
}

function fn<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') bad(`option ${name} must be a function`);
  return value as T;
}

function budget(name: string, value: unknown, fallback: BudgetRate): BudgetRate {
  if (value === undefined) return fallback;
  const v = value as BudgetRate;
  if (v === null || typeof v !== 'object' || !(v.burst >= 1) || !(v.ratePerSecond > 0) || !Number.isFinite(v.burst) || !Number.isFinite(v.ratePerSecond)) {
    bad(`option budgets.${name} must be { burst >= 1, ratePerSecond > 0 }`);
  }
  return { burst: v.burst, ratePerSecond: v.ratePerSecond };
}

function maintenance(value: unknown): MaintenanceOptions | null {
  if (value === false) return null;
  if (value !== undefined && (value === null || typeof value !== 'object')) bad('option maintenance must be false or an object of timings');
  const m = (value ?? {}) as Partial<MaintenanceOptions>;
  const day = 86_400_000;
  const out: MaintenanceOptions = {
    tickMs: int('maintenance.tickMs', m.tickMs, MAINTENANCE_TICK_MS, 1, day),
    selfLookupMs: int('maintenance.selfLookupMs', m.selfLookupMs, SELF_LOOKUP_MS, 1, day),
    siblingExchangeMs: int('maintenance.siblingExchangeMs', m.siblingExchangeMs, SIBLING_EXCHANGE_MS, 1, day),
    bucketRefreshCheckMs: int('maintenance.bucketRefreshCheckMs', m.bucketRefreshCheckMs, BUCKET_REFRESH_CHECK_MS, 1, day),
    bucketStaleAfterMs: int('maintenance.bucketStaleAfterMs', m.bucketStaleAfterMs, BUCKET_STALE_AFTER_MS, 1, 30 * day),
    persistIntervalMs: int('maintenance.persistIntervalMs', m.persistIntervalMs, PERSIST_INTERVAL_MS, 1, day),
    dialTimeoutMs: int('maintenance.dialTimeoutMs', m.dialTimeoutMs, DIAL_TIMEOUT_MS, 1, day),
    backoffBaseMs: int('maintenance.backoffBaseMs', m.backoffBaseMs, DIAL_BACKOFF_BASE_MS, 1, day),
    backoffMaxMs: int('maintenance.backoffMaxMs', m.backoffMaxMs, DIAL_BACKOFF_MAX_MS, 1, 30 * day),
  };
  for (const key of Object.keys(m)) if (!(key in out)) bad(`option maintenance.${key} is not known: use ${Object.keys(out).join(', ')}`);
  if (out.backoffMaxMs < out.backoffBaseMs) bad('option maintenance.backoffMaxMs must be at least backoffBaseMs');
  return out;
}

/** Validates and fills defaults; throws one InvalidArgumentError naming the first bad option. */
export function resolveNodeOptions(options: NodeOptions): ResolvedNodeOptions {
  if (options === null || typeof options !== 'object') bad('createNode needs an options object (it may be empty: createNode({}))');
  for (const key of Object.keys(options)) if (!KNOWN_KEYS.has(key)) bad(`option ${key} is not known: check its spelling`);
  if (options.identity !== undefined && !(options.identity instanceof Identity)) bad('option identity must be an Identity (see loadOrCreateIdentity)');
  if (options.identity?.destroyed) bad('option identity was destroyed: its keys are zeroed');
  if (options.dataDir !== undefined && (typeof options.dataDir !== 'string' || options.dataDir === '')) bad('option dataDir must be a directory path');
  const difficulty = int('difficulty', options.difficulty, 0, 0, 64);
  if (options.identity !== undefined && options.identity.leadingZeroBits < difficulty) {
    bad(`option identity has ${options.identity.leadingZeroBits} bits of proof of work, below the difficulty ${difficulty}: mint one with mintIdentity({ difficulty })`);
  }
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) bad('option host must be an IP address such as 0.0.0.0, :: or 127.0.0.1');
  const port = int('port', options.port, 0, 0, 65535);
  let advertise: UdpAddress[] | undefined;
  if (options.advertise !== undefined) {
    if (!Array.isArray(options.advertise) || options.advertise.length === 0 || options.advertise.length > 8) bad('option advertise must list 1 to 8 host:port addresses');
    advertise = options.advertise.map((a, i) => {
      try {
        return parseUdpAddress(String(a));
      } catch (err) {
        return bad(`option advertise[${i}]: ${(err as Error).message}`);
      }
    });
  }
  const bootstrap: Contact[] = [];
  if (options.bootstrap !== undefined) {
    if (!Array.isArray(options.bootstrap)) bad('option bootstrap must be an array of contact strings');
    options.bootstrap.forEach((entry, i) => {
      if (typeof entry === 'string') {
        try {
          bootstrap.push(parseContact(entry));
        } catch (err) {
          bad(`option bootstrap[${i}]: ${(err as Error).message}`);
        }
      } else if (entry !== null && typeof entry === 'object' && entry.nodeId instanceof Uint8Array && Array.isArray(entry.addresses)) {
        bootstrap.push(entry);
      } else {
        bad(`option bootstrap[${i}] must be a contact string (<keys>@host:port) or a parsed Contact`);
      }
    });
  }
  if (options.transport !== undefined && (typeof options.transport !== 'object' || typeof options.transport.send !== 'function')) bad('option transport must be a DatagramTransport');
  if (options.clock !== undefined && (typeof options.clock !== 'object' || typeof options.clock.now !== 'function')) bad('option clock must be a Clock');
  const targetDegree = int('targetDegree', options.targetDegree, DEFAULT_TARGET_DEGREE, DEGREE_FLOOR + 1, 4096);
  const maxInboundEdges = int('maxInboundEdges', options.maxInboundEdges, MAX_INBOUND_EDGES, 0, 65536);
  // Below about twice the target degree (outbound plus as many inbound edges) ordinary nodes would trim
  // each other's edges forever; the default grows with a larger target.
  const degreeCap = int('degreeCap', options.degreeCap, Math.max(DEGREE_CAP, 2 * targetDegree + 16), 2 * targetDegree, 65536);
  if (options.noSubnet !== undefined && typeof options.noSubnet !== 'boolean') bad('option noSubnet must be true or false');
  const keepaliveMs = int('keepaliveMs', options.keepaliveMs, EDGE_KEEPALIVE_MS, 10, 3_600_000);
  const deadAfterMs = int('deadAfterMs', options.deadAfterMs, EDGE_DEAD_AFTER_MS, 20, 86_400_000);
  if (deadAfterMs <= keepaliveMs) bad(`option deadAfterMs (${deadAfterMs}) must exceed keepaliveMs (${keepaliveMs}), or live edges would be reaped`);
  const budgets = (options.budgets ?? {}) as NodeBudgets;
  if (typeof budgets !== 'object' || budgets === null) bad('option budgets must be an object');
  const crypto = options.crypto ?? 'auto';
  if (crypto !== 'auto' && crypto !== 'native' && crypto !== 'pure') bad(`option crypto must be 'auto', 'native' or 'pure'`);
  if (options.relay !== undefined && typeof options.relay !== 'boolean') bad('option relay must be true or false');
  const relay = options.relay ?? false;
  // The relay flag is advertised: neighbours pick relays by this bit.
  const capabilities = (int('capabilities', options.capabilities, 0, 0, 0xffffffff) | (relay ? CAP_RELAY : 0)) >>> 0;
  const relayLimits = (options.relayLimits ?? {}) as RelayBudgetOptions;
  if (typeof relayLimits !== 'object' || relayLimits === null) bad('option relayLimits must be an object');
  new RelayBudget(relayLimits);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) bad('option signal must be an AbortSignal');
  const channelReliability = fn<(channel: number) => boolean>('channelReliability', options.channelReliability) ?? (() => true);
  return {
    identity: options.identity,
    dataDir: options.dataDir,
    difficulty,
    host: options.host ?? '::',
    port,
    advertise,
    bootstrap,
    transport: options.transport,
    clock: options.clock ?? systemClock,
    openSocket: fn('openSocket', options.openSocket),
    targetDegree,
    maxInboundEdges,
    degreeCap,
    noSubnet: options.noSubnet ?? false,
    maintenance: maintenance(options.maintenance),
    keepaliveMs,
    deadAfterMs,
    controlBudget: budget('control', budgets.control, CONTROL_BUDGET),
    forwardBudget: budget('forward', budgets.forward, FORWARD_BUDGET),
    originatorBudget: budget('originator', budgets.originator, { burst: ORIGINATOR_BURST, ratePerSecond: ORIGINATOR_RATE_PER_S }),
    acceptEdge: fn('acceptEdge', options.acceptEdge),
    channelReliability,
    deliveryBuffer: int('deliveryBuffer', options.deliveryBuffer, DELIVERY_BUFFER, 0, 1 << 20),
    channelBuffer: int('channelBuffer', options.channelBuffer, CHANNEL_BUFFER, 0, 1 << 16),
    capabilities,
    relay,
    relayLimits: { ...relayLimits },
    signal: options.signal,
    random: fn('random', options.random),
    crypto,
  };
}

/** Checks an application channel number (16-254). */
export function checkAppChannel(channel: unknown): number {
  if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < FIRST_APP_CHANNEL || channel > LAST_APP_CHANNEL) {
    bad(`channel ${String(channel)} is not an application channel: use ${FIRST_APP_CHANNEL}-${LAST_APP_CHANNEL} (0-15 are the overlay's)`);
  }
  return channel;
}
