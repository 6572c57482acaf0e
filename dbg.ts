import { Endpoint, defaultSuite, type Session, type Channel } from './src/session/index.js';
import { PACKET_DATA, PACKET_DATA_FRAGMENT } from './src/wire/index.js';
import { UdpRelay } from './test/support/udp-relay.js';
const server = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
const client = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
const relay = await UdpRelay.start({ target: server.address(), seed: 7, loss: Number(process.argv[2] ?? 0.1), duplicate: 0.05, reorder: 0.1, impair: (b) => b[0] === PACKET_DATA || b[0] === PACKET_DATA_FRAGMENT });
const accepted = new Promise<Session>((res) => server.once('session', res));
const session = await client.dial(relay.address, server.publicKey);
const remote = await accepted;
const rchP = new Promise<Channel>((res) => remote.once('channel', (ch: Channel) => { ch.setReliable(); res(ch); }));
const ch = session.channel(30).setReliable();
const N = 10000;
let sent = 0;
(async () => { const p = new Uint8Array(200); for (let i = 0; i < N; i++) { new DataView(p.buffer).setUint32(0, i, true); await ch.send(1, p); sent++; } })();
const rch = await rchP;
let got = 0;
const t0 = Date.now();
const iv = setInterval(() => {
  const s = ch.rel!.sender as any, r = rch.rel!.receiver as any;
  console.log(Date.now() - t0, 'sent', sent, 'got', got, 'pending', s.pending, 'queue', ch.rel!.queue.length, 'peerWin', s.peerWindow, 'rto', s.rto, 'retries', s.retries, 'next', s.nextTimeoutAt() && s.nextTimeoutAt() - Date.now(), '| rx expect', r.expectedSeq, 'buffered', r.bufferedCount, 'avail', r.available, 'ackDue', r.ackDueAt(), 'drops', JSON.stringify(r.drops), 'held', rch.rel!.framesHeld);
}, 1000);
for (let i = 0; i < N; i++) { const ev = await rch.recv(AbortSignal.timeout(8000)).catch(e => null); if (!ev) { console.log('STALL at', i); break; } const v = new DataView(ev.payload.buffer, ev.payload.byteOffset).getUint32(0, true); if (v !== i) { console.log('ORDER', v, i); break; } got++; }
console.log('server drops', JSON.stringify(Object.fromEntries(Object.entries(server.snapshot().drops).filter(([,v])=>v))), 'client drops', JSON.stringify(Object.fromEntries(Object.entries(client.snapshot().drops).filter(([,v])=>v))), server.snapshot().rxPackets, client.snapshot().txPackets); console.log('done', got, Date.now() - t0, 'ms', relay.counters);
clearInterval(iv);
process.exit(0);
