/**
 * Entry point of a benchmark peer process (started by peer-process.ts as `node --import tsx bench/peer.ts`):
 * serves the raw-dgram and session roles to the parent `npm run bench` over IPC.
 */
import { servePeer } from './peer-process.js';
import { closePeerProfiler, peerProfilerRoles } from './peer-profiler.js';
import { closeRawDgramPeer, rawDgramRoles } from './raw-dgram.js';
import { closeSessionHandshakePeer, sessionHandshakeRoles } from './session-handshake.js';
import { closeSessionMemoryPeer, sessionMemoryRoles } from './session-memory.js';
import { closeSessionStreamPeer, sessionStreamRoles } from './session-stream.js';

servePeer({ ...peerProfilerRoles, ...rawDgramRoles, ...sessionStreamRoles, ...sessionHandshakeRoles, ...sessionMemoryRoles }, async () => {
  await closeRawDgramPeer();
  await closeSessionStreamPeer();
  await closeSessionHandshakePeer();
  await closeSessionMemoryPeer();
  await closePeerProfiler();
});
