// Real databases for the store tests: a private database on the shared PostgreSQL (127.0.0.1:5432, trust), and a
// throwaway PostgreSQL server with its own data directory and port that a test may kill and restart.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const SHARED_PG = 'postgres://postgres@127.0.0.1:5432';

/** Creates `manifold_test_<random>` on the shared server; `drop()` removes it (forcing out leftover sessions). */
export async function createTestDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `manifold_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${SHARED_PG}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    url: `${SHARED_PG}/${name}`,
    drop: async () => {
      const a = new pg.Client({ connectionString: `${SHARED_PG}/postgres` });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Run a statement on the shared server's maintenance database. */
export async function adminQuery(sql: string): Promise<void> {
  const a = new pg.Client({ connectionString: `${SHARED_PG}/postgres` });
  await a.connect();
  try {
    await a.query(sql);
  } finally {
    await a.end();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL 15 server of our own: initdb into a temp dir owned by `postgres`, started as `postgres` (we run as
 * root), listening on 127.0.0.1:<free port> with its socket in the data dir. `kill()` is SIGKILL of the postmaster
 * and every backend (a crash: no shutdown, no checkpoint); `start()` again performs crash recovery.
 */
export class ThrowawayPostgres {
  readonly dir: string;
  port = 0;
  private proc: ChildProcess | undefined;
  private readonly ids = postgresIds();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'manifold-pg-'));
    chownSync(this.dir, this.ids.uid, this.ids.gid);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    const r = spawnSync(`${PG_BIN}/initdb`, ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], {
      ...this.ids,
      encoding: 'utf8',
      cwd: this.dir,
    });
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
    this.port = await freePort();
  }

  async start(): Promise<void> {
    const data = join(this.dir, 'data');
    this.proc = spawn(
      `${PG_BIN}/postgres`,
      ['-D', data, '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=20'],
      { ...this.ids, cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    this.proc.stderr!.on('data', (d) => (log += d));
    const t0 = Date.now();
    for (;;) {
      const r = spawnSync(`${PG_BIN}/pg_isready`, ['-h', '127.0.0.1', '-p', String(this.port)], { encoding: 'utf8' });
      if (r.status === 0) return;
      if (this.proc.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`throwaway postgres did not start: ${log}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  private postmasterPid(): number | undefined {
    const f = join(this.dir, 'data', 'postmaster.pid');
    if (!existsSync(f)) return undefined;
    return Number(readFileSync(f, 'utf8').split('\n')[0]);
  }

  /** SIGKILL the postmaster and all its children, and wait until they are gone. */
  async kill(): Promise<void> {
    const pid = this.postmasterPid() ?? this.proc?.pid;
    if (!pid) return;
    const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    for (const p of [pid, ...children]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return existsSync(`/proc/${p}`) && !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z');
      } catch {
        return false;
      }
    };
    const t0 = Date.now();
    while ([pid, ...children].some(alive) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  }

  /** Orderly stop and removal of the data directory. */
  async destroy(): Promise<void> {
    const pid = this.postmasterPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        /* gone */
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An `option_quotes` row for strike 4000 + i at `ts` (ask_size missing → NULL, last null). */
export function quoteRow(i: number, ts: number) {
  return {
    underlying: 'SPX',
    symbol: `SPXW  261218C0${String(4000 + i).padStart(4, '0')}000`,
    ts,
    expiry: '2026-12-18',
    strike: 4000 + i,
    option_right: 'C',
    bid: 10 + i / 100,
    ask: 10.5 + i / 100,
    bid_size: 5,
    ask_size: NaN, // missing → NULL
    last: null,
    volume: 1,
    underlying_price: 5000,
  };
}

