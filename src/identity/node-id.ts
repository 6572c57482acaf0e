/**
 * NodeID = BLAKE2b-256("wiremesh/v1/node-id" || ed25519 public || x25519 public) (DESIGN "Identity").
 * Binding both keys makes any record that carries them self-certifying. The proof of work is the
 * number of leading zero bits of the NodeID, read as a big-endian 256-bit number.
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_DIFFICULTY_BITS, NODE_ID_BYTES, PUBLIC_KEY_BYTES } from './constants.js';
import { defaultKeyProvider } from './key-provider.js';
import { createNodeIdInput } from './key-schedule.js';

const scratch = createNodeIdInput();
const scratchParts: readonly Uint8Array[] = [scratch.input];
const scratchId = new Uint8Array(NODE_ID_BYTES);

function checkKeys(edPublicKey: Uint8Array, xPublicKey: Uint8Array): void {
  if (edPublicKey.length !== PUBLIC_KEY_BYTES || xPublicKey.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError(
      `public keys must be ${PUBLIC_KEY_BYTES} bytes each, got ${edPublicKey.length} and ${xPublicKey.length}`,
    );
  }
}

/** The NodeID of a key pair. Writes into `out` when given (no allocation), else returns a new array. */
export function nodeIdFromKeys(edPublicKey: Uint8Array, xPublicKey: Uint8Array, out?: Uint8Array): Uint8Array {
  checkKeys(edPublicKey, xPublicKey);
  const target = out ?? new Uint8Array(NODE_ID_BYTES);
  scratch.ed.set(edPublicKey);
  scratch.x.set(xPublicKey);
  defaultKeyProvider().blake2b256(scratchParts, target);
  return target;
}

/**
 * True when the keys hash to `nodeId`: the self-certification check for contacts from the network.
 * Allocation-free; wrong lengths give false. (All inputs are public, so no constant-time compare.)
 */
export function keysMatchNodeId(nodeId: Uint8Array, edPublicKey: Uint8Array, xPublicKey: Uint8Array): boolean {
  if (nodeId.length !== NODE_ID_BYTES) return false;
  if (edPublicKey.length !== PUBLIC_KEY_BYTES || xPublicKey.length !== PUBLIC_KEY_BYTES) return false;
  nodeIdFromKeys(edPublicKey, xPublicKey, scratchId);
  for (let i = 0; i < NODE_ID_BYTES; i++) if (scratchId[i] !== nodeId[i]) return false;
  return true;
}

/** Leading zero bits of `id` read big-endian (0..8 * id.length). */
export function leadingZeroBits(id: Uint8Array): number {
  for (let i = 0; i < id.length; i++) {
    const byte = id[i];
    if (byte !== 0) return i * 8 + Math.clz32(byte) - 24;
  }
  return id.length * 8;
}

/**
 * True when `id` (32 bytes) has at least `difficulty` leading zero bits. The proof-of-work check on
 * every admission path: no allocation, and for difficulty <= 32 (every practical setting) one shift
 * and compare of the first big-endian 32-bit word.
 */
export function satisfies(id: Uint8Array, difficulty: number): boolean {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_DIFFICULTY_BITS) {
    throw new InvalidArgumentError(`difficulty must be an integer from 0 to ${MAX_DIFFICULTY_BITS}, got ${difficulty}`);
  }
  if (id.length !== NODE_ID_BYTES) return false;
  if (difficulty === 0) return true;
  if (difficulty <= 32) {
    const head = ((id[0] << 24) | (id[1] << 16) | (id[2] << 8) | id[3]) >>> 0;
    return head >>> (32 - difficulty) === 0;
  }
  return leadingZeroBits(id) >= difficulty;
}
