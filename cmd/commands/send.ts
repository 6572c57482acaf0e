/**
 * `wiremesh send <NODEID> <MESSAGE|->`: routes one message to a peer by NodeID through the running node.
 * Exit 0 only when the node sent it, and with --ack only when the target confirmed it (signed ACK).
 * `-` reads the message from stdin (bytes, up to the node's 64 KiB message cap).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InvalidArgumentError } from '../../src/errors.js';
import type { ConfigArgs } from '../config-options.js';
import { Output } from '../output.js';
import { MAX_SEND_STDIN_BYTES } from './constants.js';
import { nodeIdText, withClientOptions, withControl } from './control-command.js';

type SendArgs = ConfigArgs & { nodeid: string; message: string; ack: boolean };

/** All of stdin, refusing more than `limit` bytes. */
export async function readAll(input: NodeJS.ReadableStream, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > limit) {
      throw new InvalidArgumentError(`stdin holds more than ${limit} bytes, the most one message carries: use \`wiremesh pipe\` for bulk data`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Whether MESSAGE is `-`. yargs hands a lone `-` positional over as the empty string, so an empty message
 * counts as `-` when the command line really holds one (an empty message typed as "" stays empty).
 */
function isStdinMarker(message: unknown): boolean {
  return message === '-' || (message === '' && process.argv.includes('-'));
}

export const sendCommand: CommandModule<object, SendArgs> = {
  command: 'send <nodeid> <message>',
  describe: 'Send a message to a peer by NodeID (- reads it from stdin)',
  builder: (y: Argv) =>
    withClientOptions(y)
      .positional('nodeid', { type: 'string', describe: 'the target NodeID, as `wiremesh id` prints it' })
      .positional('message', { type: 'string', describe: 'the message text, or - to read bytes from stdin' })
      .option('ack', { type: 'boolean', default: false, describe: 'wait until the target confirms (exit 1 when it does not in 10 s)' })
      .example('$0 send bafy...q hello --ack', 'send "hello" and wait for the confirmation')
      .example('tar c notes | $0 send bafy...q -', 'send stdin (at most 64 KiB)') as unknown as Argv<SendArgs>,
  handler: async (args: ArgumentsCamelCase<SendArgs>) => {
    const to = nodeIdText(args.nodeid);
    const data = isStdinMarker(args.message) ? await readAll(process.stdin, MAX_SEND_STDIN_BYTES) : Buffer.from(String(args.message), 'utf8');
    const result = await withControl(args.config.dataDir, (c) =>
      c.request<{ to: string; bytes: number; acked: boolean; ms: number }>('send', { to, data: Buffer.from(data).toString('base64'), ack: args.ack }),
    );
    new Output({ json: args.config.json }).event('sent', result, () =>
      result.acked ? `delivered ${result.bytes} bytes to ${result.to} (confirmed in ${result.ms.toFixed(1)} ms)` : `sent ${result.bytes} bytes to ${result.to}`,
    );
  },
};
