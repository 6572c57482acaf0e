/**
 * Fixture for lifecycle.test.ts: a process that builds a small lab (with a probe running inside it) and
 * then ends without calling `destroy()`, the way the test tells it to, so the test can check that the
 * 'exit' and signal handlers, or the next run's stale sweep, still remove everything.
 *
 * Prints `built` {prefix, namespaces, probePid}; then `{"cmd":"exit","code":N}` makes it call
 * `process.exit(N)`. Signals are sent by the test.
 */
import { CHILD_READY_TIMEOUT_MS, PROBE_SCRIPT } from './lab-test-setup.js';
import { NatLab } from './lab.js';
import { emit, listenForCommands, reportFatal } from './script-io.js';

async function main(): Promise<void> {
  const lab = await NatLab.create();
  await lab.addPublicHost('pub1');
  const nat = await lab.addNat('natA', { type: 'symmetric', udpTimeoutSec: 5 });
  const host = await lab.addPrivateHost('a1', nat);
  const probe = host.runNode(PROBE_SCRIPT, ['peer']);
  await probe.nextEvent('ready', CHILD_READY_TIMEOUT_MS);
  listenForCommands({
    onCommand: (command) => {
      if (command.cmd !== 'exit') throw new Error(`command '${command.cmd}' is unknown: use exit`);
      process.exit(Number(command.code ?? 0));
    },
  });
  emit('built', { prefix: lab.prefix, namespaces: [...lab.namespaces], probePid: probe.process.pid });
}

main().catch(reportFatal);
