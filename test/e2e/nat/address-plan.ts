/**
 * Hands out the lab's IPv4 addresses (pure bookkeeping, no I/O). Every public attachment (a public host
 * or a NAT's WAN side) gets its own /24 of the public stand-in range unless told to share one, because the
 * overlay's subnet-diversity rules (3 reporters from at least 2 subnets) need distinct /24s. Each NAT gets
 * a private /24 LAN; two NATs may be given the same LAN on purpose (colliding home networks are common).
 */
import {
  DEFAULT_LAN_PREFIX,
  LAN_FIRST_HOST,
  LAN_GATEWAY_HOST,
  PUBLIC_FIRST_HOST,
  PUBLIC_GATEWAY_HOST,
  PUBLIC_NET_PREFIX,
  PUBLIC_SUBNET_MAX,
  SUBNET_LAST_HOST,
} from './constants.js';

export interface PublicAttachment {
  /** Index k of the /24 `10.201.k.0/24`. */
  readonly subnet: number;
  readonly address: string;
  /** The internet router's address in this /24 (the attachment's default route). */
  readonly gateway: string;
  readonly prefixLength: 24;
}

export interface Lan {
  /** First three octets, e.g. `172.31.1`. */
  readonly prefix: string;
  readonly gateway: string;
  readonly prefixLength: 24;
}

/** Parses `a.b.c` into octets, or null. */
function parseThreeOctets(prefix: string): [number, number, number] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(prefix);
  if (m === null) return null;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  return octets.every((o) => o <= 255) && !/(^|\.)0\d/.test(prefix) ? octets : null;
}

/**
 * Throws unless `prefix` names a /24 inside RFC 1918 private space and outside the public stand-in range:
 * the lab must never configure an address that could be someone's real one.
 */
export function checkLanPrefix(prefix: string): void {
  const o = parseThreeOctets(prefix);
  if (o === null) throw new Error(`LAN subnet '${prefix}' is invalid: give the first three octets of a /24, e.g. '192.168.1'`);
  const [a, b] = o;
  const rfc1918 = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (!rfc1918) throw new Error(`LAN subnet '${prefix}.0/24' is not private (RFC 1918): use 10/8, 172.16/12 or 192.168/16`);
  if (`${a}.${b}` === PUBLIC_NET_PREFIX) {
    throw new Error(`LAN subnet '${prefix}.0/24' lies in the lab's public range ${PUBLIC_NET_PREFIX}.0.0/16: pick another`);
  }
}

export class AddressPlan {
  private nextSubnet = 1;
  private readonly nextHostInSubnet = new Map<number, number>();
  private lans = 0;
  private readonly nextHostOnLan = new Map<Lan, number>();

  /** A fresh public /24 with its first host address. */
  newPublicSubnet(): PublicAttachment {
    if (this.nextSubnet > PUBLIC_SUBNET_MAX) throw new Error(`the lab has no public /24 left (at most ${PUBLIC_SUBNET_MAX})`);
    const subnet = this.nextSubnet++;
    this.nextHostInSubnet.set(subnet, PUBLIC_FIRST_HOST);
    return this.joinPublicSubnet(subnet);
  }

  /** The next free address in an existing public /24. */
  joinPublicSubnet(subnet: number): PublicAttachment {
    const host = this.nextHostInSubnet.get(subnet);
    if (host === undefined) throw new Error(`public subnet ${subnet} does not exist in this lab`);
    if (host > SUBNET_LAST_HOST) throw new Error(`public subnet ${PUBLIC_NET_PREFIX}.${subnet}.0/24 is full`);
    this.nextHostInSubnet.set(subnet, host + 1);
    return {
      subnet,
      address: `${PUBLIC_NET_PREFIX}.${subnet}.${host}`,
      gateway: `${PUBLIC_NET_PREFIX}.${subnet}.${PUBLIC_GATEWAY_HOST}`,
      prefixLength: 24,
    };
  }

  /** The LAN of the next NAT: `prefix` when given (validated), else `172.31.<n>`. */
  newLan(prefix?: string): Lan {
    this.lans++;
    const p = prefix ?? `${DEFAULT_LAN_PREFIX}.${this.lans}`;
    checkLanPrefix(p);
    const lan: Lan = { prefix: p, gateway: `${p}.${LAN_GATEWAY_HOST}`, prefixLength: 24 };
    this.nextHostOnLan.set(lan, LAN_FIRST_HOST);
    return lan;
  }

  /** The next private host address on `lan`. */
  nextLanHost(lan: Lan): string {
    const host = this.nextHostOnLan.get(lan);
    if (host === undefined) throw new Error(`LAN ${lan.prefix}.0/24 was not made by this plan`);
    if (host > SUBNET_LAST_HOST) throw new Error(`LAN ${lan.prefix}.0/24 is full`);
    this.nextHostOnLan.set(lan, host + 1);
    return `${lan.prefix}.${host}`;
  }
}
