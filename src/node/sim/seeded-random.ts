/**
 * A seeded pseudo-random stream for the simulation (never Math.random: a run must be reproducible from its
 * seed). The generator is SFC32 (Chris Doty-Humphrey's small fast counting generator, 128-bit state), its
 * state filled from the seed with SplitMix32 so that nearby seeds give unrelated streams. Not for secrets.
 */
import { InvalidArgumentError } from '../../errors.js';

const TWO_POW_32 = 0x1_0000_0000;

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is any safe integer; the same seed always yields the same stream. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new InvalidArgumentError(`random seed ${String(seed)} is invalid: use a whole number`);
    }
    // Fold both halves of a 53-bit seed into the SplitMix state so large seeds differ too.
    let s = (seed >>> 0) ^ Math.floor(seed / TWO_POW_32);
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    // Discard the first outputs: SFC's state needs a few rounds to spread a seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    this.d = (this.d + 1) | 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniformly distributed number in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A uniformly distributed integer in [min, max] (both inclusive; the span must fit in 32 bits). */
  intBetween(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p` (0 never draws, so a zero probability leaves the stream untouched). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): a stream of uint32 values from a 32-bit seed. The tiny
 * seeded generator of the simulation tests, the lossy test relay, the garbage flood and the overlay
 * benchmark (their published figures depend on its exact output, so it stays as it is). Not for secrets.
 */
export function mulberry32Words(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** mulberry32 as uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Words(seed);
  return () => next() / TWO_POW_32;
}

/** mulberry32 as a byte filler (the low byte of each word): identities and node nonces in simulations. */
export function seededBytes(seed: number): (out: Uint8Array) => void {
  const next = mulberry32Words(seed);
  return (out) => {
    for (let i = 0; i < out.length; i++) out[i] = next() & 0xff;
  };
}
