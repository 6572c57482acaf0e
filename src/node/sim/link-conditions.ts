/**
 * What a path through the simulated fabric does to a datagram: one-way latency with optional jitter (which
 * reorders), loss, and duplication. Applied per datagram with the network's seeded random stream.
 */
import { InvalidArgumentError } from '../../errors.js';

export interface LinkConditions {
  /** One-way delay in virtual ms. */
  readonly latencyMs: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per datagram; unequal delays reorder datagrams. */
  readonly jitterMs: number;
  /** Probability (0-1) that a datagram is lost. */
  readonly loss: number;
  /** Probability (0-1) that a datagram that is not lost arrives twice (the copy has its own jitter). */
  readonly duplicate: number;
}

export const PERFECT_LINK: LinkConditions = Object.freeze({ latencyMs: 0, jitterMs: 0, loss: 0, duplicate: 0 });

/** `base` with the fields of `change` that are set, each checked; throws InvalidArgumentError with the fix. */
export function resolveLinkConditions(base: LinkConditions, change: Partial<LinkConditions> = {}): LinkConditions {
  const out = {
    latencyMs: change.latencyMs ?? base.latencyMs,
    jitterMs: change.jitterMs ?? base.jitterMs,
    loss: change.loss ?? base.loss,
    duplicate: change.duplicate ?? base.duplicate,
  };
  checkNonNegative('latencyMs', out.latencyMs);
  checkNonNegative('jitterMs', out.jitterMs);
  checkProbability('loss', out.loss);
  checkProbability('duplicate', out.duplicate);
  return Object.freeze(out);
}

function checkNonNegative(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`link ${name} = ${String(value)} is invalid: use a finite number of ms >= 0`);
  }
}

function checkProbability(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(`link ${name} = ${String(value)} is invalid: use a probability from 0 to 1`);
  }
}
