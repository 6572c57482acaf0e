/**
 * Typed errors for API users. Every error a caller can see carries a stable `code`
 * (never reworded, safe to switch on) and a one-sentence message naming the problem and the fix.
 *
 * Untrusted network input never produces these: it is dropped and counted in stats.
 */
export class WiremeshError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WiremeshError';
    this.code = code;
  }
}

/** An argument, option, flag or file given by the user is wrong. */
export class InvalidArgumentError extends WiremeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
    this.name = 'InvalidArgumentError';
  }
}

/** The operation was cancelled through its AbortSignal. */
export class AbortedError extends WiremeshError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
    this.name = 'AbortedError';
  }
}

/** The operation did not complete in time. */
export class TimeoutError extends WiremeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
    this.name = 'TimeoutError';
  }
}

/** Throws AbortedError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
}
