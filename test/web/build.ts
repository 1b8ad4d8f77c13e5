// Builds the dashboard once for the browser tests: only when web/dist is missing or older than a source file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/cli.js';

/** Newest modification time (ms) of any file below `dir`. */
export function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function ensureWebBuilt(): string {
  const dist = join(repoRoot, 'web', 'dist');
  const index = join(dist, 'index.html');
  const sources = Math.max(newest(join(repoRoot, 'web', 'src')), statSync(join(repoRoot, 'web', 'index.html')).mtimeMs, newest(join(repoRoot, 'src', 'quant', 'svi')));
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      cwd: repoRoot,
      // Vitest sets NODE_ENV=test, and Vite builds React's development bundle (StrictMode double effects, dev-only
      // checks, several times slower) unless NODE_ENV says production: build what `npm run build` ships.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: 'inherit',
    });
  }
  return dist;
}
