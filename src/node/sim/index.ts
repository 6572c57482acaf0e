/**
 * The simulated network (issue 5 item 8; the NAT model of issue 6's tests): many Endpoints or Nodes in one
 * process on an in-memory datagram fabric, in virtual time, running the same code as over real UDP.
 *
 * - `VirtualClock` implements the session layer's `Clock`. Time moves only through `advance(ms)` /
 *   `runFor(ms)` / `runUntil(predicate, { maxMs })`, which step from deadline to deadline and yield real
 *   event-loop turns between steps (Endpoint flushes and promise continuations run there). `pendingTimers`
 *   counts timers set through the Clock interface, for leak checks.
 * - `SimNetwork` (seeded; no Math.random) hands out `DatagramTransport`s with `createTransport(host, port)`,
 *   and applies latency/jitter/loss/duplication (`setDefaultConditions`, `setLink`), `partition`/`heal`, and
 *   NAT routers (`addNat`). Deliveries are scheduled on the clock and copy the bytes. `counters(host)` says
 *   what was sent, delivered and dropped (by reason).
 * - `SimNat`: RFC 4787 mapping (endpoint-independent, address-dependent, address-and-port-dependent) and
 *   filtering (the same three), mapping timeout refreshed by outbound traffic only, hairpinning off by default.
 *
 * Determinism: the fabric's choices depend only on the seed and on the order of sends. (An Endpoint's own
 * randomness, such as keys, indices and handshake retry jitter, is outside the fabric.)
 *
 * Limits: the driver waits for timers, datagrams, setImmediate work and promise chains, not for real I/O
 * (files, level, worker threads): await such work itself before driving the clock on. (`runUntil` fails
 * at once with TIMEOUT when nothing is scheduled, as virtual time cannot bring it about.) Host addresses
 * are compared as strings: write each one the same way.
 *
 * @example
 * ```ts
 * const net = new SimNetwork({ seed: 7, latencyMs: 20, jitterMs: 5, loss: 0.01 });
 * const clock = net.clock;
 * const server = await Endpoint.listen({ staticKey: serverKey, transport: net.createTransport('198.51.100.1', 4242), clock });
 * const nat = net.addNat({ publicHost: '203.0.113.1', mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' });
 * const client = await Endpoint.listen({ staticKey: clientKey, transport: net.createTransport('192.168.1.2', 0, { behind: nat }), clock });
 * const dialing = client.dial({ host: '198.51.100.1', port: 4242 }, serverKey.publicKey);
 * let session: Session | null = null;
 * void dialing.then((s) => (session = s));
 * await clock.runUntil(() => session !== null, { maxMs: 5_000 });
 * net.partition(['198.51.100.1'], ['203.0.113.1']);
 * await clock.runFor(200_000); // the session times out in virtual time, in milliseconds of real time
 * await client.close(); await server.close();
 * // clock.pendingTimers === 0
 * ```
 */
export { VirtualClock, type VirtualClockOptions, type RunUntilOptions } from './virtual-clock.js';
export {
  SimNetwork,
  type SimNetworkOptions,
  type SimTransportOptions,
  type SimLinkOptions,
  type SimDatagramEvent,
} from './sim-network.js';
export { SimTransport } from './sim-transport.js';
export {
  SimNat,
  type SimNatOptions,
  type NatBehavior,
  type NatMappingBehavior,
  type NatFilteringBehavior,
  type NatPortAllocation,
  type NatMapping,
  type NatInboundResult,
  type NatCounters,
} from './sim-nat.js';
export { PERFECT_LINK, type LinkConditions } from './link-conditions.js';
export { SIM_DROP_REASONS, totalDropped, type SimDropReason, type HostCounters } from './host-counters.js';
export { SeededRandom, mulberry32, mulberry32Words, seededBytes } from './seeded-random.js';
export * from './constants.js';
