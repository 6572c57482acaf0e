/**
 * `wiremesh echo`: a plain Wiresocket echo server. Accepts any initiator and sends every received event back
 * on the same channel with the same type. Used by interoperability tests and `wiremesh bench`.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { Endpoint, parseUdpAddress, type Channel, type Session } from '../../src/session/index.js';
import { loadOrCreateStaticKey } from '../static-key-file.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { waitForShutdownSignal } from '../shutdown.js';

interface EchoArgs {
  listen: string;
  keyFile?: string;
  alwaysCookie: boolean;
  reliable: boolean;
  crypto: 'auto' | 'native' | 'pure';
}

export const echoCommand: CommandModule<object, EchoArgs> = {
  command: 'echo',
  describe: 'Run a plain Wiresocket echo server (interop tests, benchmarks)',
  builder: (y: Argv) =>
    y
      .option('listen', { type: 'string', default: '127.0.0.1:0', describe: 'UDP address to listen on (host:port, [v6]:port)' })
      .option('key-file', { type: 'string', describe: 'file with the X25519 private key (hex); created (mode 0600) if missing. Default: a fresh key each run' })
      .option('always-cookie', { type: 'boolean', default: false, describe: 'answer every HandshakeInit without a valid MAC2 with a CookieReply' })
      .option('reliable', { type: 'boolean', default: false, describe: 'make every channel reliable (spec 11)' })
      .option('crypto', { choices: ['auto', 'native', 'pure'] as const, default: 'auto' as const, describe: 'crypto provider' })
      .example('$0 echo --listen 127.0.0.1:9000', 'echo server on port 9000 with a fresh key') as unknown as Argv<EchoArgs>,
  handler: async (args: ArgumentsCamelCase<EchoArgs>) => {
    const address = parseUdpAddress(args.listen, { allowPortZero: true });
    const staticKey = await loadOrCreateStaticKey(args.keyFile);
    const endpoint = await Endpoint.listen({
      staticKey,
      host: address.host,
      port: address.port,
      alwaysCookie: args.alwaysCookie,
      crypto: args.crypto,
    });
    const bound = endpoint.address();
    const shown = bound.host.includes(':') ? `[${bound.host}]:${bound.port}` : `${bound.host}:${bound.port}`;
    process.stdout.write(
      JSON.stringify({ event: 'listening', address: shown, publicKey: bytesToHex(staticKey.publicKey), crypto: endpoint.suite.name }) + '\n',
    );
    endpoint.on('session', (session: Session) => {
      session.on('channel', (channel: Channel) => {
        if (args.reliable) channel.setReliable();
        void echoChannel(channel);
      });
    });
    await waitForShutdownSignal();
    await endpoint.close();
  },
};

async function echoChannel(channel: Channel): Promise<void> {
  try {
    for await (const ev of channel) await channel.send(ev.type, ev.payload);
  } catch {
    // The session or channel closed under us: nothing left to echo.
  }
}
