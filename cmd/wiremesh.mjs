#!/usr/bin/env node
// Bin shim: run the compiled CLI when it exists (npm run build), else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = join(here, '..', 'dist', 'cmd', 'main.js');
const { hideBin } = await import('yargs/helpers');
let mod;
if (existsSync(compiled)) {
  mod = await import(pathToFileURL(compiled).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  mod = await tsImport(pathToFileURL(join(here, 'main.ts')).href, import.meta.url);
}
process.exitCode = await mod.main(hideBin(process.argv));
