/**
 * Batched, durable history writes. Rows are validated into a bounded in-memory buffer and flushed as one
 * `INSERT ... SELECT FROM unnest($1::type[], ...) ON CONFLICT DO NOTHING` per table per batch: one round trip and
 * a fixed number of parameters whatever the batch size, on PostgreSQL and PGlite alike.
 *
 * Two states. `direct`: batches go to the database. `spooling`: entered when the database goes away (connection
 * error) or the buffer overflows; every batch is appended to the spool file instead, and a recovery loop replays the
 * spool in order once the database answers, then returns to `direct` in the same synchronous step that finds the
 * spool empty (so no row can slip between the two). A batch cut off mid-flight is spooled whole: whatever part of
 * it had committed is absorbed by the primary keys on replay, so nothing is lost and nothing is written twice.
 */
import { createLogger } from '../util/log.js';
import { isConnectionError, type SqlClient } from './db.js';
import type { Flavour } from './migrate.js';
import { Spool } from './spool.js';
import { normaliseRow, RowError, TABLES, type RowValues, type TableName, type TableSpec } from './tables.js';

const log = createLogger('store.writer');

export interface WriterOptions {
  /** Spool file path. */
  spoolFile: string;
  flavour: Flavour;
  batchRows?: number;
  flushMs?: number;
  maxBufferRows?: number;
  /** How often the recovery loop probes the database while spooling, ms. */
  retryMs?: number;
  /** fdatasync every spool append (default true). */
  fsync?: boolean;
}

export interface WriterStats {
  state: 'direct' | 'spooling';
  buffered: number;
  /** Rows accepted by write(). */
  accepted: number;
  /** Rows refused by validation or by the database (bad data), never retried. */
  rejected: number;
  /** Rows newly inserted (or upserted) in the database. */
  inserted: number;
  /** Rows the database already had (replays of batches that had committed before a cut). */
  duplicates: number;
  spooledRows: number;
  replayedRows: number;
  spoolPendingBytes: number;
  outages: number;
}

const PG_ARRAY_TYPE: Record<string, string> = {
  text: 'text[]',
  float8: 'float8[]',
  int4: 'int4[]',
  bool: 'bool[]',
  timestamptz: 'timestamptz[]',
  date: 'date[]',
  jsonb: 'text[]', // JSON travels as text and is cast per element: a jsonb[] literal would need double escaping
};

function insertSql(t: TableSpec): string {
  const cols = t.columns.map((c) => c.name);
  const params = t.columns.map((c, i) => `$${i + 1}::${PG_ARRAY_TYPE[c.type]}`);
  const select = t.columns.map((c) => (c.type === 'jsonb' ? `u.${c.name}::jsonb` : `u.${c.name}`));
  let sql = `INSERT INTO ${t.name} (${cols.join(', ')}) SELECT ${select.join(', ')} FROM unnest(${params.join(', ')}) AS u(${cols.join(', ')})`;
  if (t.upsert) {
    const set = cols.filter((c) => !t.key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
    sql += ` ON CONFLICT (${t.key.join(', ')}) DO UPDATE SET ${set.join(', ')} WHERE ${t.name}.${t.upsert.versionColumn} < EXCLUDED.${t.upsert.versionColumn}`;
  } else sql += ' ON CONFLICT DO NOTHING';
  return sql;
}

const DAY_MS = 86_400_000;

export class HistoryWriter {
  private readonly buffers = new Map<TableName, RowValues[]>();
  private bufferedRows = 0;
  private state: 'direct' | 'spooling' = 'direct';
  private readonly spool: Spool;
  private readonly sql = new Map<TableName, string>();
  private readonly ensured = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private recovering: Promise<void> | undefined;
  private closed = false;
  private readonly s = { accepted: 0, rejected: 0, inserted: 0, duplicates: 0, spooledRows: 0, replayedRows: 0, outages: 0 };
  private readonly batchRows: number;
  private readonly maxBufferRows: number;

  constructor(
    private readonly db: SqlClient,
    private readonly opts: WriterOptions,
  ) {
    this.batchRows = opts.batchRows ?? 5000;
    this.maxBufferRows = opts.maxBufferRows ?? 200_000;
    for (const t of Object.values(TABLES)) this.sql.set(t.name, insertSql(t));
    this.spool = new Spool(opts.spoolFile, { fsync: opts.fsync });
    if (this.spool.pendingBytes() > 0) {
      log.warn({ file: opts.spoolFile, bytes: this.spool.pendingBytes() }, 'spool has unreplayed writes from an earlier run');
      this.enterSpooling('unreplayed spool at start');
    }
    this.timer = setInterval(() => this.backgroundFlush(), opts.flushMs ?? 250);
    this.timer.unref();
  }

  stats(): WriterStats {
    return { state: this.state, buffered: this.bufferedRows, ...this.s, spoolPendingBytes: this.spool.pendingBytes() };
  }

  /** Validate and buffer one row. Throws RowError (counted in `rejected`) on bad input. */
  write(table: TableName, row: Record<string, unknown>): void {
    if (this.closed) throw new Error('history writer is closed');
    const spec = TABLES[table];
    if (!spec) {
      this.s.rejected++;
      throw new RowError(String(table), 'unknown table');
    }
    let values: RowValues;
    try {
      values = normaliseRow(spec, row);
    } catch (e) {
      this.s.rejected++;
      throw e;
    }
    let buf = this.buffers.get(table);
    if (!buf) this.buffers.set(table, (buf = []));
    buf.push(values);
    this.s.accepted++;
    this.bufferedRows++;
    if (this.bufferedRows > this.maxBufferRows) {
      // The database is slower than the input: stop buffering in memory, the spool absorbs the rest.
      if (this.state === 'direct') {
        log.warn({ buffered: this.bufferedRows }, 'write buffer full: spilling to the spool');
        this.enterSpooling('buffer full');
      }
      this.spillBuffers();
    } else if (buf.length >= this.batchRows && !this.flushing) this.backgroundFlush();
  }

  /** Write everything buffered (to the database, or to the spool while spooling). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.bufferedRows > 0 ? this.flush() : undefined));
    this.flushing = this.doFlush().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    while (this.bufferedRows > 0) {
      if (this.state === 'spooling') {
        this.spillBuffers();
        return;
      }
      for (const [table, buf] of this.buffers) {
        if (buf.length === 0) continue;
        const batch = buf.splice(0, this.batchRows);
        this.bufferedRows -= batch.length;
        if (this.isSpooling()) {
          this.spoolAppend(table, batch);
          continue;
        }
        try {
          await this.insert(table, batch);
        } catch (err) {
          if (!isConnectionError(err)) throw err; // insert() already handles bad data
          this.s.outages++;
          log.warn({ err: (err as Error).message, table, rows: batch.length }, 'database unavailable: spooling writes');
          this.enterSpooling('connection error');
          this.spoolAppend(table, batch);
        }
      }
    }
  }

  private isSpooling(): boolean {
    return this.state === 'spooling';
  }

  private backgroundFlush(): void {
    this.flush().catch((err: unknown) => log.error({ err }, 'history flush failed'));
  }

  private spoolAppend(table: string, rows: RowValues[]): void {
    this.spool.append(table, rows);
    this.s.spooledRows += rows.length;
  }

  private spillBuffers(): void {
    for (const [table, buf] of this.buffers) {
      if (buf.length === 0) continue;
      this.spoolAppend(table, buf);
      this.bufferedRows -= buf.length;
      this.buffers.set(table, []);
    }
  }

  private enterSpooling(why: string): void {
    if (this.state !== 'spooling') log.info({ why }, 'history writer: spooling');
    this.state = 'spooling';
    this.recovering ??= this.recover().finally(() => (this.recovering = undefined));
  }

  /** Replay the spool in order once the database answers; back to direct when it is empty. */
  private async recover(): Promise<void> {
    const retryMs = this.opts.retryMs ?? 1000;
    while (!this.closed) {
      if (await this.db.ping()) {
        try {
          for (;;) {
            const next = this.spool.peekWindow(Math.max(this.batchRows, 20_000));
            if (!next) {
              // Same synchronous step as the emptiness check: no append can land in between.
              this.spool.reset();
              this.state = 'direct';
              log.info({ replayed: this.s.replayedRows }, 'history writer: spool replayed, writing directly again');
              return;
            }
            for (const [table, rows] of next.groups) {
              const chunk = Math.max(this.batchRows, 10_000);
              for (let i = 0; i < rows.length; i += chunk) await this.insert(table as TableName, rows.slice(i, i + chunk));
            }
            this.spool.commit(next.next);
            this.s.replayedRows += next.rows;
          }
        } catch (err) {
          if (!isConnectionError(err)) log.error({ err }, 'spool replay failed; will retry');
          else log.warn({ err: (err as Error).message }, 'database lost again during replay');
        }
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }

  /** Insert one batch; a batch refused for its data is retried row by row and only the bad rows are dropped. */
  private async insert(table: TableName, rows: RowValues[]): Promise<void> {
    const spec = TABLES[table];
    if (!spec) {
      this.s.rejected += rows.length;
      log.error({ table }, 'spooled rows for an unknown table dropped');
      return;
    }
    if (spec.timeSeries && this.opts.flavour === 'partitioned') await this.ensurePartitions(spec, rows);
    const batch = spec.upsert ? latestPerKey(spec, rows) : rows;
    try {
      const n = await this.run(spec, batch);
      this.s.inserted += n;
      this.s.duplicates += rows.length - n;
    } catch (err) {
      if (isConnectionError(err)) throw err;
      if (rows.length === 1) {
        this.s.rejected++;
        log.warn({ table, err: (err as Error).message }, 'row refused by the database');
        return;
      }
      for (const r of batch) await this.insert(table, [r]);
    }
  }

  private async run(spec: TableSpec, rows: RowValues[]): Promise<number> {
    const cols: unknown[][] = spec.columns.map(() => new Array(rows.length));
    for (let j = 0; j < spec.columns.length; j++) {
      const isTs = spec.columns[j].type === 'timestamptz';
      const col = cols[j];
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i][j];
        col[i] = isTs && v !== null ? new Date(v as number).toISOString() : v;
      }
    }
    const r = await this.db.query(this.sql.get(spec.name)!, cols);
    return r.count ?? rows.length;
  }

  private async ensurePartitions(spec: TableSpec, rows: RowValues[]): Promise<void> {
    const tsIdx = spec.columns.findIndex((c) => c.name === 'ts');
    const days = new Set<number>();
    for (const r of rows) days.add(Math.floor((r[tsIdx] as number) / DAY_MS));
    for (const d of days) {
      const k = `${spec.name}/${d}`;
      if (this.ensured.has(k)) continue;
      await this.db.query('SELECT manifold_ensure_partition($1, $2)', [spec.name, new Date(d * DAY_MS).toISOString()]);
      this.ensured.add(k);
    }
  }

  /** Flush, stop the timer and release the spool (rows still spooled stay on disk for the next start). */
  async close(opts: { waitForReplayMs?: number } = {}): Promise<void> {
    await this.flush();
    const deadline = Date.now() + (opts.waitForReplayMs ?? 0);
    while (this.state === 'spooling' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.recovering;
    this.spool.close();
  }
}

/** Upserts: one row per key per statement (PostgreSQL refuses to update a row twice in one command). */
function latestPerKey(spec: TableSpec, rows: RowValues[]): RowValues[] {
  const keyIdx = spec.key.map((k) => spec.columns.findIndex((c) => c.name === k));
  const vIdx = spec.columns.findIndex((c) => c.name === spec.upsert!.versionColumn);
  const m = new Map<string, RowValues>();
  for (const r of rows) {
    const k = keyIdx.map((i) => String(r[i])).join('\u0000');
    const prev = m.get(k);
    if (!prev || (prev[vIdx] as number) <= (r[vIdx] as number)) m.set(k, r);
  }
  return [...m.values()];
}
