/**
 * NatLab: a real-NAT topology in Linux network namespaces for end-to-end tests (issue 6).
 *
 *   pub1 (10.201.1.2)   pub2 (10.201.2.2)   natA wan0 (10.201.3.2) ── lan0 172.31.1.1 ── a1 (172.31.1.10)
 *          \                  |                  /
 *           └──── inet: bridge br0 holding 10.201.k.1/24 for every k, routing between the /24s ────┘
 *
 * - `inet` is the internet: one Linux bridge every attachment plugs into, with the gateway address of
 *   each public /24 on it and IP forwarding on, so hosts in different /24s reach each other through a
 *   router. It has no uplink and no default route: nothing can leave the lab.
 * - A NAT router namespace has its WAN side on the internet and a bridged LAN; nftables `masquerade`
 *   makes it a cone NAT, `masquerade fully-random` a symmetric one (nat-ruleset.ts). `udpTimeoutSec`
 *   shortens the conntrack UDP timeouts inside the router so mapping expiry is testable in seconds. Note
 *   that Linux refreshes a mapping on packets in either direction.
 * - Private hosts sit on a NAT's LAN with their default route via the router.
 *
 * Every namespace is named `<prefix>-<host>`, prefix `wmlab<pid>n<counter>`; interface names are
 * namespace-local (eth0, wan0, lan0, br0, vN, lN), so parallel labs never collide. `destroy()` ends every
 * child and deletes every namespace (veths and bridges die with them); it is idempotent and also runs
 * from process 'exit' and on SIGINT/SIGTERM/SIGHUP.
 */
import type { ChildProcess } from 'node:child_process';
import { AddressPlan, type PublicAttachment } from './address-plan.js';
import { labAvailability, type LabAvailability } from './availability.js';
import {
  CHILD_REAP_TIMEOUT_MS,
  HOST_UPLINK,
  INTERNET_BRIDGE,
  INTERNET_NAME,
  NAT_LAN_BRIDGE,
  NAT_WAN,
} from './constants.js';
import { LabHost, NatRouter, PrivateHost, PublicHost, type ChildRegistry } from './lab-host.js';
import { registerLab, unregisterLab } from './lab-registry.js';
import { signalProcessGroup, type ManagedChild } from './managed-child.js';
import { checkHostName, labPrefix, listNamespaces, namespaceName, namespacesOfLab } from './namespace-names.js';
import { checkLossPercent, lossScript, natRuleset, rebindingScript, type NatType } from './nat-ruleset.js';
import { removeStaleLabs } from './stale-labs.js';
import { runCommand, runCommandSync } from './system-command.js';

export interface PublicHostOptions {
  /** Put the host in the /24 of this public host or NAT instead of a fresh one (same-subnet reporters). */
  sameSubnetAs?: PublicHost | NatRouter;
}

export interface NatOptions {
  type: NatType;
  /** Conntrack UDP timeouts (both `nf_conntrack_udp_timeout` and `..._udp_timeout_stream`) in seconds. */
  udpTimeoutSec?: number;
  /** The LAN's /24 as three octets (RFC 1918, default `172.31.<n>`); NATs may share one on purpose. */
  lanSubnet?: string;
  /** Put the WAN side in the /24 of this public host or NAT instead of a fresh one. */
  sameSubnetAs?: PublicHost | NatRouter;
}

interface TrackedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/** Grace given to children at teardown before SIGKILL (tests stop children themselves when exit matters). */
const TEARDOWN_GRACE_MS = 300;

let labCounter = 0;

/** Writes sysctls inside a namespace through /proc/sys (no dependency on procps' `sysctl`). */
async function setSysctls(namespace: string, values: Record<string, string | number>): Promise<void> {
  const args: string[] = [];
  for (const [key, value] of Object.entries(values)) args.push(`/proc/sys/${key.replaceAll('.', '/')}`, String(value));
  await runCommand('ip', [
    'netns', 'exec', namespace, 'sh', '-c',
    'while [ $# -gt 0 ]; do printf "%s\\n" "$2" > "$1" || exit 1; shift 2; done',
    'set-sysctls', ...args,
  ]);
}

function checkUdpTimeout(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) {
    throw new Error(`udpTimeoutSec ${seconds} is invalid: give whole seconds from 1 to 86400`);
  }
}

export class NatLab implements ChildRegistry {
  /** Prefix of every namespace of this lab, e.g. `wmlab4711n1`. */
  readonly prefix: string;
  private readonly plan = new AddressPlan();
  private readonly created: string[] = [];
  private readonly hostsByName = new Map<string, LabHost>();
  private readonly reservedNames = new Set<string>([INTERNET_NAME]);
  private readonly processes = new Set<TrackedProcess>();
  private readonly managed = new Set<ManagedChild>();
  private readonly gatewaysOnBridge = new Set<number>();
  private nextInternetPort = 1;
  private nextLanPort = 1;
  private destroying: Promise<void> | null = null;

  private constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Whether labs can be built here; `{ ok: false, reason }` means tests must skip (loudly). */
  static available(): Promise<LabAvailability> {
    return labAvailability();
  }

  /** Builds the internet namespace. Sweeps namespaces left by dead runs first. */
  static async create(): Promise<NatLab> {
    const availability = await labAvailability();
    if (!availability.ok) throw new Error(`cannot build a NAT lab: ${availability.reason}`);
    await removeStaleLabs();
    const existing = new Set(await listNamespaces());
    let prefix: string;
    do prefix = labPrefix(process.pid, ++labCounter);
    while ([...existing].some((n) => n.startsWith(`${prefix}-`)));
    const lab = new NatLab(prefix);
    registerLab(lab);
    try {
      await lab.buildInternet();
    } catch (err) {
      await lab.destroy().catch(() => {});
      throw err;
    }
    return lab;
  }

  /** The internet namespace's name. */
  get internetNamespace(): string {
    return namespaceName(this.prefix, INTERNET_NAME);
  }

  /** Every namespace this lab created (including ones already deleted by `destroy`). */
  get namespaces(): readonly string[] {
    return this.created;
  }

  get destroyed(): boolean {
    return this.destroying !== null;
  }

  hosts(): LabHost[] {
    return [...this.hostsByName.values()];
  }

  host(name: string): LabHost | undefined {
    return this.hostsByName.get(name);
  }

  /** A host on the internet in a /24 of its own (or `sameSubnetAs`'s). */
  async addPublicHost(name: string, options: PublicHostOptions = {}): Promise<PublicHost> {
    this.reserveName(name);
    const attachment = this.publicAttachment(options.sameSubnetAs);
    const ns = await this.createNamespace(name);
    await this.attachToInternet(ns, HOST_UPLINK, attachment);
    return this.remember(new PublicHost(name, ns, attachment.address, attachment.subnet, this));
  }

  /** A NAT router (cone: `masquerade`; symmetric: `masquerade fully-random`) with an empty LAN. */
  async addNat(name: string, options: NatOptions): Promise<NatRouter> {
    if (options.type !== 'cone' && options.type !== 'symmetric') {
      throw new Error(`NAT type '${String(options.type)}' is invalid: use 'cone' or 'symmetric'`);
    }
    if (options.udpTimeoutSec !== undefined) checkUdpTimeout(options.udpTimeoutSec);
    this.reserveName(name);
    const lan = this.plan.newLan(options.lanSubnet);
    const attachment = this.publicAttachment(options.sameSubnetAs);
    const ns = await this.createNamespace(name);
    await setSysctls(ns, { 'net.ipv4.ip_forward': 1 });
    await this.attachToInternet(ns, NAT_WAN, attachment);
    await this.ip(ns, 'link', 'add', NAT_LAN_BRIDGE, 'type', 'bridge');
    await this.ip(ns, 'addr', 'add', `${lan.gateway}/${lan.prefixLength}`, 'dev', NAT_LAN_BRIDGE);
    await this.ip(ns, 'link', 'set', NAT_LAN_BRIDGE, 'up');
    await runCommand('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], natRuleset(options.type));
    const nat = this.remember(new NatRouter(name, ns, attachment.address, attachment.subnet, options.type, lan, this, null));
    // After the NAT rules: they load nf_conntrack, which is what creates these sysctls in a namespace.
    if (options.udpTimeoutSec !== undefined) await this.setUdpTimeout(nat, options.udpTimeoutSec);
    return nat;
  }

  /** A host on `nat`'s LAN with its default route via the router. */
  async addPrivateHost(name: string, nat: NatRouter): Promise<PrivateHost> {
    this.checkOwn(nat);
    this.reserveName(name);
    const address = this.plan.nextLanHost(nat.lan);
    const port = `l${this.nextLanPort++}`;
    const ns = await this.createNamespace(name);
    await this.ip(ns, 'link', 'add', HOST_UPLINK, 'type', 'veth', 'peer', 'name', port, 'netns', nat.namespace);
    await this.ip(nat.namespace, 'link', 'set', port, 'master', NAT_LAN_BRIDGE);
    await this.ip(nat.namespace, 'link', 'set', port, 'up');
    await this.ip(ns, 'addr', 'add', `${address}/${nat.lan.prefixLength}`, 'dev', HOST_UPLINK);
    await this.ip(ns, 'link', 'set', HOST_UPLINK, 'up');
    await this.ip(ns, 'route', 'add', 'default', 'via', nat.lan.gateway);
    return this.remember(new PrivateHost(name, ns, address, nat, this));
  }

  /**
   * Random loss of `percent` % (integer 0-100; 0 removes it) on every packet entering or leaving `host`'s
   * namespace. On a NAT router that is every packet it forwards, in both directions.
   */
  async setLoss(host: LabHost, percent: number): Promise<void> {
    this.checkOwn(host);
    checkLossPercent(percent);
    await runCommand('ip', ['netns', 'exec', host.namespace, 'nft', '-f', '-'], lossScript(percent));
  }

  /** From now on `nat` maps new connections to ports `min`-`max` (see rebindingScript). */
  async setNatPortRange(nat: NatRouter, min: number, max: number): Promise<void> {
    this.checkOwn(nat);
    await runCommand('ip', ['netns', 'exec', nat.namespace, 'nft', '-f', '-'], rebindingScript(min, max));
  }

  /** Sets the router's conntrack UDP timeouts (new and refreshed mappings use it; Linux refreshes on traffic either way). */
  async setUdpTimeout(nat: NatRouter, seconds: number): Promise<void> {
    this.checkOwn(nat);
    checkUdpTimeout(seconds);
    await setSysctls(nat.namespace, {
      'net.netfilter.nf_conntrack_udp_timeout': seconds,
      'net.netfilter.nf_conntrack_udp_timeout_stream': seconds,
    });
    nat.udpTimeoutSec = seconds;
  }

  /** Namespaces of this lab that exist right now (empty after `destroy()`). */
  remainingNamespaces(): Promise<string[]> {
    return namespacesOfLab(this.prefix);
  }

  /**
   * Ends every child (SIGTERM, then SIGKILL) and deletes every namespace; veth pairs and bridges go with
   * their namespaces. Idempotent; rejects only if a namespace of this lab still exists afterwards.
   */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  /** Synchronous teardown for process 'exit' and signal handlers: SIGKILL everything, delete namespaces. */
  destroySync(): void {
    this.destroying ??= Promise.resolve();
    for (const p of this.processes) signalProcessGroup(p.child, 'SIGKILL');
    for (const ns of [...this.created].reverse()) runCommandSync('ip', ['netns', 'del', ns]);
    unregisterLab(this);
  }

  // ChildRegistry: hosts hand every child they start to the lab.

  adoptProcess(child: ChildProcess): void {
    const tracked: TrackedProcess = {
      child,
      exited: new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        child.once('exit', () => resolve());
        child.once('error', () => {
          if (child.pid === undefined) resolve();
        });
      }),
    };
    this.processes.add(tracked);
    void tracked.exited.then(() => this.processes.delete(tracked));
  }

  adoptManaged(child: ManagedChild): void {
    this.managed.add(child);
    void child.exited.then(() => this.managed.delete(child));
  }

  assertOpen(): void {
    if (this.destroying !== null) throw new Error(`NAT lab ${this.prefix} is destroyed`);
  }

  private async teardown(): Promise<void> {
    try {
      // Closing stdin lets lab scripts exit on their own while the signals go out.
      for (const m of this.managed) m.process.stdin?.end();
      const running = [...this.processes];
      for (const p of running) signalProcessGroup(p.child, 'SIGTERM');
      if (!(await settlesWithin(Promise.all(running.map((p) => p.exited)), TEARDOWN_GRACE_MS))) {
        for (const p of running) signalProcessGroup(p.child, 'SIGKILL');
        await settlesWithin(Promise.all(running.map((p) => p.exited)), CHILD_REAP_TIMEOUT_MS);
      }
      for (const ns of [...this.created].reverse()) {
        await runCommand('ip', ['netns', 'del', ns]).catch(() => {});
      }
    } finally {
      unregisterLab(this);
    }
    const left = await this.remainingNamespaces();
    if (left.length > 0) throw new Error(`NAT lab ${this.prefix} could not delete namespaces: ${left.join(', ')}`);
  }

  private async buildInternet(): Promise<void> {
    const ns = await this.createNamespace(INTERNET_NAME);
    // A router, not a host: forward between the /24s; no redirects (every /24 hangs off the same bridge,
    // and a redirect would teach hosts a path that skips the router); no reverse-path filtering.
    await setSysctls(ns, {
      'net.ipv4.ip_forward': 1,
      'net.ipv4.conf.all.send_redirects': 0,
      'net.ipv4.conf.default.send_redirects': 0,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
    });
    await this.ip(ns, 'link', 'add', INTERNET_BRIDGE, 'type', 'bridge');
    await this.ip(ns, 'link', 'set', INTERNET_BRIDGE, 'up');
  }

  /** Plugs namespace `ns` into the internet bridge as interface `ifname` with the attachment's address. */
  private async attachToInternet(ns: string, ifname: string, attachment: PublicAttachment): Promise<void> {
    const inet = this.internetNamespace;
    const port = `v${this.nextInternetPort++}`;
    const newGateway = !this.gatewaysOnBridge.has(attachment.subnet);
    this.gatewaysOnBridge.add(attachment.subnet);
    await this.ip(ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', port, 'netns', inet);
    await this.ip(inet, 'link', 'set', port, 'master', INTERNET_BRIDGE);
    await this.ip(inet, 'link', 'set', port, 'up');
    if (newGateway) await this.ip(inet, 'addr', 'add', `${attachment.gateway}/${attachment.prefixLength}`, 'dev', INTERNET_BRIDGE);
    await this.ip(ns, 'addr', 'add', `${attachment.address}/${attachment.prefixLength}`, 'dev', ifname);
    await this.ip(ns, 'link', 'set', ifname, 'up');
    await this.ip(ns, 'route', 'add', 'default', 'via', attachment.gateway);
  }

  private publicAttachment(sameSubnetAs: PublicHost | NatRouter | undefined): PublicAttachment {
    if (sameSubnetAs === undefined) return this.plan.newPublicSubnet();
    this.checkOwn(sameSubnetAs);
    return this.plan.joinPublicSubnet(sameSubnetAs.subnet);
  }

  /** Records the namespace before creating it, so every teardown path deletes it even if setup fails midway. */
  private async createNamespace(name: string): Promise<string> {
    this.assertOpen();
    const ns = namespaceName(this.prefix, name);
    this.created.push(ns);
    await runCommand('ip', ['netns', 'add', ns]);
    if (this.destroying !== null) {
      // destroy() ran while we were creating it and may have missed it.
      await runCommand('ip', ['netns', 'del', ns]).catch(() => {});
      this.assertOpen();
    }
    await this.ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  private ip(ns: string, ...args: string[]): Promise<unknown> {
    this.assertOpen();
    return runCommand('ip', ['-n', ns, ...args]);
  }

  private reserveName(name: string): void {
    this.assertOpen();
    checkHostName(name);
    if (this.reservedNames.has(name)) throw new Error(`lab host name '${name}' is already taken in lab ${this.prefix}`);
    this.reservedNames.add(name);
  }

  private remember<H extends LabHost>(host: H): H {
    this.hostsByName.set(host.name, host);
    return host;
  }

  private checkOwn(host: LabHost): void {
    if (this.hostsByName.get(host.name) !== host) throw new Error(`${host} does not belong to lab ${this.prefix}`);
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return result;
}
