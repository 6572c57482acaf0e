/**
 * Where a node's control socket lives (`<dataDir>/control.sock`, issue 7 item 3) and the sentences both
 * ends use when it is not there. Unix socket paths have a small kernel limit; a longer path is refused here
 * with the fix instead of failing later with an obscure bind error.
 */
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from '../src/errors.js';
import { CONTROL_SOCKET_NAME, MAX_SOCKET_PATH_BYTES } from './constants.js';

/** Absolute path of the control socket of the node using `dataDir`. */
export function controlSocketPath(dataDir: string): string {
  const path = join(resolve(dataDir), CONTROL_SOCKET_NAME);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new InvalidArgumentError(
      `the control socket path ${path} is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} the OS allows: use a data directory with a shorter path`,
    );
  }
  return path;
}

/** What a client says when nothing answers on the socket (issue 7's wording). */
export function noRunningNodeMessage(dataDir: string): string {
  const dir = resolve(dataDir);
  return `no running node found at ${join(dir, CONTROL_SOCKET_NAME)}: start one with \`wiremesh run --data-dir ${dir}\``;
}
