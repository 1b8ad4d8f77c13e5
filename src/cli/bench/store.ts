import type { Command } from 'commander';
import { parseNumberOption, printJson } from '../output.js';

/** `manifold bench store` → {pg_rows_per_sec, pglite_rows_per_sec, ...}. */
export function register(bench: Command): void {
  bench
    .command('store')
    .description('history-store write rates on PostgreSQL and PGlite through the batched writer (one JSON line)')
    .option('--rows <n>', 'option quote rows written to each database', '200000')
    .option('--batch <n>', 'rows per INSERT', '5000')
    .option('--pg <url>', 'PostgreSQL server to create the scratch database on (default: MANIFOLD_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)')
    .action(async (opts: { rows: string; batch: string; pg?: string }) => {
      const rows = parseNumberOption('--rows', opts.rows, 1, 1e8);
      const batchRows = parseNumberOption('--batch', opts.batch, 1, 100_000);
      const pgAdminUrl = opts.pg ?? process.env.MANIFOLD_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
      const { runStoreBench } = await import('../../store/bench.js');
      printJson(await runStoreBench({ rows, batchRows, pgAdminUrl }), true);
    });
}
