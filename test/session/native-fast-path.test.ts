/**
 * The optional native addon (native/, docs/decisions.md "Native fast path") and its fallbacks:
 * - NativeUdpTransport: batched sends and receives, addresses as UdpTransport reports them, bind errors,
 *   datagrams larger than a slot, `done` once per send;
 * - Endpoints on the native transport talk to endpoints on node:dgram, both ways;
 * - the addon's AEAD and X25519 are byte-identical to the pure provider and refuse what it refuses;
 * - the fallback: with WIREMESH_NATIVE=0 (same branch as a missing or broken addon) a process runs on
 *   node:dgram and sodium-native, a broken addon fails its self-test, and a failing build never fails
 *   `npm install`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Endpoint,
  NativeUdpTransport,
  UdpTransport,
  bindUdpTransport,
  nativeAddon,
  nativeAddonProblem,
  nativeSuite,
  pureSuite,
  type DatagramTransport,
  type Session,
} from '../../src/session/index.js';
import { selfTestAddon, type NativeAddon } from '../../src/session/native-addon.js';
import { activeResources } from '../support/resources.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const addon = nativeAddon();
const opened: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function track<T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> {
  const v = await p;
  opened.push(v);
  return v;
}

function collect(t: DatagramTransport): Array<{ bytes: number[]; host: string; port: number }> {
  const got: Array<{ bytes: number[]; host: string; port: number }> = [];
  t.onDatagram((buf, host, port) => got.push({ bytes: [...buf], host, port }));
  return got;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('which transport and cipher this process uses', () => {
  it('uses the native addon exactly when it loaded, and says why when it did not', async () => {
    const t = await track(bindUdpTransport({ host: '127.0.0.1', port: 0 }));
    if (addon !== null) {
      expect(t).toBeInstanceOf(NativeUdpTransport);
      expect(nativeAddonProblem()).toBeNull();
    } else {
      expect(t).toBeInstanceOf(UdpTransport);
      expect(nativeAddonProblem()).toMatch(/./);
    }
  });
});

describe.runIf(addon !== null)('NativeUdpTransport (addon loaded)', () => {
  it('sends a burst as batches and receives every datagram with the sender address and port', async () => {
    const a = (await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }))) as NativeUdpTransport;
    const b = (await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }))) as NativeUdpTransport;
    const got = collect(b);
    const done: Array<Error | null> = [];
    const count = 150; // more than two send batches: one sendmmsg per full batch, the rest at the turn's end
    for (let i = 0; i < count; i++) a.send(Uint8Array.of(i & 0xff, i >> 8, 0xee, 0xff), 3, '127.0.0.1', b.address().port, (e) => done.push(e));
    expect(done.length).toBeLessThan(count); // the tail waits for the end of the turn
    await until(() => got.length === count);
    expect(done).toEqual(new Array(count).fill(null));
    expect(got.map((g) => g.bytes)).toEqual(Array.from({ length: count }, (_, i) => [i & 0xff, i >> 8, 0xee])); // length honoured
    expect(new Set(got.map((g) => `${g.host}:${g.port}`))).toEqual(new Set([`127.0.0.1:${a.address().port}`]));
    expect(a.counters.sent).toBe(count);
    expect(a.counters.sendBatches).toBeLessThanOrEqual(4);
    expect(b.counters.received).toBe(count);
  });

  it('reports the end of every receive batch after handing over its datagrams', async () => {
    const a = (await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }))) as NativeUdpTransport;
    const b = (await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }))) as NativeUdpTransport;
    // What the handler had seen at each batch end: the ends must fall exactly on batch boundaries.
    const seenAtEnds: number[] = [];
    let seen = 0;
    b.onDatagram(() => seen++);
    b.onReceiveBatchEnd(() => seenAtEnds.push(seen));
    const count = 100;
    for (let i = 0; i < count; i++) a.send(Uint8Array.of(i), 1, '127.0.0.1', b.address().port, () => undefined);
    a.flush();
    await until(() => seen === count);
    expect(seenAtEnds.length).toBe(b.counters.recvBatches);
    expect(seenAtEnds.at(-1)).toBe(count);
    // Never more than one recvmmsg batch (32 datagrams) between two ends.
    for (let i = 0; i < seenAtEnds.length; i++) expect(seenAtEnds[i]! - (seenAtEnds[i - 1] ?? 0)).toBeLessThanOrEqual(32);
  });

  it('keeps every datagram intact when runs to one address are grouped (UDP GSO) and when grouping is off', async () => {
    for (const gso of ['1', '0']) {
      process.env.WIREMESH_GSO = gso; // read when the socket opens
      try {
        const a = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }));
        const b = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }));
        const c = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }));
        const atB = collect(b);
        const atC = collect(c);
        // Equal lengths (one run), a shorter last one, a longer one (a new run), and two interleaved peers.
        const lengths = [...new Array<number>(70).fill(1000), 300, 1200, 1200, 50, ...new Array<number>(20).fill(700)];
        const errors: Array<Error | null> = [];
        lengths.forEach((len, i) => {
          const buf = new Uint8Array(len).fill(i & 0xff);
          buf[0] = i;
          const to = i >= 74 && i % 2 === 1 ? c : b;
          a.send(buf, len, '127.0.0.1', to.address().port, (e) => errors.push(e));
        });
        await until(() => atB.length + atC.length === lengths.length);
        expect(errors).toEqual(new Array(lengths.length).fill(null));
        for (const got of [...atB, ...atC]) {
          const i = got.bytes[0]!;
          expect(got.bytes.length).toBe(lengths[i]);
          expect(got.bytes.slice(1).every((x) => x === (i & 0xff))).toBe(true);
        }
        expect(atC.length).toBe(10);
      } finally {
        delete process.env.WIREMESH_GSO;
      }
    }
  });

  it('is counted by the leak check while open (Node does not list an addon poll handle)', async () => {
    const before = activeResources().get('NativeUdpTransport') ?? 0;
    const t = await NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 });
    expect(activeResources().get('NativeUdpTransport')).toBe(before + 1);
    await t.close();
    await t.close();
    expect(activeResources().get('NativeUdpTransport') ?? 0).toBe(before);
  });

  it('serves IPv4 and IPv6 peers on one dual-stack socket and reports IPv4 peers without the mapped prefix', async () => {
    const server = (await track(NativeUdpTransport.bind({ host: '::', port: 0 }))) as NativeUdpTransport;
    const v4 = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }));
    const v6 = await track(NativeUdpTransport.bind({ host: '::1', port: 0 }));
    const got = collect(server);
    v4.send(Uint8Array.of(4), 1, '127.0.0.1', server.address().port, () => {});
    v6.send(Uint8Array.of(6), 1, '::1', server.address().port, () => {});
    await until(() => got.length === 2);
    const byByte = new Map(got.map((g) => [g.bytes[0], g]));
    expect(byByte.get(4)).toMatchObject({ host: '127.0.0.1', port: v4.address().port });
    expect(byByte.get(6)).toMatchObject({ host: '::1', port: v6.address().port });
    // And back: the dual-stack socket sends to an IPv4 peer by its plain address.
    const back = collect(v4);
    server.send(Uint8Array.of(9), 1, '127.0.0.1', v4.address().port, () => {});
    await until(() => back.length === 1);
    expect(back[0]).toMatchObject({ bytes: [9], port: server.address().port });
  });

  it('sends a datagram larger than a slot on its own, cuts a received one to the slot size, sizes slots from maxDatagramBytes', async () => {
    const a = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }));
    const dg = await track(UdpTransport.bind({ host: '127.0.0.1', port: 0 }));
    const native = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }));
    const viaDgram = collect(dg);
    const big = new Uint8Array(5000).map((_, i) => i % 251);
    let err: Error | null | undefined;
    a.send(big, big.length, '127.0.0.1', dg.address().port, (e) => (err = e));
    await until(() => viaDgram.length === 1);
    expect(err).toBeNull();
    expect(viaDgram[0]!.bytes).toEqual([...big]);
    // A native receiver has 2048-byte slots: the cut datagram still arrives (and then fails its checks).
    const viaNative = collect(native);
    dg.send(big, big.length, '127.0.0.1', native.address().port, () => {});
    await until(() => viaNative.length === 1);
    expect(viaNative[0]!.bytes).toEqual([...big.subarray(0, 2048)]);
    // An endpoint configured for larger packets gets slots that hold them (Endpoint passes maxPacketSize).
    const roomy = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0, maxDatagramBytes: 5000 }));
    const viaRoomy = collect(roomy);
    a.send(big, big.length, '127.0.0.1', roomy.address().port, () => {});
    await until(() => viaRoomy.length === 1);
    expect(viaRoomy[0]!.bytes).toEqual([...big]);
  });

  it('reports an unusable destination through done, not by throwing', async () => {
    const a = await track(NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }));
    const errors: Array<Error | null> = [];
    a.send(Uint8Array.of(1), 1, '::1', 9, (e) => errors.push(e)); // IPv6 peer from an IPv4 socket
    a.send(Uint8Array.of(1), 1, 'not-an-ip', 9, (e) => errors.push(e));
    expect(errors.map((e) => (e as { code?: string } | null)?.code)).toEqual(['BAD_ADDRESS', 'BAD_ADDRESS']);
    await a.close();
    a.send(Uint8Array.of(1), 1, '127.0.0.1', 9, (e) => errors.push(e));
    expect((errors[2] as { code?: string }).code).toBe('CLOSED');
  });

  it('gives the same one-sentence bind errors as UdpTransport', async () => {
    const taken = await track(UdpTransport.bind({ host: '127.0.0.1', port: 0 }));
    await expect(NativeUdpTransport.bind({ host: '127.0.0.1', port: taken.address().port })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    await expect(NativeUdpTransport.bind({ host: '192.0.2.1', port: 0 })).rejects.toMatchObject({ code: 'ADDRESS_NOT_AVAILABLE' });
    await expect(NativeUdpTransport.bind({ host: 'localhost', port: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(NativeUdpTransport.bind({ host: '127.0.0.1', port: 70000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('carries sessions between a native endpoint and a node:dgram endpoint, both ways, in order', async () => {
    const suite = nativeSuite()!;
    const nativeEp = await track(Endpoint.listen({ staticKey: suite.generateKeyPair(), transport: await NativeUdpTransport.bind({ host: '127.0.0.1', port: 0 }) }));
    const dgramEp = await track(Endpoint.listen({ staticKey: suite.generateKeyPair(), transport: await UdpTransport.bind({ host: '127.0.0.1', port: 0 }) }));
    for (const [dialer, listener] of [
      [nativeEp, dgramEp],
      [dgramEp, nativeEp],
    ] as const) {
      const accepted = new Promise<Session>((resolve) => listener.once('session', resolve));
      const session = await dialer.dial(listener.address(), listener.publicKey, { timeoutMs: 5000 });
      const remote = await accepted;
      const received: number[] = [];
      remote.on('channel', (ch) => {
        ch.setReliable();
        void (async () => {
          for (let ev = await ch.recv(); ev !== null; ev = await ch.recv()) received.push(ev.payload[0]! | (ev.payload[1]! << 8));
        })();
      });
      const ch = session.channel(20);
      ch.setReliable();
      const payload = new Uint8Array(1000);
      for (let i = 0; i < 2000; i++) {
        payload[0] = i & 0xff;
        payload[1] = i >> 8;
        await ch.send(1, payload);
      }
      await until(() => received.length === 2000, 10_000);
      expect(received).toEqual(Array.from({ length: 2000 }, (_, i) => i));
      // unknown_index is allowed: a late ACK for the first round's session (closed) may reach this endpoint.
      const drops = Object.entries(listener.snapshot().drops).filter(([reason, n]) => n > 0 && reason !== 'unknown_index');
      expect(drops).toEqual([]);
      session.close();
    }
  });
});

describe.runIf(addon !== null)('the addon crypto (addon loaded)', () => {
  it('seals and opens byte-identically to the pure provider and refuses forgeries, zeroing them', () => {
    const key = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
    const native = nativeSuite()!.transportCipher(key);
    const pure = pureSuite().transportCipher(key);
    for (const size of [0, 1, 15, 16, 17, 63, 64, 65, 255, 1000, 1200, 1300]) {
      for (const counter of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 2]) {
        const plain = new Uint8Array(size).map((_, i) => (i * 13 + size) & 0xff);
        const a = new Uint8Array(size + 16 + 8);
        const b = new Uint8Array(size + 16 + 8);
        a.set(plain, 8);
        b.set(plain, 8);
        native.sealInPlace(counter, a, 8, size);
        pure.sealInPlace(counter, b, 8, size);
        expect(Buffer.from(a)).toEqual(Buffer.from(b));
        expect(pure.openInPlace(counter, a.slice(), 8, size + 16)).toBe(size);
        const forged = a.slice();
        forged[8 + size] ^= 0x80;
        expect(native.openInPlace(counter, forged, 8, size + 16)).toBe(-1);
        expect([...forged.subarray(8, 8 + size)].every((x) => x === 0)).toBe(true);
        expect(native.openInPlace(counter + 1, a.slice(), 8, size + 16)).toBe(-1);
        expect(native.openInPlace(counter, a, 8, size + 16)).toBe(size);
        expect(Buffer.from(a.subarray(8, 8 + size))).toEqual(Buffer.from(plain));
      }
    }
    native.destroy();
    native.destroy();
    expect(native.openInPlace(0, new Uint8Array(32), 0, 32)).toBe(-1);
    expect(() => native.sealInPlace(0, new Uint8Array(32), 0, 16)).toThrow(/destroyed/);
  });

  it('computes X25519 like the pure provider and refuses small-order points like it', () => {
    const n = nativeSuite()!;
    const p = pureSuite();
    for (let i = 0; i < 8; i++) {
      const a = p.generateKeyPair();
      const b = p.generateKeyPair();
      expect(Buffer.from(n.dh(a.privateKey, b.publicKey)!)).toEqual(Buffer.from(p.dh(a.privateKey, b.publicKey)!));
    }
    const k = p.generateKeyPair().privateKey;
    // RFC 7748 / libsodium blocklist: 0, 1, and a point of order 8.
    const lowOrder = [new Uint8Array(32), Uint8Array.of(1, ...new Array<number>(31).fill(0)), Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')];
    for (const point of lowOrder) {
      expect(n.dh(k, new Uint8Array(point))).toBeNull();
      expect(p.dh(k, new Uint8Array(point))).toBeNull();
    }
  });

  it('is not trusted when its self-test fails', () => {
    const real = addon!;
    expect(selfTestAddon(real)).toBeNull();
    // The addon's functions are read-only and not enumerable: derive from it instead of copying it.
    const patched = (over: Partial<NativeAddon>): NativeAddon =>
      Object.create(real, Object.fromEntries(Object.entries(over).map(([k, v]) => [k, { value: v }]))) as NativeAddon;
    const wrongAead = patched({ aeadSeal: (k, c, buf, off, len) => real.aeadSeal(k, c + 1, buf, off, len) });
    expect(selfTestAddon(wrongAead)).toMatch(/ChaCha20-Poly1305/);
    const acceptsForgery = patched({ aeadOpen: (k, c, buf, off, len) => Math.max(0, real.aeadOpen(k, c, buf, off, len)) });
    expect(selfTestAddon(acceptsForgery)).toMatch(/forged/);
    const lowOrderOk = patched({ x25519: (out, k, pub) => (real.x25519(out, k, pub), true) });
    expect(selfTestAddon(lowOrderOk)).toMatch(/small-order/);
  });
});

describe('the fallback path', () => {
  it('runs sessions on node:dgram and sodium-native when the addon is off (WIREMESH_NATIVE=0)', () => {
    const script = `
      import { Endpoint, bindUdpTransport, nativeAddon, nativeAddonProblem, nativeSuite } from './src/session/index.js';
      const t = await bindUdpTransport({ host: '127.0.0.1', port: 0 });
      await t.close();
      const suite = nativeSuite();
      const a = await Endpoint.listen({ staticKey: suite.generateKeyPair(), host: '127.0.0.1', port: 0 });
      const b = await Endpoint.listen({ staticKey: suite.generateKeyPair(), host: '127.0.0.1', port: 0 });
      const got = new Promise((resolve) => b.on('session', (s) => s.on('channel', async (ch) => resolve((await ch.recv()).payload.length))));
      const s = await a.dial(b.address(), b.publicKey, { timeoutMs: 5000 });
      await s.channel(16).send(1, new Uint8Array(3000));
      const length = await got;
      console.log(JSON.stringify({ addon: nativeAddon() === null, problem: nativeAddonProblem(), transport: t.constructor.name,
        cipher: suite.transportCipher(new Uint8Array(32)).constructor.name, length }));
      await a.close(); await b.close();
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO,
      env: { ...process.env, WIREMESH_NATIVE: '0' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({
      addon: true,
      problem: 'disabled by WIREMESH_NATIVE=0',
      transport: 'UdpTransport',
      cipher: 'NativeTransportCipher',
      length: 3000,
    });
  });

  it('never fails npm install: a build that breaks prints one note and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wiremesh-native-'));
    try {
      cpSync(join(REPO, 'native', 'install.mjs'), join(dir, 'install.mjs'));
      cpSync(join(REPO, 'native', 'binding.gyp'), join(dir, 'binding.gyp'));
      const source = readFileSync(join(REPO, 'native', 'wiremesh_native.c'), 'utf8');
      writeFileSync(join(dir, 'wiremesh_native.c'), `${source}\n#error this copy is broken on purpose\n`);
      const r = spawnSync(process.execPath, [join(dir, 'install.mjs')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/wiremesh: native addon not built .*node:dgram and sodium-native instead/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
