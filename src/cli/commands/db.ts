import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { printJson } from '../output.js';

async function withDb<T>(fn: (db: import('../../store/db.js').SqlClient) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../../config/index.js');
  const { openHistoryDb } = await import('../../store/index.js');
  let cfg;
  try {
    cfg = loadConfig();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  let db;
  try {
    db = await openHistoryDb(cfg);
    // PostgreSQL opens lazily: make an unreachable server a one-line user error, not a stack.
    if (!(await db.ping())) throw new Error(`cannot connect to ${db.target}`);
  } catch (e) {
    await db?.close();
    throw new UserError(`history database: ${(e as Error).message}`);
  }
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** `manifold db migrate|status`: the history schema (PostgreSQL/TimescaleDB, or PGlite in <dataDir>/pglite). */
export function register(program: Command): void {
  const db = program.command('db').description('history database: apply migrations, show status');
  db.command('migrate')
    .description('apply pending migrations (TimescaleDB hypertables when the extension exists, else time partitions)')
    .option('--json', 'print JSON')
    .option('--flavour <f>', 'auto | timescale | partitioned', 'auto')
    .action(async (opts: { json?: boolean; flavour: string }) => {
      if (!['auto', 'timescale', 'partitioned'].includes(opts.flavour)) throw new UserError(`--flavour must be auto, timescale or partitioned (got '${opts.flavour}')`);
      const { migrate, MigrationError } = await import('../../store/migrate.js');
      await withDb(async (c) => {
        let r;
        try {
          r = await migrate(c, opts.flavour as 'auto');
        } catch (e) {
          if (e instanceof MigrationError) throw new UserError(e.message);
          throw e;
        }
        const out = { target: c.target, kind: c.kind, flavour: r.flavour, applied: r.applied, already_applied: r.alreadyApplied };
        if (opts.json) printJson(out);
        else {
          process.stdout.write(`${c.kind} ${c.target}: ${r.flavour}\n`);
          if (r.applied.length === 0) process.stdout.write(`up to date (${r.alreadyApplied} migrations applied earlier)\n`);
          for (const m of r.applied) process.stdout.write(`applied ${String(m.version).padStart(3, '0')}_${m.name}\n`);
        }
      });
    });
  db.command('status')
    .description('applied and pending migrations, flavour, and row counts per history table')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { migrationStatus } = await import('../../store/migrate.js');
      const { tableCounts } = await import('../../store/queries.js');
      await withDb(async (c) => {
        const st = await migrationStatus(c);
        const rows = st.pending.length === 0 && st.applied.length > 0 ? await tableCounts(c) : null;
        const out = { target: c.target, kind: c.kind, flavour: st.flavour, applied: st.applied, pending: st.pending, rows };
        if (opts.json) {
          printJson(out);
          return;
        }
        process.stdout.write(`${c.kind} ${c.target}: ${st.flavour ?? 'not migrated'}\n`);
        for (const a of st.applied) process.stdout.write(`applied  ${String(a.version).padStart(3, '0')}_${a.name}  ${a.applied_at}${a.checksum_ok ? '' : '  (file changed since!)'}\n`);
        for (const p of st.pending) process.stdout.write(`pending  ${String(p.version).padStart(3, '0')}_${p.name}\n`);
        if (rows) for (const [t, n] of Object.entries(rows)) process.stdout.write(`${t.padEnd(22)} ${n}\n`);
      });
    });
}
