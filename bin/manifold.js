#!/usr/bin/env node
// Entry point for `npx manifold`. Runs the compiled CLI from dist/ (built by `npm install` via the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'bin.js');
if (!existsSync(compiled)) {
  process.stderr.write('manifold: not built yet; run `npm install` (or `npm run build`) in ' + root + '\n');
  process.exit(2);
}
await import(pathToFileURL(compiled).href);
