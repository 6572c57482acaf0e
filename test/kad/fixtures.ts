/**
 * Deterministic IDs and contacts for the kad tests. Key binding is simulated: a contact's keys are
 * "bound" when edPublicKey = id XOR 0x11.. and xPublicKey = id XOR 0x22.. (the real hash lives in
 * src/identity; the knowledge table takes the check as an injected function).
 */
import type { KadContact, ReadonlyKadContact } from '../../src/kad/index.js';
import { randomIdInBucket, type RandomFill } from '../../src/kad/index.js';
import { seededBytes } from '../../src/node/sim/index.js';

/** mulberry32: a tiny seeded PRNG so failures reproduce. */
export const seededFill: (seed: number) => RandomFill = seededBytes;

export function idFromByte(first: number, rest = 0): Uint8Array {
  const id = new Uint8Array(32).fill(rest);
  id[0] = first;
  return id;
}

export function randomId(fill: RandomFill): Uint8Array {
  const id = new Uint8Array(32);
  fill(id);
  return id;
}

export function idInBucket(self: Uint8Array, bucket: number, fill: RandomFill): Uint8Array {
  return randomIdInBucket(self, bucket, fill);
}

function xorWith(id: Uint8Array, byte: number): Uint8Array {
  return id.map((b) => b ^ byte);
}

export function boundKeys(id: Uint8Array): { edPublicKey: Uint8Array; xPublicKey: Uint8Array } {
  return { edPublicKey: xorWith(id, 0x11), xPublicKey: xorWith(id, 0x22) };
}

export const verifyFakeBinding = (c: ReadonlyKadContact): boolean => {
  const k = boundKeys(c.id);
  return Buffer.from(k.edPublicKey).equals(Buffer.from(c.edPublicKey!)) && Buffer.from(k.xPublicKey).equals(Buffer.from(c.xPublicKey!));
};

export function keyed(id: Uint8Array, host: string, port = 7000): KadContact {
  return { id, ...boundKeys(id), addresses: [{ host, port }] };
}

export function keyless(id: Uint8Array, host: string, port = 7000): KadContact {
  return { id, addresses: [{ host, port }] };
}

/** A distinct public /24 per n: 11.(n>>8).(n&255).7 stays public and never collides for n < 65536. */
export function hostInOwnSubnet(n: number): string {
  return `11.${(n >> 8) & 255}.${n & 255}.7`;
}

export function hex(id: Uint8Array): string {
  return Buffer.from(id).toString('hex');
}
