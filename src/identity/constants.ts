/**
 * Identity constants. Protocol values (changing one changes every NodeID or breaks interop) are kept
 * apart from local tunables. See /work/shared/DESIGN.md "Identity".
 */

// ---- Protocol values -------------------------------------------------------------------------------

/** Bytes in the master seed, the only secret of a node. */
export const SEED_BYTES = 32;
/** Bytes in a NodeID (BLAKE2b-256 output). */
export const NODE_ID_BYTES = 32;
/** Bytes in an Ed25519 or X25519 public key. */
export const PUBLIC_KEY_BYTES = 32;
/** Bytes in an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/**
 * HKDF-SHA256 salt for Extract(salt, seed). A fixed, versioned salt keeps this derivation apart from any
 * other use of the same 32 bytes.
 */
export const HKDF_SALT_LABEL = 'wiremesh/v1/identity';
/** HKDF Expand info for the Ed25519 signing seed. Changing it changes every identity. */
export const HKDF_ED25519_LABEL = 'wiremesh/v1/ed25519';
/** HKDF Expand info for the X25519 static private key (the Wiresocket static key). */
export const HKDF_X25519_LABEL = 'wiremesh/v1/x25519';
/** Domain label hashed in front of both public keys to form the NodeID. */
export const NODE_ID_LABEL = 'wiremesh/v1/node-id';

/** Highest difficulty `satisfies` accepts: a NodeID has 256 bits. */
export const MAX_DIFFICULTY_BITS = 256;

/** Contact record layout version (first byte). */
export const CONTACT_RECORD_VERSION = 1;
/** Capability bit: the node volunteers to relay Wiresocket packets for others (DESIGN "NAT traversal"). */
export const CAP_RELAY = 1;
/** Most addresses a contact (string or record) may carry. */
export const MAX_CONTACT_ADDRESSES = 8;
/** Address family byte for IPv4 in a contact record. */
export const ADDRESS_FAMILY_IPV4 = 4;
/** Address family byte for IPv6 in a contact record. */
export const ADDRESS_FAMILY_IPV6 = 6;
/** Fixed part of a contact record: version, nodeId, edPub, xPub, capabilities (u32), address count. */
export const CONTACT_RECORD_HEADER_BYTES = 1 + NODE_ID_BYTES + PUBLIC_KEY_BYTES + PUBLIC_KEY_BYTES + 4 + 1;

// ---- Local tunables ------------------------------------------------------------------------------

/** Difficulty used by the CLI when none is given; a network-wide setting in practice. */
export const DEFAULT_DIFFICULTY = 8;
/**
 * Highest difficulty `mintIdentity` will try. Each bit doubles the expected work: 64 bits is about
 * 2^64 attempts, centuries on a laptop, so anything above is refused rather than left to spin.
 */
export const MAX_MINT_DIFFICULTY = 64;
/** Up to this difficulty minting grinds in the calling thread: worker start-up costs more than the work. */
export const IN_PROCESS_MAX_DIFFICULTY = 8;
/** How often `onProgress` fires while minting. */
export const PROGRESS_INTERVAL_MS = 250;
/** Progress samples (one per PROGRESS_INTERVAL_MS) the attempt rate is averaged over: about 2 s. */
export const PROGRESS_RATE_WINDOW_SAMPLES = 8;
/** Seeds drawn from the CSPRNG per batch while grinding (one randomFill call per batch). */
export const GRIND_BATCH_SEEDS = 64;
/** In-process grinding yields to the event loop after this long, so aborts and progress get a turn. */
export const IN_PROCESS_SLICE_MS = 10;
/** Most worker threads `mintIdentity` accepts. */
export const MAX_MINT_WORKERS = 256;

/** Name of the seed file inside the data directory. */
export const SEED_FILE_NAME = 'identity.seed';
/** Seed file permissions: owner read/write only. */
export const SEED_FILE_MODE = 0o600;
/** Permissions of a data directory this code creates. */
export const DATA_DIR_MODE = 0o700;
