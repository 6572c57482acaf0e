/**
 * Last-resort cleanup: while any lab is alive, process 'exit' and the terminating signals tear every live
 * lab down synchronously, so a failing or interrupted test run leaves no namespaces behind. (A SIGKILLed
 * run cannot clean up; the next run sweeps its namespaces, see stale-labs.ts.)
 */

export interface SyncDestroyable {
  destroySync(): void;
}

const live = new Set<SyncDestroyable>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function destroyAll(): void {
  for (const lab of [...live]) {
    try {
      lab.destroySync();
    } catch {
      // Keep going: the other labs still need to go.
    }
  }
  live.clear();
}

function onExit(): void {
  destroyAll();
}

function onSignal(signal: NodeJS.Signals): void {
  destroyAll();
  uninstall();
  // Re-raise so the process ends as it would have without us, unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

export function registerLab(lab: SyncDestroyable): void {
  if (live.size === 0) install();
  live.add(lab);
}

export function unregisterLab(lab: SyncDestroyable): void {
  if (live.delete(lab) && live.size === 0) uninstall();
}

/** Labs currently registered (for tests of this module's bookkeeping). */
export function liveLabCount(): number {
  return live.size;
}
