import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type SqlClient } from '../../src/store/db.js';
import { loadMigrations, migrate, migrationStatus, MigrationError } from '../../src/store/migrate.js';
import { chainSnapshotAt, gexSeries, regimeSeries, surfaceAt, tableCounts } from '../../src/store/queries.js';
import { RowError, TABLES, TABLE_NAMES } from '../../src/store/tables.js';
import { HistoryWriter } from '../../src/store/writer.js';
import { adminQuery, createTestDatabase, quoteRow } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 20, 15, 30);

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

interface Backend {
  name: 'pglite' | 'postgres';
  db: SqlClient;
  cleanup: () => Promise<void>;
  url?: string;
  dbName?: string;
}

const backends: Record<string, Backend> = {};

beforeAll(async () => {
  const pgl = await openDatabase({ pgliteDir: join(tmp, 'pglite') });
  backends.pglite = { name: 'pglite', db: pgl, cleanup: () => pgl.close() };
  const t = await createTestDatabase();
  const pgc = await openDatabase({ databaseUrl: t.url, pgliteDir: '' });
  backends.postgres = {
    name: 'postgres',
    db: pgc,
    url: t.url,
    dbName: t.name,
    cleanup: async () => {
      await pgc.close();
      await t.drop();
    },
  };
});
afterAll(async () => {
  for (const b of Object.values(backends)) await b.cleanup();
});

describe('migration files', () => {
  it('are ordered, named NNN_name[.flavour].sql, and a malformed name or duplicate version is refused', () => {
    const all = loadMigrations();
    expect(all.map((m) => m.version)).toEqual([...all.map((m) => m.version)].sort((a, b) => a - b));
    expect(all.some((m) => m.flavour === 'timescale') && all.some((m) => m.flavour === 'partitioned')).toBe(true);
    const dir = mkdtempSync(join(tmp, 'mig-'));
    writeFileSync(join(dir, '001_a.sql'), 'select 1');
    writeFileSync(join(dir, '001_b.sql'), 'select 1');
    expect(() => loadMigrations(dir)).toThrow(MigrationError);
    const dir2 = mkdtempSync(join(tmp, 'mig-'));
    writeFileSync(join(dir2, '1-bad.sql'), 'select 1');
    expect(() => loadMigrations(dir2)).toThrow(/bad migration file name/);
  });
});

for (const name of ['pglite', 'postgres'] as const) {
  describe(`history store on ${name}`, () => {
    it('migrates once (idempotent), records the flavour, and the tables match the writer’s column spec', async () => {
      const { db } = backends[name];
      const first = await migrate(db);
      expect(first.flavour).toBe('partitioned'); // no TimescaleDB on this machine, none in PGlite
      expect(first.applied.length).toBeGreaterThanOrEqual(2);
      const again = await migrate(db);
      expect(again.applied).toEqual([]);
      const st = await migrationStatus(db);
      expect(st.pending).toEqual([]);
      expect(st.applied.every((a) => a.checksum_ok)).toBe(true);
      const typeOf: Record<string, string> = {
        text: 'text', float8: 'double precision', int4: 'integer', bool: 'boolean',
        timestamptz: 'timestamp with time zone', date: 'date', jsonb: 'jsonb',
      };
      const cols = await db.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
        [TABLE_NAMES],
      );
      for (const t of TABLE_NAMES) {
        const actual = cols.rows.filter((r) => r.table_name === t);
        const expected = TABLES[t].columns.map((c) => ({
          column_name: c.name,
          data_type: c.name === 'option_right' ? 'character' : typeOf[c.type],
          is_nullable: c.nullable ? 'YES' : 'NO',
        }));
        expect(actual.map(({ column_name, data_type, is_nullable }) => ({ column_name, data_type, is_nullable })), t).toEqual(expected);
      }
      // Time tables are range-partitioned with a default partition.
      const parts = await db.query<{ relname: string }>(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid WHERE p.relname = 'option_quotes'`,
      );
      expect(parts.rows.map((r) => r.relname)).toContain('option_quotes_default');
    });

    it('writes every table in batches, once: duplicates ignored, upserts keep the newest, bad rows refused', async () => {
      const { db } = backends[name];
      await migrate(db);
      const w = new HistoryWriter(db, { spoolFile: join(tmp, `${name}-w.spool`), flavour: 'partitioned', batchRows: 700, flushMs: 20 });
      for (let s = 0; s < 3; s++) for (let i = 0; i < 500; i++) w.write('option_quotes', quoteRow(i, T0 + s * 60_000));
      for (let i = 0; i < 500; i++) w.write('option_quotes', quoteRow(i, T0)); // exact duplicates of the first sample
      w.write('underlying_bars', { underlying: 'SPX', interval_s: 60, ts: T0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 });
      w.write('option_open_interest', { underlying: 'SPX', symbol: 'X', ts: Date.UTC(2026, 10, 20), trade_date: '2026-11-20', open_interest: 1234 });
      w.write('option_trades', { underlying: 'SPX', symbol: 'X', ts: T0, trade_id: 't1', price: 1.5, size: 2, exchange: 4, conditions: '209' });
      for (const [ts, a] of [[T0, 0.01], [T0 + 60_000, 0.02]] as const) {
        w.write('surface_fits', { underlying: 'SPX', ts, expiry: '2026-12-18', settlement: 'PM', t: 0.08, forward: 5010, discount: 0.99, quotes: 120, a, b: 0.1, rho: -0.6, m: 0, sigma: 0.1, rmse_vol: 0.002, in_band: 0.97, max_abs_z: 2.1, min_g: 0.01, butterfly_free: true, atm_vol: 0.15, calendar_free: true });
      }
      w.write('gex_snapshots', { underlying: 'SPX', ts: T0, model: 'dealer-short-calls', spot: 5000, total_gex: -1.5e9, flip: 4980, call_wall: 5100, put_wall: 4900, abs_gamma_strike: 5000, by_expiry: [{ expiry: '2026-12-18', gex: 1 }], by_strike: [], profile: [{ spot: 4990, gex: NaN }] });
      w.write('regime_states', { series: 'SPY', model: 'hmm3', ts: T0, state: 1, label: 'calm', probabilities: [0.1, 0.8, 0.1] });
      w.write('orders', { order_id: 'o1', ts: T0, updated_at: T0 + 2, symbol: 'X', side: 'buy', quantity: 1, order_type: 'limit', limit_price: 1.2, status: 'filled' });
      w.write('orders', { order_id: 'o1', ts: T0, updated_at: T0 + 1, symbol: 'X', side: 'buy', quantity: 1, order_type: 'limit', limit_price: 1.2, status: 'working' });
      w.write('fills', { fill_id: 'f1', order_id: 'o1', ts: T0 + 1, symbol: 'X', side: 'buy', quantity: 1, price: 1.2, fee: 0.01 });
      // Bad input: clear error, counted, nothing buffered.
      expect(() => w.write('option_quotes', { ...quoteRow(1, T0), expiry: '18/12/2026' })).toThrow(RowError);
      expect(() => w.write('option_quotes', { ...quoteRow(1, T0), strike: 'x' })).toThrow(/strike must be a number/);
      expect(() => w.write('fills', { fill_id: 'f2' })).toThrow(/order_id is required/);
      // Passes validation but violates a CHECK in the database: refused alone, the rest of its batch lands.
      w.write('fills', { fill_id: 'f3', order_id: 'o1', ts: T0, symbol: 'X', side: 'buy', quantity: -1, price: 1 });
      w.write('fills', { fill_id: 'f4', order_id: 'o1', ts: T0, symbol: 'X', side: 'sell', quantity: 1, price: 1 });
      await w.close();
      const st = w.stats();
      expect(st.rejected).toBe(4);
      expect(st.duplicates).toBe(500 + 1); // the duplicate sample and the stale order update
      const counts = await tableCounts(db);
      expect(counts).toMatchObject({ option_quotes: 1500, underlying_bars: 1, option_open_interest: 1, option_trades: 1, surface_fits: 2, gex_snapshots: 1, regime_states: 1, orders: 1, fills: 2 });
      const o = await db.query<{ status: string }>("SELECT status FROM orders WHERE order_id = 'o1'");
      expect(o.rows[0].status).toBe('filled');
      const q = await db.query<{ ask_size: number | null; bid: number }>('SELECT ask_size, bid FROM option_quotes WHERE strike = 4007 AND ts = $1', [new Date(T0).toISOString()]);
      expect(q.rows).toEqual([{ ask_size: null, bid: 10.07 }]);
      // Partitions were created for the data's day.
      const part = await db.query<{ n: string }>("SELECT count(*) AS n FROM option_quotes_p20261120");
      expect(Number(part.rows[0].n)).toBe(1500);
      // Queries read it back the same way on both backends.
      const snap = await chainSnapshotAt(db, 'SPX', T0 + 150_000);
      expect(snap.ts!.getTime()).toBe(T0 + 120_000);
      expect(snap.rows.length).toBe(500);
      expect(snap.rows[0]).toMatchObject({ expiry: '2026-12-18', strike: 4000, option_right: 'C' });
      const surf = await surfaceAt(db, 'SPX', T0 + 30_000);
      expect(surf).toHaveLength(1);
      expect(surf[0]).toMatchObject({ expiry: '2026-12-18', a: 0.01, butterfly_free: true });
      expect((await gexSeries(db, 'SPX', T0 - 1, T0 + 1))[0]).toMatchObject({ flip: 4980, total_gex: -1.5e9 });
      const g = await db.query<{ profile: unknown }>('SELECT profile FROM gex_snapshots');
      expect(g.rows[0].profile).toEqual([{ spot: 4990, gex: null }]);
      expect((await regimeSeries(db, 'SPY', T0 - 1, T0 + 1))[0]).toMatchObject({ state: 1, label: 'calm', probabilities: [0.1, 0.8, 0.1] });
    });
  });
}

describe('spool: the database goes away mid-write', () => {
  it('PGlite closed underneath the writer → rows spooled → replayed exactly once when it reopens', async () => {
    const dir = join(tmp, 'pglite-spool');
    const db = await openDatabase({ pgliteDir: dir });
    await migrate(db);
    const w = new HistoryWriter(db, { spoolFile: join(tmp, 'pglite-spool.spool'), flavour: 'partitioned', batchRows: 200, flushMs: 10, retryMs: 100 });
    let n = 0;
    const writeSome = (k: number) => {
      for (let i = 0; i < k; i++, n++) w.write('option_trades', { underlying: 'SPX', symbol: `S${n % 50}`, ts: T0 + n, trade_id: `t${n}`, price: 1, size: 1 });
    };
    writeSome(1000);
    await w.flush();
    const inst = (db as unknown as { instance: { close(): Promise<void> } }).instance;
    const closing = inst.close(); // the database goes away while writes continue
    writeSome(1000);
    await closing;
    writeSome(1000);
    await w.flush();
    await waitFor(() => w.stats().outages >= 1 && w.stats().state === 'direct');
    writeSome(500);
    await w.close();
    const st = w.stats();
    expect(st.spooledRows).toBeGreaterThan(0);
    expect(st.replayedRows).toBe(st.spooledRows);
    const r = await db.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM option_trades');
    expect(Number(r.rows[0].n)).toBe(n);
    expect(Number(r.rows[0].d)).toBe(n);
    expect(st.inserted).toBe(n);
    await db.close();
  });

  it('PostgreSQL connections cut and refused → spooled → replayed exactly once when it accepts again', async () => {
    const { db, dbName } = backends.postgres;
    await migrate(db);
    await db.query('DELETE FROM option_trades');
    const w = new HistoryWriter(db, { spoolFile: join(tmp, 'pg-spool.spool'), flavour: 'partitioned', batchRows: 300, flushMs: 10, retryMs: 100 });
    let n = 0;
    const writeSome = (k: number) => {
      for (let i = 0; i < k; i++, n++) w.write('option_trades', { underlying: 'SPY', symbol: `S${n % 40}`, ts: T0 + n, trade_id: `p${n}`, price: 1, size: 1 });
    };
    writeSome(2000);
    const inFlight = w.flush();
    // Gone: refuse new connections and terminate the existing ones (mid-write).
    await adminQuery(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
    await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}'`);
    await inFlight;
    writeSome(2000);
    await w.flush();
    await waitFor(() => w.stats().outages >= 1);
    expect(w.stats().state).toBe('spooling');
    await new Promise((r) => setTimeout(r, 300));
    await adminQuery(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
    await waitFor(() => w.stats().state === 'direct');
    writeSome(100);
    await w.close();
    const r = await db.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM option_trades');
    expect(Number(r.rows[0].n)).toBe(n);
    expect(Number(r.rows[0].d)).toBe(n);
    expect(w.stats().replayedRows).toBe(w.stats().spooledRows);
    expect(w.stats().spooledRows).toBeGreaterThan(0);
  });
});
