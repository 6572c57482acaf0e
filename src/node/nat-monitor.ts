/**
 * The node's view of its own NAT (issue 6 item 1): feeds every neighbour's observed-address report
 * (Identify, Pong) into the reflexive-address consensus of src/nat, drops a reporter's report when its
 * edge dies, and emits 'nat' with the new status whenever the classification or the confirmed address
 * changes. A reporter counts against the subnet of the address its packets come from, so several nodes
 * behind one network (one /24 or /64) count as one subnet however many they are.
 */
import type { ContactAddress } from '../identity/index.js';
import { subnetOfHost } from '../kad/index.js';
import { ReflexiveConsensus, UNKNOWN_NAT_STATUS, classifyNat, sameNatStatus, type NatStatus } from '../nat/index.js';
import type { UdpAddress } from '../session/index.js';
import { MAX_OBSERVED_REPORTS } from './constants.js';
import type { NodeContext } from './context.js';

export class NatMonitor {
  private readonly ctx: NodeContext;
  private readonly consensus = new ReflexiveConsensus({ capacity: MAX_OBSERVED_REPORTS });
  private current: NatStatus = UNKNOWN_NAT_STATUS;
  /** The node's own addresses, without any reflexive one it advertises (else a cone would look public). */
  private readonly localAddresses: () => readonly ContactAddress[];

  constructor(ctx: NodeContext, localAddresses: () => readonly ContactAddress[]) {
    this.ctx = ctx;
    this.localAddresses = localAddresses;
  }

  /** The latest classification. */
  status(): NatStatus {
    return this.current;
  }

  /**
   * Behind a symmetric NAT: its public host with the latest reporter's port (see ConsensusView), which the
   * node advertises first so cone peers know which host to spray (birthday strategy); else null.
   */
  symmetricAddress(): { host: string; port: number } | null {
    return this.current.type === 'symmetric' ? this.consensus.view().symmetricAddress : null;
  }

  /** `reporterKey`, whose packets come from `reporterAddress`, sees us at `observed`. */
  report(reporterKey: string, reporterAddress: UdpAddress, observed: { host: string; port: number }): void {
    // A reporter whose address has no subnet (never on UDP) stands alone.
    const subnet = subnetOfHost(reporterAddress.host) ?? `reporter:${reporterKey}`;
    if (!this.consensus.report(reporterKey, subnet, observed)) return;
    this.update();
  }

  /** The reporter's edge died: its report no longer counts. */
  remove(reporterKey: string): void {
    if (this.consensus.remove(reporterKey)) this.update();
  }

  private update(): void {
    const next = classifyNat(this.consensus.view(), this.localAddresses());
    if (sameNatStatus(next, this.current)) return;
    this.current = next;
    this.ctx.emit('nat', { type: next.type, reflexive: next.reflexive === null ? null : { ...next.reflexive } });
  }
}
