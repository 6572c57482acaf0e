/**
 * The control socket's messages (issue 7 item 3): JSON lines, one object per line.
 *
 *   client -> node   {"id":1,"cmd":"status","args":{...}}        a request (args optional)
 *                    {"cancel":1}                                 abandon request 1 (its signal fires)
 *   node -> client   {"id":1,"event":{...}}                       progress of request 1 (zero or more)
 *                    {"id":1,"ok":true,"result":...}              the final answer
 *                    {"id":1,"ok":false,"error":{"code":"...","message":"..."}}
 *
 * One request may turn its connection into a byte stream: `stream.open` (pipe/listen) answers with an event
 * and from then on the connection carries binary frames both ways (stream-frames.ts), never JSON again.
 *
 * An id is a safe integer or a short string, chosen by the client and unique among its open requests. Errors
 * that belong to no request (a line that is not JSON, too many connections) carry `"id":null`.
 *
 * Decoders take untrusted bytes or values and return DecodeResult; they never throw. Encoders take our own
 * values and throw only when a value cannot be written as JSON (a BigInt, a cycle), which is a code bug.
 */
import { fail, ok, type DecodeResult } from '../src/wire/result.js';
import { MAX_CONTROL_COMMAND_CHARS, MAX_CONTROL_ID_CHARS } from './constants.js';

export type RequestId = number | string;

export interface ControlRequest {
  kind: 'request';
  id: RequestId;
  cmd: string;
  args: Record<string, unknown>;
}

export interface ControlCancel {
  kind: 'cancel';
  id: RequestId;
}

export type ClientMessage = ControlRequest | ControlCancel;

export interface ControlErrorBody {
  code: string;
  message: string;
}

export type ServerMessage =
  | { kind: 'result'; id: RequestId | null; result: unknown }
  | { kind: 'error'; id: RequestId | null; error: ControlErrorBody }
  | { kind: 'event'; id: RequestId; event: unknown };

/**
 * Stable codes of the errors the control channel itself produces, on the wire and as WiremeshError codes
 * (handlers add their own WiremeshError codes).
 */
export const CONTROL_ERROR_CODES = {
  /** The line is not a valid request. */
  badRequest: 'BAD_REQUEST',
  /** A line longer than the bound; the server hangs up after saying so. */
  lineTooLong: 'LINE_TOO_LONG',
  /** Too many connections or too many requests in flight on this connection. */
  busy: 'BUSY',
  /** No handler for that command. */
  unknownCommand: 'UNKNOWN_COMMAND',
  /** The id is already used by an open request on this connection. */
  duplicateId: 'DUPLICATE_ID',
  /** The handler failed with something other than a WiremeshError. */
  internal: 'INTERNAL',
  /** The request was cancelled (by the client, or because the server is closing). */
  aborted: 'ABORTED',
  /** Client side: nothing answers on the socket. */
  noRunningNode: 'NO_RUNNING_NODE',
  /** Server side: another live server already answers on the socket. */
  alreadyRunning: 'ALREADY_RUNNING',
  /** Client side: the connection closed before the answer came. */
  closed: 'CONTROL_CLOSED',
  /** Client side: the other end does not speak this protocol. */
  protocol: 'CONTROL_PROTOCOL',
  /** Either side: the socket or its directory belongs to someone else. */
  permissionDenied: 'PERMISSION_DENIED',
} as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const COMMAND_NAME = new RegExp(`^[A-Za-z][A-Za-z0-9._-]{0,${MAX_CONTROL_COMMAND_CHARS - 1}}$`);

/** Whether `name` can be a command (letters, digits, '.', '_', '-'; starting with a letter). */
export function isCommandName(name: string): boolean {
  return COMMAND_NAME.test(name);
}

/** Bytes of one line to a JSON value. */
export function parseJsonLine(line: Uint8Array): DecodeResult<unknown> {
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    return fail('BAD_FIELD', 'the line is not UTF-8 text');
  }
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return fail('BAD_FIELD', 'the line is not JSON: send one JSON object per line, like {"id":1,"cmd":"status"}');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `v` is a usable request id. */
export function isRequestId(v: unknown): v is RequestId {
  return (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && v.length > 0 && v.length <= MAX_CONTROL_ID_CHARS);
}

/** The id of a (possibly invalid) request, so an error answer can still name it; null when there is none. */
export function requestIdOf(value: unknown): RequestId | null {
  return isObject(value) && isRequestId(value.id) ? value.id : null;
}

/** A parsed line to a request or a cancel. */
export function decodeClientMessage(value: unknown): DecodeResult<ClientMessage> {
  if (!isObject(value)) return fail('WRONG_TYPE', 'a request is a JSON object like {"id":1,"cmd":"status"}');
  if (Object.hasOwn(value, 'cancel')) {
    if (!isRequestId(value.cancel)) return fail('BAD_FIELD', '"cancel" must name the id of an open request');
    return ok({ kind: 'cancel', id: value.cancel });
  }
  if (!isRequestId(value.id)) {
    return fail('BAD_FIELD', `"id" must be a whole number or a string of 1-${MAX_CONTROL_ID_CHARS} characters`);
  }
  if (typeof value.cmd !== 'string' || !isCommandName(value.cmd)) {
    return fail('BAD_FIELD', `"cmd" must be a command name (letters, digits, '.', '_', '-'; at most ${MAX_CONTROL_COMMAND_CHARS})`);
  }
  const args = value.args ?? {};
  if (!isObject(args)) return fail('BAD_FIELD', '"args" must be a JSON object');
  return ok({ kind: 'request', id: value.id, cmd: value.cmd, args });
}

/** A parsed line from the server to a result, error or event. */
export function decodeServerMessage(value: unknown): DecodeResult<ServerMessage> {
  if (!isObject(value)) return fail('WRONG_TYPE', 'a reply is a JSON object');
  const id = value.id;
  if (id !== null && !isRequestId(id)) return fail('BAD_FIELD', 'a reply has no valid "id"');
  if (Object.hasOwn(value, 'event')) {
    if (id === null) return fail('BAD_FIELD', 'an event must name its request');
    return ok({ kind: 'event', id, event: value.event ?? null });
  }
  if (value.ok === true) return ok({ kind: 'result', id, result: value.result ?? null });
  if (value.ok === false) {
    const error = value.error;
    if (!isObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string') {
      return fail('BAD_FIELD', 'an error reply needs "error": {"code", "message"}');
    }
    return ok({ kind: 'error', id, error: { code: error.code, message: error.message } });
  }
  return fail('BAD_FIELD', 'a reply needs "ok" or "event"');
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

export function encodeRequest(id: RequestId, cmd: string, args: Record<string, unknown>): string {
  return line({ id, cmd, args });
}

export function encodeCancel(id: RequestId): string {
  return line({ cancel: id });
}

export function encodeResult(id: RequestId | null, result: unknown): string {
  return line({ id, ok: true, result: result ?? null });
}

export function encodeError(id: RequestId | null, code: string, message: string): string {
  return line({ id, ok: false, error: { code, message } });
}

export function encodeEvent(id: RequestId, event: unknown): string {
  return line({ id, event: event ?? null });
}

/** Encodes any server message (the inverse of decodeServerMessage; used by tests and tools). */
export function encodeServerMessage(message: ServerMessage): string {
  switch (message.kind) {
    case 'result':
      return encodeResult(message.id, message.result);
    case 'error':
      return encodeError(message.id, message.error.code, message.error.message);
    case 'event':
      return encodeEvent(message.id, message.event);
  }
}

/** Encodes any client message (the inverse of decodeClientMessage). */
export function encodeClientMessage(message: ClientMessage): string {
  return message.kind === 'cancel' ? encodeCancel(message.id) : encodeRequest(message.id, message.cmd, message.args);
}
