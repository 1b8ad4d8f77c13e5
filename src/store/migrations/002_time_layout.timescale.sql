-- TimescaleDB: every time table becomes a hypertable chunked by its partition unit, with native compression
-- (segmented by underlying, ordered by time) and a retention policy where one is configured in
-- manifold_time_tables. Runs inside the migration transaction; the extension was created by the runner.
-- Uses the create_hypertable signature that every TimescaleDB 2.x accepts.

DO $do$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM manifold_time_tables LOOP
    PERFORM create_hypertable(
      r.table_name::regclass, 'ts',
      chunk_time_interval => ('1 ' || r.partition_unit)::interval,
      if_not_exists => TRUE,
      migrate_data => TRUE);
    IF r.compress_after IS NOT NULL THEN
      EXECUTE format(
        'ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = %L, timescaledb.compress_orderby = %L)',
        r.table_name, r.compress_segment_by, r.compress_order_by);
      PERFORM add_compression_policy(r.table_name::regclass, r.compress_after, if_not_exists => TRUE);
    END IF;
    IF r.retention IS NOT NULL THEN
      PERFORM add_retention_policy(r.table_name::regclass, r.retention, if_not_exists => TRUE);
    END IF;
  END LOOP;
END
$do$;

-- Same entry points as the partitioned flavour, so the writer and `manifold db status` need no branches.
-- Chunks are created by TimescaleDB itself; retention is a background job.
CREATE OR REPLACE FUNCTION manifold_ensure_partition(tbl text, at timestamptz) RETURNS text
LANGUAGE sql AS $fn$ SELECT NULL::text $fn$;

CREATE OR REPLACE FUNCTION manifold_apply_retention(now_ts timestamptz DEFAULT now()) RETURNS integer
LANGUAGE sql AS $fn$ SELECT 0 $fn$;
