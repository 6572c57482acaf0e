/** Public surface of the Wiresocket crypto providers (spec 2). */
export type { CryptoSuite, KeyPair, SuiteName, TransportCipher } from './suite.js';
export { assertKeySize, clampPrivateKey } from './suite.js';
export { nativeSuite } from './native.js';
export { pureSuite } from './pure.js';
export { defaultSuite, suiteByName } from './select.js';
export { constantTimeEqual } from './constant-time.js';
export { randomBytes } from './random.js';
export { xOpen, xSeal } from './xchacha.js';
export { isValidCounter, writeAeadNonce } from './nonce.js';
// The BLAKE2s hash, MAC and KDF live one level up in kdf.ts (one implementation for both providers).
export { hash, kdf2, kdf3, mac } from '../kdf.js';
export * from './constants.js';
