/**
 * Ordered SQL migrations from `./migrations`: `NNN_name.sql` runs everywhere; `NNN_name.<flavour>.sql` runs only on
 * that flavour (`timescale` when the TimescaleDB extension is usable, `partitioned` on plain PostgreSQL and PGlite).
 * Each migration runs in its own transaction together with its row in `manifold_migrations`, under an advisory lock
 * so that several processes starting together apply it once. An applied migration whose file changed is an error.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../util/log.js';
import type { SqlClient, SqlQueryable } from './db.js';

const log = createLogger('store.migrate');

export type Flavour = 'timescale' | 'partitioned';

export interface Migration {
  version: number;
  name: string;
  file: string;
  /** undefined: applies to every flavour. */
  flavour: Flavour | undefined;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE_RE = /^(\d{3})_([a-z0-9_]+)(?:\.(timescale|partitioned))?\.sql$/;

/**
 * The migrations folder. `tsc` does not copy .sql files, so a compiled build (dist/store) falls back to the
 * source folder of the same checkout.
 */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'migrations'), join(here, '..', '..', 'src', 'store', 'migrations')];
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new MigrationError(`migrations folder not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Every migration file, in version order; throws on a malformed name or a duplicate version. */
export function loadMigrations(dir = migrationsDir()): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_RE.exec(file);
    if (!m) throw new MigrationError(`bad migration file name ${file}: expected NNN_name[.timescale|.partitioned].sql`);
    const sql = readFileSync(join(dir, file), 'utf8');
    out.push({
      version: Number(m[1]),
      name: m[2],
      file,
      flavour: m[3] as Flavour | undefined,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
    });
  }
  const seen = new Map<string, string>();
  for (const mg of out) {
    for (const fl of mg.flavour ? [mg.flavour] : (['timescale', 'partitioned'] as const)) {
      const k = `${mg.version}/${fl}`;
      if (seen.has(k)) throw new MigrationError(`two migrations with version ${mg.version} for ${fl}: ${seen.get(k)} and ${mg.file}`);
      seen.set(k, mg.file);
    }
  }
  return out.sort((a, b) => a.version - b.version);
}

/** The migrations that apply to `flavour`, with the flavour's substitutions made. */
export function migrationsFor(flavour: Flavour, all = loadMigrations()): Migration[] {
  return all
    .filter((m) => m.flavour === undefined || m.flavour === flavour)
    .map((m) => ({ ...m, sql: m.sql.replaceAll('/*TIME_PARTITION*/', flavour === 'partitioned' ? 'PARTITION BY RANGE (ts)' : '') }));
}

const TABLE_SQL = `CREATE TABLE IF NOT EXISTS manifold_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  flavour text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Advisory lock key: any constant shared by every Manifold process. */
const LOCK_KEY = 7_364_021_555;

export interface AppliedMigration {
  version: number;
  name: string;
  flavour: string;
  checksum: string;
  applied_at: Date;
}

async function applied(q: SqlQueryable): Promise<AppliedMigration[]> {
  const r = await q.query<AppliedMigration>('SELECT version, name, flavour, checksum, applied_at FROM manifold_migrations ORDER BY version');
  return r.rows;
}

/**
 * The flavour of this database: the one recorded by earlier migrations if any; otherwise timescale when the
 * extension is installed or can be created (available and preloaded), else partitioned.
 */
export async function detectFlavour(db: SqlClient, prefer: 'auto' | Flavour = 'auto'): Promise<{ flavour: Flavour; createExtension: boolean }> {
  await db.exec(TABLE_SQL);
  const rec = await db.query<{ flavour: Flavour }>('SELECT flavour FROM manifold_migrations ORDER BY version LIMIT 1');
  if (rec.rows.length > 0) {
    const f = rec.rows[0].flavour;
    if (prefer !== 'auto' && prefer !== f) throw new MigrationError(`database was migrated as '${f}'; cannot switch to '${prefer}'`);
    return { flavour: f, createExtension: false };
  }
  if (db.kind === 'pglite') {
    if (prefer === 'timescale') throw new MigrationError('TimescaleDB is not available on PGlite');
    return { flavour: 'partitioned', createExtension: false };
  }
  const ext = await db.query<{ installed: boolean; available: boolean; preload: string }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
            current_setting('shared_preload_libraries') AS preload`,
  );
  const { installed, available, preload } = ext.rows[0];
  const usable = installed || (available && /timescaledb/.test(preload));
  if (prefer === 'timescale' && !usable) throw new MigrationError('TimescaleDB requested but the extension is not installed/preloaded on this server');
  const flavour: Flavour = prefer === 'auto' ? (usable ? 'timescale' : 'partitioned') : prefer;
  return { flavour, createExtension: flavour === 'timescale' && !installed };
}

export interface MigrateResult {
  flavour: Flavour;
  applied: Array<{ version: number; name: string }>;
  alreadyApplied: number;
}

export async function migrate(db: SqlClient, prefer: 'auto' | Flavour = 'auto'): Promise<MigrateResult> {
  const { flavour, createExtension } = await detectFlavour(db, prefer);
  if (createExtension) await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
  const wanted = migrationsFor(flavour);
  const result: MigrateResult = { flavour, applied: [], alreadyApplied: 0 };
  for (const m of wanted) {
    const did = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const done = (await applied(tx)).find((a) => a.version === m.version);
      if (done) {
        if (done.checksum !== m.checksum) {
          throw new MigrationError(`migration ${m.file} changed after it was applied (checksum ${done.checksum} → ${m.checksum}); add a new migration instead`);
        }
        return false;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO manifold_migrations (version, name, flavour, checksum) VALUES ($1, $2, $3, $4)', [m.version, m.name, flavour, m.checksum]);
      return true;
    });
    if (did) {
      result.applied.push({ version: m.version, name: m.name });
      log.info({ version: m.version, name: m.name, flavour }, 'migration applied');
    } else result.alreadyApplied++;
  }
  return result;
}

export interface MigrationStatus {
  flavour: Flavour | null;
  applied: Array<{ version: number; name: string; applied_at: string; checksum_ok: boolean }>;
  pending: Array<{ version: number; name: string }>;
}

export async function migrationStatus(db: SqlClient): Promise<MigrationStatus> {
  await db.exec(TABLE_SQL);
  const done = await applied(db);
  const flavour = (done[0]?.flavour as Flavour | undefined) ?? null;
  const wanted = migrationsFor(flavour ?? 'partitioned');
  const byVersion = new Map(wanted.map((m) => [m.version, m]));
  return {
    flavour,
    applied: done.map((a) => ({
      version: a.version,
      name: a.name,
      applied_at: new Date(a.applied_at).toISOString(),
      checksum_ok: byVersion.get(a.version)?.checksum === a.checksum,
    })),
    pending: wanted.filter((m) => !done.some((a) => a.version === m.version)).map((m) => ({ version: m.version, name: m.name })),
  };
}
