/**
 * Shared by the lab's test files: the scripts they run inside namespaces, the loud skip when this machine
 * cannot build a lab, and typed views of the scripts' control events.
 */
import { NatLab } from './lab.js';
import type { LabEvent } from './json-lines.js';
import type { LabHost } from './lab-host.js';
import type { ManagedChild } from './managed-child.js';

export const PROBE_SCRIPT = 'test/e2e/nat/probe.ts';
export const WIRESOCKET_SCRIPT = 'test/e2e/nat/wiresocket-echo.ts';
/** Starting Node with tsx inside a namespace takes about half a second; loaded CI machines need more. */
export const CHILD_READY_TIMEOUT_MS = 15_000;

/** True when labs can be built; otherwise prints a banner that names the reason, so a skip is never silent. */
export async function labAvailableOrWarn(suite: string): Promise<boolean> {
  const availability = await NatLab.available();
  if (!availability.ok) {
    console.warn(
      `\n${'!'.repeat(78)}\n!!! SKIPPING ${suite}: ${availability.reason}\n` +
        `!!! (real-NAT tests need Linux, root with CAP_NET_ADMIN, iproute2 and nftables)\n${'!'.repeat(78)}\n`,
    );
  }
  return availability.ok;
}

export interface ProbeAnswers {
  readonly port: number;
  readonly answers: ReadonlyArray<{ readonly server: string; readonly seen: string | null }>;
}

/** Runs the probe in `ask` mode on `host` against `servers` (ip:port) and returns what each server saw. */
export async function askFrom(host: LabHost, servers: readonly string[]): Promise<ProbeAnswers> {
  const child = host.runNode(PROBE_SCRIPT, ['ask', ...servers.flatMap((s) => ['--server', s])]);
  const answers = (await child.nextEvent('answers', CHILD_READY_TIMEOUT_MS)) as unknown as ProbeAnswers;
  await child.waitForExit(5000);
  return answers;
}

/** A probe in `peer` mode on `host`, once it is bound; `address` is `host.ip:port`. */
export async function startPeer(host: LabHost): Promise<{ child: ManagedChild; port: number; address: string }> {
  const child = host.runNode(PROBE_SCRIPT, ['peer'], { name: `${host.name}:peer` });
  const ready = await child.nextEvent('ready', CHILD_READY_TIMEOUT_MS);
  const port = Number(ready.port);
  return { child, port, address: `${host.ip}:${port}` };
}

/** The `text` and `from` of a `recv` event. */
export function received(event: LabEvent | null): { from: string; text: string } | null {
  return event === null ? null : { from: String(event.from), text: String(event.text) };
}

/** `recv` events with this text (for counting datagrams that made it through). */
export function countReceived(child: ManagedChild, text: string): number {
  return child.events.filter((e) => e.event === 'recv' && e.text === text).length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 20 ms until true or `timeoutMs` passed; returns its last value. */
export async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}
