/**
 * Datagrams of the NAT probe: a request ("what address do you see me at?") and its answer, as small JSON
 * documents so a capture is readable. The decoder takes untrusted bytes (anyone in the lab can send to a
 * probe socket) and returns an error value, never throws.
 *
 *   {"probe":"request","nonce":7}
 *   {"probe":"seen","nonce":7,"host":"10.201.3.2","port":40000}
 */
import { isIPv4 } from 'node:net';
import { fail, ok, type DecodeResult } from '../../../src/wire/result.js';
import { PROBE_MAX_BYTES } from './constants.js';

export interface ProbeRequest {
  readonly kind: 'request';
  /** Matches the answer to the request (u32). */
  readonly nonce: number;
}

export interface ProbeSeen {
  readonly kind: 'seen';
  readonly nonce: number;
  /** The source address the answering probe saw the request come from. */
  readonly host: string;
  readonly port: number;
}

export type ProbeMessage = ProbeRequest | ProbeSeen;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const REQUEST_KEYS = ['nonce', 'probe'];
const SEEN_KEYS = ['host', 'nonce', 'port', 'probe'];

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
}

function hasExactly(obj: object, keys: readonly string[]): boolean {
  const own = Object.keys(obj).sort();
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

/** Serialises a probe message; throws on values no peer could decode (a bug in the caller). */
export function encodeProbeMessage(message: ProbeMessage): Uint8Array {
  if (!isU32(message.nonce)) throw new RangeError(`probe nonce ${message.nonce} is not a u32`);
  let doc: Record<string, unknown>;
  if (message.kind === 'request') {
    doc = { probe: 'request', nonce: message.nonce };
  } else {
    if (!isIPv4(message.host) || !isPort(message.port)) throw new RangeError(`probe address ${message.host}:${message.port} is invalid`);
    doc = { probe: 'seen', nonce: message.nonce, host: message.host, port: message.port };
  }
  return encoder.encode(JSON.stringify(doc));
}

/** Parses a probe datagram; any other bytes give an error value. */
export function decodeProbeMessage(bytes: Uint8Array): DecodeResult<ProbeMessage> {
  if (bytes.length === 0) return fail('TOO_SHORT', 'empty probe datagram');
  if (bytes.length > PROBE_MAX_BYTES) return fail('BAD_SIZE', `probe datagram of ${bytes.length} bytes exceeds ${PROBE_MAX_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return fail('BAD_FIELD', 'probe datagram is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('WRONG_TYPE', 'probe datagram is not a JSON object');
  const doc = value as Record<string, unknown>;
  if (doc.probe === 'request') {
    if (!hasExactly(doc, REQUEST_KEYS)) return fail('BAD_FIELD', 'probe request must have exactly probe and nonce');
    if (!isU32(doc.nonce)) return fail('BAD_FIELD', 'probe nonce is not a u32');
    return ok({ kind: 'request', nonce: doc.nonce });
  }
  if (doc.probe === 'seen') {
    if (!hasExactly(doc, SEEN_KEYS)) return fail('BAD_FIELD', 'probe answer must have exactly probe, nonce, host and port');
    if (!isU32(doc.nonce)) return fail('BAD_FIELD', 'probe nonce is not a u32');
    if (typeof doc.host !== 'string' || !isIPv4(doc.host)) return fail('BAD_FIELD', 'probe answer host is not an IPv4 address');
    if (!isPort(doc.port)) return fail('BAD_FIELD', 'probe answer port is out of range');
    return ok({ kind: 'seen', nonce: doc.nonce, host: doc.host, port: doc.port });
  }
  return fail('UNKNOWN_TYPE', 'probe datagram has no known probe kind');
}

/** `host:port` (IPv4 only in the lab). */
export function formatEndpoint(host: string, port: number): string {
  return `${host}:${port}`;
}

/** Parses a trusted `host:port` argument; throws with a message naming the bad value. */
export function parseEndpoint(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i);
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !isIPv4(host) || !/^\d+$/.test(text.slice(i + 1)) || !isPort(port) || port === 0) {
    throw new Error(`'${text}' is not an IPv4 host:port`);
  }
  return { host, port };
}
