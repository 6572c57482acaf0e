/**
 * Removes the namespaces of lab runs whose process no longer exists (a run killed with SIGKILL cannot
 * clean up after itself). Only names of the lab's own pattern are considered, and only when the pid in
 * the name is gone, so a lab of a live process (this one or a parallel run) is never touched.
 */
import { listNamespaces, parseLabNamespace } from './namespace-names.js';
import { runCommand } from './system-command.js';

/** True when a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes stale lab namespaces after ending the processes a dead run left inside them; returns their names. */
export async function removeStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await listNamespaces()) {
    const parsed = parseLabNamespace(ns);
    if (parsed === null || processExists(parsed.pid)) continue;
    // Only processes a lab started can be inside a lab namespace; a dead run's leftovers would keep it alive.
    const { stdout } = await runCommand('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
      if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await runCommand('ip', ['netns', 'del', ns]).then(
      () => removed.push(ns),
      () => {},
    );
  }
  return removed;
}
