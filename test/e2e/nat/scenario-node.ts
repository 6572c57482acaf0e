/**
 * A wiremesh overlay node inside a lab namespace (issue 6 scenarios). JSON control lines (script-io.ts);
 * exits when stdin closes.
 *
 *   --seed HEX (32 bytes)  identity seed       --port N        UDP port (default 4242)
 *   --relay                relay for others    --bootstrap C   contact string (repeatable)
 *   --no-maintenance       only the bootstrap edges (a leaf that reaches the overlay through one node)
 *   --keepalive-ms N       Wiresocket keepalive    --dead-after-ms N   silence after which an edge is reaped
 *
 * Events: `ready` {id, contact}; `nat` {type, reflexive} on change; `edge` / `edge-closed` {id};
 * `message` {from, text, hops, direct}; `bulk-received` {from, bytes, sha256, ms}.
 * Commands (each answered by one event carrying the same `tag`):
 *   status                       -> status {nat, edges: [{id, address, path}], counters}
 *   connect {to}                 -> connected {ms, path} | failed {code, message}
 *   bulk {to, bytes}             -> bulk-sent {ms, sha256, path} | failed   (reliable channel 16)
 *   send {to, text}              -> sent {ms} | failed                       (routed, end-to-end ack)
 *   wait-path {to, type, timeoutMs} -> path {ms, path, reached}   (polls node.path(to) until it is `type`)
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Identity, formatNodeId, parseNodeId } from '../../../src/identity/index.js';
import { createNode, type NatStatus, type Node, type SessionPath } from '../../../src/node/index.js';
import { emit, listenForCommands, reportFatal, type LabCommand } from './script-io.js';

const BULK_CHANNEL = 16;
const BULK_HEADER = 1;
const BULK_DATA = 2;
const BULK_CHUNK_BYTES = 16 * 1024;
const COMMAND_TIMEOUT_MS = 15_000;

function pathView(path: SessionPath | null): { type: string; relay?: string } | null {
  if (path === null) return null;
  return path.type === 'direct' ? { type: 'direct' } : { type: 'relayed', relay: formatNodeId(path.relay) };
}

function natView(s: NatStatus): { type: string; reflexive: string | null } {
  return { type: s.type, reflexive: s.reflexive === null ? null : `${s.reflexive.host}:${s.reflexive.port}` };
}

/** Deterministic bulk bytes, so the receiver's hash can be compared with the sender's. */
function bulkBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function failure(tag: unknown, err: unknown): void {
  const e = err as { code?: string; message?: string };
  emit('failed', { tag, code: e.code ?? 'ERROR', message: e.message ?? String(err) });
}

function receiveBulk(node: Node): void {
  node.on('channel', ({ from, channel }) => {
    if (channel.id !== BULK_CHANNEL) return;
    void (async () => {
      const hash = createHash('sha256');
      let expected = -1;
      let got = 0;
      const started = performance.now();
      for await (const ev of channel) {
        if (ev.type === BULK_HEADER) expected = Number(new DataView(ev.payload.buffer, ev.payload.byteOffset, 8).getBigUint64(0));
        else if (ev.type === BULK_DATA) {
          hash.update(ev.payload);
          got += ev.payload.length;
        }
        if (expected >= 0 && got >= expected) break;
      }
      emit('bulk-received', { from: formatNodeId(from), bytes: got, sha256: hash.digest('hex'), ms: Math.round(performance.now() - started), path: pathView(node.path(from)) });
    })().catch((err: unknown) => emit('bulk-failed', { message: String(err) }));
  });
}

async function onCommand(node: Node, c: LabCommand): Promise<void> {
  const tag = c.tag;
  const started = performance.now();
  const ms = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    switch (c.cmd) {
      case 'status':
        emit('status', {
          tag,
          nat: natView(node.nat()),
          edges: node.edges().map((e) => ({ id: formatNodeId(e.id), address: `${e.address.host}:${e.address.port}`, path: pathView(node.path(e.id)) })),
          counters: node.stats().counters,
        });
        return;
      case 'connect': {
        const to = parseNodeId(String(c.to));
        await node.connect(to, { timeoutMs: COMMAND_TIMEOUT_MS });
        emit('connected', { tag, ms: ms(), path: pathView(node.path(to)) });
        return;
      }
      case 'bulk': {
        const to = parseNodeId(String(c.to));
        const data = bulkBytes(Number(c.bytes));
        const ch = await node.openChannel(to, BULK_CHANNEL, { timeoutMs: COMMAND_TIMEOUT_MS, reliable: true });
        const header = new Uint8Array(8);
        new DataView(header.buffer).setBigUint64(0, BigInt(data.length));
        await ch.send(BULK_HEADER, header);
        for (let off = 0; off < data.length; off += BULK_CHUNK_BYTES) await ch.send(BULK_DATA, data.subarray(off, off + BULK_CHUNK_BYTES));
        emit('bulk-sent', { tag, ms: ms(), sha256: createHash('sha256').update(data).digest('hex'), path: pathView(node.path(to)) });
        return;
      }
      case 'wait-path': {
        const to = parseNodeId(String(c.to));
        const deadline = performance.now() + Number(c.timeoutMs ?? 10_000);
        while (node.path(to)?.type !== c.type && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const path = pathView(node.path(to));
        emit('path', { tag, ms: ms(), path, reached: path?.type === c.type });
        return;
      }
      case 'send': {
        await node.send(parseNodeId(String(c.to)), new TextEncoder().encode(String(c.text)), { ack: true, timeoutMs: COMMAND_TIMEOUT_MS });
        emit('sent', { tag, ms: ms() });
        return;
      }
      default:
        emit('failed', { tag, code: 'UNKNOWN_COMMAND', message: `unknown command ${c.cmd}` });
    }
  } catch (err) {
    failure(tag, err);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      port: { type: 'string', default: '4242' },
      relay: { type: 'boolean', default: false },
      bootstrap: { type: 'string', multiple: true, default: [] },
      'no-maintenance': { type: 'boolean', default: false },
      'keepalive-ms': { type: 'string' },
      'dead-after-ms': { type: 'string' },
    },
  });
  if (values.seed === undefined || !/^[0-9a-f]{64}$/i.test(values.seed)) throw new Error('--seed must be 64 hex digits');
  const node = createNode({
    identity: Identity.fromSeed(Buffer.from(values.seed, 'hex')),
    host: '0.0.0.0',
    port: Number(values.port),
    relay: values.relay,
    bootstrap: values.bootstrap,
    ...(values['no-maintenance'] ? { maintenance: false as const } : {}),
    ...(values['keepalive-ms'] !== undefined ? { keepaliveMs: Number(values['keepalive-ms']) } : {}),
    ...(values['dead-after-ms'] !== undefined ? { deadAfterMs: Number(values['dead-after-ms']) } : {}),
  });
  node.on('nat', (s: NatStatus) => emit('nat', natView(s)));
  node.on('edge', (e: { id: Uint8Array }) => emit('edge', { id: formatNodeId(e.id) }));
  node.on('edge-closed', (e: { id: Uint8Array; reason: string }) => emit('edge-closed', { id: formatNodeId(e.id), reason: e.reason }));
  node.on('message', (m: { from: Uint8Array; data: Uint8Array; hops: number; direct: boolean }) =>
    emit('message', { from: formatNodeId(m.from), text: new TextDecoder().decode(m.data), hops: m.hops, direct: m.direct }),
  );
  receiveBulk(node);
  await node.start();
  listenForCommands({ onCommand: (c) => onCommand(node, c), onEnd: () => node.stop().then(() => process.exit(0)) });
  emit('ready', { id: formatNodeId(node.id), contact: node.contact });
}

main().catch(reportFatal);
