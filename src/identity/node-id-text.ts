/**
 * Text forms of NodeIDs and public keys (DESIGN "Identity"): multibase base32 (lowercase, 'b' prefix)
 * from multiformats, e.g. a NodeID is 'b' + 52 characters. Parsers also accept any other multibase
 * encoding multiformats knows (base58btc 'z...', base16 'f...', ...) and, for NodeIDs, 64 hex
 * characters, since that is how other tools print 32-byte hashes.
 */
import { base32 } from 'multiformats/bases/base32';
import { bases } from 'multiformats/basics';
import { InvalidArgumentError } from '../errors.js';
import { NODE_ID_BYTES, PUBLIC_KEY_BYTES } from './constants.js';
import { quoteInput } from './quoted-input.js';

const HEX_NODE_ID = /^[0-9a-fA-F]{64}$/;

/** Every multibase codec multiformats ships, by its prefix character; `identity` (raw text) is left out. */
const codecsByPrefix = new Map<string, { decode(text: string): Uint8Array }>(
  Object.values(bases)
    .filter((codec) => codec.name !== 'identity')
    .map((codec) => [codec.prefix, codec]),
);

/** Multibase decode, or null when `text` is not valid multibase. Never throws. */
export function decodeMultibase(text: string): Uint8Array | null {
  const first = text.codePointAt(0);
  const codec = first === undefined ? undefined : codecsByPrefix.get(String.fromCodePoint(first));
  if (!codec) return null;
  try {
    return codec.decode(text);
  } catch {
    return null;
  }
}

/** Lowercase multibase base32 ('b' prefix) of any bytes. */
export function encodeBase32(bytes: Uint8Array): string {
  return base32.encode(bytes);
}

export function formatNodeId(id: Uint8Array): string {
  if (id.length !== NODE_ID_BYTES) {
    throw new InvalidArgumentError(`a node ID is ${NODE_ID_BYTES} bytes, got ${id.length}`);
  }
  return base32.encode(id);
}

/** Parses a NodeID from multibase text (as `formatNodeId` prints) or 64 hex characters. */
export function parseNodeId(text: string): Uint8Array {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') {
    throw new InvalidArgumentError('node ID is empty: paste the text `wiremesh id` prints (it starts with b)');
  }
  if (HEX_NODE_ID.test(trimmed)) return Uint8Array.from(Buffer.from(trimmed, 'hex'));
  const bytes = decodeMultibase(trimmed);
  if (!bytes) {
    throw new InvalidArgumentError(
      `node ID ${quoteInput(trimmed)} is not valid text: use the base32 form \`wiremesh id\` prints ('b' and 52 characters) or 64 hex characters`,
    );
  }
  if (bytes.length !== NODE_ID_BYTES) {
    throw new InvalidArgumentError(
      `node ID ${quoteInput(trimmed)} decodes to ${bytes.length} bytes, expected ${NODE_ID_BYTES}: it is probably cut short or is a different kind of key`,
    );
  }
  return bytes;
}

export function formatPublicKey(key: Uint8Array): string {
  if (key.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError(`a public key is ${PUBLIC_KEY_BYTES} bytes, got ${key.length}`);
  }
  return base32.encode(key);
}

/** Parses one 32-byte public key from multibase text. */
export function parsePublicKey(text: string): Uint8Array {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  const bytes = trimmed === '' ? null : decodeMultibase(trimmed);
  if (!bytes || bytes.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError(
      `public key ${quoteInput(trimmed)} is not valid: expected multibase text of ${PUBLIC_KEY_BYTES} bytes ('b' and 52 characters)`,
    );
  }
  return bytes;
}
