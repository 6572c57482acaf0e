/**
 * Copies bytes into a fresh Uint8Array. Use this, not `.slice()`: on a Node Buffer (what sockets and
 * sodium hand us) `slice()` returns a view that aliases the original memory, so a "copy" kept for later
 * would change when the packet buffer is reused or decrypted in place.
 */
export function copyBytes(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  out.set(src);
  return out;
}
