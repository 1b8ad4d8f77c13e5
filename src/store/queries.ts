/**
 * Read queries over the history schema, identical on PostgreSQL, TimescaleDB and PGlite (plain SQL, no
 * extension functions) so the API and tools behave the same on every backend.
 */
import type { SqlQueryable } from './db.js';
import { TABLE_NAMES } from './tables.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export interface QuoteRow {
  symbol: string;
  ts: Date;
  expiry: string;
  strike: number;
  option_right: string;
  bid: number | null;
  ask: number | null;
  bid_size: number | null;
  ask_size: number | null;
  last: number | null;
  volume: number | null;
  underlying_price: number | null;
}

/** The most recent chain snapshot of `underlying` at or before `atMs` (every contract sampled at that time). */
export async function chainSnapshotAt(db: SqlQueryable, underlying: string, atMs = Date.now()): Promise<{ ts: Date | null; rows: QuoteRow[] }> {
  const t = await db.query<{ ts: Date | null }>('SELECT max(ts) AS ts FROM option_quotes WHERE underlying = $1 AND ts <= $2', [underlying, iso(atMs)]);
  const ts = t.rows[0]?.ts ?? null;
  if (!ts) return { ts: null, rows: [] };
  const r = await db.query<QuoteRow>(
    `SELECT symbol, ts, to_char(expiry, 'YYYY-MM-DD') AS expiry, strike, option_right, bid, ask, bid_size, ask_size, last, volume, underlying_price
       FROM option_quotes WHERE underlying = $1 AND ts = $2 ORDER BY expiry, strike, option_right`,
    [underlying, ts],
  );
  return { ts: new Date(ts), rows: r.rows };
}

/** The latest fitted slice per (expiry, settlement) at or before `atMs`. */
export async function surfaceAt(db: SqlQueryable, underlying: string, atMs = Date.now()): Promise<Record<string, unknown>[]> {
  const r = await db.query(
    `SELECT DISTINCT ON (expiry, settlement) underlying, ts, to_char(expiry, 'YYYY-MM-DD') AS expiry, settlement, t, forward, discount,
            quotes, a, b, rho, m, sigma, rmse_vol, in_band, max_abs_z, min_g, butterfly_free, atm_vol, calendar_free
       FROM surface_fits WHERE underlying = $1 AND ts <= $2
      ORDER BY expiry, settlement, ts DESC`,
    [underlying, iso(atMs)],
  );
  return r.rows;
}

export async function gexSeries(db: SqlQueryable, underlying: string, fromMs: number, toMs: number, model?: string): Promise<Record<string, unknown>[]> {
  const r = await db.query(
    `SELECT ts, model, spot, total_gex, flip, call_wall, put_wall, abs_gamma_strike FROM gex_snapshots
      WHERE underlying = $1 AND ts >= $2 AND ts < $3 AND ($4::text IS NULL OR model = $4) ORDER BY ts`,
    [underlying, iso(fromMs), iso(toMs), model ?? null],
  );
  return r.rows;
}

export async function regimeSeries(db: SqlQueryable, series: string, fromMs: number, toMs: number): Promise<Record<string, unknown>[]> {
  const r = await db.query(
    'SELECT ts, model, state, label, probabilities FROM regime_states WHERE series = $1 AND ts >= $2 AND ts < $3 ORDER BY ts, model',
    [series, iso(fromMs), iso(toMs)],
  );
  return r.rows;
}

/** Row count per history table (exact; used by `manifold db status`). */
export async function tableCounts(db: SqlQueryable): Promise<Record<string, number>> {
  const r = await db.query<Record<string, string>>(`SELECT ${TABLE_NAMES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`);
  return Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)]));
}
