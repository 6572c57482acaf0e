/**
 * The control socket file's lifecycle (issue 7 item 3): before binding, a socket left by a crashed node is
 * removed while a live one (another node on the same data directory) or a foreign file is refused; binding
 * happens under a umask that gives nobody else any permission, so the socket is private from its first instant.
 */
import { lstat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { InvalidArgumentError, WiremeshError } from '../src/errors.js';
import { CONTROL_CONNECT_TIMEOUT_MS, CONTROL_SOCKET_UMASK } from './constants.js';
import { CONTROL_ERROR_CODES } from './control-protocol.js';

/** Binds `server` to `path` with a umask that leaves no permission for anyone else. */
export function bindRestricted(server: Server, path: string, dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(bindError(err, path, dataDir));
    };
    server.once('error', onError);
    // The bind happens synchronously inside listen(), so the umask only needs to cover this call. Worker
    // threads cannot change the umask; there the chmod that follows listen() is the protection.
    let previousUmask: number | undefined;
    try {
      previousUmask = process.umask(CONTROL_SOCKET_UMASK);
    } catch {
      previousUmask = undefined;
    }
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      if (previousUmask !== undefined) process.umask(previousUmask);
    }
  });
}

function bindError(err: NodeJS.ErrnoException, path: string, dataDir: string): WiremeshError {
  switch (err.code) {
    case 'EADDRINUSE':
      return alreadyRunning(path, dataDir);
    case 'EACCES':
    case 'EPERM':
      return new WiremeshError(
        CONTROL_ERROR_CODES.permissionDenied,
        `cannot create the control socket ${path} (permission denied): make ${dataDir} writable for this user or choose another --data-dir`,
        { cause: err },
      );
    default:
      return new WiremeshError('CONTROL_SOCKET_FAILED', `cannot create the control socket ${path} (${err.code ?? err.message}): check the data directory`, {
        cause: err,
      });
  }
}

function alreadyRunning(path: string, dataDir: string): WiremeshError {
  return new WiremeshError(
    CONTROL_ERROR_CODES.alreadyRunning,
    `a node is already running with data directory ${dataDir} (its control socket ${path} answers): stop it first or use another --data-dir`,
  );
}

/**
 * Makes sure nothing live owns `path`: a socket nobody accepts on is left over from a node that crashed and is
 * removed; a live one means another node runs on this data directory; anything that is not a socket is left
 * alone and reported.
 */
export async function removeStaleSocket(path: string, dataDir: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new InvalidArgumentError(`cannot inspect ${path} (${(err as NodeJS.ErrnoException).code}): check the data directory's permissions`, {
      cause: err,
    });
  }
  if (!isSocket) {
    throw new InvalidArgumentError(`${path} exists and is not a socket: move it away so the node can create its control socket there`);
  }
  const answer = await probeSocket(path);
  if (answer === 'live') throw alreadyRunning(path, dataDir);
  if (answer === 'denied') {
    throw new WiremeshError(
      CONTROL_ERROR_CODES.permissionDenied,
      `${path} belongs to another user (permission denied): that user's node may be running; use another --data-dir`,
    );
  }
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Whether something accepts connections on `path`. A timeout counts as live: never delete a busy node's socket. */
function probeSocket(path: string): Promise<'live' | 'stale' | 'denied'> {
  return new Promise((resolve) => {
    const probe = connect(path);
    const finish = (answer: 'live' | 'stale' | 'denied'): void => {
      clearTimeout(timer);
      probe.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish('live'), CONTROL_CONNECT_TIMEOUT_MS);
    probe.once('connect', () => finish('live'));
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EACCES' || err.code === 'EPERM') finish('denied');
      // EAGAIN: the listener's backlog is full, so it is alive.
      else if (err.code === 'EAGAIN') finish('live');
      else finish('stale');
    });
  });
}
