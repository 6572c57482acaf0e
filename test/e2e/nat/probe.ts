/**
 * UDP probe run inside lab namespaces (`host.runNode('test/e2e/nat/probe.ts', [mode, ...])`). One socket
 * per process; JSON control lines on stdout (script-io.ts). In every mode the socket answers probe
 * requests with the source address it saw, reports answers as `seen` and any other datagram as `recv`.
 *
 *   echo [--port N]       an echo server: `{"event":"request","from":"ip:port"}` per request answered
 *   peer [--port N]       also takes stdin commands:
 *                           {"cmd":"send","to":"ip:port","text":"hi","count":1}   plain datagrams
 *                           {"cmd":"request","to":"ip:port","nonce":7}           a probe request
 *   ask --server ip:port [--server ...] [--port N] [--timeout-ms N]
 *                         asks every server from the ONE socket (resending until answered), prints
 *                         `{"event":"answers","port":P,"answers":[{"server":"ip:port","seen":"ip:port"|null}]}`
 *                         and exits 0.
 *
 * Every mode prints `{"event":"ready","mode":...,"port":P}` once bound and exits when stdin closes.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PROBE_ASK_TIMEOUT_MS, PROBE_RESEND_MS, PROBE_TEXT_REPORT_BYTES } from './constants.js';
import { decodeProbeMessage, encodeProbeMessage, formatEndpoint, parseEndpoint, type ProbeSeen } from './probe-message.js';
import { emit, listenForCommands, reportFatal, type LabCommand } from './script-io.js';

type Mode = 'echo' | 'peer' | 'ask';

interface Options {
  mode: Mode;
  port: number;
  servers: Array<{ host: string; port: number }>;
  timeoutMs: number;
}

function parseOptions(argv: string[]): Options {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      server: { type: 'string', multiple: true, default: [] },
      'timeout-ms': { type: 'string', default: String(PROBE_ASK_TIMEOUT_MS) },
    },
  });
  const mode = positionals[0];
  if (mode !== 'echo' && mode !== 'peer' && mode !== 'ask') throw new Error(`mode '${mode}' is unknown: use echo, peer or ask`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port} is not a port number`);
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms ${values['timeout-ms']} is not a positive integer`);
  const servers = values.server.map(parseEndpoint);
  if (mode === 'ask' && servers.length === 0) throw new Error('ask mode needs at least one --server ip:port');
  return { mode, port, servers, timeoutMs };
}

function bind(port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '0.0.0.0', () => {
      socket.off('error', reject);
      // Errors on an unconnected socket (ICMP unreachable) concern one send; report, do not crash.
      socket.on('error', (err) => emit('socket-error', { message: err.message }));
      resolve(socket);
    });
  });
}

function send(socket: dgram.Socket, bytes: Uint8Array, to: { host: string; port: number }): void {
  socket.send(bytes, to.port, to.host, (err) => {
    if (err) emit('send-error', { to: formatEndpoint(to.host, to.port), message: err.message });
  });
}

/** Answers requests and reports everything else; `onSeen` gets probe answers. */
function serve(socket: dgram.Socket, onSeen: (seen: ProbeSeen, from: string) => void): void {
  socket.on('message', (msg, rinfo) => {
    const from = formatEndpoint(rinfo.address, rinfo.port);
    const decoded = decodeProbeMessage(msg);
    if (!decoded.ok) {
      emit('recv', { from, bytes: msg.length, text: msg.subarray(0, PROBE_TEXT_REPORT_BYTES).toString('utf8') });
      return;
    }
    const m = decoded.value;
    if (m.kind === 'request') {
      send(socket, encodeProbeMessage({ kind: 'seen', nonce: m.nonce, host: rinfo.address, port: rinfo.port }), { host: rinfo.address, port: rinfo.port });
      emit('request', { from, nonce: m.nonce });
    } else {
      onSeen(m, from);
    }
  });
}

function runPeerCommand(socket: dgram.Socket, command: LabCommand): void {
  const to = parseEndpoint(String(command.to));
  if (command.cmd === 'send') {
    const count = command.count === undefined ? 1 : Number(command.count);
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error(`count ${String(command.count)} is invalid`);
    const bytes = Buffer.from(String(command.text ?? ''), 'utf8');
    for (let i = 0; i < count; i++) send(socket, bytes, to);
    emit('sent', { to: formatEndpoint(to.host, to.port), count });
  } else if (command.cmd === 'request') {
    const nonce = command.nonce === undefined ? randomInt(0, 2 ** 32) : Number(command.nonce);
    send(socket, encodeProbeMessage({ kind: 'request', nonce }), to);
    emit('sent', { to: formatEndpoint(to.host, to.port), count: 1, nonce });
  } else {
    throw new Error(`command '${command.cmd}' is unknown: use send or request`);
  }
}

/** Asks every server from this one socket, resending until each answered or the time is up. */
function ask(socket: dgram.Socket, options: Options): Promise<Array<{ server: string; seen: string | null }>> {
  const pending = new Map<string, { nonce: number; seen: string | null }>();
  for (const s of options.servers) pending.set(formatEndpoint(s.host, s.port), { nonce: randomInt(0, 2 ** 32), seen: null });
  return new Promise((resolve) => {
    const finish = () => {
      clearInterval(resend);
      clearTimeout(deadline);
      resolve([...pending].map(([server, p]) => ({ server, seen: p.seen })));
    };
    const sendUnanswered = () => {
      for (const s of options.servers) {
        const p = pending.get(formatEndpoint(s.host, s.port))!;
        if (p.seen === null) send(socket, encodeProbeMessage({ kind: 'request', nonce: p.nonce }), s);
      }
    };
    serve(socket, (seen, from) => {
      const p = pending.get(from);
      // Only the asked server's own answer to our nonce counts; anything else is reported, not believed.
      if (p === undefined || p.nonce !== seen.nonce) {
        emit('seen', { from, seen: formatEndpoint(seen.host, seen.port), nonce: seen.nonce, expected: false });
        return;
      }
      p.seen = formatEndpoint(seen.host, seen.port);
      if ([...pending.values()].every((q) => q.seen !== null)) finish();
    });
    const resend = setInterval(sendUnanswered, PROBE_RESEND_MS);
    const deadline = setTimeout(finish, options.timeoutMs);
    sendUnanswered();
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const socket = await bind(options.port);
  const port = socket.address().port;
  emit('ready', { mode: options.mode, port });
  listenForCommands({
    onCommand: (command) => {
      if (options.mode !== 'peer') throw new Error(`${options.mode} mode takes no commands`);
      runPeerCommand(socket, command);
    },
    onEnd: () => {
      socket.close(() => process.exit(0));
    },
  });
  if (options.mode === 'ask') {
    const answers = await ask(socket, options);
    emit('answers', { port, answers });
    socket.close(() => process.exit(0));
    return;
  }
  serve(socket, (seen, from) => emit('seen', { from, seen: formatEndpoint(seen.host, seen.port), nonce: seen.nonce }));
}

main().catch(reportFatal);
