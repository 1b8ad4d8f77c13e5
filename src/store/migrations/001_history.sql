-- Manifold history schema. Every time-series table has a `ts timestamptz` column that is part of its primary key:
-- that key is the idempotency key of the writer (INSERT ... ON CONFLICT DO NOTHING), so a batch replayed from the
-- spool after an outage never lands twice. /*TIME_PARTITION*/ is replaced by the migration runner:
-- `PARTITION BY RANGE (ts)` on plain PostgreSQL and PGlite, nothing on TimescaleDB (002 makes hypertables).

-- Which tables are time series and how they are chunked, compressed and retained (read by 002 on both flavours).
-- Compression segment/order columns cover every primary-key column, as TimescaleDB wants for unique constraints
-- on compressed chunks (so ON CONFLICT checks stay cheap after compression).
CREATE TABLE IF NOT EXISTS manifold_time_tables (
  table_name       text PRIMARY KEY,
  partition_unit   text NOT NULL CHECK (partition_unit IN ('day', 'week', 'month')),
  retention        interval,            -- NULL: keep forever
  compress_after   interval,            -- TimescaleDB only
  compress_segment_by text,             -- TimescaleDB only
  compress_order_by   text              -- TimescaleDB only
);

INSERT INTO manifold_time_tables VALUES
  ('underlying_bars',      'month', NULL,               INTERVAL '30 days', 'underlying, interval_s', 'ts DESC'),
  ('option_quotes',        'day',   INTERVAL '400 days', INTERVAL '3 days',  'underlying',             'symbol, ts DESC'),
  ('option_open_interest', 'month', NULL,               INTERVAL '60 days', 'underlying',             'symbol, ts DESC'),
  ('option_trades',        'day',   INTERVAL '400 days', INTERVAL '3 days',  'underlying',             'symbol, ts DESC, trade_id'),
  ('surface_fits',         'month', NULL,               INTERVAL '30 days', 'underlying',             'expiry, settlement, ts DESC'),
  ('gex_snapshots',        'month', NULL,               INTERVAL '30 days', 'underlying',             'model, ts DESC'),
  ('regime_states',        'month', NULL,               NULL,               NULL,                     NULL),
  ('fills',                'month', NULL,               NULL,               NULL,                     NULL)
ON CONFLICT (table_name) DO NOTHING;

-- OHLCV bars of the underlying; `ts` is the bar's start.
CREATE TABLE IF NOT EXISTS underlying_bars (
  underlying  text NOT NULL,
  interval_s  integer NOT NULL CHECK (interval_s > 0),
  ts          timestamptz NOT NULL,
  open        double precision NOT NULL,
  high        double precision NOT NULL,
  low         double precision NOT NULL,
  close       double precision NOT NULL,
  volume      double precision,
  PRIMARY KEY (underlying, interval_s, ts)
) /*TIME_PARTITION*/;

-- Option chain snapshots: every contract's quote sampled on a cadence (one row per contract per sample time).
CREATE TABLE IF NOT EXISTS option_quotes (
  underlying  text NOT NULL,
  symbol      text NOT NULL,
  ts          timestamptz NOT NULL,
  expiry      date NOT NULL,
  strike      double precision NOT NULL,
  option_right char(1) NOT NULL CHECK (option_right IN ('C', 'P')),
  bid         double precision,
  ask         double precision,
  bid_size    double precision,
  ask_size    double precision,
  last        double precision,
  volume      double precision,
  underlying_price double precision,
  PRIMARY KEY (underlying, symbol, ts)
) /*TIME_PARTITION*/;
CREATE INDEX IF NOT EXISTS option_quotes_underlying_ts ON option_quotes (underlying, ts DESC);

-- Open interest, daily: `ts` is the trade date at 00:00 UTC.
CREATE TABLE IF NOT EXISTS option_open_interest (
  underlying  text NOT NULL,
  symbol      text NOT NULL,
  ts          timestamptz NOT NULL,
  trade_date  date NOT NULL,
  open_interest double precision NOT NULL CHECK (open_interest >= 0),
  PRIMARY KEY (underlying, symbol, ts)
) /*TIME_PARTITION*/;

-- Option trades (time and sales). `trade_id` is the venue/feed id, or a feed-assigned sequence.
CREATE TABLE IF NOT EXISTS option_trades (
  underlying  text NOT NULL,
  symbol      text NOT NULL,
  ts          timestamptz NOT NULL,
  trade_id    text NOT NULL,
  price       double precision NOT NULL,
  size        double precision NOT NULL,
  exchange    integer,
  conditions  text,
  PRIMARY KEY (underlying, symbol, ts, trade_id)
) /*TIME_PARTITION*/;

-- SVI surface fits: parameters and fit quality per slice per fit time.
CREATE TABLE IF NOT EXISTS surface_fits (
  underlying  text NOT NULL,
  ts          timestamptz NOT NULL,
  expiry      date NOT NULL,
  settlement  text NOT NULL CHECK (settlement IN ('AM', 'PM')),
  t           double precision NOT NULL,
  forward     double precision,
  discount    double precision,
  quotes      integer,
  a           double precision,
  b           double precision,
  rho         double precision,
  m           double precision,
  sigma       double precision,
  rmse_vol    double precision,
  in_band     double precision,
  max_abs_z   double precision,
  min_g       double precision,
  butterfly_free boolean,
  atm_vol     double precision,
  calendar_free boolean,
  PRIMARY KEY (underlying, expiry, settlement, ts)
) /*TIME_PARTITION*/;

-- GEX snapshots: headline numbers as columns, the curves as JSON.
CREATE TABLE IF NOT EXISTS gex_snapshots (
  underlying  text NOT NULL,
  ts          timestamptz NOT NULL,
  model       text NOT NULL,
  spot        double precision NOT NULL,
  total_gex   double precision,
  flip        double precision,
  call_wall   double precision,
  put_wall    double precision,
  abs_gamma_strike double precision,
  by_expiry   jsonb,
  by_strike   jsonb,
  profile     jsonb,
  PRIMARY KEY (underlying, model, ts)
) /*TIME_PARTITION*/;

-- Regime model states over time.
CREATE TABLE IF NOT EXISTS regime_states (
  series      text NOT NULL,
  model       text NOT NULL,
  ts          timestamptz NOT NULL,
  state       integer NOT NULL,
  label       text,
  probabilities jsonb,
  PRIMARY KEY (series, model, ts)
) /*TIME_PARTITION*/;

-- Orders: mutable state, small, not partitioned. The writer upserts and never lets an older update win.
CREATE TABLE IF NOT EXISTS orders (
  order_id    text PRIMARY KEY,
  ts          timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  account     text,
  symbol      text NOT NULL,
  side        text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity    double precision NOT NULL CHECK (quantity > 0),
  order_type  text NOT NULL,
  limit_price double precision,
  status      text NOT NULL,
  detail      jsonb
);

-- Fills: append-only executions of orders.
CREATE TABLE IF NOT EXISTS fills (
  fill_id     text NOT NULL,
  order_id    text NOT NULL,
  ts          timestamptz NOT NULL,
  symbol      text NOT NULL,
  side        text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity    double precision NOT NULL CHECK (quantity > 0),
  price       double precision NOT NULL,
  fee         double precision,
  PRIMARY KEY (fill_id, ts)
) /*TIME_PARTITION*/;
CREATE INDEX IF NOT EXISTS fills_order_id ON fills (order_id);
