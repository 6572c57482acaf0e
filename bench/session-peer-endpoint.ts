/**
 * What every session benchmark role shares: the crypto provider setting, endpoints on 127.0.0.1 with a
 * fresh static key, and the hex form of public keys that crosses the IPC channel.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Endpoint, suiteByName, type EndpointOptions } from '../src/session/index.js';
import { LOOPBACK } from './constants.js';

export type CryptoChoice = 'auto' | 'native' | 'pure';

/** Where a responder role listens, as the parent passes it on to the initiator roles. */
export interface ListeningPeer {
  port: number;
  publicKey: string;
  suite: string;
}

export function listenLoopback(crypto: CryptoChoice, extra: Partial<EndpointOptions> = {}): Promise<Endpoint> {
  return Endpoint.listen({ staticKey: suiteByName(crypto).generateKeyPair(), host: LOOPBACK, port: 0, crypto, ...extra });
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
