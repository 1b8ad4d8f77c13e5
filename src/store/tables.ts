/**
 * The writer's view of the history tables: column names, SQL types and nullability, in the order rows are buffered
 * and spooled. It must match migrations/ (test/store checks it against information_schema on both databases).
 */

export type ColumnType = 'text' | 'float8' | 'int4' | 'bool' | 'timestamptz' | 'date' | 'jsonb';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSpec {
  name: TableName;
  columns: ColumnSpec[];
  /** Primary key columns: the idempotency key. */
  key: string[];
  /** Time-series table (has `ts`, partitioned / hypertable). */
  timeSeries: boolean;
  /** Mutable rows: upsert, the newer `versionColumn` wins; otherwise insert-or-ignore. */
  upsert?: { versionColumn: string };
}

export type TableName =
  | 'underlying_bars'
  | 'option_quotes'
  | 'option_open_interest'
  | 'option_trades'
  | 'surface_fits'
  | 'gex_snapshots'
  | 'regime_states'
  | 'orders'
  | 'fills';

const c = (name: string, type: ColumnType, nullable = true): ColumnSpec => ({ name, type, nullable });
const req = (name: string, type: ColumnType): ColumnSpec => c(name, type, false);

const spec = (name: TableName, key: string[], columns: ColumnSpec[], extra: Partial<TableSpec> = {}): TableSpec => ({
  name,
  key,
  columns,
  timeSeries: true,
  ...extra,
});

export const TABLES: Record<TableName, TableSpec> = {
  underlying_bars: spec('underlying_bars', ['underlying', 'interval_s', 'ts'], [
    req('underlying', 'text'), req('interval_s', 'int4'), req('ts', 'timestamptz'),
    req('open', 'float8'), req('high', 'float8'), req('low', 'float8'), req('close', 'float8'), c('volume', 'float8'),
  ]),
  option_quotes: spec('option_quotes', ['underlying', 'symbol', 'ts'], [
    req('underlying', 'text'), req('symbol', 'text'), req('ts', 'timestamptz'), req('expiry', 'date'), req('strike', 'float8'),
    req('option_right', 'text'), c('bid', 'float8'), c('ask', 'float8'), c('bid_size', 'float8'), c('ask_size', 'float8'),
    c('last', 'float8'), c('volume', 'float8'), c('underlying_price', 'float8'),
  ]),
  option_open_interest: spec('option_open_interest', ['underlying', 'symbol', 'ts'], [
    req('underlying', 'text'), req('symbol', 'text'), req('ts', 'timestamptz'), req('trade_date', 'date'), req('open_interest', 'float8'),
  ]),
  option_trades: spec('option_trades', ['underlying', 'symbol', 'ts', 'trade_id'], [
    req('underlying', 'text'), req('symbol', 'text'), req('ts', 'timestamptz'), req('trade_id', 'text'),
    req('price', 'float8'), req('size', 'float8'), c('exchange', 'int4'), c('conditions', 'text'),
  ]),
  surface_fits: spec('surface_fits', ['underlying', 'expiry', 'settlement', 'ts'], [
    req('underlying', 'text'), req('ts', 'timestamptz'), req('expiry', 'date'), req('settlement', 'text'), req('t', 'float8'),
    c('forward', 'float8'), c('discount', 'float8'), c('quotes', 'int4'),
    c('a', 'float8'), c('b', 'float8'), c('rho', 'float8'), c('m', 'float8'), c('sigma', 'float8'),
    c('rmse_vol', 'float8'), c('in_band', 'float8'), c('max_abs_z', 'float8'), c('min_g', 'float8'),
    c('butterfly_free', 'bool'), c('atm_vol', 'float8'), c('calendar_free', 'bool'),
  ]),
  gex_snapshots: spec('gex_snapshots', ['underlying', 'model', 'ts'], [
    req('underlying', 'text'), req('ts', 'timestamptz'), req('model', 'text'), req('spot', 'float8'),
    c('total_gex', 'float8'), c('flip', 'float8'), c('call_wall', 'float8'), c('put_wall', 'float8'), c('abs_gamma_strike', 'float8'),
    c('by_expiry', 'jsonb'), c('by_strike', 'jsonb'), c('profile', 'jsonb'),
  ]),
  regime_states: spec('regime_states', ['series', 'model', 'ts'], [
    req('series', 'text'), req('model', 'text'), req('ts', 'timestamptz'), req('state', 'int4'), c('label', 'text'), c('probabilities', 'jsonb'),
  ]),
  orders: spec(
    'orders',
    ['order_id'],
    [
      req('order_id', 'text'), req('ts', 'timestamptz'), req('updated_at', 'timestamptz'), c('account', 'text'), req('symbol', 'text'),
      req('side', 'text'), req('quantity', 'float8'), req('order_type', 'text'), c('limit_price', 'float8'), req('status', 'text'),
      c('detail', 'jsonb'),
    ],
    { timeSeries: false, upsert: { versionColumn: 'updated_at' } },
  ),
  fills: spec('fills', ['fill_id', 'ts'], [
    req('fill_id', 'text'), req('order_id', 'text'), req('ts', 'timestamptz'), req('symbol', 'text'), req('side', 'text'),
    req('quantity', 'float8'), req('price', 'float8'), c('fee', 'float8'),
  ]),
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

export class RowError extends Error {
  constructor(
    readonly table: string,
    message: string,
  ) {
    super(`${table}: ${message}`);
    this.name = 'RowError';
  }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A buffered row: one value per column, in column order; timestamps as epoch ms, JSON as text. */
export type RowValues = Array<string | number | boolean | null>;

/**
 * Validate and normalise one row object into column order. Throws RowError with the column and reason on bad
 * input (the writer counts it; nothing is buffered).
 */
export function normaliseRow(t: TableSpec, row: Record<string, unknown>): RowValues {
  if (row === null || typeof row !== 'object') throw new RowError(t.name, 'row must be an object');
  const out: RowValues = new Array(t.columns.length);
  for (let i = 0; i < t.columns.length; i++) {
    const col = t.columns[i];
    let v = row[col.name];
    if (typeof v === 'number' && Number.isNaN(v) && col.type === 'float8') v = null; // NaN = missing (chain convention)
    if (v === undefined || v === null) {
      if (!col.nullable) throw new RowError(t.name, `column ${col.name} is required`);
      out[i] = null;
      continue;
    }
    switch (col.type) {
      case 'text':
        if (typeof v !== 'string') throw new RowError(t.name, `column ${col.name} must be a string`);
        if (v.includes('\u0000')) throw new RowError(t.name, `column ${col.name} contains a NUL character`);
        out[i] = v;
        break;
      case 'float8':
        if (typeof v !== 'number') throw new RowError(t.name, `column ${col.name} must be a number`);
        out[i] = v;
        break;
      case 'int4':
        if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2_147_483_647) throw new RowError(t.name, `column ${col.name} must be a 32-bit integer`);
        out[i] = v;
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw new RowError(t.name, `column ${col.name} must be a boolean`);
        out[i] = v;
        break;
      case 'timestamptz': {
        const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
        if (!Number.isFinite(ms)) throw new RowError(t.name, `column ${col.name} must be a time (epoch ms, Date or ISO string)`);
        out[i] = ms;
        break;
      }
      case 'date':
        if (typeof v !== 'string' || !DATE_RE.test(v) || Number.isNaN(Date.parse(v))) throw new RowError(t.name, `column ${col.name} must be a YYYY-MM-DD date`);
        out[i] = v;
        break;
      case 'jsonb': {
        let s: string;
        try {
          s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
        } catch (e) {
          throw new RowError(t.name, `column ${col.name} is not JSON-serialisable: ${(e as Error).message}`);
        }
        if (s === undefined) throw new RowError(t.name, `column ${col.name} is not JSON-serialisable`);
        out[i] = s;
        break;
      }
    }
  }
  return out;
}
