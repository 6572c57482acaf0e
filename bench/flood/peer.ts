/**
 * Entry point of the flood benchmark's child processes (started through bench/peer-process.ts with
 * `entry: 'bench/flood/peer.ts'`): the flooder, the legitimate peers and the streaming peer node are roles,
 * so each runs in its own process with its own event loop and core, as real attackers and peers would.
 */
import { servePeer, type PeerRole } from '../peer-process.js';
import { floodRoles, closeFloodPeer } from './roles.js';

servePeer(floodRoles as Record<string, PeerRole>, closeFloodPeer);
