/**
 * Operator mistakes (issue 7 "Show"): each gives one clear sentence on stderr, a non-zero exit code and no
 * stack trace.
 */
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli, runNodeArgs, startCli, tempDir, type CliResult } from './cli-process.js';

afterEach(killAll);

/** One `wiremesh: ...` line (plus the usage hint for usage errors), no trace, non-zero exit. */
function expectOneSentence(r: CliResult, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr).toMatch(/^wiremesh: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('internal error');
  const lines = r.stderr.trim().split('\n');
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.stdout).toBe('');
}

describe('wiremesh CLI bad input', () => {
  it('refuses an invalid contact, a bad NodeID, a bad channel and an unwritable data dir; reports a missing node', async () => {
    const dir = await tempDir('wm-bad-');
    const file = join(dir, 'plain-file');
    await writeFile(file, 'not a directory');
    const validId = 'b' + 'a'.repeat(52);
    const [contact, nodeId, hexShort, channel, unwritable, noNode, noNodePeers] = await Promise.all([
      runCli(runNodeArgs(join(dir, 'a'), ['--bootstrap', 'nonsense@1.2.3.4:5'])),
      runCli(['send', 'not-a-node-id', 'hello', '--data-dir', join(dir, 'a')]),
      runCli(['ping', 'abcd', '--data-dir', join(dir, 'a')]),
      runCli(['pipe', validId, '--channel', '3', '--data-dir', join(dir, 'a')]),
      runCli(runNodeArgs(join(file, 'sub'))),
      runCli(['status', '--data-dir', join(dir, 'nobody')]),
      runCli(['send', validId, 'hi', '--data-dir', join(dir, 'nobody')]),
    ]);
    expectOneSentence(contact, /--bootstrap: keys 'nonsense' are not valid/);
    expect(contact.code).toBe(2);
    expectOneSentence(nodeId, /node ID 'not-a-node-id' is not valid/);
    expectOneSentence(hexShort, /node ID 'abcd'/);
    expectOneSentence(channel, /--channel "3" is not an application channel: use a number from 16 to 254/);
    expectOneSentence(unwritable, /is a file, not a directory; choose another --data-dir/);
    expectOneSentence(noNode, /no running node found at .*nobody\/control\.sock: start one with `wiremesh run --data-dir/);
    expect(noNode.code).toBe(1);
    expectOneSentence(noNodePeers, /no running node found/);
  }, 30_000);

  it('refuses a busy UDP port and a second node on one data directory; an unknown NodeID is unroutable', async () => {
    const dir = await tempDir('wm-bad2-');
    const blocker = createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
    try {
      const port = blocker.address().port;
      const node = startCli(runNodeArgs(join(dir, 'a')));
      await node.waitFor((e) => e.event === 'started');
      const [busy, twice, unroutable, pipeNowhere] = await Promise.all([
        runCli(['run', '--data-dir', join(dir, 'b'), '--listen', `127.0.0.1:${port}`, '--difficulty', '0']),
        runCli(runNodeArgs(join(dir, 'a'))),
        runCli(['send', 'b' + 'a'.repeat(52), 'hi', '--data-dir', join(dir, 'a')]),
        runCli(['pipe', 'b' + 'a'.repeat(52), '--data-dir', join(dir, 'a')], { input: 'bytes for nobody' }),
      ]);
      expectOneSentence(busy, new RegExp(`UDP port 127\\.0\\.0\\.1:${port} is already in use`));
      expectOneSentence(twice, /a node is already running with data directory .*: stop it first or use another --data-dir/);
      expectOneSentence(unroutable, /no live edge leads toward the target/);
      expectOneSentence(pipeNowhere, /./);
      // The first node is unharmed by the refused second one.
      expect((await runCli(['status', '--data-dir', join(dir, 'a'), '--json'])).code).toBe(0);
    } finally {
      blocker.close();
    }
  }, 30_000);
});
