/**
 * The copy-pasteable, self-certifying contact string (DESIGN "Identity"):
 *
 *   <keys>@<address>[,<address>...]
 *
 * <keys> is multibase base32 of ed25519 public || x25519 public (64 bytes), so the NodeID follows from
 * it and cannot be paired with someone else's key. An <address> is `a.b.c.d:port` or `[ipv6]:port`:
 * IP literals only (no DNS names, no zone index), port 1..65535, at most 8 addresses.
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_CONTACT_ADDRESSES, PUBLIC_KEY_BYTES } from './constants.js';
import type { Contact, ContactAddress } from './contact.js';
import { formatIp, isUnreachableAddress, parseIpLiteral } from './ip-literal.js';
import { keysMatchNodeId, nodeIdFromKeys } from './node-id.js';
import { decodeMultibase, encodeBase32 } from './node-id-text.js';
import { quoteInput } from './quoted-input.js';

const KEYS_BYTES = 2 * PUBLIC_KEY_BYTES;
const FORM = '<keys>@host:port';

/** The <keys> part: multibase base32 of edPublicKey || xPublicKey. */
export function formatPublicKeys(edPublicKey: Uint8Array, xPublicKey: Uint8Array): string {
  if (edPublicKey.length !== PUBLIC_KEY_BYTES || xPublicKey.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError(`public keys must be ${PUBLIC_KEY_BYTES} bytes each`);
  }
  const both = new Uint8Array(KEYS_BYTES);
  both.set(edPublicKey, 0);
  both.set(xPublicKey, PUBLIC_KEY_BYTES);
  return encodeBase32(both);
}

/** Parses the <keys> part alone and derives the NodeID it certifies. */
export function parsePublicKeys(text: string): { nodeId: Uint8Array; edPublicKey: Uint8Array; xPublicKey: Uint8Array } {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  const bytes = trimmed === '' ? null : decodeMultibase(trimmed);
  if (!bytes) {
    throw new InvalidArgumentError(
      `keys ${quoteInput(trimmed)} are not valid multibase text: copy the keys exactly as \`wiremesh id\` prints them (they start with b)`,
    );
  }
  if (bytes.length !== KEYS_BYTES) {
    throw new InvalidArgumentError(
      `keys ${quoteInput(trimmed)} decode to ${bytes.length} bytes, expected ${KEYS_BYTES} (ed25519 and x25519 public keys): the text is probably cut short`,
    );
  }
  const edPublicKey = bytes.slice(0, PUBLIC_KEY_BYTES);
  const xPublicKey = bytes.slice(PUBLIC_KEY_BYTES);
  return { nodeId: nodeIdFromKeys(edPublicKey, xPublicKey), edPublicKey, xPublicKey };
}

const PORT_TEXT = /^[0-9]{1,5}$/;

function parseAddress(part: string, contactText: string, single: boolean): ContactAddress {
  const where = `contact ${quoteInput(contactText)}`;
  if (part === '') {
    throw new InvalidArgumentError(`${where} has an empty address: separate addresses with single commas, as in ${FORM},host:port`);
  }
  let hostText: string;
  let portText: string | undefined;
  if (part.startsWith('[')) {
    const close = part.indexOf(']');
    if (close < 0) {
      throw new InvalidArgumentError(`${where} has an unclosed '[' in ${quoteInput(part)}: write IPv6 addresses as [2001:db8::1]:port`);
    }
    hostText = part.slice(1, close);
    const rest = part.slice(close + 1);
    if (rest === '') portText = undefined;
    else if (rest.startsWith(':')) portText = rest.slice(1);
    else throw new InvalidArgumentError(`${where} has unexpected text after ']' in ${quoteInput(part)}: write it as [ipv6]:port`);
    if (parseIpLiteral(hostText)?.family !== 6) {
      throw new InvalidArgumentError(
        `${where} has ${quoteInput(hostText)} in brackets, which is not an IPv6 address: brackets are only for IPv6, e.g. [2001:db8::1]:port`,
      );
    }
  } else {
    const colons = part.split(':').length - 1;
    if (colons > 1) {
      const bare = parseIpLiteral(part);
      throw new InvalidArgumentError(
        bare?.family === 6
          ? `${where} has IPv6 address ${quoteInput(part)} without brackets or port: write it as [${part}]:port`
          : `${where} has IPv6 host ${quoteInput(part)} without brackets: write it as [ipv6]:port`,
      );
    }
    const colon = part.lastIndexOf(':');
    hostText = colon < 0 ? part : part.slice(0, colon);
    portText = colon < 0 ? undefined : part.slice(colon + 1);
  }
  if (portText === undefined) {
    throw new InvalidArgumentError(
      single
        ? `${where} has no port: write it as ${FORM}`
        : `${where} has no port on ${quoteInput(hostText)}: write each address as host:port`,
    );
  }
  const ip = parseIpLiteral(hostText);
  if (!ip) {
    throw new InvalidArgumentError(
      `${where} has host ${quoteInput(hostText)}, which is not an IP address: contacts carry IP literals only, so resolve the name first`,
    );
  }
  if (isUnreachableAddress(ip.bytes)) {
    throw new InvalidArgumentError(
      `${where} has address ${quoteInput(hostText)}, which no peer can reach (unspecified, multicast or broadcast): use the address others dial you at`,
    );
  }
  const port = PORT_TEXT.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new InvalidArgumentError(`${where} has port ${quoteInput(portText)}, which is not a port: use a number from 1 to 65535`);
  }
  return { host: formatIp(ip.bytes), port };
}

/** Parses `<keys>@host:port[,host:port...]`; errors are one sentence naming the problem and the fix. */
export function parseContact(text: string): Contact {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') throw new InvalidArgumentError(`contact is empty: write it as ${FORM}`);
  const at = trimmed.indexOf('@');
  if (at < 0) {
    throw new InvalidArgumentError(`contact ${quoteInput(trimmed)} has no address: write it as ${FORM}`);
  }
  const keysText = trimmed.slice(0, at);
  if (keysText === '') {
    throw new InvalidArgumentError(`contact ${quoteInput(trimmed)} has no keys before '@': write it as ${FORM}`);
  }
  const parts = trimmed
    .slice(at + 1)
    .split(',')
    .map((part) => part.trim());
  if (parts.length > MAX_CONTACT_ADDRESSES) {
    throw new InvalidArgumentError(
      `contact ${quoteInput(trimmed)} has ${parts.length} addresses, more than the ${MAX_CONTACT_ADDRESSES} allowed: keep the ones peers can reach`,
    );
  }
  const addresses: ContactAddress[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    const address = parseAddress(part, trimmed, parts.length === 1);
    const key = `${address.host}|${address.port}`;
    if (seen.has(key)) {
      throw new InvalidArgumentError(`contact ${quoteInput(trimmed)} lists ${quoteInput(part)} twice: remove the duplicate`);
    }
    seen.add(key);
    addresses.push(address);
  }
  // Keys last: a wrong address is the likelier mistake when typing a contact by hand.
  const keys = parsePublicKeys(keysText);
  return { ...keys, addresses };
}

function formatAddress(address: ContactAddress): string {
  const ip = typeof address.host === 'string' ? parseIpLiteral(address.host) : null;
  if (!ip) {
    throw new InvalidArgumentError(`address host ${quoteInput(String(address.host))} is not an IP literal: contacts carry IP addresses only`);
  }
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
    throw new InvalidArgumentError(`address port ${String(address.port)} is not a port: use a number from 1 to 65535`);
  }
  const host = formatIp(ip.bytes);
  return ip.family === 6 ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}

/** The contact string of `contact`; refuses keys that do not hash to its NodeID. */
export function formatContact(contact: Contact): string {
  const keysText = formatPublicKeys(contact.edPublicKey, contact.xPublicKey);
  if (!keysMatchNodeId(contact.nodeId, contact.edPublicKey, contact.xPublicKey)) {
    throw new InvalidArgumentError("the contact's keys do not hash to its node ID: build contacts from an Identity or a parsed contact");
  }
  const { addresses } = contact;
  if (addresses.length < 1 || addresses.length > MAX_CONTACT_ADDRESSES) {
    throw new InvalidArgumentError(
      `a contact needs 1 to ${MAX_CONTACT_ADDRESSES} addresses, got ${addresses.length}: print the keys alone with formatPublicKeys`,
    );
  }
  return `${keysText}@${addresses.map(formatAddress).join(',')}`;
}
