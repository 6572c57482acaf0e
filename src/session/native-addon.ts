/**
 * Loader of wiremesh's optional native addon (`native/`, built by `npm install` when a C toolchain is
 * there; docs/decisions.md "Native fast path"). It gives the session layer batched UDP I/O (sendmmsg /
 * recvmmsg) and a faster ChaCha20-Poly1305. Everything it offers has a plain fallback (node:dgram,
 * sodium-native or @noble), so a missing, unbuildable or misbehaving addon only costs speed: the loader
 * returns null when the file is absent, does not load, or fails its self-test against @noble.
 *
 * `WIREMESH_NATIVE=0` in the environment turns the addon off (A/B benchmarks, tests of the fallback).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

/** The functions of native/wiremesh_native.c (the addon ships no type declarations). */
export interface NativeAddon {
  open(ipv6: boolean, ipv6Only: boolean, host: string, port: number, bufferBytes: number): NativeSocket;
  localPort(socket: NativeSocket): number;
  bufferSizes(socket: NativeSocket): [number, number];
  recvStart(socket: NativeSocket, arena: Uint8Array, slotBytes: number, meta: Int32Array, onBatch: (count: number) => void): void;
  setArena(socket: NativeSocket, arena: Uint8Array): void;
  sendBatch(
    socket: NativeSocket,
    arena: Uint8Array,
    slotBytes: number,
    lengths: Int32Array,
    dests: Uint8Array,
    first: number,
    count: number,
    errors: Int32Array,
  ): number;
  close(socket: NativeSocket): void;
  sockaddr(host: string, port: number, ipv6Socket: boolean, out: Uint8Array): boolean;
  formatIPv6(meta: Int32Array, index: number): string;
  aeadKey(key: Uint8Array): NativeAeadKey;
  aeadDestroy(key: NativeAeadKey): void;
  aeadSeal(key: NativeAeadKey, counter: number, buf: Uint8Array, offset: number, length: number): boolean;
  aeadOpen(key: NativeAeadKey, counter: number, buf: Uint8Array, offset: number, length: number): number;
  aeadImplementation(): string;
  /** X25519 through OpenSSL; false when the result is all zero (a small-order public key). */
  x25519(out: Uint8Array, privateKey: Uint8Array, publicKey: Uint8Array): boolean;
  hasX25519(): boolean;
}

/** Opaque handles the addon returns. */
export type NativeSocket = { readonly __nativeSocket: unique symbol };
export type NativeAeadKey = { readonly __nativeAeadKey: unique symbol };

/** Where `npm install` (node-gyp) puts the addon, relative to this file in src/ and in a tsc build. */
const CANDIDATES = ['../../native/build/Release/wiremesh_native.node', '../../../native/build/Release/wiremesh_native.node'];

let loaded: NativeAddon | null | undefined;
let loadError: string | null = null;

/** The addon, or null (absent, disabled, or failed its self-test). Decided once per process. */
export function nativeAddon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.WIREMESH_NATIVE === '0') {
    loadError = 'disabled by WIREMESH_NATIVE=0';
    return loaded;
  }
  if (process.platform !== 'linux') {
    loadError = `not built for ${process.platform} (sendmmsg/recvmmsg are Linux system calls)`;
    return loaded;
  }
  const require = createRequire(import.meta.url);
  for (const rel of CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      const addon = require(path) as NativeAddon;
      const problem = selfTestAddon(addon);
      if (problem !== null) {
        loadError = `self-test failed: ${problem}`;
        return loaded;
      }
      loaded = addon;
      loadError = null;
      return loaded;
    } catch (err) {
      loadError = `cannot load ${path}: ${(err as Error).message}`;
      return loaded;
    }
  }
  loadError = 'not built (npm install builds it when python3, make and a C compiler are present)';
  return loaded;
}

/** Why nativeAddon() is null (for the benchmark report and logs), or null when it loaded. */
export function nativeAddonProblem(): string | null {
  nativeAddon();
  return loadError;
}

/**
 * The AEAD and X25519 must agree with @noble byte for byte (sealing and opening, empty and multi-block
 * inputs, a counter above 2^32), a forged tag and small-order points must be refused, and the socket calls
 * must work. Null when all is well, else what went wrong.
 */
export function selfTestAddon(addon: NativeAddon): string | null {
  const key = new Uint8Array(32).map((_, i) => i * 13 + 1);
  for (const [size, counter] of [
    [0, 0],
    [1, 1],
    [64, 7],
    [1200, 2 ** 40 + 3],
  ] as const) {
    const plain = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
    const expected = chacha20poly1305(key, nonce).encrypt(plain);
    const k = addon.aeadKey(key);
    try {
      const buf = new Uint8Array(size + 16);
      buf.set(plain);
      addon.aeadSeal(k, counter, buf, 0, size);
      if (!equal(buf, expected)) return `ChaCha20-Poly1305 output differs for ${size} bytes`;
      if (addon.aeadOpen(k, counter, buf, 0, size + 16) !== size || !equal(buf.subarray(0, size), plain)) {
        return `ChaCha20-Poly1305 does not open its own ${size}-byte output`;
      }
      const forged = expected.slice();
      forged[size] ^= 1;
      if (addon.aeadOpen(k, counter, forged, 0, size + 16) !== -1) return 'a forged tag was accepted';
    } finally {
      addon.aeadDestroy(k);
    }
  }
  if (addon.hasX25519()) {
    // RFC 7748 section 5.2, first test vector (a fixed vector: computing one with @noble costs ~100 ms).
    const out = new Uint8Array(32);
    if (!addon.x25519(out, hex(RFC7748_SCALAR), hex(RFC7748_U)) || !equal(out, hex(RFC7748_OUT))) return 'X25519 output differs';
    // RFC 7748 section 6.1: a small-order point gives all zeros, which must be refused.
    const k = hex(RFC7748_SCALAR);
    if (addon.x25519(out, k, new Uint8Array(32)) || addon.x25519(out, k, Uint8Array.of(1, ...new Array<number>(31).fill(0)))) {
      return 'X25519 accepted a small-order point';
    }
  }
  const socket = addon.open(false, false, '127.0.0.1', 0, 0);
  try {
    if (!(addon.localPort(socket) > 0)) return 'the UDP socket did not bind';
  } finally {
    addon.close(socket);
  }
  return null;
}

const RFC7748_SCALAR = 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4';
const RFC7748_U = 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c';
const RFC7748_OUT = 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552';

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
