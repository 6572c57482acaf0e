/**
 * The CLI end to end on loopback (issue 7 "Show"): a bootstrap node and two peers as real processes;
 * status/peers/stats --json show the edges; send by NodeID arrives (with and without --ack, from an argument
 * and from stdin); pipe moves a 5 MB file byte-exact; SIGTERM exits 0 and a restart rejoins from the
 * persisted contacts without --bootstrap.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli, runNodeArgs, spawnCli, startCli, tempDir, type CliProcess } from './cli-process.js';

afterEach(killAll);

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function startNode(dataDir: string, extra: string[] = []): Promise<{ proc: CliProcess; nodeId: string; contact: string }> {
  const proc = startCli(runNodeArgs(dataDir, extra));
  const started = await proc.waitFor((e) => e.event === 'started');
  return { proc, nodeId: started.nodeId as string, contact: started.contact as string };
}

const edgeTo = (nodeId: string) => (e: { event: string; nodeId?: unknown }) => e.event === 'edge-up' && e.nodeId === nodeId;

describe('wiremesh CLI on a three-node loopback network', () => {
  it('joins, reports edges, delivers by NodeID, pipes 5 MB byte-exact, stops on SIGTERM and rejoins after a restart', async () => {
    const [dirB, dir1, dir2, files] = await Promise.all([tempDir('wm-b-'), tempDir('wm-p1-'), tempDir('wm-p2-'), tempDir('wm-files-')]);
    const boot = await startNode(dirB, ['--metrics', '127.0.0.1:0']);
    expect(boot.nodeId).toMatch(/^b[a-z2-7]{52}$/);
    expect(boot.contact).toMatch(/@127\.0\.0\.1:\d+$/);
    const [p1, p2] = await Promise.all([startNode(dir1, ['--bootstrap', boot.contact]), startNode(dir2, ['--bootstrap', boot.contact])]);
    await Promise.all([p1.proc.waitFor(edgeTo(boot.nodeId)), p2.proc.waitFor(edgeTo(boot.nodeId)), boot.proc.waitFor(edgeTo(p1.nodeId))]);
    const up = p1.proc.events.find(edgeTo(boot.nodeId))!;
    expect(up).toMatchObject({ path: 'direct', relay: null, address: boot.contact.split('@')[1] });

    // status / peers / stats --json parse and show the edge to the bootstrap node.
    const [status, peers, peersText, stats] = await Promise.all([
      runCli(['status', '--data-dir', dir1, '--json']),
      runCli(['peers', '--data-dir', dir1, '--json']),
      runCli(['peers', '--data-dir', dir1]),
      runCli(['stats', '--data-dir', dir1, '--json']),
    ]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as { event: string; nodeId: string; edges: { total: number }; nat: { type: string } };
    expect(s.event).toBe('status');
    expect(s.nodeId).toBe(p1.nodeId);
    expect(s.edges.total).toBeGreaterThanOrEqual(1);
    expect(typeof s.nat.type).toBe('string');
    expect(peers.code).toBe(0);
    const rows = (JSON.parse(peers.stdout) as { peers: Array<{ nodeId: string; path: string; relay: string | null; rttMs: number | null; lastSeenMs: number }> }).peers;
    const bootRow = rows.find((r) => r.nodeId === boot.nodeId);
    expect(bootRow).toMatchObject({ path: 'direct', relay: null });
    // Measured by the node itself: its own edge pings (smoothed RTT) and the last authenticated packet.
    expect(bootRow?.rttMs).toBeGreaterThanOrEqual(0);
    expect(bootRow?.rttMs).toBeLessThan(1_000);
    expect(Date.now() - bootRow!.lastSeenMs).toBeLessThan(15_000);
    expect(peersText.stdout).toMatch(/^NODE ID\s+ADDRESS\s+PATH\s+DIR\s+KIND\s+RTT\s+LAST SEEN\n/);
    expect(peersText.stdout).toMatch(/direct\s+out\s+\w+\s+\d+(\.\d)? ms\s+\d+\.\d s ago/);
    expect(peersText.stdout).toContain(boot.nodeId);
    const st = JSON.parse(stats.stdout) as { edges: { total: number }; counters: { edgesEstablished: number }; endpoint: { rxPackets: number } };
    expect(st.edges.total).toBeGreaterThanOrEqual(1);
    expect(st.counters.edgesEstablished).toBeGreaterThanOrEqual(1);
    expect(st.endpoint.rxPackets).toBeGreaterThan(0);

    // --metrics serves every stat in Prometheus text format.
    const metricsUrl = boot.proc.events[0]!.metrics as string;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scrape = await (await fetch(metricsUrl)).text();
    expect(scrape).toMatch(/^wiremesh_edges\{kind="total"\} [12]$/m);
    expect(scrape).toMatch(/^wiremesh_edges_established_total [1-9]/m);
    expect(scrape).toMatch(/^wiremesh_rx_packets_total [1-9]/m);
    expect(scrape).toContain('wiremesh_drops_total{reason="malformed"} 0');

    // send by NodeID: acknowledged, and the text arrives as a message event on the target.
    // Bytes from stdin that are not UTF-8 arrive as data only, without text.
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const [sent, sentBinary] = await Promise.all([
      runCli(['send', p2.nodeId, 'hello over the overlay', '--ack', '--data-dir', dir1]),
      runCli(['send', p2.nodeId, '-', '--data-dir', dir1, '--ack'], { input: binary }),
    ]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('delivered 22 bytes');
    expect(sentBinary.code).toBe(0);
    const msg = await p2.proc.waitFor((e) => e.event === 'message' && e.text === 'hello over the overlay');
    expect(msg.from).toBe(p1.nodeId);
    expect(Buffer.from(msg.data as string, 'base64').toString()).toBe('hello over the overlay');
    const bin = await p2.proc.waitFor((e) => e.event === 'message' && e.data === binary.toString('base64'));
    expect(bin.text).toBeUndefined();

    // ping by NodeID is routed (no session to the target is made for it); connect then shows the path.
    const [ping, pingText] = await Promise.all([
      runCli(['ping', p2.nodeId, '--data-dir', dir1, '--json']),
      runCli(['ping', p2.nodeId, '--data-dir', dir1]),
    ]);
    expect(ping.code).toBe(0);
    const pong = JSON.parse(ping.stdout) as { event: string; nodeId: string; rttMs: number; hops: number; returnHops: number };
    expect(pong).toMatchObject({ event: 'pong', nodeId: p2.nodeId });
    expect(pong.rttMs).toBeGreaterThanOrEqual(0);
    // Straight over an edge to p2 (1 link) or through the bootstrap node (2 links).
    expect([1, 2]).toContain(pong.hops);
    expect([1, 2]).toContain(pong.returnHops);
    expect(pingText.stdout).toMatch(new RegExp(`^pong from ${p2.nodeId}: rtt \\d+(\\.\\d)? ms, \\d+ hops? there, \\d+ back\\n$`));
    const conn = await runCli(['connect', p2.nodeId, '--data-dir', dir1, '--json']);
    expect(conn.code).toBe(0);
    expect(JSON.parse(conn.stdout)).toMatchObject({ event: 'connected', nodeId: p2.nodeId, path: 'direct', relay: null });

    // pipe: 5 MB from p1 to p2's listen, byte-exact.
    const payload = randomBytes(5 * 1024 * 1024);
    const inFile = join(files, 'in.bin');
    const outFile = join(files, 'out.bin');
    await writeFile(inFile, payload);
    const outFd = openSync(outFile, 'w');
    const listen = spawnCli(['listen', '--data-dir', dir2, '--channel', '40'], { stdio: ['ignore', outFd, 'pipe'] });
    closeSync(outFd);
    let listenErr = '';
    listen.stderr!.on('data', (d: Buffer) => (listenErr += d.toString()));
    const listenExit = new Promise<number | null>((resolve) => listen.once('exit', resolve));
    const inFd = openSync(inFile, 'r');
    const pipeStarted = performance.now();
    const pipe = spawnCli(['pipe', p2.nodeId, '--data-dir', dir1, '--channel', '40'], { stdio: [inFd, 'pipe', 'pipe'] });
    closeSync(inFd);
    let pipeErr = '';
    pipe.stderr!.on('data', (d: Buffer) => (pipeErr += d.toString()));
    const pipeCode = await new Promise<number | null>((resolve) => pipe.once('exit', resolve));
    expect({ pipeCode, pipeErr }).toMatchObject({ pipeCode: 0, pipeErr: expect.stringMatching(/transfer: 5\.00 MiB/) });
    expect(`exit ${await listenExit}: ${listenErr}`).toMatch(/^exit 0: /);
    const pipeMs = performance.now() - pipeStarted;
    expect(listenErr).toContain(`connected: ${p1.nodeId}`);
    // No runtime warnings (e.g. listeners piling up over thousands of 'drain' waits) on either side.
    expect(pipeErr + listenErr).not.toMatch(/Warning/);
    const received = await readFile(outFile);
    expect(received.length).toBe(payload.length);
    expect(sha256(received)).toBe(sha256(payload));
    process.stdout.write(`[e2e/cli] pipe moved 5 MiB in ${pipeMs.toFixed(0)} ms (${((5 * 1000) / pipeMs).toFixed(1)} MiB/s incl. process start)\n`);

    // SIGTERM: graceful, exit 0, 'stopped' event; the restart rejoins without --bootstrap.
    p1.proc.child.kill('SIGTERM');
    expect(await p1.proc.exited).toBe(0);
    expect(p1.proc.events.at(-1)?.event).toBe('stopped');
    const again = await startNode(dir1);
    expect(again.nodeId).toBe(p1.nodeId);
    const rejoined = await again.proc.waitFor((e) => e.event === 'edge-up' && (e.nodeId === boot.nodeId || e.nodeId === p2.nodeId), 20_000);
    expect([boot.nodeId, p2.nodeId]).toContain(rejoined.nodeId);
    const after = await runCli(['send', p2.nodeId, 'back again', '--ack', '--data-dir', dir1]);
    expect(after.code).toBe(0);
    await p2.proc.waitFor((e) => e.event === 'message' && e.text === 'back again');
  }, 90_000);
});
