/**
 * Decoders take untrusted bytes and return a value or an error; they never throw.
 * The caller drops the packet and counts `error.code` in its stats.
 */
export type DecodeErrorCode =
  | 'TOO_SHORT'
  | 'BAD_SIZE'
  | 'RESERVED_NONZERO'
  | 'UNKNOWN_TYPE'
  | 'WRONG_TYPE'
  | 'TRUNCATED_VARINT'
  | 'VARINT_OVERFLOW'
  | 'LENGTH_PAST_END'
  | 'EMPTY_EVENT'
  | 'BAD_TAG'
  | 'BAD_FIELD'
  | 'TOO_MANY'
  | 'KEY_MISMATCH'
  | 'BAD_VERSION'
  | 'TRAILING_BYTES';

export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly message: string;
}

export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

export function ok<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: DecodeErrorCode, message: string): DecodeResult<T> {
  return { ok: false, error: { code, message } };
}
