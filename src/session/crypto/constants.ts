/**
 * Constants of the Wiresocket cryptography (spec 2, 4.1-4.3, 5, 6, 12) and the tunables of the handshake,
 * cookie and replay-guard modules. Sizes are in bytes. The timestamp skew (MAX_TIMESTAMP_SKEW_MS) and the
 * cookie rotation (COOKIE_ROTATION_MS) are session-wide settings and live in ../constants.ts.
 */

/** spec 2: X25519 keys, ChaCha20-Poly1305 keys, BLAKE2s-256 outputs and chaining keys are all 32 bytes. */
export const KEY_SIZE = 32;
/** spec 2: BLAKE2s-256 digest size (HASH and MAC). */
export const HASH_SIZE = 32;
/** spec 2.4, 2.5 and editor's note 2: MAC1 / MAC2 / cookie are the first 16 bytes of a 32-byte MAC. */
export const TRUNCATED_MAC_SIZE = 16;
/** spec 2: Poly1305 tag. */
export const AEAD_TAG_SIZE = 16;
/** spec 2.3: 4 zero bytes, then the counter as uint64 little-endian. */
export const AEAD_NONCE_SIZE = 12;
/** spec 2.3: the counter starts after 4 zero bytes. */
export const AEAD_NONCE_COUNTER_OFFSET = 4;
/** spec 4.3: XChaCha20-Poly1305 nonce. */
export const XAEAD_NONCE_SIZE = 24;

/**
 * spec 2.2 and editor's note 1: the 33-byte construction string copied into 32 bytes keeps its first 32
 * bytes (the final "s" is dropped).
 */
export const NOISE_CONSTRUCTION = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
/** spec 2.2 / header: noisePrologue, hashed into initialH. */
export const NOISE_PROLOGUE = 'wiresocket v1';
/** spec 2.4: mac1_key = HASH("mac1----" || receiver_static_pub). */
export const LABEL_MAC1 = 'mac1----';
/** spec 6.1: cookie_key = MAC(cookie_secret, "cookie--" || server_static_pub). */
export const LABEL_COOKIE = 'cookie--';

/**
 * The initiator uses a received cookie for MAC2 only while it is younger than this (one secret rotation,
 * spec 6.1 and 12); the server still accepts it until its secret has rotated twice.
 */
export const COOKIE_MAX_AGE_MS = 120_000;
/** spec 6.1: the cookie secret is 32 random bytes. */
export const COOKIE_SECRET_SIZE = 32;

/** spec 4.1: TAI64N = uint64 BE seconds || uint32 BE nanoseconds. */
export const TAI64N_SIZE = 12;
/** editor's note 6: seconds field = 2^62 + unix seconds; stored as the high 32-bit word's offset. */
export const TAI64_EPOCH_HIGH_WORD = 0x4000_0000;

/** editor's note 8: initiator keys the replay guard remembers before it forgets the least recently accepted. */
export const INITIATION_REPLAY_MAX_ENTRIES = 65_536;
