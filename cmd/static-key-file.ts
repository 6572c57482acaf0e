/**
 * The echo server's X25519 key file: 64 hex characters, mode 0600. Created on first use; a damaged file is
 * reported, never overwritten.
 */
import { chmod, open, readFile } from 'node:fs/promises';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError } from '../src/errors.js';
import { defaultSuite, type KeyPair } from '../src/session/index.js';

export async function loadOrCreateStaticKey(path: string | undefined): Promise<KeyPair> {
  const suite = defaultSuite();
  if (path === undefined) return suite.generateKeyPair();
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new InvalidArgumentError(`cannot read key file ${path} (${code}): check its permissions`);
    const kp = suite.generateKeyPair();
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(bytesToHex(kp.privateKey) + '\n');
      await fh.close();
      await chmod(path, 0o600);
    } catch (e) {
      throw new InvalidArgumentError(`cannot create key file ${path} (${(e as NodeJS.ErrnoException).code}): choose a writable location`);
    }
    return kp;
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new InvalidArgumentError(`key file ${path} does not hold 64 hex characters: it is damaged; move it away to create a new key`);
  }
  const privateKey = hexToBytes(text.toLowerCase());
  return { privateKey, publicKey: suite.publicKey(privateKey) };
}
