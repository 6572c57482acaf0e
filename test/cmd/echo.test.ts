/**
 * `wiremesh echo` as a real child process: its first stdout line, echoing over Wiresocket from our Endpoint,
 * reliable channels, forced cookies, key files, SIGTERM, and clear errors for bad flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, defaultSuite } from '../../src/session/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const children: ChildProcess[] = [];
const endpoints: Endpoint[] = [];

afterEach(async () => {
  for (const e of endpoints.splice(0)) await e.close();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

async function firstLine(child: ChildProcess): Promise<Record<string, string>> {
  const rl = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`echo exited with ${code}`)));
    setTimeout(() => reject(new Error('no listening line within 15 s')), 15_000).unref();
  });
  rl.close();
  return JSON.parse(line) as Record<string, string>;
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  return { code, stderr };
}

async function client(): Promise<Endpoint> {
  const ep = await Endpoint.listen({ staticKey: defaultSuite().generateKeyPair(), host: '127.0.0.1', port: 0 });
  endpoints.push(ep);
  return ep;
}

function addr(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
}

describe('wiremesh echo', () => {
  it('prints its address and key, and echoes events on every channel with the same type', async () => {
    const echo = run(['echo', '--listen', '127.0.0.1:0']);
    const info = await firstLine(echo);
    expect(info.event).toBe('listening');
    expect(info.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.publicKey).toMatch(/^[0-9a-f]{64}$/);
    const ep = await client();
    const s = await ep.dial(addr(info.address!), hexToBytes(info.publicKey!), { timeoutMs: 5000 });
    for (const id of [0, 7, 254]) {
      const ch = s.channel(id);
      await ch.send(id === 0 ? 3 : 200, new TextEncoder().encode(`ping ${id}`));
      const ev = await ch.recv(AbortSignal.timeout(5000));
      expect(ev!.type).toBe(id === 0 ? 3 : 200);
      expect(new TextDecoder().decode(ev!.payload)).toBe(`ping ${id}`);
    }
    const big = new Uint8Array(50_000).fill(5);
    await s.channel(9).send(1, big);
    expect((await s.channel(9).recv(AbortSignal.timeout(5000)))!.payload.length).toBe(50_000);
    echo.kill('SIGTERM');
    expect((await exitOf(echo)).code).toBe(0);
  }, 30_000);

  it('--reliable echoes on reliable channels, --always-cookie forces the cookie round trip, --key-file keeps the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wm-echo-'));
    const keyFile = join(dir, 'echo.key');
    const echo = run(['echo', '--listen', '127.0.0.1:0', '--reliable', '--always-cookie', '--key-file', keyFile]);
    const info = await firstLine(echo);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const priv = hexToBytes((await readFile(keyFile, 'utf8')).trim());
    expect(Buffer.from(defaultSuite().publicKey(priv)).toString('hex')).toBe(info.publicKey);
    const ep = await client();
    const s = await ep.dial(addr(info.address!), hexToBytes(info.publicKey!), { timeoutMs: 5000 });
    expect(ep.snapshot().cookieRepliesReceived).toBe(1);
    const ch = s.channel(20).setReliable();
    for (let i = 0; i < 500; i++) await ch.send(1, new Uint8Array([i & 0xff, i >> 8]));
    for (let i = 0; i < 500; i++) {
      const ev = (await ch.recv(AbortSignal.timeout(5000)))!;
      expect(ev.payload[0]! | (ev.payload[1]! << 8)).toBe(i);
    }
    echo.kill('SIGTERM');
    await exitOf(echo);
    // The same key file gives the same public key next time.
    const again = run(['echo', '--listen', '127.0.0.1:0', '--key-file', keyFile]);
    expect((await firstLine(again)).publicKey).toBe(info.publicKey);
    again.kill('SIGTERM');
    await exitOf(again);
  }, 30_000);

  it('gives one clear line and a non-zero exit for bad flags', async () => {
    for (const [args, pattern] of [
      [['echo', '--listen', 'nope'], /not host:port/],
      [['echo', '--listen', '127.0.0.1:99999'], /host:port|out of range/],
      [['echo', '--listen', '10.255.255.1:0'], /not assigned to this machine/],
      [['echo', '--crypto', 'fast'], /crypto/],
    ] as const) {
      const { code, stderr } = await exitOf(run([...args]));
      expect(code).not.toBe(0);
      expect(stderr).toMatch(pattern);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  }, 30_000);

  it('documents itself in --help', async () => {
    const child = run(['echo', '--help']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    expect((await exitOf(child)).code).toBe(0);
    for (const flag of ['--listen', '--key-file', '--always-cookie', '--reliable']) expect(out).toContain(flag);
  }, 15_000);
});
