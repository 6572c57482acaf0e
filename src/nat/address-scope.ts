/**
 * Which observed addresses count as reflexive-address reports (issue 6 item 1): an IP literal that some
 * neighbour could really have seen our packets come from. Loopback, link-local, multicast and unspecified
 * addresses are never where a remote peer sees us, so a report of one is a bug or a lie and is ignored.
 * Private and documentation ranges stay valid: LAN peers and test topologies use them. The IPv6
 * discard-only prefix 100::/64 (RFC 6666) is ignored too: it is never routed, and the node uses it for the
 * virtual addresses of relayed peers.
 */
import { formatIp } from '../identity/index.js';
import { parseIp, type ParsedIp } from '../kad/index.js';

function isIgnoredV4(b: Uint8Array): boolean {
  if (b[0] === 0) return true; // 0.0.0.0/8: unspecified ("this network")
  if (b[0] === 127) return true; // loopback
  if (b[0] === 169 && b[1] === 254) return true; // link-local
  if (b[0] >= 224 && b[0] <= 239) return true; // multicast
  return b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255; // limited broadcast
}

function isIgnoredV6(b: Uint8Array): boolean {
  if (b[0] === 0xff) return true; // multicast
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (b[0] === 0x01 && b[1] === 0 && b.subarray(2, 8).every((x) => x === 0)) return true; // 100::/64 discard-only
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 0 || b[15] === 1; // :: unspecified, ::1 loopback
}

/** True when `ip` may be a reflexive address (see the file comment). */
export function isReportableIp(ip: ParsedIp): boolean {
  return ip.family === 4 ? !isIgnoredV4(ip.bytes) : !isIgnoredV6(ip.bytes);
}

/**
 * The canonical text of a reportable host (IPv4-mapped IPv6 folded to IPv4, one IPv6 spelling), or null
 * when the host is not an IP literal or is in an ignored range. Canonical text makes equal addresses
 * compare equal however a reporter wrote them.
 */
export function reportableHost(host: string): string | null {
  const ip = parseIp(host);
  if (ip === undefined || !isReportableIp(ip)) return null;
  return formatIp(ip.bytes);
}
