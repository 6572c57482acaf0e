/**
 * Whether this process can build a lab: Linux, `ip` and `nft` installed, and the right to create network
 * namespaces, veth pairs and NAT rules (root with CAP_NET_ADMIN). Decided by actually doing each step once
 * in a throwaway namespace, because a uid check alone says nothing about containers without the capability
 * or kernels without nftables NAT.
 */
import { labPrefix, namespaceName } from './namespace-names.js';
import { natRuleset } from './nat-ruleset.js';
import { runCommand } from './system-command.js';

export type LabAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Set `WIREMESH_NAT_LAB=0` to skip the real-NAT tests on a machine that could run them. */
export const DISABLE_ENV = 'WIREMESH_NAT_LAB';

let cached: Promise<LabAvailability> | undefined;

async function probe(): Promise<LabAvailability> {
  if (process.env[DISABLE_ENV] === '0') return { ok: false, reason: `disabled by ${DISABLE_ENV}=0` };
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  for (const [tool, args, pkg] of [
    ['ip', ['-V'], 'iproute2'],
    ['nft', ['--version'], 'nftables'],
  ] as const) {
    try {
      await runCommand(tool, args);
    } catch {
      return { ok: false, reason: `'${tool}' is not installed (install ${pkg})` };
    }
  }
  // Counter 0 is reserved for this probe; its name follows the lab pattern so a crashed probe is swept too.
  const ns = namespaceName(labPrefix(process.pid, 0), 'probe');
  const step = async (what: string, file: string, args: string[], input?: string): Promise<string | null> => {
    try {
      await runCommand(file, args, input);
      return null;
    } catch (err) {
      return `${what} failed (${(err as Error).message}); the NAT lab needs root with CAP_NET_ADMIN`;
    }
  };
  const created = await step('creating a network namespace', 'ip', ['netns', 'add', ns]);
  if (created !== null) return { ok: false, reason: created };
  try {
    const failure =
      (await step('creating a veth pair', 'ip', ['-n', ns, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0'])) ??
      (await step('creating a bridge', 'ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge'])) ??
      (await step('loading nftables masquerade rules', 'ip', ['netns', 'exec', ns, 'nft', '-f', '-'], natRuleset('symmetric')));
    return failure === null ? { ok: true } : { ok: false, reason: failure };
  } finally {
    await runCommand('ip', ['netns', 'del', ns]).catch(() => {});
  }
}

/** Whether the lab can run here, with the reason when it cannot. Probed once per process. */
export function labAvailability(): Promise<LabAvailability> {
  cached ??= probe();
  return cached;
}
