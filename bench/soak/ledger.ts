/**
 * Delivery accounting (pure): the orchestrator's record of every routed send against what each receiver
 * reports it was handed. An acknowledged send must have been delivered exactly once, at its target; no
 * message may be delivered twice or anywhere else, acknowledged or not.
 */
import type { ReceiverLedger } from './protocol.js';

export interface SendRecord {
  msgNo: number;
  from: number;
  to: number;
  /** The send resolved (the target's signed ack arrived). */
  acked: boolean;
  /** The error code when it did not. */
  error: string | null;
}

export interface DeliveryTally {
  sends: number;
  acked: number;
  /** Sends that rejected, by error code. */
  failedByError: Record<string, number>;
  /** Acknowledged sends delivered exactly once at their target. */
  ackedDeliveredOnce: number;
  /** Acknowledged sends their target never reported (the one thing that must not happen). */
  lost: number;
  /** Messages delivered more than once (at any node), acknowledged or not. */
  duplicates: number;
  /** Unacknowledged sends that still arrived (the ack was late or lost; not an error). */
  unackedDelivered: number;
  /** Deliveries of a message at a node that is not its target, or of a number nobody sent. */
  misdelivered: number;
  corrupt: number;
  wrongSender: number;
  /** Acknowledged sends whose target sent no report (it crashed): they cannot be checked. */
  unverifiable: number;
}

/** `ledgers[i]` is what node i reported, or null when it never reported (crash). */
export function tallyDeliveries(sends: readonly SendRecord[], ledgers: readonly (ReceiverLedger | null)[]): DeliveryTally {
  const tally: DeliveryTally = {
    sends: sends.length,
    acked: 0,
    failedByError: {},
    ackedDeliveredOnce: 0,
    lost: 0,
    duplicates: 0,
    unackedDelivered: 0,
    misdelivered: 0,
    corrupt: 0,
    wrongSender: 0,
    unverifiable: 0,
  };
  const byNo = new Map<number, SendRecord>();
  for (const s of sends) byNo.set(s.msgNo, s);
  // Deliveries of each message at its own target.
  const atTarget = new Map<number, number>();
  ledgers.forEach((ledger, node) => {
    if (ledger === null) return;
    tally.corrupt += ledger.corrupt;
    tally.wrongSender += ledger.wrongSender;
    tally.misdelivered += ledger.wrongTarget;
    for (const [msgNo, count] of ledger.counts) {
      if (count > 1) tally.duplicates++;
      const send = byNo.get(msgNo);
      if (send === undefined || send.to !== node) {
        tally.misdelivered += count;
        continue;
      }
      atTarget.set(msgNo, count);
    }
  });
  for (const s of sends) {
    const count = atTarget.get(s.msgNo) ?? 0;
    if (s.acked) {
      tally.acked++;
      if (ledgers[s.to] === null || ledgers[s.to] === undefined) tally.unverifiable++;
      else if (count === 0) tally.lost++;
      else if (count === 1) tally.ackedDeliveredOnce++;
    } else {
      const code = s.error ?? 'UNKNOWN';
      tally.failedByError[code] = (tally.failedByError[code] ?? 0) + 1;
      if (count > 0) tally.unackedDelivered++;
    }
  }
  return tally;
}

/** The properties the soak asserts of deliveries. */
export function deliveryProblems(t: DeliveryTally): string[] {
  const problems: string[] = [];
  if (t.lost > 0) problems.push(`${t.lost} acknowledged sends were never delivered`);
  if (t.duplicates > 0) problems.push(`${t.duplicates} messages were delivered more than once`);
  if (t.misdelivered > 0) problems.push(`${t.misdelivered} deliveries reached a node that was not the target`);
  if (t.corrupt > 0) problems.push(`${t.corrupt} deliveries had corrupted bytes`);
  if (t.wrongSender > 0) problems.push(`${t.wrongSender} deliveries were attributed to the wrong sender`);
  if (t.unverifiable > 0) problems.push(`${t.unverifiable} acknowledged sends went to a node that never reported`);
  if (t.acked !== t.ackedDeliveredOnce + t.lost + t.unverifiable) problems.push('acknowledged sends delivered more than once at their target');
  return problems;
}
