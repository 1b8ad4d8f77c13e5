// Acceptance: a throwaway PostgreSQL that this test starts itself is killed (SIGKILL, postmaster and backends) for
// 60 s while the writer keeps writing; after it comes back every row is there exactly once. ~70-80 s by design.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { HistoryWriter } from '../../src/store/writer.js';
import { ThrowawayPostgres } from './helpers.js';

const OUTAGE_MS = 60_000;
const CONTRACTS = 100;
const PERIOD_MS = 40;
const pg = new ThrowawayPostgres();
const tmp = mkdtempSync(join(tmpdir(), 'manifold-outage-'));
afterAll(async () => {
  await pg.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it(
  'PostgreSQL killed for 60 s while the pipeline writes: after it returns every row is there exactly once',
  async () => {
    await pg.init();
    await pg.start();
    const db = await openDatabase({ databaseUrl: pg.url, pgliteDir: '' });
    await migrate(db);
    const w = new HistoryWriter(db, { spoolFile: join(tmp, 'outage.spool'), flavour: 'partitioned', batchRows: 1000, flushMs: 50, retryMs: 500 });
    // The "pipeline": a quote sample of 100 contracts every 40 ms (2,500 rows/s), plus a trade, for the whole run.
    const t0 = Date.UTC(2026, 10, 23, 14, 30);
    let samples = 0;
    let trades = 0;
    const tick = setInterval(() => {
      const ts = t0 + samples * 1000;
      for (let i = 0; i < CONTRACTS; i++) {
        w.write('option_quotes', {
          underlying: 'SPX', symbol: `SPXW  261218C0${String(4000 + i * 5).padStart(4, '0')}000`, ts, expiry: '2026-12-18',
          strike: 4000 + i * 5, option_right: 'C', bid: i, ask: i + 0.1, bid_size: 1, ask_size: 1,
        });
      }
      w.write('option_trades', { underlying: 'SPX', symbol: 'SPXW  261218C04000000', ts, trade_id: `T${trades++}`, price: 1, size: 1 });
      samples++;
    }, PERIOD_MS);
    try {
      await sleep(3000);
      const beforeKill = w.stats();
      expect(beforeKill.inserted).toBeGreaterThan(0);
      await pg.kill();
      await sleep(OUTAGE_MS);
      const during = w.stats();
      expect(during.state).toBe('spooling');
      expect(during.spooledRows).toBeGreaterThan((OUTAGE_MS / PERIOD_MS) * CONTRACTS * 0.5); // most of the outage's rows went to the spool
      await pg.start(); // crash recovery, then the writer's recovery loop replays the spool
      const tBack = Date.now();
      while (w.stats().state !== 'direct') {
        if (Date.now() - tBack > 60_000) throw new Error(`spool not replayed within 60 s: ${JSON.stringify(w.stats())}`);
        await sleep(100);
      }
      await sleep(1000); // and keep writing directly for a moment
    } finally {
      clearInterval(tick);
    }
    await w.close({ waitForReplayMs: 30_000 });
    const st = w.stats();
    expect(st.state).toBe('direct');
    expect(st.outages).toBeGreaterThanOrEqual(1);
    expect(st.replayedRows).toBe(st.spooledRows);
    expect(st.rejected).toBe(0);
    const q = await db.query<{ n: string; samples: string; minTs: Date; maxTs: Date }>(
      'SELECT count(*) AS n, count(DISTINCT ts) AS samples, min(ts) AS "minTs", max(ts) AS "maxTs" FROM option_quotes',
    );
    // Every row once: the exact number written, every sample time present, and per-sample completeness.
    expect(Number(q.rows[0].n)).toBe(samples * CONTRACTS);
    expect(Number(q.rows[0].samples)).toBe(samples);
    expect(new Date(q.rows[0].maxTs).getTime() - new Date(q.rows[0].minTs).getTime()).toBe((samples - 1) * 1000);
    const incomplete = await db.query('SELECT ts FROM option_quotes GROUP BY ts HAVING count(*) <> $1', [CONTRACTS]);
    expect(incomplete.rows).toEqual([]);
    const tr = await db.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM option_trades');
    expect(Number(tr.rows[0].n)).toBe(trades);
    expect(Number(tr.rows[0].d)).toBe(trades);
    // Accounting: everything accepted was inserted once; anything sent twice (an in-flight batch replayed) was absorbed.
    expect(st.inserted).toBe(samples * CONTRACTS + trades);
    expect(st.accepted).toBe(samples * CONTRACTS + trades);
    await db.close();
  },
  OUTAGE_MS + 90_000,
);
