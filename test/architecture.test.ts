// Enforces the layering of docs/ARCHITECTURE.md: pure folders import no Node module and no I/O folder,
// so they run unchanged in the browser.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/cli.js';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(importRe)) specs.push(m[1] ?? m[2]);
  return specs;
}

/** Which top-level src folders each pure folder may import from. */
const pureLayers: Record<string, string[]> = {
  quant: ['quant'],
  market: ['market', 'quant'],
  analytics: ['analytics', 'market', 'quant'],
};

describe('architecture', () => {
  for (const [layer, allowed] of Object.entries(pureLayers)) {
    it(`src/${layer} is pure: no Node modules, no I/O folders`, () => {
      const files = sourceFiles(join(repoRoot, 'src', layer)).filter((f) => !/\.node\.tsx?$/.test(f));
      const violations: string[] = [];
      for (const file of files) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.')) {
            const target = relative(join(repoRoot, 'src'), resolve(dirname(file), spec));
            const top = target.split(/[\\/]/)[0];
            if (!allowed.includes(top)) violations.push(`${relative(repoRoot, file)} imports ${spec}`);
          } else {
            // Bare imports: Node built-ins are never allowed; npm packages must be browser-safe (none needed yet).
            violations.push(`${relative(repoRoot, file)} imports package ${spec}`);
          }
        }
        const text = readFileSync(file, 'utf8');
        if (/\b(process\.|Buffer\.|require\()/.test(text)) violations.push(`${relative(repoRoot, file)} uses a Node global`);
      }
      expect(violations).toEqual([]);
    });
  }

  it('every folder under src is described in docs/ARCHITECTURE.md', () => {
    const doc = readFileSync(join(repoRoot, 'docs/ARCHITECTURE.md'), 'utf8');
    const folders = readdirSync(join(repoRoot, 'src')).filter((n) => statSync(join(repoRoot, 'src', n)).isDirectory());
    const missing = folders.filter((f) => !doc.includes(`src/${f}/`));
    expect(missing).toEqual([]);
  });
});
