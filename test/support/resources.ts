/**
 * Leak checks: what the event loop still holds (sockets, timers, immediates) after a test closed everything.
 */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Resource kinds whose count grew between `before` and now (e.g. `UDPWRAP: +1`). */
export function leakedSince(before: Map<string, number>): string[] {
  const now = activeResources();
  const leaks: string[] = [];
  for (const [kind, n] of now) {
    const was = before.get(kind) ?? 0;
    if (n > was) leaks.push(`${kind}: +${n - was}`);
  }
  return leaks;
}

/** Waits until `leakedSince(before)` is empty or `timeoutMs` passes (closing handles takes a turn or two). */
export async function waitForNoLeaks(before: Map<string, number>, timeoutMs = 2000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let leaks = leakedSince(before);
  while (leaks.length > 0 && Date.now() < deadline) {
    // The timer of this wait has fired by the time we look again, so it is never counted.
    await new Promise((r) => setTimeout(r, 20));
    leaks = leakedSince(before);
  }
  return leaks;
}

/** Polls `cond` every 5 ms until true; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
