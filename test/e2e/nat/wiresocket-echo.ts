/**
 * Wiresocket inside lab namespaces (smoke test of src/session through real NAT). JSON control lines on
 * stdout (script-io.ts); exits when stdin closes.
 *
 *   server [--port N]     Endpoint echo server: prints `ready` {port, publicKey (hex)}; echoes every event
 *                         on every channel with the same type; `session` {remote} per accepted session.
 *   client --server ip:port --key HEX [--count N]
 *                         dials, prints `connected` {remote, localPort, handshakeMs}, sends N events of
 *                         several sizes (one larger than a datagram, so it is fragmented) on channel 1,
 *                         prints `echoed` {count, intact, roundTripMs} once all came back, then exits 0.
 */
import { parseArgs } from 'node:util';
import { Endpoint, defaultSuite, type Channel, type Session } from '../../../src/session/index.js';
import { formatEndpoint, parseEndpoint } from './probe-message.js';
import { emit, listenForCommands, reportFatal } from './script-io.js';

const CLIENT_CHANNEL = 1;
const EVENT_TYPE = 42;
/** Small, one-datagram and multi-datagram (fragmented, spec 10.4) payloads. */
const PAYLOAD_SIZES = [1, 200, 1100, 4000];
const DIAL_TIMEOUT_MS = 5000;
const ECHO_TIMEOUT_MS = 5000;

/** Deterministic payload `i` so the client can check each echo byte for byte. */
function payload(i: number): Uint8Array {
  const bytes = new Uint8Array(PAYLOAD_SIZES[i % PAYLOAD_SIZES.length]);
  for (let j = 0; j < bytes.length; j++) bytes[j] = (i * 31 + j * 7) & 0xff;
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function echoChannel(channel: Channel): Promise<void> {
  for await (const ev of channel) {
    await channel.send(ev.type, ev.payload);
    emit('echo', { channel: channel.id, type: ev.type, bytes: ev.payload.length });
  }
}

async function server(port: number): Promise<void> {
  const ep = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '0.0.0.0', port });
  ep.on('session', (session: Session) => {
    emit('session', { remote: formatEndpoint(session.remoteAddress.host, session.remoteAddress.port) });
    session.on('channel', (ch: Channel) => void echoChannel(ch).catch(() => {}));
  });
  listenForCommands({ onEnd: () => ep.close().then(() => process.exit(0)) });
  emit('ready', { port: ep.address().port, publicKey: Buffer.from(ep.publicKey).toString('hex') });
}

async function client(serverAddress: string, keyHex: string, count: number): Promise<void> {
  if (!/^[0-9a-f]{64}$/i.test(keyHex)) throw new Error('--key must be the server public key as 64 hex digits');
  const target = parseEndpoint(serverAddress);
  const ep = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '0.0.0.0', port: 0 });
  listenForCommands({ onEnd: () => ep.close().then(() => process.exit(0)) });
  const started = performance.now();
  const session = await ep.dial(target, Buffer.from(keyHex, 'hex'), { timeoutMs: DIAL_TIMEOUT_MS });
  const handshakeMs = performance.now() - started;
  emit('connected', { remote: serverAddress, localPort: ep.address().port, handshakeMs: Math.round(handshakeMs * 10) / 10 });

  const channel = session.channel(CLIENT_CHANNEL);
  const sentAt = performance.now();
  for (let i = 0; i < count; i++) await channel.send(EVENT_TYPE, payload(i));
  let intact = true;
  const abort = AbortSignal.timeout(ECHO_TIMEOUT_MS);
  for (let i = 0; i < count; i++) {
    const ev = await channel.recv(abort);
    if (ev === null) throw new Error(`channel closed after ${i} of ${count} echoes`);
    // An unreliable channel may reorder; with no loss configured the lab delivers in order, so check strictly.
    if (ev.type !== EVENT_TYPE || !sameBytes(ev.payload, payload(i))) intact = false;
  }
  const roundTripMs = performance.now() - sentAt;
  const stats = ep.snapshot();
  emit('echoed', { count, intact, roundTripMs: Math.round(roundTripMs * 10) / 10, handshakesCompleted: stats.handshakesCompleted });
  await ep.close();
  process.exit(0);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      server: { type: 'string' },
      key: { type: 'string' },
      count: { type: 'string', default: '8' },
    },
  });
  const mode = positionals[0];
  if (mode === 'server') return server(Number(values.port));
  if (mode === 'client') {
    const count = Number(values.count);
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new Error(`--count ${values.count} is invalid`);
    if (values.server === undefined || values.key === undefined) throw new Error('client mode needs --server ip:port and --key HEX');
    return client(values.server, values.key, count);
  }
  throw new Error(`mode '${mode}' is unknown: use server or client`);
}

main().catch(reportFatal);
