/**
 * `npm install` runs this (package.json "install"): builds the optional native addon with node-gyp.
 * It never fails the install: without python3, make or a C compiler, on a platform other than Linux, or
 * when the build breaks, it prints one line and wiremesh runs on node:dgram and sodium-native instead
 * (src/session/native-addon.ts checks the addon again when it loads). WIREMESH_NATIVE=0 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const say = (line) => process.stderr.write(`wiremesh: ${line}\n`);
const fallback = 'wiremesh uses node:dgram and sodium-native instead (slower, same behaviour)';
const BUILD_TIMEOUT_MS = 180_000;

function nodeGypScript() {
  // npm tells lifecycle scripts where its bundled node-gyp is; otherwise look next to npm, then in node_modules.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: fine
  }
  return candidates.find((c) => typeof c === 'string' && existsSync(c)) ?? null;
}

function main() {
  if (process.env.WIREMESH_NATIVE === '0') return say(`native addon not built (WIREMESH_NATIVE=0); ${fallback}`);
  if (process.platform !== 'linux') return say(`native addon not built (it uses Linux system calls); ${fallback}`);
  const gyp = nodeGypScript();
  if (gyp === null) return say(`native addon not built (node-gyp not found); ${fallback}`);
  const args = [gyp, 'rebuild'];
  // Node's own headers: npm passes npm_config_nodedir to node-gyp; without it, use the ones installed
  // next to this node binary when there are any, so that no download is needed.
  const localHeaders = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(localHeaders, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${localHeaders}`);
  }
  const result = spawnSync(process.execPath, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS, encoding: 'utf8' });
  if (result.status === 0) return say('native addon built (sendmmsg/recvmmsg UDP batching, OpenSSL ChaCha20-Poly1305 and X25519)');
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n  ');
  say(`native addon not built (${result.error?.message ?? `node-gyp exited with ${result.status ?? result.signal}`}); ${fallback}`);
  if (output !== '') say(`last lines of the build:\n  ${output}`);
}

try {
  main();
} catch (err) {
  say(`native addon not built (${err instanceof Error ? err.message : String(err)}); ${fallback}`);
}
process.exitCode = 0;
