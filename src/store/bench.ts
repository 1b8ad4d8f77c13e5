/**
 * `manifold bench store`: sustained history write rate through the real writer path (validation → bounded buffer →
 * batched unnest INSERT ... ON CONFLICT DO NOTHING), on PostgreSQL (a scratch database created and dropped for the
 * run) and on PGlite (a scratch data directory).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type SqlClient } from './db.js';
import { migrate } from './migrate.js';
import { HistoryWriter } from './writer.js';

export interface StoreBenchOptions {
  rows: number;
  batchRows: number;
  /** Server to create the scratch database on (its maintenance database URL). */
  pgAdminUrl: string;
}

async function writeRows(db: SqlClient, rows: number, batchRows: number, spoolDir: string): Promise<number> {
  const { flavour } = await migrate(db);
  const w = new HistoryWriter(db, { spoolFile: join(spoolDir, `bench-${randomBytes(4).toString('hex')}.spool`), flavour, batchRows, flushMs: 50, maxBufferRows: Math.max(rows * 2, 1) });
  const t0Ms = Date.UTC(2026, 10, 20, 14, 30);
  const contracts = 2000;
  const start = performance.now();
  for (let i = 0; i < rows; i++) {
    const k = i % contracts;
    w.write('option_quotes', {
      underlying: 'SPX',
      symbol: `SPXW  261218${k & 1 ? 'P' : 'C'}0${String(3000 + (k >> 1) * 5).padStart(4, '0')}000`,
      ts: t0Ms + Math.floor(i / contracts) * 1000,
      expiry: '2026-12-18',
      strike: 3000 + (k >> 1) * 5,
      option_right: k & 1 ? 'P' : 'C',
      bid: 10 + k / 100,
      ask: 10.2 + k / 100,
      bid_size: 10,
      ask_size: 12,
      last: 10.1,
      volume: 100,
      underlying_price: 5000,
    });
    // Let the flushes run as rows arrive, as in the live pipeline.
    if (i % batchRows === batchRows - 1) await w.flush();
  }
  await w.close();
  const dt = (performance.now() - start) / 1000;
  const st = w.stats();
  if (st.inserted !== rows || st.state !== 'direct') throw new Error(`store bench wrote ${st.inserted} of ${rows} rows (${st.state})`);
  return rows / dt;
}

/**
 * Reference measured in the same run: the same rows generated inside the server (INSERT ... SELECT
 * generate_series, same table, indexes, partitions and ON CONFLICT), i.e. the database's own ceiling without
 * client, protocol or validation costs.
 */
async function serverInsertRate(db: SqlClient, rows: number): Promise<number> {
  const start = performance.now();
  await db.query(
    `INSERT INTO option_quotes (underlying, symbol, ts, expiry, strike, option_right, bid, ask, bid_size, ask_size, last, volume, underlying_price)
     SELECT 'REF', 'SPXW  261218C0' || lpad((i % 2000)::text, 4, '0') || '000', $1::timestamptz + (i / 2000) * interval '1 second',
            '2026-12-18', 3000 + (i % 2000), 'C', 10, 10.2, 10, 12, 10.1, 100, 5000
       FROM generate_series(0, $2::int - 1) AS i
     ON CONFLICT DO NOTHING`,
    [new Date(Date.UTC(2026, 10, 20, 14, 30)).toISOString(), rows],
  );
  return rows / ((performance.now() - start) / 1000);
}

export async function runStoreBench(o: StoreBenchOptions): Promise<Record<string, number | string>> {
  const tmp = mkdtempSync(join(tmpdir(), 'manifold-bench-store-'));
  const name = `manifold_bench_${randomBytes(5).toString('hex')}`;
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: o.pgAdminUrl });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(o.pgAdminUrl);
    url.pathname = `/${name}`;
    const pgdb = await openDatabase({ databaseUrl: url.toString(), pgliteDir: '' });
    let pgRate: number;
    let pgRef: number;
    try {
      pgRate = await writeRows(pgdb, o.rows, o.batchRows, tmp);
      pgRef = await serverInsertRate(pgdb, o.rows);
    } finally {
      await pgdb.close();
    }
    const lite = await openDatabase({ pgliteDir: join(tmp, 'pglite') });
    let liteRate: number;
    let liteRef: number;
    try {
      liteRate = await writeRows(lite, o.rows, o.batchRows, tmp);
      liteRef = await serverInsertRate(lite, o.rows);
    } finally {
      await lite.close();
    }
    return {
      pg_rows_per_sec: Math.round(pgRate),
      pglite_rows_per_sec: Math.round(liteRate),
      pg_server_insert_rows_per_sec: Math.round(pgRef),
      pglite_server_insert_rows_per_sec: Math.round(liteRef),
      rows: o.rows,
      batch_rows: o.batchRows,
      table: 'option_quotes (13 columns, PK underlying+symbol+ts, partitioned by day)',
    };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}
