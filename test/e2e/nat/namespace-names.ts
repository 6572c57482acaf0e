/**
 * How lab namespaces are named. A lab's prefix carries the creating process id and a per-process
 * counter, so parallel labs never collide and a later run can recognise (and remove) the leftovers of a
 * run that was killed before it could clean up.
 */
import { HOST_NAME_PATTERN, INTERNET_NAME, NAMESPACE_PREFIX } from './constants.js';
import { runCommand } from './system-command.js';

const LAB_NAMESPACE = new RegExp(`^(${NAMESPACE_PREFIX}(\\d+)n(\\d+))-(.+)$`);

export interface LabNamespaceName {
  /** The lab's prefix, e.g. `wmlab4711n2`. */
  readonly prefix: string;
  /** Process id of the process that created the lab. */
  readonly pid: number;
  /** Host name inside the lab (`inet`, `pub1`, ...). */
  readonly name: string;
}

export function labPrefix(pid: number, counter: number): string {
  return `${NAMESPACE_PREFIX}${pid}n${counter}`;
}

export function namespaceName(prefix: string, name: string): string {
  return `${prefix}-${name}`;
}

/** The parts of a lab namespace name, or null for any other namespace (never ours to touch). */
export function parseLabNamespace(namespace: string): LabNamespaceName | null {
  const m = LAB_NAMESPACE.exec(namespace);
  if (m === null) return null;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { prefix: m[1], pid, name: m[4] };
}

/** Throws when `name` cannot name a lab host or NAT. */
export function checkHostName(name: string): void {
  if (!HOST_NAME_PATTERN.test(name)) {
    throw new Error(`lab host name '${name}' is invalid: use a letter then up to 11 letters or digits`);
  }
  if (name === INTERNET_NAME) throw new Error(`lab host name '${INTERNET_NAME}' is reserved for the internet namespace`);
}

/** Names from `ip netns list` (its lines look like `name` or `name (id: 3)`). */
export function parseNamespaceList(output: string): string[] {
  const names: string[] = [];
  for (const line of output.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name) names.push(name);
  }
  return names;
}

/** Every network namespace on the machine. */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await runCommand('ip', ['netns', 'list']);
  return parseNamespaceList(stdout);
}

/** The namespaces that belong to the lab with this prefix (`wmlab1n1` does not match `wmlab1n10-*`). */
export async function namespacesOfLab(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => parseLabNamespace(n)?.prefix === prefix);
}
