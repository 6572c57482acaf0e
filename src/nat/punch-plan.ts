/**
 * Hole-punch planning (DESIGN "NAT traversal"; issue 6 item 2). Both ends of a connection attempt fire
 * PACKET_PUNCH probes at each other's candidate addresses from their one socket, so each NAT opens the
 * mapping and filter entry the overlay already uses; the first authenticated session then wins. This
 * module decides which candidates are worth a probe and what the probe is; the node does the sending.
 * Pure.
 */
import { PACKET_PUNCH } from '../wire/index.js';
import { reportableHost } from './address-scope.js';
import { MAX_PUNCH_CANDIDATES, PUNCH_PACKET_BYTES } from './constants.js';
import type { ReflexiveAddress } from './reflexive-consensus.js';

/**
 * The candidates to punch, in the given order: reportable IP literals with a valid port, without
 * duplicates or any of `own` (we never punch ourselves), at most MAX_PUNCH_CANDIDATES.
 */
export function punchCandidates(candidates: readonly ReflexiveAddress[], own: readonly ReflexiveAddress[] = []): ReflexiveAddress[] {
  const seen = new Set<string>();
  for (const a of own) {
    const h = reportableHost(a.host);
    if (h !== null) seen.add(`${h} ${a.port}`);
  }
  const out: ReflexiveAddress[] = [];
  for (const a of candidates) {
    if (out.length >= MAX_PUNCH_CANDIDATES) break;
    const host = reportableHost(a.host);
    if (host === null || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) continue;
    const key = `${host} ${a.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host, port: a.port });
  }
  return out;
}

/** The probe datagram (one shared, read-only buffer: it never changes). */
export const PUNCH_PACKET: Uint8Array = (() => {
  const p = new Uint8Array(PUNCH_PACKET_BYTES);
  p[0] = PACKET_PUNCH;
  return p;
})();
