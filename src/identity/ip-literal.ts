/**
 * IP literals as text and bytes. Contacts carry IP literals only (no DNS), and the binary contact
 * record stores 4 or 16 raw bytes, so text is parsed strictly and printed canonically (RFC 5952 for
 * IPv6) so that text -> bytes -> text is stable.
 */

export type IpFamily = 4 | 6;

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Strict dotted quad: four decimal parts 0..255 without leading zeros. Null when not one. */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!IPV4_PART.test(parts[i])) return null;
    const value = Number(parts[i]);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

/** RFC 4291 text (with `::` and an optional trailing dotted quad), no zone index. Null when not one. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups: number[][] = [];
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h];
    const isLastHalf = h === halves.length - 1;
    const words: number[] = [];
    if (half !== '') {
      const pieces = half.split(':');
      for (let i = 0; i < pieces.length; i++) {
        const piece = pieces[i];
        const isLast = i === pieces.length - 1;
        if (isLast && isLastHalf && piece.includes('.')) {
          const v4 = parseIpv4(piece);
          if (!v4) return null;
          words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        } else if (HEX_GROUP.test(piece)) {
          words.push(parseInt(piece, 16));
        } else {
          return null;
        }
      }
    }
    groups.push(words);
  }
  let words: number[];
  if (groups.length === 1) {
    if (groups[0].length !== 8) return null;
    words = groups[0];
  } else {
    const missing = 8 - groups[0].length - groups[1].length;
    // `::` stands for at least one zero group.
    if (missing < 1) return null;
    words = [...groups[0], ...new Array<number>(missing).fill(0), ...groups[1]];
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}

/** IPv4 or IPv6 literal (IPv6 without brackets). Null when `text` is neither. */
export function parseIpLiteral(text: string): { family: IpFamily; bytes: Uint8Array } | null {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (v6) return { family: 6, bytes: v6 };
  return null;
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Canonical text of 4 (dotted quad) or 16 (RFC 5952) address bytes. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIpv4(bytes, 0);
  if (bytes.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, got ${bytes.length}`);
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // RFC 5952 5: IPv4-mapped addresses keep the dotted quad.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${formatIpv4(bytes, 12)}`;
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Unspecified (0.0.0.0, ::), multicast, or IPv4 broadcast: never a place a peer can be reached. */
export function isUnreachableAddress(bytes: Uint8Array): boolean {
  if (bytes.length === 4) {
    if (bytes.every((b) => b === 0)) return true;
    if (bytes.every((b) => b === 255)) return true;
    return bytes[0] >= 224 && bytes[0] <= 239;
  }
  if (bytes.every((b) => b === 0)) return true;
  return bytes[0] === 0xff;
}
