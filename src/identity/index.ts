/** Public surface of src/identity: keys, NodeID, proof of work, text forms, contact records, seed file. */
export * from './constants.js';
export type { Contact, ContactAddress } from './contact.js';
export { decodeContactRecord, encodeContactRecord, type DecodeContactRecordOptions } from './contact-record.js';
export { formatContact, formatPublicKeys, parseContact, parsePublicKeys } from './contact-string.js';
export { Identity, type IdentityOptions } from './identity.js';
export { formatIp, isUnreachableAddress, parseIpLiteral, parseIpv4, parseIpv6, type IpFamily } from './ip-literal.js';
export {
  defaultKeyProvider,
  keyProviderByName,
  nativeKeyProvider,
  pureKeyProvider,
  type DerivedKeys,
  type Ed25519Signer,
  type KeyProvider,
  type KeyProviderChoice,
  type KeyProviderName,
  type SeedHasher,
} from './key-provider.js';
export {
  checkMintDifficulty,
  mintIdentity,
  mintSeed,
  type MintOptions,
  type MintProgress,
  type MintedSeed,
} from './mint.js';
export { keysMatchNodeId, leadingZeroBits, nodeIdFromKeys, satisfies } from './node-id.js';
export { decodeMultibase, encodeBase32, formatNodeId, formatPublicKey, parseNodeId, parsePublicKey } from './node-id-text.js';
export { loadOrCreateIdentity, loadSeed, saveSeed, type LoadOrCreateIdentityOptions } from './seed-file.js';
export { SeedGrinder } from './seed-grinder.js';
export { signingDigest } from './signing-digest.js';
export { quoteInput } from './quoted-input.js';
