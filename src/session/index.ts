/**
 * Wiresocket sessions (spec wiresocket-v1): crypto suite, Noise IK handshake, cookies, replay window,
 * fragmentation, channels, and the Endpoint that owns one UDP socket and many sessions.
 */
export * from './constants.js';
export * from './crypto/index.js';
export { hash, mac, kdf2, kdf3 } from './kdf.js';
export * from './tai64n.js';
export * from './handshake.js';
export * from './cookie.js';
export * from './initiation-replay.js';
export * from './replay-window.js';
export * from './reassembler.js';
export * from './rate-limiter.js';
export * from './reliable.js';
export * from './event-queue.js';
export { Channel, type ChannelEvent, type ChannelCloseReason } from './channel.js';
export { Session, type SessionState, type SessionCloseReason, type SessionStats } from './session.js';
export { DEFAULT_SESSION_CONFIG, resolveSessionConfig, type SessionConfig } from './config.js';
export { PersistentSession, type PersistentDialOptions } from './persistent-session.js';
export { Keypair } from './keypair.js';
export { ReliableChannelState, type ReliableOptions } from './reliable-channel.js';
export { Endpoint, parseUdpAddress, type EndpointOptions, type DialOptions } from './endpoint.js';
export { createStats, totalDrops, DROP_REASONS, type DropReason, type EndpointStats } from './stats.js';
export { UdpTransport, systemClock, normalizeHost, type Clock, type DatagramTransport, type DatagramHandler, type UdpAddress } from './transport.js';
export { NativeUdpTransport, bindUdpTransport, openNativeTransports } from './native-transport.js';
export { nativeAddon, nativeAddonProblem } from './native-addon.js';
