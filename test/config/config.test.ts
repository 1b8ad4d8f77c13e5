import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

describe('configuration', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'manifold-config-'));

  it('has embedded defaults with no file and no environment', () => {
    const c = loadConfig({}, dir());
    expect(c.store.databaseUrl).toBeUndefined();
    expect(c.store.redisUrl).toBeUndefined();
    expect(c.bus.kind).toBe('inproc');
    expect(c.api.port).toBe(8787);
    expect(c.massive.apiKey).toBeUndefined();
    expect(c.store.pgliteThread).toBe(true);
  });

  it('reads switches from the environment, and refuses anything else', () => {
    expect(loadConfig({ MANIFOLD_PGLITE_THREAD: '0' }, dir()).store.pgliteThread).toBe(false);
    expect(loadConfig({ MANIFOLD_PGLITE_THREAD: 'off' }, dir()).store.pgliteThread).toBe(false);
    expect(loadConfig({ MANIFOLD_PGLITE_THREAD: 'TRUE' }, dir()).store.pgliteThread).toBe(true);
    expect(() => loadConfig({ MANIFOLD_PGLITE_THREAD: 'maybe' }, dir())).toThrow(/store\.pgliteThread/);
  });

  it('file < .env < environment', () => {
    const d = dir();
    writeFileSync(join(d, 'manifold.config.json'), JSON.stringify({ api: { port: 9000 }, bus: { kind: 'zmq' }, dataDir: 'from-file' }));
    writeFileSync(join(d, '.env'), 'MANIFOLD_API_PORT=9100\n# comment\nMASSIVE_API_KEY="k-from-dotenv"\n');
    const c = loadConfig({ MANIFOLD_API_PORT: '9200' }, d);
    expect(c.api.port).toBe(9200);
    expect(c.bus.kind).toBe('zmq');
    expect(c.dataDir).toBe('from-file');
    expect(c.massive.apiKey).toBe('k-from-dotenv');
  });

  it('rejects invalid values with the path in the message', () => {
    expect(() => loadConfig({ MANIFOLD_BUS: 'carrier-pigeon' }, dir())).toThrow(/bus\.kind/);
    expect(() => loadConfig({ MANIFOLD_API_PORT: 'abc' }, dir())).toThrow(/api\.port/);
    const d = dir();
    writeFileSync(join(d, 'manifold.config.json'), '{not json');
    expect(() => loadConfig({}, d)).toThrow(/not valid JSON/);
  });
});

describe('configuration documentation', () => {
  it('every environment variable the config reads is in .env.example and the README', async () => {
    const { readFileSync } = await import('node:fs');
    const { repoRoot } = await import('../support/cli.js');
    const { ENV_VARS } = await import('../../src/config/index.js');
    const example = readFileSync(join(repoRoot, '.env.example'), 'utf8');
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const missing = Object.keys(ENV_VARS).filter((v) => !example.includes(v) || !readme.includes(v));
    expect(missing).toEqual([]);
  });
});
