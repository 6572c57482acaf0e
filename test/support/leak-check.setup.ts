/**
 * Leak check for every test file (issue 8 item 6), registered in vitest.config.ts `setupFiles`.
 *
 * Why this is per file: the `forks` pool runs each test file in its own child process (a fresh pid per
 * file, with the default `isolate: true`), and vitest runs the setup files in that process before it
 * imports the test file. So the snapshot below is taken before the file opened anything and holds only
 * vitest's own handles (its IPC pipes). The afterAll hook is registered before any of the file's hooks
 * and after-hooks run in stack order (`sequence.hooks: 'stack'`), so it runs last, after the file's own
 * teardown.
 *
 * Handles and requests (sockets, servers, pipes, child processes, file handles, pending fs requests,
 * workers, signal watchers...) come from process.getActiveResourcesInfo(); timers and intervals from
 * trackTimers() (see there why the 'Timeout' entries of that list are not used). Whatever still keeps
 * the event loop alive after a short grace period fails the file, naming what was left.
 * WIREMESH_LEAK_STACKS=1 adds where each leaked timer was made.
 */
import { afterAll } from 'vitest';
import { activeResources, leakedSince, trackTimers } from './resources.js';

/** How long handles may take to finish closing (a socket close or a child's exit take a turn or two). */
const LEAK_GRACE_MS = 1_500;
const LEAK_POLL_MS = 20;

// The real timer for our own polling, taken before anything wraps or fakes the global one.
const realSetTimeout = globalThis.setTimeout;
const timers = trackTimers();
const baseline = activeResources();

function leaks(): string[] {
  const handles = leakedSince(baseline).filter((l) => !l.startsWith('Timeout:'));
  const live = timers.live();
  const described = live.map((t) => `${t.kind} of ${t.delayMs} ms${t.stack ? `\n${t.stack}` : ''}`);
  return [...handles, ...described];
}

afterAll(async () => {
  const deadline = Date.now() + LEAK_GRACE_MS;
  let left = leaks();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => realSetTimeout(r, LEAK_POLL_MS));
    left = leaks();
  }
  if (left.length > 0) {
    throw new Error(
      `this test file left resources running after its teardown (${left.join(', ')}); close every node, ` +
        `endpoint, socket, timer and child process it opened (test/support/leak-check.setup.ts)`,
    );
  }
});
