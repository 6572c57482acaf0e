/**
 * What every session benchmark role shares: the crypto provider setting, endpoints on 127.0.0.1 with a
 * fresh static key, and the hex form of public keys that crosses the IPC channel.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Endpoint, NativeUdpTransport, bindUdpTransport, suiteByName, type DatagramTransport, type EndpointOptions } from '../src/session/index.js';
import { LOOPBACK } from './constants.js';

export type CryptoChoice = 'auto' | 'native' | 'pure';

/** Where a responder role listens, as the parent passes it on to the initiator roles. */
export interface ListeningPeer {
  port: number;
  publicKey: string;
  suite: string;
}

/** The transport of every endpoint listenLoopback made (for the batch counters of the native one). */
const transports = new WeakMap<Endpoint, DatagramTransport>();

export async function listenLoopback(crypto: CryptoChoice, extra: Partial<EndpointOptions> = {}): Promise<Endpoint> {
  // The same transport Endpoint.listen would bind (native when the addon loaded), kept for batchStats.
  const transport = await bindUdpTransport({ host: LOOPBACK, port: 0 });
  const endpoint = await Endpoint.listen({ staticKey: suiteByName(crypto).generateKeyPair(), transport, crypto, ...extra }).catch(async (err: unknown) => {
    await transport.close();
    throw err;
  });
  transports.set(endpoint, transport);
  return endpoint;
}

/** Datagrams per send and per receive system call of the endpoint's native transport, or null (node:dgram). */
export function batchStats(endpoint: Endpoint): { perSend: number; perReceive: number } | null {
  const t = transports.get(endpoint);
  if (!(t instanceof NativeUdpTransport)) return null;
  const c = t.counters;
  return { perSend: c.sendBatches > 0 ? c.sent / c.sendBatches : 0, perReceive: c.recvBatches > 0 ? c.received / c.recvBatches : 0 };
}

export function describeListening(endpoint: Endpoint): ListeningPeer {
  return { port: endpoint.address().port, publicKey: bytesToHex(endpoint.publicKey), suite: endpoint.suite.name };
}

export function peerKey(peer: ListeningPeer): Uint8Array {
  return hexToBytes(peer.publicKey);
}

/** Closes every endpoint, ignoring ones already closed. */
export async function closeAll(endpoints: Iterable<Endpoint>): Promise<void> {
  await Promise.all([...endpoints].map((e) => e.close()));
}
