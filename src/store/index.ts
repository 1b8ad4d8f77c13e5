/**
 * The store facade: open the history database from configuration (PostgreSQL when a URL is set, else PGlite in
 * `<dataDir>/pglite`), apply migrations, and hand out a batched durable writer and the latest-state store.
 */
import { join, resolve } from 'node:path';
import type { ManifoldConfig } from '../config/index.js';
import { openDatabase, type SqlClient } from './db.js';
import { migrate, type Flavour, type MigrateResult } from './migrate.js';
import { openLatestState, type LatestState } from './state.js';
import { HistoryWriter } from './writer.js';

export { openDatabase, isConnectionError, type SqlClient } from './db.js';
export { migrate, migrationStatus, type Flavour } from './migrate.js';
export { HistoryWriter, type WriterStats } from './writer.js';
export { TABLES, TABLE_NAMES, RowError, type TableName } from './tables.js';
export { openLatestState, MemoryState, RedisState, STATE_KINDS, type LatestState, type StateKind } from './state.js';

export function pgliteDir(cfg: ManifoldConfig): string {
  return resolve(cfg.dataDir, 'pglite');
}

export function spoolDir(cfg: ManifoldConfig): string {
  return resolve(cfg.store.spoolDir ?? join(cfg.dataDir, 'spool'));
}

export async function openHistoryDb(cfg: ManifoldConfig): Promise<SqlClient> {
  return openDatabase({ databaseUrl: cfg.store.databaseUrl, pgliteDir: pgliteDir(cfg), pgliteThread: cfg.store.pgliteThread !== false });
}

export interface HistoryStore {
  db: SqlClient;
  flavour: Flavour;
  migrations: MigrateResult;
  writer: HistoryWriter;
  close(): Promise<void>;
}

/** Open, migrate and start a writer whose spool file is `<spoolDir>/<name>.spool` (one name per process). */
export async function openHistoryStore(cfg: ManifoldConfig, name = 'history'): Promise<HistoryStore> {
  const db = await openHistoryDb(cfg);
  try {
    const migrations = await migrate(db);
    const writer = new HistoryWriter(db, {
      spoolFile: join(spoolDir(cfg), `${name}.spool`),
      flavour: migrations.flavour,
      batchRows: cfg.store.batchRows,
      flushMs: cfg.store.flushMs,
      maxBufferRows: cfg.store.maxBufferRows,
    });
    return {
      db,
      flavour: migrations.flavour,
      migrations,
      writer,
      close: async () => {
        await writer.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

export async function openState(cfg: ManifoldConfig): Promise<LatestState> {
  return openLatestState(cfg.store);
}
