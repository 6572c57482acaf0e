/**
 * Conversions between the three shapes an address takes: text host and port (sockets, contacts, the
 * knowledge table) and the wire's binary form (Identify, Pong). Text comes from identity's IP-literal
 * code, so there is one formatting of every address.
 */
import { formatIp, parseIpLiteral, type ContactAddress } from '../identity/index.js';
import type { WireAddress } from '../wire/index.js';

/** Binary form of `host:port`, or null when host is not an IP literal (e.g. a simulator name). */
export function toWireAddress(host: string, port: number): WireAddress | null {
  const ip = parseIpLiteral(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if (ip === null || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { family: ip.family, ip: ip.bytes, port };
}

export function fromWireAddress(a: WireAddress): ContactAddress {
  return { host: formatIp(a.ip), port: a.port };
}

/** `host:port` or `[v6]:port`. */
export function formatHostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
