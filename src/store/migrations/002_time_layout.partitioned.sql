-- Plain PostgreSQL / PGlite: declarative range partitions on ts, created on demand by the writer
-- (manifold_ensure_partition) and dropped past each table's retention (manifold_apply_retention).
-- A DEFAULT partition per table catches anything outside the created ranges so that an insert never fails.

CREATE OR REPLACE FUNCTION manifold_ensure_partition(tbl text, at timestamptz) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
  unit text;
  lo timestamptz;
  hi timestamptz;
  part text;
BEGIN
  SELECT partition_unit INTO unit FROM manifold_time_tables WHERE table_name = tbl;
  IF unit IS NULL THEN
    RAISE EXCEPTION 'manifold_ensure_partition: % is not a time table', tbl;
  END IF;
  lo := date_trunc(unit, at, 'UTC');
  hi := lo + ('1 ' || unit)::interval;
  part := tbl || '_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD');
  IF to_regclass(part) IS NOT NULL THEN
    RETURN part;
  END IF;
  BEGIN
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, tbl, lo, hi);
  EXCEPTION
    -- Another process created it between our check and our CREATE.
    WHEN duplicate_table OR unique_violation THEN NULL;
    -- Rows of this range already sit in the DEFAULT partition: leave them there (still unique, still queryable).
    WHEN check_violation THEN RETURN NULL;
  END;
  RETURN part;
END
$fn$;

-- Drop partitions entirely older than their table's retention; returns how many were dropped.
CREATE OR REPLACE FUNCTION manifold_apply_retention(now_ts timestamptz DEFAULT now()) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  dropped integer := 0;
BEGIN
  FOR r IN
    SELECT c.relname AS part, t.partition_unit, t.retention
    FROM manifold_time_tables t
    JOIN pg_class p ON p.relname = t.table_name
    JOIN pg_inherits i ON i.inhparent = p.oid
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE t.retention IS NOT NULL AND c.relname ~ '_p[0-9]{8}$'
  LOOP
    IF to_timestamp(substring(r.part from '([0-9]{8})$'), 'YYYYMMDD') + ('1 ' || r.partition_unit)::interval
       <= now_ts - r.retention THEN
      EXECUTE format('DROP TABLE IF EXISTS %I', r.part);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  RETURN dropped;
END
$fn$;

DO $do$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT table_name FROM manifold_time_tables LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I DEFAULT', r.table_name || '_default', r.table_name);
    -- The current and next period exist up front; others are created as data arrives.
    PERFORM manifold_ensure_partition(r.table_name, now());
    PERFORM manifold_ensure_partition(r.table_name, now() + ('1 ' || (SELECT partition_unit FROM manifold_time_tables WHERE table_name = r.table_name))::interval);
  END LOOP;
END
$do$;
