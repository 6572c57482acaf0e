/** Picks a crypto provider (DESIGN: Crypto): native when sodium-native loads, else pure. */
import { InvalidArgumentError } from '../../errors.js';
import { nativeSuite } from './native.js';
import { pureSuite } from './pure.js';
import type { CryptoSuite } from './suite.js';

let chosen: CryptoSuite | undefined;

/** `native` when sodium-native loads, otherwise `pure`. Decided once per process. */
export function defaultSuite(): CryptoSuite {
  chosen ??= nativeSuite() ?? pureSuite();
  return chosen;
}

/**
 * The provider named by a user setting: 'native', 'pure', or 'auto' (= defaultSuite()). Throws
 * InvalidArgumentError for 'native' when sodium-native does not load, and for any other name.
 */
export function suiteByName(name: 'native' | 'pure' | 'auto'): CryptoSuite {
  switch (name) {
    case 'auto':
      return defaultSuite();
    case 'pure':
      return pureSuite();
    case 'native': {
      const native = nativeSuite();
      if (native === null) {
        throw new InvalidArgumentError(
          "the 'native' crypto suite needs sodium-native, which does not load here; use 'pure' or 'auto'",
        );
      }
      return native;
    }
    default:
      throw new InvalidArgumentError(`unknown crypto suite '${String(name)}'; use 'native', 'pure' or 'auto'`);
  }
}
