/**
 * Typed errors of the node API (DESIGN "Public API": errors are typed with stable codes). Untrusted
 * network input never raises these; it is dropped and counted in `stats().drops`.
 */
import { WiremeshError } from '../errors.js';

/** No live edge is closer to the target than this node (or there is no edge at all). */
export class UnroutableError extends WiremeshError {
  constructor(message: string) {
    super('UNROUTABLE', message);
    this.name = 'UnroutableError';
  }
}

/** The peer's NodeID has fewer leading zero bits than the network's proof-of-work difficulty. */
export class PowUnmetError extends WiremeshError {
  constructor(message: string) {
    super('POW_UNMET', message);
    this.name = 'PowUnmetError';
  }
}

/** The peer refused the edge, or its Identify did not check out, or local policy refused it. */
export class EdgeRefusedError extends WiremeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EDGE_REFUSED', message, options);
    this.name = 'EdgeRefusedError';
  }
}

/** The node is not running (not started yet, or stopped). */
export class NotRunningError extends WiremeshError {
  constructor(message = 'the node is not running: call start() first (or it was stopped)') {
    super('NOT_RUNNING', message);
    this.name = 'NotRunningError';
  }
}
