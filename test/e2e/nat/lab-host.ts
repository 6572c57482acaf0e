/**
 * The machines of a lab: each is one network namespace. A host runs commands and TypeScript entry scripts
 * inside its namespace (`ip netns exec NS node --import tsx SCRIPT ...`, cwd = the repository root).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { isAbsolute, join } from 'node:path';
import type { Lan } from './address-plan.js';
import { ManagedChild } from './managed-child.js';
import type { NatType } from './nat-ruleset.js';
import { runCommand, type CommandOutput } from './system-command.js';

/** The repository root: scripts are resolved against it and children run in it (tsx and tsconfig live there). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

export type HostKind = 'public' | 'nat' | 'private';

/** What a host needs from its lab: children are registered so `destroy()` can end every one of them. */
export interface ChildRegistry {
  adoptProcess(child: ChildProcess): void;
  adoptManaged(child: ManagedChild): void;
  /** Throws once the lab is being destroyed (nothing new may start then). */
  assertOpen(): void;
}

export interface SpawnOptions {
  stdio?: StdioOptions;
  env?: NodeJS.ProcessEnv;
}

export interface RunNodeOptions {
  /** Name used in error messages (default `<host>:<script file>`). */
  name?: string;
  env?: NodeJS.ProcessEnv;
}

export abstract class LabHost {
  abstract readonly kind: HostKind;

  constructor(
    readonly name: string,
    /** The network namespace this host is. */
    readonly namespace: string,
    /** The host's address: public for public hosts and NATs (the WAN side), private for private hosts. */
    readonly ip: string,
    private readonly registry: ChildRegistry,
  ) {}

  /**
   * Starts `command args` inside this host's namespace. The child leads its own process group, so the lab
   * can end it together with anything it starts.
   */
  spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    this.registry.assertOpen();
    const child = spawn('ip', ['netns', 'exec', this.namespace, command, ...args], {
      cwd: REPO_ROOT,
      stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      detached: true,
    });
    this.registry.adoptProcess(child);
    return child;
  }

  /**
   * Runs a TypeScript entry script (path relative to the repository root, or absolute) under Node with
   * tsx inside this namespace, and reads its stdout as JSON control lines.
   */
  runNode(script: string, args: readonly string[] = [], options: RunNodeOptions = {}): ManagedChild {
    const path = isAbsolute(script) ? script : join(REPO_ROOT, script);
    const child = this.spawn(process.execPath, ['--import', 'tsx', path, ...args], { env: options.env });
    const managed = new ManagedChild(options.name ?? `${this.name}:${script.split('/').pop()}`, child);
    this.registry.adoptManaged(managed);
    return managed;
  }

  /** Runs `command args` inside this namespace to completion (rejects on a non-zero exit). */
  exec(command: string, args: readonly string[] = [], input?: string): Promise<CommandOutput> {
    this.registry.assertOpen();
    return runCommand('ip', ['netns', 'exec', this.namespace, command, ...args], input);
  }

  toString(): string {
    return `${this.kind} host ${this.name} (${this.ip})`;
  }
}

/** A host on the "internet": its own /24 (unless it shares one on purpose), default route via the internet router. */
export class PublicHost extends LabHost {
  readonly kind = 'public' as const;

  constructor(
    name: string,
    namespace: string,
    ip: string,
    /** Index k of its /24 `10.201.k.0/24`. */
    readonly subnet: number,
    registry: ChildRegistry,
  ) {
    super(name, namespace, ip, registry);
  }
}

/** A NAT router: WAN side on the internet (`ip` is its public address), a bridged private LAN behind it. */
export class NatRouter extends LabHost {
  readonly kind = 'nat' as const;

  constructor(
    name: string,
    namespace: string,
    ip: string,
    readonly subnet: number,
    readonly type: NatType,
    readonly lan: Lan,
    registry: ChildRegistry,
    /** The conntrack UDP timeouts set in this router (null: the kernel defaults, 30 s and 120 s). */
    public udpTimeoutSec: number | null,
  ) {
    super(name, namespace, ip, registry);
  }

  get publicIp(): string {
    return this.ip;
  }

  get lanIp(): string {
    return this.lan.gateway;
  }
}

/** A host on a NAT's LAN, default route via the NAT. */
export class PrivateHost extends LabHost {
  readonly kind = 'private' as const;

  constructor(
    name: string,
    namespace: string,
    ip: string,
    readonly nat: NatRouter,
    registry: ChildRegistry,
  ) {
    super(name, namespace, ip, registry);
  }
}
