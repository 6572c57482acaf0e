/**
 * Makes values safe to log: any field whose name looks like a secret (seed, privateKey, secret, password,
 * token, sendKey, ...) is replaced by "[redacted]" at any depth, and raw bytes are never written out, only
 * their length, because in this code base every secret (seed, private keys, session keys) is a Uint8Array.
 * Objects are copied, never modified. A secret that is only a plain string in a message text cannot be
 * recognised; callers must not put one there.
 */

export const REDACTED = '[redacted]';
/** Nesting deeper than this is cut off; log records are shallow, and a bound keeps a hostile value cheap. */
const MAX_DEPTH = 8;

/** Words that make a field a secret wherever they appear in its name (case, `-` and `_` ignored). */
const SECRET_WORDS = /seed|secret|private|passw|passphrase|token|credential|mnemonic/;
/** Names ending in key(s) are key material (sendKey, chainKey, staticKeys) unless they are public keys. */
const KEY_SUFFIX = /keys?$/;
const PUBLIC_WORDS = /public|pub/;

/** Whether a field of this name must never be logged. */
export function isSecretField(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_WORDS.test(normalized)) return true;
  return KEY_SUFFIX.test(normalized) && !PUBLIC_WORDS.test(normalized);
}

/** A copy of `value` with secret fields redacted and bytes summarised; safe to serialise as JSON. */
export function redactSecrets(value: unknown): unknown {
  return redact(value, 0, new Set());
}

function redact(value: unknown, depth: number, path: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return `[${value.constructor.name} ${value.byteLength} bytes]`;
  if (path.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  path.add(value);
  try {
    return redactObject(value, depth, path);
  } catch {
    // A getter or toJSON that throws must not take the log line (or the caller) down with it.
    return '[unreadable]';
  } finally {
    path.delete(value);
  }
}

function redactObject(value: object, depth: number, path: Set<object>): unknown {
  if (value instanceof Error) return redactError(value, depth, path);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  // Classes like Identity decide their own public form; it is redacted too, in case it is not as careful.
  if (typeof toJSON === 'function') return redact(toJSON.call(value), depth + 1, path);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, path));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = isSecretField(String(k)) ? REDACTED : redact(v, depth + 1, path);
    return out;
  }
  if (value instanceof Set) return [...value].map((item) => redact(item, depth + 1, path));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    out[key] = isSecretField(key) ? REDACTED : redact((value as Record<string, unknown>)[key], depth + 1, path);
  }
  return out;
}

/** Errors as pino-pretty expects them (type, message, stack), plus their own fields, redacted. */
function redactError(err: Error, depth: number, path: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  for (const key of Object.keys(err)) {
    if (key in out) continue;
    out[key] = isSecretField(key) ? REDACTED : redact((err as unknown as Record<string, unknown>)[key], depth + 1, path);
  }
  if (err.cause !== undefined) out.cause = redact(err.cause, depth + 1, path);
  return out;
}
