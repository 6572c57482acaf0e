/**
 * Domain separation for every signature a node makes (DESIGN "Identity"): Ed25519 signs
 *   digest = BLAKE2b-256(ascii(domain) || 0x00 || message)
 * The domain names the purpose ("wiremesh/v1/identify", ...), so a signature made for one purpose can
 * never be replayed as another. The NUL separator is unambiguous because a domain may not contain it
 * (domains are 1..255 visible ASCII characters). Hashing first keeps signing one pass over the message
 * and lets the digest be computed in parts, without concatenating.
 */
import { InvalidArgumentError } from '../errors.js';
import { NODE_ID_BYTES } from './constants.js';
import type { KeyProvider } from './key-provider.js';

const DOMAIN_PATTERN = /^[\x21-\x7e]{1,255}$/;
const SEPARATOR = new Uint8Array([0]);
/** Domains are code constants; the cap only guards against a caller that builds them dynamically. */
const MAX_CACHED_DOMAINS = 64;
const encodedDomains = new Map<string, Uint8Array>();

function domainBytes(domain: string): Uint8Array {
  let bytes = encodedDomains.get(domain);
  if (bytes) return bytes;
  if (typeof domain !== 'string' || !DOMAIN_PATTERN.test(domain)) {
    throw new InvalidArgumentError(
      `signature domain ${JSON.stringify(domain)} is invalid: use 1 to 255 visible ASCII characters, e.g. 'wiremesh/v1/identify'`,
    );
  }
  bytes = new TextEncoder().encode(domain);
  if (encodedDomains.size < MAX_CACHED_DOMAINS) encodedDomains.set(domain, bytes);
  return bytes;
}

/** The 32-byte digest that gets signed for `message` under `domain`. */
export function signingDigest(provider: KeyProvider, domain: string, message: Uint8Array): Uint8Array {
  const digest = new Uint8Array(NODE_ID_BYTES);
  provider.blake2b256([domainBytes(domain), SEPARATOR, message], digest);
  return digest;
}
