/**
 * Subnet keys for the diversity caps (DESIGN "Overlay"; nodenet 2): an IPv4 address counts against its
 * /24, an IPv6 address against its /64. Keys are short readable strings ("198.51.100.0/24",
 * "2001:db8:0:7::/64") so they can double as labels in stats.
 *
 * Host strings here come from contact records other nodes gossip, so parsing never throws: anything that
 * is not an IP literal is "not an IP" and handled by the caller's rule.
 */
import { parseIpLiteral } from '../identity/index.js';
import type { KadAddress } from './contact.js';

/** Maps a contact's address list to the subnet it counts against; undefined = no cap applies. */
export type SubnetOf = (addresses: readonly KadAddress[]) => string | undefined;

export interface ParsedIp {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. An IPv4-mapped IPv6 address is reported as family 4. */
  readonly bytes: Uint8Array;
}

/**
 * Parses an IPv4 or IPv6 literal with identity's strict parser, also accepting the forms a host string
 * may carry around it: [brackets] and an IPv6 %zone. Undefined when the host is not an IP literal.
 */
export function parseIp(host: string): ParsedIp | undefined {
  if (typeof host !== 'string' || host.length === 0 || host.length > 64) return undefined;
  let h = host;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0 && h.includes(':')) h = h.slice(0, zone);
  const ip = parseIpLiteral(h);
  if (!ip) return undefined;
  if (ip.family === 4) return { family: 4, bytes: ip.bytes };
  const v6 = ip.bytes;
  // ::ffff:a.b.c.d is an IPv4 host; it must share the IPv4 /24 bucket or the cap could be dodged.
  let mapped = v6[10] === 0xff && v6[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (v6[i] !== 0) mapped = false;
  if (mapped) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

/**
 * True for addresses reachable across the internet: not unspecified, loopback, private, CGNAT,
 * link-local, unique-local, multicast or reserved.
 */
export function isPublicIp(ip: ParsedIp): boolean {
  const b = ip.bytes;
  if (ip.family === 4) {
    if (b[0] === 0 || b[0] === 10 || b[0] === 127 || b[0] >= 224) return false;
    if (b[0] === 100 && (b[1] & 0xc0) === 64) return false; // 100.64.0.0/10 CGNAT
    if (b[0] === 169 && b[1] === 254) return false;
    if (b[0] === 172 && (b[1] & 0xf0) === 16) return false;
    if (b[0] === 192 && b[1] === 168) return false;
    return true;
  }
  if (b[0] === 0xff) return false; // multicast
  if ((b[0] & 0xfe) === 0xfc) return false; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return false; // fe80::/10 link local
  let zeroPrefix = true;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) zeroPrefix = false;
  if (zeroPrefix && (b[15] === 0 || b[15] === 1)) return false; // :: and ::1
  return true;
}

/** The /24 or /64 key of a parsed address. */
export function subnetKeyOf(ip: ParsedIp): string {
  const b = ip.bytes;
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  const g = (i: number) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16);
  return `${g(0)}:${g(1)}:${g(2)}:${g(3)}::/64`;
}

/** Subnet key of one host string: /24 or /64 for IP literals, `name:<host>` for DNS names. */
export function subnetOfHost(host: string): string | undefined {
  const ip = parseIp(host);
  if (ip) return subnetKeyOf(ip);
  if (typeof host !== 'string' || host.length === 0) return undefined;
  // A name cannot be bucketed without resolving it (and kad does no I/O); each name is its own group.
  return `name:${host.toLowerCase()}`;
}

/**
 * The default rule: a contact counts against the subnet of its first public IP address; when it has
 * none, against its first IP literal; when it has none, against its first host name. Preferring the
 * public address keeps LAN addresses (every home router's 192.168.1.0/24) from capping unrelated nodes.
 */
export const subnetOfAddresses: SubnetOf = (addresses) => {
  let firstLiteral: ParsedIp | undefined;
  for (const a of addresses) {
    const ip = parseIp(a.host);
    if (!ip) continue;
    if (isPublicIp(ip)) return subnetKeyOf(ip);
    firstLiteral ??= ip;
  }
  if (firstLiteral) return subnetKeyOf(firstLiteral);
  for (const a of addresses) {
    const s = subnetOfHost(a.host);
    if (s !== undefined) return s;
  }
  return undefined;
};

/** Disables the caps (in-memory test transports where every address is synthetic). */
export const noSubnet: SubnetOf = () => undefined;
