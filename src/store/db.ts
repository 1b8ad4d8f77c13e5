/**
 * One small SQL client interface over PostgreSQL (node-postgres pool) and PGlite (embedded PostgreSQL in WASM with
 * a data directory), so migrations, the writer and the queries are the same code on both. `isConnectionError`
 * separates "the database went away" (spool and retry) from "this statement is wrong" (reject the rows).
 */
import { mkdirSync } from 'node:fs';
import { createLogger } from '../util/log.js';

const log = createLogger('store.db');

export interface SqlQueryable {
  /** `count`: rows affected by INSERT/UPDATE/DELETE when the driver reports it. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; count?: number }>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlQueryable {
  readonly kind: 'postgres' | 'pglite';
  /** Human-readable target (URL without password, or data directory). */
  readonly target: string;
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Cheap liveness probe: true when a trivial query succeeds. Re-opens a closed embedded database. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Errors meaning the server is unreachable or the session was cut, as opposed to a bad statement. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; connectionError?: boolean } | undefined;
  if (!e) return false;
  if (e.connectionError === true) return true;
  const code = e.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'ENETUNREACH'].includes(code)) return true;
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections).
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  const msg = e.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection|PGlite is closed|closed database|the database system is (starting up|shutting down|in recovery mode)|Cannot use a pool after calling end/i.test(
    msg,
  );
}

function markConnectionError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  (e as Error & { connectionError?: boolean }).connectionError = true;
  return e;
}

/** True when `SELECT 1` succeeds: the liveness probe of every client. */
export async function answers(db: SqlQueryable): Promise<boolean> {
  try {
    await db.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/** Redact the password of a postgres:// URL for logs and status output. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

class PgClient implements SqlClient {
  readonly kind = 'postgres' as const;
  private readonly guarded = new WeakSet<object>();
  readonly target: string;
  private constructor(
    private readonly pool: import('pg').Pool,
    url: string,
  ) {
    this.target = redactUrl(url);
  }

  static async open(url: string, poolSize = 4): Promise<PgClient> {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000 });
    // An idle client whose server dies emits 'error' on the pool; without a listener that would crash the process.
    pool.on('error', (err) => log.warn({ err: err.message }, 'idle PostgreSQL connection lost'));
    return new PgClient(pool, url);
  }

  /** A pooled connection; any failure to get one (refused, auth, database not accepting) is a connection error. */
  private async connect(): Promise<import('pg').PoolClient> {
    let c: import('pg').PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw markConnectionError(err);
    }
    // A checked-out client has no pool listener: a server-side termination arriving between queries would be an
    // uncaught 'error' event. The next query on it fails and reports the problem properly.
    if (!this.guarded.has(c)) {
      this.guarded.add(c);
      c.on('error', (err) => log.warn({ err: err.message }, 'PostgreSQL connection lost'));
    }
    return c;
  }

  async query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; count?: number }> {
    const c = await this.connect();
    let broken = false;
    try {
      const r = await c.query(sql, params as unknown[]);
      return { rows: r.rows as R[], count: r.rowCount ?? undefined };
    } catch (err) {
      broken = isConnectionError(err);
      throw err;
    } finally {
      c.release(broken ? true : undefined);
    }
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const c = await this.connect();
    let broken = false;
    try {
      await c.query('BEGIN');
      const tx: SqlQueryable = {
        query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await c.query(sql, params as unknown[])).rows as R[] }),
        exec: async (sql: string) => void (await c.query(sql)),
      };
      const out = await fn(tx);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      broken = isConnectionError(err);
      if (!broken) await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release(broken ? true : undefined);
    }
  }

  ping(): Promise<boolean> {
    return answers(this);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

type PGliteT = import('@electric-sql/pglite').PGlite;

class PgliteClient implements SqlClient {
  readonly kind = 'pglite' as const;
  private db: PGliteT | undefined;
  private opening: Promise<PGliteT> | undefined;
  private closedByUser = false;

  constructor(readonly target: string) {}

  /** Open (or re-open after it was closed underneath us) the embedded database. */
  private async handle(): Promise<PGliteT> {
    if (this.closedByUser) throw new Error('PGlite is closed');
    if (this.db && !this.db.closed) return this.db;
    this.opening ??= (async () => {
      const { PGlite } = await import('@electric-sql/pglite');
      if (this.target !== 'memory://') mkdirSync(this.target, { recursive: true });
      const db = await PGlite.create(this.target === 'memory://' ? undefined : this.target);
      this.db = db;
      return db;
    })().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** The open PGlite instance if any (tests close it to simulate the database going away). */
  get instance(): PGliteT | undefined {
    return this.db;
  }

  async query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; count?: number }> {
    const db = this.db && !this.db.closed ? this.db : undefined;
    if (!db) throw new Error('PGlite is closed');
    const r = await db.query<R>(sql, params as unknown[]);
    return { rows: r.rows, count: r.affectedRows };
  }

  async exec(sql: string): Promise<void> {
    await (await this.handle()).exec(sql);
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const db = await this.handle();
    return db.transaction(async (t) =>
      fn({
        query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await t.query<R>(sql, params as unknown[])).rows }),
        exec: async (sql: string) => void (await t.exec(sql)),
      }),
    );
  }

  async ping(): Promise<boolean> {
    try {
      await (await this.handle()).query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    if (this.db && !this.db.closed) await this.db.close();
  }
}

export type { PgliteClient };

/**
 * Open the history database: PostgreSQL when `databaseUrl` is set, otherwise PGlite in `pgliteDir`
 * (`memory://` for a throwaway in-memory database), on a worker thread with `pgliteThread` (./pglite-thread.ts).
 */
export async function openDatabase(opts: { databaseUrl?: string; pgliteDir: string; poolSize?: number; pgliteThread?: boolean }): Promise<SqlClient> {
  if (opts.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(opts.databaseUrl)) throw new Error(`database URL must start with postgres:// (got '${redactUrl(opts.databaseUrl)}')`);
    return PgClient.open(opts.databaseUrl, opts.poolSize);
  }
  const c: SqlClient = opts.pgliteThread ? new (await import('./pglite-thread.js')).PgliteThreadClient(opts.pgliteDir) : new PgliteClient(opts.pgliteDir);
  if (!(await c.ping())) throw new Error(`cannot open PGlite database in ${opts.pgliteDir}`);
  return c;
}
