/**
 * The NAT type a node tells its peers (issue 6 item 1/5: "peers learn each other's NAT type"), carried in
 * two bits of the capabilities field of the signed contact record, so every Identify, Hello, Reply and
 * lookup answer carries it without a new wire field. Old decoders already accept any 32-bit capability
 * value and ignore bits they do not know (capabilities are hints, never trusted for security: a lie only
 * makes the liar's own connections slower). Bit 0 is CAP_RELAY (src/identity); bits 1-2 are the NAT type:
 *
 *   0 unknown | 1 public | 2 cone | 3 symmetric
 *
 * Pure.
 */
import type { NatType } from './nat-status.js';
import { NAT_CAPABILITY_MASK, NAT_CAPABILITY_SHIFT } from './constants.js';

const CODES: readonly NatType[] = ['unknown', 'public', 'cone', 'symmetric'];

/** The NAT type a contact's capabilities announce ('unknown' when none). */
export function natTypeOfCapabilities(capabilities: number | undefined): NatType {
  return CODES[((capabilities ?? 0) & NAT_CAPABILITY_MASK) >>> NAT_CAPABILITY_SHIFT] ?? 'unknown';
}

/** `capabilities` with its NAT bits set to `type` (every other bit kept); an unsigned 32-bit value. */
export function withNatType(capabilities: number, type: NatType): number {
  const code = CODES.indexOf(type);
  return (((capabilities & ~NAT_CAPABILITY_MASK) | ((code < 0 ? 0 : code) << NAT_CAPABILITY_SHIFT)) >>> 0);
}
