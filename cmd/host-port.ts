/**
 * `HOST:PORT` as operators type it for --listen and --metrics: an IPv4 literal or a bracketed IPv6 literal,
 * then a port. Errors name where the text came from (`--listen`, `WIREMESH_LISTEN`, a config file key) so the
 * one sentence the user sees says what to fix and where.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../src/errors.js';
import { quoteInput } from '../src/identity/index.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface ParseHostPortOptions {
  /** Port 0 asks the OS for any free port (useful for listen addresses, never for peers). */
  allowPortZero?: boolean;
  /** An example shown in the fix, e.g. `0.0.0.0:4242`. */
  example?: string;
}

/** Parses `a.b.c.d:port` or `[v6]:port`; throws one InvalidArgumentError sentence that starts with `where`. */
export function parseHostPort(text: string, where: string, options: ParseHostPortOptions = {}): HostPort {
  const example = options.example ?? '127.0.0.1:4242';
  const minPort = options.allowPortZero === true ? 0 : 1;
  const bracketed = /^\[([^\]]+)\]:([0-9]{1,5})$/.exec(text);
  const m = bracketed ?? /^([^:[\]]+):([0-9]{1,5})$/.exec(text);
  const host = m?.[1];
  // Brackets are for IPv6 only, and IPv6 needs them (its colons would swallow the port).
  if (m === null || host === undefined || isIP(host) !== (bracketed === null ? 4 : 6)) {
    throw new InvalidArgumentError(
      `${where} is ${quoteInput(text)}, which is not an IP address and port: write it like ${example} (IPv6 as [::1]:${example.split(':').pop()})`,
    );
  }
  const port = Number(m[2]);
  if (port < minPort || port > 65535) {
    throw new InvalidArgumentError(
      `${where} has port ${port}, which is out of range: use ${minPort}-65535${minPort === 0 ? ' (0 picks a free port)' : ''}`,
    );
  }
  return { host, port };
}

/** The text form `parseHostPort` reads back: IPv6 in brackets. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
