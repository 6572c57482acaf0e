/**
 * Nothing a lab makes outlives it: `destroy()` ends every child and deletes every namespace (idempotently),
 * a process that exits or is terminated without calling it still cleans up through its handlers, and the
 * namespaces of a SIGKILLed run are swept by the next one. Skips loudly where namespaces cannot be created.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { IFNAME_MAX_LENGTH } from './constants.js';
import { CHILD_READY_TIMEOUT_MS, PROBE_SCRIPT, eventually, labAvailableOrWarn } from './lab-test-setup.js';
import { NatLab } from './lab.js';
import { REPO_ROOT } from './lab-host.js';
import { liveLabCount } from './lab-registry.js';
import { ManagedChild } from './managed-child.js';
import { listNamespaces, namespacesOfLab, parseLabNamespace } from './namespace-names.js';
import { processExists, removeStaleLabs } from './stale-labs.js';
import { runCommand } from './system-command.js';

const available = await labAvailableOrWarn('NAT lab lifecycle tests (test/e2e/nat/lifecycle.test.ts)');

const OWNER_SCRIPT = 'test/e2e/nat/lab-owner-process.ts';

const owners: ManagedChild[] = [];
const prefixes: string[] = [];

/** Starts a process (in the host's namespace) that builds a lab and waits to be told how to die. */
async function startOwner(): Promise<{ owner: ManagedChild; prefix: string; namespaces: string[]; probePid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', OWNER_SCRIPT], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const owner = new ManagedChild('lab owner', child);
  owners.push(owner);
  const built = await owner.nextEvent('built', CHILD_READY_TIMEOUT_MS);
  const prefix = String(built.prefix);
  prefixes.push(prefix);
  return { owner, prefix, namespaces: built.namespaces as string[], probePid: Number(built.probePid) };
}

describe.skipIf(!available)('NatLab lifecycle', () => {
  afterAll(async () => {
    await Promise.all(owners.map((o) => o.stop()));
    await removeStaleLabs();
    for (const prefix of prefixes) expect(await namespacesOfLab(prefix)).toEqual([]);
  });

  it('destroy() ends every child and deletes every namespace; it is idempotent and closes the lab', async () => {
    const lab = await NatLab.create();
    prefixes.push(lab.prefix);
    const pub = await lab.addPublicHost('pub1');
    const nat = await lab.addNat('natA', { type: 'cone' });
    const priv = await lab.addPrivateHost('a1', nat);
    expect(liveLabCount()).toBeGreaterThanOrEqual(1);

    // Each host really is its namespace, configured as planned, with short interface names.
    const addr = await priv.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    expect(addr.stdout).toContain(`inet ${priv.ip}/24`);
    const route = await priv.exec('ip', ['-4', 'route', 'show', 'default']);
    expect(route.stdout).toContain(`via ${nat.lanIp}`);
    for (const ns of lab.namespaces) {
      const { stdout } = await runCommand('ip', ['-n', ns, '-o', 'link', 'show']);
      const names = stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1].trim().split('@')[0]);
      expect(names.every((n) => n.length <= IFNAME_MAX_LENGTH)).toBe(true);
    }
    expect((await lab.remainingNamespaces()).sort()).toEqual([...lab.namespaces].sort());
    expect(lab.namespaces).toEqual([`${lab.prefix}-inet`, `${lab.prefix}-pub1`, `${lab.prefix}-natA`, `${lab.prefix}-a1`]);

    const probe = pub.runNode(PROBE_SCRIPT, ['echo']);
    await probe.nextEvent('ready', CHILD_READY_TIMEOUT_MS);
    const sleeper = priv.spawn('sleep', ['60'], { stdio: 'ignore' });
    const sleeperExit = new Promise((resolve) => sleeper.once('exit', (code, signal) => resolve(signal ?? code)));

    await lab.destroy();
    expect(probe.running).toBe(false);
    expect(await sleeperExit).toBe('SIGTERM');
    expect(await lab.remainingNamespaces()).toEqual([]);
    await lab.destroy();
    expect(() => pub.spawn('true')).toThrow(/destroyed/);
    await expect(lab.addPublicHost('pub2')).rejects.toThrow(/destroyed/);
  });

  it('a process that exits without destroy() still removes its lab (exit handler)', async () => {
    const { owner, prefix, namespaces, probePid } = await startOwner();
    expect(namespaces).toHaveLength(4);
    expect((await namespacesOfLab(prefix)).sort()).toEqual([...namespaces].sort());
    owner.send({ cmd: 'exit', code: 3 });
    expect(await owner.waitForExit(10_000)).toEqual({ code: 3, signal: null });
    expect(await namespacesOfLab(prefix)).toEqual([]);
    expect(await eventually(() => !processExists(probePid), 3000)).toBe(true);
  });

  it('SIGTERM removes the lab and still ends the process by that signal', async () => {
    const { owner, prefix } = await startOwner();
    owner.process.kill('SIGTERM');
    expect(await owner.waitForExit(10_000)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await namespacesOfLab(prefix)).toEqual([]);
  });

  it('the namespaces of a SIGKILLed run are swept, and its children exit with it', async () => {
    // A lab of a live process (this one) must survive the sweep. Made first: create() sweeps too.
    const live = await NatLab.create();
    try {
      const { owner, prefix, namespaces, probePid } = await startOwner();
      owner.process.kill('SIGKILL');
      expect(await owner.waitForExit(10_000)).toEqual({ code: null, signal: 'SIGKILL' });
      // A SIGKILLed process runs no handler. Its probe sees stdin close and exits by itself.
      expect(await eventually(() => !processExists(probePid), 3000)).toBe(true);
      // The namespaces stay until a sweep (ours below, or a parallel lab's create(), which sweeps as well).
      expect(namespaces).toEqual(expect.arrayContaining(await namespacesOfLab(prefix)));
      const swept = await removeStaleLabs();
      expect(await namespacesOfLab(prefix)).toEqual([]);
      for (const ns of swept) expect(processExists(parseLabNamespace(ns)!.pid)).toBe(false);
      expect(swept).not.toContain(live.internetNamespace);
      expect(await listNamespaces()).toContain(live.internetNamespace);
    } finally {
      await live.destroy();
    }
  });
});
