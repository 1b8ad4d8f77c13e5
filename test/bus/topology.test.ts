// The same pipeline code path in one process (in-process bus) and across processes (ZeroMQ, one role per process)
// produces the same history rows and the same latest state from the same replay.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ZmqBus } from '../../src/bus/zmq.js';
import { planTopology, startTopology } from '../../src/pipeline/topology.js';
import { RedisState } from '../../src/store/state.js';
import { repoRoot } from '../support/cli.js';
import { createTestDatabase, freePort } from '../store/helpers.js';
import { BATCHES, PER_BATCH, startCmd, testRoles } from './fixtures/components.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-topology-'));
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

const until = async (cond: () => Promise<boolean>, ms: number): Promise<void> => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function results(url: string, prefix: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query(
    `SELECT count(*)::int AS n, md5(string_agg(symbol || '|' || (extract(epoch from ts) * 1000)::bigint || '|' || bid || '|' || ask || '|' || bid_size || '|' || ask_size || '|' || strike || '|' || expiry, ',' ORDER BY symbol, ts)) AS digest FROM option_quotes`,
  );
  await c.end();
  const st = await RedisState.open('redis://127.0.0.1:6379', prefix);
  const surface = await st.get('surface', 'SPX');
  await st.clear();
  await st.close();
  return { rows: r.rows[0] as { n: number; digest: string }, surface: surface?.value };
}

async function setup(tag: string) {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const prefix = `manifold_test_${randomBytes(4).toString('hex')}_${tag}:`;
  cleanups.push(async () => {
    const st = await RedisState.open('redis://127.0.0.1:6379', prefix);
    await st.clear();
    await st.close();
  });
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const env: Record<string, string> = {
    MANIFOLD_DATABASE_URL: db.url,
    MANIFOLD_REDIS_URL: 'redis://127.0.0.1:6379',
    MANIFOLD_REDIS_PREFIX: prefix,
    MANIFOLD_DATA_DIR: join(tmp, tag),
    MANIFOLD_ZMQ_PUB: `tcp://127.0.0.1:${p1}`,
    MANIFOLD_ZMQ_SNAPSHOT: `tcp://127.0.0.1:${p2}`,
    MANIFOLD_ZMQ_COLLECT: `tcp://127.0.0.1:${p3}`,
    MANIFOLD_CONFIG: join(repoRoot, 'test/bus/fixtures/empty-config.json'),
  };
  return { env, url: db.url, prefix };
}

const expectedRows = BATCHES * PER_BATCH;

it('one process on the in-process bus and four processes over ZeroMQ give the same rows and state', async () => {
  // --- single process ---
  const a = await setup('single');
  const cfgA = loadConfig(a.env, repoRoot);
  expect(cfgA.bus.kind).toBe('inproc');
  const single = await startTopology(planTopology(cfgA), cfgA, testRoles);
  single.bus.publish(startCmd, { batches: BATCHES });
  const rowsIn = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const r = await c.query('SELECT count(*)::int AS n FROM option_quotes').catch(() => ({ rows: [{ n: 0 }] }));
    await c.end();
    return (r.rows[0] as { n: number }).n;
  };
  await until(async () => (await rowsIn(a.url)) === expectedRows, 60_000);
  await single.stop();
  const resA = await results(a.url, a.prefix);

  // --- one process per role, over ZeroMQ ---
  const b = await setup('multi');
  const procs: ChildProcess[] = [];
  const exits: string[] = [];
  cleanups.push(async () => procs.forEach((p) => p.kill('SIGKILL')));
  const startRole = (role: string) =>
    new Promise<ChildProcess>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/bus/fixtures/role.ts'), role], {
        cwd: repoRoot,
        env: { ...process.env, MANIFOLD_LOG_LEVEL: 'silent', ...b.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      procs.push(p);
      let out = '';
      let err = '';
      p.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('READY')) resolve(p);
      });
      p.stderr!.on('data', (d) => (err += d));
      p.on('exit', (code) => {
        exits.push(`${role} (${code}): ${err}`);
        reject(new Error(`role ${role} exited (${code}): ${err}`));
      });
    });
  await startRole('feed'); // hosts the hub
  await Promise.all([startRole('analytics'), startRole('store'), startRole('api')]);
  const cfgB = loadConfig(b.env, repoRoot);
  const client = await ZmqBus.create({ hub: false, pubEndpoint: cfgB.bus.pubEndpoint, snapshotEndpoint: cfgB.bus.snapshotEndpoint, collectEndpoint: cfgB.bus.collectEndpoint });
  client.publish(startCmd, { batches: BATCHES });
  await client.flush();
  await until(async () => {
    if (exits.length > 0) throw new Error(`a role process died: ${exits.join('; ')}`);
    return (await rowsIn(b.url)) === expectedRows;
  }, 60_000);
  await new Promise((r) => setTimeout(r, 300)); // last state update
  await client.close();
  await Promise.all(
    procs.map((p) => new Promise<void>((r) => {
      p.removeAllListeners('exit');
      p.once('exit', () => r());
      p.kill('SIGTERM');
    })),
  );
  const resB = await results(b.url, b.prefix);

  expect(resA.rows.n).toBe(expectedRows);
  expect(resB).toEqual(resA);
  expect(resA.surface).toMatchObject({ batches: BATCHES });
}, 150_000);
