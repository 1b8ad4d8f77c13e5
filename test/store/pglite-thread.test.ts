// PGlite on a worker thread (src/store/pglite-thread.ts) against the in-thread client: the same migrations, writes
// and queries give the same rows; bad statements come back as errors with their SQLSTATE and the client goes on; a
// transaction is atomic and holds the client; a closed client reports a connection error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isConnectionError, openDatabase, type SqlClient } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { PgliteThreadClient } from '../../src/store/pglite-thread.js';
import { chainSnapshotAt, tableCounts } from '../../src/store/queries.js';
import { HistoryWriter } from '../../src/store/writer.js';
import { quoteRow } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-pglite-thread-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 10, 20, 15, 30);

async function fill(db: SqlClient, name: string): Promise<void> {
  await migrate(db);
  const w = new HistoryWriter(db, { spoolFile: join(tmp, `${name}.spool`), flavour: 'partitioned', batchRows: 500, flushMs: 10 });
  for (let i = 0; i < 2000; i++) {
    w.write('option_trades', { underlying: 'SPX', symbol: `S${i % 40}`, ts: T0 + i, trade_id: `t${i}`, price: 1 + i / 1000, size: 1 + (i % 3) });
  }
  for (let i = 0; i < 300; i++) {
    w.write('option_quotes', quoteRow(i, T0));
  }
  await w.close();
}

describe('PGlite on a worker thread', () => {
  it('migrates, stores and answers exactly as the in-thread client', async () => {
    const inThread = await openDatabase({ pgliteDir: join(tmp, 'a') });
    const onWorker = await openDatabase({ pgliteDir: join(tmp, 'b'), pgliteThread: true });
    expect(onWorker).toBeInstanceOf(PgliteThreadClient);
    try {
      await fill(inThread, 'a');
      await fill(onWorker, 'b');
      expect(await tableCounts(onWorker)).toEqual(await tableCounts(inThread));
      expect((await tableCounts(onWorker)).option_trades).toBe(2000);
      expect(await chainSnapshotAt(onWorker, 'SPX', T0 + 1)).toEqual(await chainSnapshotAt(inThread, 'SPX', T0 + 1));
      const q = 'SELECT symbol, sum(size)::int AS n, max(ts) AS last FROM option_trades GROUP BY symbol ORDER BY symbol';
      expect((await onWorker.query(q)).rows).toEqual((await inThread.query(q)).rows);
      const del = await onWorker.query('DELETE FROM option_trades WHERE symbol = $1', ['S1']);
      expect(del.count).toBe(50);
    } finally {
      await inThread.close();
      await onWorker.close();
    }
  }, 60_000);

  it('reports a bad statement with its SQLSTATE and goes on; a transaction is atomic and holds the client', async () => {
    const db = await openDatabase({ pgliteDir: 'memory://', pgliteThread: true });
    try {
      await db.exec('CREATE TABLE t (x int PRIMARY KEY)');
      const bad = await db.query('SELEC 1').catch((e: unknown) => e as Error & { code?: string });
      expect(bad).toBeInstanceOf(Error);
      expect((bad as { code?: string }).code).toBe('42601'); // syntax_error
      expect(isConnectionError(bad)).toBe(false);
      const dup = await db.query('INSERT INTO t VALUES (1), (1)').then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      expect(dup?.code).toBe('23505');
      // A parameter that cannot cross to the worker is this statement's error; the client goes on.
      const uncopyable = await db.query('SELECT $1::text AS x', [() => 1]).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(uncopyable?.message).toMatch(/cannot send the statement to the PGlite worker/);
      expect(isConnectionError(uncopyable)).toBe(false); // unique_violation
      expect(await db.ping()).toBe(true);

      // Rolled back on a throw: nothing of it is stored.
      await expect(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (1), (2)');
          throw new Error('abandon');
        }),
      ).rejects.toThrow('abandon');
      expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(0);

      // A query issued while a transaction runs waits for its commit.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const txn = db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (10)');
        await gate;
        await tx.query('INSERT INTO t VALUES (11)');
        return 'done';
      });
      const during = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      await new Promise((r) => setTimeout(r, 50));
      release();
      expect(await txn).toBe('done');
      expect((await during).rows[0].n).toBe(2);
    } finally {
      await db.close();
    }
    const closed = await db.query('SELECT 1').catch((e: unknown) => e);
    expect(isConnectionError(closed)).toBe(true);
    expect(await db.ping()).toBe(false);
  }, 60_000);
});
