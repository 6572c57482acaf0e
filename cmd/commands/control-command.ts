/**
 * Shared shape of the client commands (status, peers, stats, send, ping, connect, pipe, listen): find the
 * running node's control socket through --data-dir, make one request, print the answer. A node that is not
 * running, or an argument it refuses, is one sentence from the client or the node (cmd/main.ts prints it).
 */
import type { Argv } from 'yargs';
import { parseNodeId } from '../../src/identity/index.js';
import { ControlClient } from '../control-client.js';
import { withConfigOptions, type ConfigArgs } from '../config-options.js';

/** The flags every client command takes: where the node's data directory is, and --json. */
export function withClientOptions<T>(y: Argv<T>): Argv<T & ConfigArgs> {
  return withConfigOptions(y, ['dataDir', 'json']);
}

/** Runs `use` with a client connected to the node of `dataDir`, and closes the client after. */
export async function withControl<T>(dataDir: string, use: (client: ControlClient) => Promise<T>): Promise<T> {
  const client = await ControlClient.connect(dataDir);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** A NODEID argument checked here, so a typo is reported before (and without) a running node. */
export function nodeIdText(text: unknown): string {
  parseNodeId(String(text));
  return String(text).trim();
}
