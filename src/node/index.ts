/**
 * The overlay node (issue 5): reach any peer by NodeID over encrypted Wiresocket sessions.
 *
 *   const node = createNode({ host: '0.0.0.0', port: 4242, bootstrap: ['<keys>@198.51.100.7:4242'] });
 *   await node.start();
 *   node.on('message', ({ from, data }) => ...);        // or: for await (const m of node.deliveries)
 *   await node.send(peerId, bytes, { ack: true });       // routed by NodeID, end-to-end acknowledged
 *   const ch = await node.openChannel(peerId, 16);       // direct reliable channel (rendezvous + dial)
 *   await node.stop();                                   // graceful leave; nothing left running
 *
 * Decisions (where DESIGN.md and the issue leave room; binding for the next engineer):
 * - Messages: control channel 0 carries Identify(1), IdentifyAck(2), Ping(3), Pong(4), Lookup(5),
 *   Neighbors(6), Leave(7); channel 1 carries Routed(16) envelopes and Direct(17) messages; inside an
 *   envelope the signed payload type is DATA, ACK, LOOKUP, NEIGHBORS, HELLO, REPLY, PING or PONG (src/wire/overlay).
 * - Identify and its ack. Each side sends a signed Identify (over handshakeHash || its bytes, domain
 *   'wiremesh/v1/identify') and resends it every 300 ms until the peer sends IdentifyAck; an edge counts
 *   once we verified the peer AND the peer acknowledged us, so neither side routes to a peer that would
 *   drop its traffic. A session that has not finished in 5 s is closed. Refusals send Leave first, so a
 *   dialer learns EDGE_REFUSED/POW_UNMET instead of a timeout. Inbound sessions beyond maxInboundEdges
 *   are refused at the handshake (the dialer sees TIMEOUT).
 * - Eclipse defence (issue 8): one /24 or /64 holds at most kad's MAX_EDGES_PER_SUBNET (8) of our live
 *   edges, counted on the address the session really comes from (not on what the peer advertises).
 *   Inbound sessions from a full subnet are refused at the handshake (drops.subnetFull) and maintenance
 *   never dials into one; connect() asked by the application is not capped. Relayed edges (virtual
 *   100::/64 addresses) count against no subnet.
 * - Identify carries a boot id (random per start). Two verified sessions to one peer: a different boot id
 *   means the peer restarted (newer session wins); otherwise both ends keep the session initiated by the
 *   smaller NodeID (smaller handshake hash when one node initiated both) and close the other.
 * - Signature checks: forwarders check originator PoW and freshness only; the Ed25519 signature
 *   (~70 us) is verified where the message is acted on (destination, lookup answerer), before dedupe,
 *   so a forged copy cannot poison the dedupe window. Per-originator buckets are charged only there.
 * - Dedupe key = verified originator + message id, kept 60 s (2 x freshness), at most 65,536 entries.
 *   A duplicate of an ack-requested message is re-acknowledged (at most every 250 ms), never re-delivered.
 * - send({ ack }) resends the same message id (fresh time and signature) after 1 s, 2 s, 4 s... until the
 *   signed ACK from the target arrives or timeoutMs (default 10 s) passes: TIMEOUT.
 * - Origination: with an edge to the target itself, one copy straight there; else up to 3 copies on
 *   disjoint closer first hops; when no edge is closer (this node is a local optimum while the overlay
 *   converges around a newcomer), on the 3 nearest edges with this node in the avoid-set, as nodenet
 *   originates (no edge at all: UNROUTABLE). The target is never put in an avoid-set (that copy could not
 *   arrive). An acked send or routed ping that finds no edge at all while a session or dial is under way
 *   (joining, duplicate-session swap) retries every 100 ms until its deadline instead of failing; routed
 *   pings resend like acked sends (routed-retry.ts), each copy with its own nonce.
 * - Local repair never blocks: a next hop is skipped when closed, congested (512 queued events) or
 *   suspect (its reliable channel retransmitted twice without an ack); when every candidate is only
 *   congested or suspect, the closest of them still gets the message (a busy node lags on all links).
 * - Routed payloads are capped at 64 KiB (they are held at every hop); bulk data uses openChannel.
 * - Lookups (self-lookup, bucket refresh) start on the 3 nearest edges whatever their distance and put
 *   this node in the avoid-set; the node where a copy stops answers. Per-edge lookups on the control
 *   channel serve the sibling exchange, run on every new maintained or inbound edge (not on edges made
 *   by connect(): those want one peer, fast) and every siblingExchangeMs with the siblings.
 * - Fingers: maintenance keeps one live edge in every non-empty knowledge bucket (on top of kad's
 *   fill toward the siblings), and after joining looks up random IDs in empty buckets above its
 *   neighbourhood; without this, greedy routing stalls wherever a target differs in a high bit.
 * - Gossip never moves a known contact's address; only the contact's own signed statements do
 *   (Identify, Hello, Reply, an answerer's own record). Bootstrap and persisted contacts are trusted.
 * - connect(id): the connect cascade (connect-cascade.ts; see "Connect cascade" below). The resulting
 *   session is an edge like any other (the peer sees it inbound).
 * - Application channels 16-254: a peer-opened channel is made reliable or not by the
 *   channelReliability(channel) option (default: all reliable) before its first event is processed, and
 *   is handed to the application ('channel' event and node.channels) only once the peer is verified.
 * - sendDirect(id, bytes) travels on channel 1 as event type Direct: reliable per hop, attributed to the
 *   authenticated session peer, no envelope. Deliveries say how many links a message took (`hops`).
 * - Degree trimming (issue 8): above degreeCap (64) live edges, maintenance closes surplus inbound edges
 *   with a Leave (src/kad/degree-trim.ts), so bootstrap and other popular nodes do not become hubs; a
 *   peer that got a Leave is not redialed for 10 min. Lost inbound fingers are not replaced (their peers
 *   do that); our own edges and siblings are. node.find(id) is the rendezvous alone (verified contact).
 * - Keepalive and dead-edge reaping are the sessions' (keepaliveMs 10 s, deadAfterMs 45 s). A Disconnect
 *   from the peer counts as a leave (edge-closed reason 'leave'): no immediate redial.
 * - node.deliveries buffers up to deliveryBuffer messages; beyond that the 'message' event still fires
 *   and the overflow is counted (drops.deliveryQueueFull). node.channels likewise; an incoming channel
 *   that nobody listens for and that does not fit is closed.
 * - Persistence: knowledge saved every persistIntervalMs (60 s) and on stop to <dataDir>/knowledge;
 *   unreadable/foreign/corrupt data is reported via the 'warning' event and skipped.
 * - NAT (issue 6): every neighbour's observed-address report (Identify, Pong) feeds src/nat's consensus,
 *   each reporter counted against the subnet its packets come from; node.nat() says 'public' | 'cone' |
 *   'symmetric' | 'unknown' with the confirmed reflexive address, and a reporter's report goes with its edge.
 * - Relay (issue 6): `relay: true` advertises CAP_RELAY and forwards whole Wiresocket packets on channel 2
 *   (FORWARD/DELIVER/REFUSED, src/nat) between two of its edges, capped per pair (relayLimits); the
 *   client whose FORWARD opens a pair is charged for it (at most maxSessionsPerPeer pairs each). The
 *   socket is wrapped (relay-transport.ts): a relayed peer has a virtual address in 100::/64 (RFC 6666),
 *   so the Endpoint runs the end-to-end session unchanged and the relay sees ciphertext only; the session
 *   roams to a direct address by itself. node.path(id) says 'direct' or 'relayed' (+ relay id). Virtual
 *   addresses are never learned, gossiped or reported.
 * - NAT type exchange (issue 6): a node's NAT type rides in bits 1-2 of its contact record's capabilities
 *   (0 unknown, 1 public, 2 cone, 3 symmetric; src/nat nat-capabilities.ts), so Identify, Hello, Reply
 *   and lookup answers carry it with no new wire field (old decoders keep any capability bits). Behind a
 *   symmetric NAT a node advertises the NAT's public host first (with the latest observed port): the
 *   host a cone peer sprays.
 * - Connect cascade (issue 6 item 5; connect() and maintenance dials alike): live edge -> known address
 *   (1 s; skipped when the contact says it is behind a NAT: its filter drops a cold dial) -> rendezvous
 *   -> by the NAT pair (src/nat traversalPlan): ordinary pairs punch and dial (2 s when a relay could
 *   follow); both symmetric skip punch and dial; exactly one symmetric (the other cone) take the relay
 *   first while the birthday roles run -> each relay-capable edge (3 s each). Every step has its own
 *   budget (a dial joining one in flight, e.g. maintenance's, cannot hold the cascade). Maintenance dials
 *   budget 2 x dialTimeoutMs, never ask for the birthday strategy, and end with a failed known-address
 *   dial unless the contact is behind a NAT (a probably dead node is not worth seconds of routed Hellos).
 * - Birthday strategy (issue 6 item 3; birthday.ts): the symmetric side opens 256 extra sockets, each
 *   probing the cone side's reflexive address (once at once, then every 1 s); the cone side sprays 1,024
 *   random ports of the symmetric side's public host at 256/s; one attempt lasts 8 s; per node at most
 *   1,000 birthday datagrams/s, 4 attempts at once, 10 s between attempts toward one peer. P(hit) with
 *   uniformly random ports = 1 - C(64512-256, 1024)/C(64512, 1024) = 98.3 %. Decision: a path found
 *   through an extra socket is used ON that socket: the relay transport pins the peer's address to it
 *   (datagrams from the peer on it reach the Endpoint as if on the main socket; packets to the peer
 *   leave from it), since the main socket's mapping toward the peer cannot be chosen. The pin goes with
 *   the edge. The asking side (connect()) marks its Hello's record with CAP_BIRTHDAY_ASK (bit 3, that
 *   Hello only, stripped by the receiver); only then does the answering side spray.
 * - Relayed -> direct upgrade (issue 6 item 4): a relayed edge dialed by this node looks for a direct
 *   path after 1 s, 2 s, 4 s ... up to every 60 s while relayed (rendezvous: the peer punches; we punch
 *   or take our birthday role). A candidate path is tried by copying the session's packets straight to it
 *   for 3 s (plus 3 pings, so an idle session has packets): when a copy gets through, the peer's session
 *   roams to us, its packets come straight back and ours roams too. The session (keys, reliable
 *   channels, unacknowledged data) stays the same; only its address changes. connect() on a relayed edge
 *   made by maintenance starts the upgrade with the birthday strategy.
 * - Hole punching (issue 6): once its reflexive address is confirmed (cone), a node puts it first in its
 *   contact. The routed rendezvous Hello/Reply (signed, nonce, contact records = candidates) is the
 *   Connect/ConnectAck: the target fires 5 PACKET_PUNCH rounds 50 ms apart at the caller's candidates
 *   before replying, the caller fires at the target's and dials at once, all from the one socket.
 *   Rendezvous falls back to the nearest edges when no edge is closer to the target.
 * - Round trips (issue 7): node.ping(id) measures one edge (control Ping/Pong); every edge is also pinged
 *   when it comes up and every 15 s, giving EdgeInfo.rttMs (smoothed, RFC 6298) next to lastSeenMs (last
 *   authenticated packet) and path. node.routedPing(id) sends a signed ROUTED_PING by NodeID and times the
 *   target's signed ROUTED_PONG (nonce + the ping's hop count); never delivered to the application, the
 *   answer charged to the originator's bucket like a lookup.
 * - Events: 'message' (Delivery), 'channel' (IncomingChannel), 'edge' ({ id, inbound }),
 *   'edge-closed' ({ id, reason }), 'nat' (NatStatus, on change), 'warning' ({ code, message }).
 */
export { createNode, Node, type ConnectOptions, type Delivery, type IncomingChannel, type OpenChannelOptions, type SendOptions } from './node.js';
export { resolveNodeOptions, type MaintenanceOptions, type NodeBudgets, type NodeOptions } from './options.js';
export { EdgeRefusedError, NotRunningError, PowUnmetError, UnroutableError } from './errors.js';
export { NODE_DROP_REASONS, type NodeCounters, type NodeDropReason, type NodeStats } from './stats.js';
export type { EdgeInfo } from './edge-manager.js';
export type { ObservedAddress } from './observed-addresses.js';
export type { NatStatus, NatType } from '../nat/index.js';
export type { SessionPath } from './relaying.js';
export type { RoutedPingResult } from './routed-pings.js';
export { isVirtualRelayHost } from './relay-transport.js';
export { preferSession, type SessionFacts } from './session-preference.js';
export { SeenMessages } from './seen-messages.js';
export { OriginatorBudgets } from './originator-budgets.js';
export { PendingLookups } from './pending-lookups.js';
export * from './constants.js';
export * as sim from './sim/index.js';
