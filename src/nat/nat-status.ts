/**
 * The node's NAT situation as the application sees it (`node.nat()`; issue 6 item 1), derived from the
 * reflexive-address consensus and the addresses the node itself listens on / advertises:
 *
 * - 'public': neighbours agree they see us at one of our own addresses (no translation on the way).
 * - 'cone': they agree on an address that is not ours (endpoint-independent mapping: punchable).
 * - 'symmetric': they never agree (a new mapping per destination): punching needs the birthday strategy
 *   or a relay.
 * - 'unknown': not enough reports yet.
 *
 * Pure.
 */
import { reportableHost } from './address-scope.js';
import type { ConsensusView, ReflexiveAddress } from './reflexive-consensus.js';

export type NatType = 'public' | 'cone' | 'symmetric' | 'unknown';

export interface NatStatus {
  readonly type: NatType;
  /** The confirmed reflexive address ('public' and 'cone'), else null. */
  readonly reflexive: ReflexiveAddress | null;
}

export const UNKNOWN_NAT_STATUS: NatStatus = Object.freeze({ type: 'unknown', reflexive: null });

/** Classifies `view`; `localAddresses` are the node's own addresses (bound or advertised). */
export function classifyNat(view: ConsensusView, localAddresses: readonly ReflexiveAddress[]): NatStatus {
  const confirmed = view.confirmed;
  if (confirmed !== null) {
    const ours = localAddresses.some((a) => a.port === confirmed.port && reportableHost(a.host) === confirmed.host);
    return { type: ours ? 'public' : 'cone', reflexive: { host: confirmed.host, port: confirmed.port } };
  }
  if (view.symmetric) return { type: 'symmetric', reflexive: null };
  return UNKNOWN_NAT_STATUS;
}

/** True when `a` and `b` say the same thing (for change events). */
export function sameNatStatus(a: NatStatus, b: NatStatus): boolean {
  if (a.type !== b.type) return false;
  if (a.reflexive === null || b.reflexive === null) return a.reflexive === b.reflexive;
  return a.reflexive.host === b.reflexive.host && a.reflexive.port === b.reflexive.port;
}
