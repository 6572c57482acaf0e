/**
 * Reading the arguments of a control request on the node's side. The request came over a local socket from
 * a client we did not write (any program of this user may connect), so every field is checked and a bad
 * one becomes one InvalidArgumentError sentence the client prints.
 */
import { InvalidArgumentError } from '../../src/errors.js';
import { parseNodeId } from '../../src/identity/index.js';
import { FIRST_APP_CHANNEL, LAST_APP_CHANNEL } from '../../src/wire/index.js';

/** A NodeID in text form (base32 or hex), as `formatNodeId` writes it. */
export function nodeIdArg(args: Record<string, unknown>, name: string): Uint8Array {
  const value = args[name];
  if (typeof value !== 'string') throw new InvalidArgumentError(`"${name}" must be a node ID in text form`);
  return parseNodeId(value);
}

/** Bytes sent as base64 text. */
export function bytesArg(args: Record<string, unknown>, name: string): Uint8Array {
  const value = args[name];
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new InvalidArgumentError(`"${name}" must be base64 text`);
  }
  const buf = Buffer.from(value, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function booleanArg(args: Record<string, unknown>, name: string): boolean {
  const value = args[name] ?? false;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`"${name}" must be true or false`);
  return value;
}

export function integerArg(args: Record<string, unknown>, name: string): number {
  const value = args[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`"${name}" must be a whole number`);
  return value;
}

/** An application channel number (spec 10.1: 16-254; 0-15 are the overlay's, 255 is reserved). */
export function parseAppChannel(value: unknown, where: string): number {
  const text = String(value).trim();
  const n = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= FIRST_APP_CHANNEL && n <= LAST_APP_CHANNEL)) {
    throw new InvalidArgumentError(
      `${where} ${JSON.stringify(text)} is not an application channel: use a number from ${FIRST_APP_CHANNEL} to ${LAST_APP_CHANNEL}`,
    );
  }
  return n;
}
