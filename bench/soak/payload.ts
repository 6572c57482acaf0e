/**
 * Soak payloads that check themselves: a routed message names its number, sender and target in a text
 * header followed by filler bytes derived from the number, so a receiver can tell a corrupted, misrouted
 * or misattributed delivery from a good one without the orchestrator shipping the bytes around. Channel
 * events carry filler derived from the operation and event number, compared byte for byte on echo.
 */

const HEADER_END = 0x0a; // '\n'
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Filler byte `i` of stream `key`: cheap, position-dependent, different for nearby keys. */
function fillerByte(key: number, i: number): number {
  let x = Math.imul(key ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  x ^= x >>> 15;
  return x & 0xff;
}

export function fill(out: Uint8Array, key: number, from = 0): void {
  for (let i = from; i < out.length; i++) out[i] = fillerByte(key, i);
}

/** True when bytes[from..] is exactly the filler of `key`. */
export function fillerMatches(bytes: Uint8Array, key: number, from = 0): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== fillerByte(key, i)) return false;
  return true;
}

/** A routed soak message of at least `bytes` bytes (the header may make it longer). */
export function routedPayload(msgNo: number, fromHex: string, toHex: string, bytes: number): Uint8Array {
  const header = encoder.encode(`soak ${msgNo} ${fromHex} ${toHex}\n`);
  const out = new Uint8Array(Math.max(bytes, header.length));
  out.set(header);
  fill(out, msgNo, header.length);
  return out;
}

export interface ParsedRouted {
  msgNo: number;
  from: string;
  to: string;
  /** The filler after the header is intact. */
  intact: boolean;
}

/** Reads a routed soak message; null when it is not one. Never throws. */
export function parseRouted(bytes: Uint8Array): ParsedRouted | null {
  const end = bytes.indexOf(HEADER_END);
  if (end < 0 || end > 200) return null;
  const parts = decoder.decode(bytes.subarray(0, end)).split(' ');
  if (parts.length !== 4 || parts[0] !== 'soak') return null;
  const msgNo = Number(parts[1]);
  if (!Number.isSafeInteger(msgNo) || msgNo < 0) return null;
  return { msgNo, from: parts[2]!, to: parts[3]!, intact: fillerMatches(bytes, msgNo, end + 1) };
}

/** The stream key of event `index` of channel operation `opNo` (distinct for every event of a run). */
export function channelEventKey(opNo: number, index: number): number {
  return opNo * 1_000 + index;
}

export function channelEvent(opNo: number, index: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  fill(out, channelEventKey(opNo, index));
  return out;
}
