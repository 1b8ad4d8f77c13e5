// `manifold run --role ...` through the real CLI: the feed process hosts the hub, the store process persists what
// any process publishes (history rows, latest state). Plus `manifold bench bus` output shape on a tiny run.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { ZmqBus } from '../../src/bus/zmq.js';
import { historyTopic, stateTopic } from '../../src/pipeline/store-sink.js';
import { RedisState } from '../../src/store/state.js';
import { repoRoot, runCli } from '../support/cli.js';
import { createTestDatabase, freePort } from '../store/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-runcli-'));
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(tmp, { recursive: true, force: true });
});

it('rejects an unknown role with a one-line error', async () => {
  const r = await runCli(['run', '--role', 'bogus']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("manifold: unknown role 'bogus' (expected one of feed, analytics, store, api)\n");
});

it('manifold run --role feed (hub) + --role store: rows and state published by another process are persisted', async () => {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const prefix = `manifold_test_${randomBytes(4).toString('hex')}:`;
  const ports = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    MANIFOLD_LOG_LEVEL: 'silent',
    MANIFOLD_DATABASE_URL: db.url,
    MANIFOLD_REDIS_URL: 'redis://127.0.0.1:6379',
    MANIFOLD_REDIS_PREFIX: prefix,
    MANIFOLD_DATA_DIR: tmp,
    MANIFOLD_ZMQ_PUB: `tcp://127.0.0.1:${ports[0]}`,
    MANIFOLD_ZMQ_SNAPSHOT: `tcp://127.0.0.1:${ports[1]}`,
    MANIFOLD_ZMQ_COLLECT: `tcp://127.0.0.1:${ports[2]}`,
    MANIFOLD_CONFIG: join(repoRoot, 'test/bus/fixtures/empty-config.json'),
  };
  const procs: ChildProcess[] = [];
  cleanups.push(() => procs.forEach((p) => p.kill('SIGKILL')));
  const start = (role: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/bin.ts'), 'run', '--role', role], { cwd: repoRoot, env });
      procs.push(p);
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => reject(new Error(`run --role ${role} exited ${code}: ${err}`)));
    });
  expect(await start('feed')).toEqual({ ready: true, roles: ['feed'], bus: 'zmq', hub: true, components: ['feed/feed'] });
  // State published before the store process exists: it must still reach Redis (snapshot on subscribe).
  const client = await ZmqBus.create({ hub: false, pubEndpoint: env.MANIFOLD_ZMQ_PUB, snapshotEndpoint: env.MANIFOLD_ZMQ_SNAPSHOT, collectEndpoint: env.MANIFOLD_ZMQ_COLLECT });
  cleanups.push(() => client.close());
  client.publish(stateTopic('gex', 'SPX'), { total_gex: -1.2e9, flip: 4980 }, { key: 'SPX' });
  await client.flush();
  await new Promise((r) => setTimeout(r, 300));
  expect(await start('store')).toMatchObject({ roles: ['store'], hub: false, components: ['store/store-sink'] });
  const t0 = Date.UTC(2026, 10, 23, 15);
  const rows = Array.from({ length: 500 }, (_, i) => ({ underlying: 'SPX', symbol: 'X', ts: t0 + i, trade_id: `c${i}`, price: 1 + i, size: 1 }));
  client.publishBatch(historyTopic('option_trades'), rows.slice(0, 250));
  client.publishBatch(historyTopic('option_trades'), [...rows.slice(250), { underlying: 'SPX', symbol: 'X', ts: 'not a time', trade_id: 'bad', price: 1, size: 1 }]);
  client.publish(stateTopic('health', 'massive'), { connected: true }, { key: 'massive' });
  await client.flush();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  cleanups.push(() => c.end());
  const t1 = Date.now();
  let n = 0;
  while (Date.now() - t1 < 20_000) {
    n = (await c.query('SELECT count(*)::int AS n FROM option_trades')).rows[0].n;
    if (n >= 500) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(n).toBe(500);
  const st = await RedisState.open('redis://127.0.0.1:6379', prefix);
  cleanups.push(async () => {
    await st.clear();
    await st.close();
  });
  const t2 = Date.now();
  while (!(await st.get('health', 'massive')) && Date.now() - t2 < 10_000) await new Promise((r) => setTimeout(r, 100));
  expect((await st.get('gex', 'SPX'))?.value).toEqual({ total_gex: -1.2e9, flip: 4980 });
  expect((await st.get('health', 'massive'))?.value).toEqual({ connected: true });
  // Clean shutdown on SIGTERM: the store flushes and exits 0.
  const codes = await Promise.all(
    procs.map((p) => new Promise<number | null>((r) => {
      p.removeAllListeners('exit');
      p.once('exit', (code) => r(code));
      p.kill('SIGTERM');
    })),
  );
  expect(codes).toEqual([0, 0]);
}, 90_000);

it('manifold bench bus prints one JSON line with the agreed fields (tiny run)', async () => {
  const r = await runCli(['bench', 'bus', '--quotes', '20000', '--batch', '500', '--inproc', '2000', '--unbatched', '500', '--runs', '1']);
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const j = JSON.parse(lines[0]);
  for (const k of ['inproc_msgs_per_sec', 'zmq_msgs_per_sec', 'zmq_lost']) expect(typeof j[k]).toBe('number');
  expect(j.zmq_quotes_received + j.zmq_lost).toBe(20000);
  expect(j.zmq_msgs_per_sec_runs).toHaveLength(1);
  expect(await runCli(['bench', 'bus', '--batch', '0'])).toMatchObject({ code: 2 });
});
