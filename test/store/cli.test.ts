import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { createTestDatabase } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-dbcli-'));
const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const d of drops) await d();
  rmSync(tmp, { recursive: true, force: true });
});

it('manifold db migrate|status on PostgreSQL: pending → applied, idempotent, row counts', async () => {
  const db = await createTestDatabase();
  drops.push(db.drop);
  const env = { MANIFOLD_DATABASE_URL: db.url, MANIFOLD_DATA_DIR: join(tmp, 'pg') };
  const before = await runCli(['db', 'status', '--json'], { env });
  expect(before.code, before.stderr).toBe(0);
  const b = JSON.parse(before.stdout);
  expect(b).toMatchObject({ kind: 'postgres', flavour: null, applied: [], rows: null });
  expect(b.pending.map((p: { version: number }) => p.version)).toEqual([1, 2]);
  const m = await runCli(['db', 'migrate', '--json'], { env });
  expect(m.code, m.stderr).toBe(0);
  expect(JSON.parse(m.stdout)).toMatchObject({ flavour: 'partitioned', applied: [{ version: 1 }, { version: 2 }] });
  const again = await runCli(['db', 'migrate'], { env });
  expect(again.stdout).toMatch(/up to date \(2 migrations applied earlier\)/);
  const after = JSON.parse((await runCli(['db', 'status', '--json'], { env })).stdout);
  expect(after.pending).toEqual([]);
  expect(after.rows).toMatchObject({ option_quotes: 0, orders: 0 });
  expect(await runCli(['db', 'migrate', '--flavour', 'timescale'], { env })).toMatchObject({ code: 2 });
});

it('manifold db migrate on PGlite (no URL → <dataDir>/pglite), and clear errors for bad targets', async () => {
  const env = { MANIFOLD_DATA_DIR: join(tmp, 'lite') };
  const m = await runCli(['db', 'migrate', '--json'], { env });
  expect(m.code, m.stderr).toBe(0);
  const out = JSON.parse(m.stdout);
  expect(out).toMatchObject({ kind: 'pglite', flavour: 'partitioned' });
  expect(out.target).toBe(join(tmp, 'lite', 'pglite'));
  const bad = await runCli(['db', 'status'], { env: { MANIFOLD_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nope' } });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^manifold: history database: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/nope\n$/);
  const notPg = await runCli(['db', 'status'], { env: { MANIFOLD_DATABASE_URL: 'mysql://x' } });
  expect(notPg.stderr).toMatch(/must start with postgres:\/\//);
}, 90_000);
