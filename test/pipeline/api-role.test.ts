// The api role (`manifold run --role api`): the gateway served from the state the analytics role publishes on the bus
// (BusStateProvider, src/pipeline/api-role.ts), with no analytics of its own.
//   1. In one process (in-process bus, the same components): every read route of a gateway over the bus state equals
//      the same route of a gateway over the live pipeline's own provider, body for body (GEX: data; its updated_at is
//      the publish time); a provider opened late has the whole state at once; a GEX model change is forwarded to the
//      analytics and answered; a chain reload is a 409, and so is a model change nobody answers.
//   2. Three processes over ZeroMQ (feed on the simulator, analytics --no-serve, api started last): the api process
//      serves GEX, surface, regime, chain, IV and health at once (retained snapshot), each equal to a state the
//      analytics process published on the bus; its WebSocket stream receives GEX updates; a GEX model change posted to
//      the api process takes effect in the analytics process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/index.js';
import { InprocBus } from '../../src/bus/inproc.js';
import { createBus } from '../../src/bus/index.js';
import type { Bus, BusMessage } from '../../src/bus/types.js';
import { buildGateway } from '../../src/api/server.js';
import type { GexJson, IvRow, SurfaceJson } from '../../src/api/state.js';
import { LiveChain } from '../../src/feed/live-chain.js';
import { LivePipeline } from '../../src/pipeline/live.js';
import type { FeedSource } from '../../src/pipeline/live-source.js';
import { BusStateProvider, ivTableFromWire } from '../../src/pipeline/api-role.js';
import { apiStateTopic, type IvWire, type WireSection } from '../../src/pipeline/api-state.js';
import type { ChainSummary, RegimeNow } from '../../src/api/state.js';
import { repoRoot } from '../support/cli.js';
import { Procs, stopProc, until, type Proc } from '../support/processes.js';
import { SHIPPED_CHAIN, smallChain } from '../feed/helpers.js';
import { freePort } from '../store/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-api-role-'));
const procs = new Procs();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  procs.killAll();
  rmSync(tmp, { recursive: true, force: true });
});


const norm = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));

// ---------------------------------------------------------------------------------------------------------------

it('in one process: the gateway over the bus state serves what the gateway over the live pipeline serves', async () => {
  const chain = await smallChain(6);
  const lc = LiveChain.fromChain(chain);
  const source: FeedSource = {
    name: 'test:static', chain: () => lc, metrics: () => null, state: () => 'live', clockMs: () => chain.asOfMs, outages: () => 0, stop: async () => undefined,
  };
  const bus = new InprocBus();
  const pipeline = new LivePipeline({ source, bus, dataDir: tmp, cycleMs: 50, surfaceThread: false, surfaceEveryMs: 0 });
  cleanups.push(async () => {
    await pipeline.stop();
    await bus.close();
  });
  pipeline.start();
  const p = pipeline.provider;
  await until(() => p.gex().status === 'ok' && p.surface().status === 'ok' && p.regime().status === 'ok', 30_000, 'the first GEX, surface and regime');

  // Opened after the analytics published: the retained state is there at once.
  const busState = await BusStateProvider.open(bus, { reloadTimeoutMs: 2000 });
  cleanups.push(() => busState.close());
  for (const s of [busState.chain(), busState.iv(), busState.surface(), busState.gex(), busState.regime(), busState.health()]) expect(s.status).toBe('ok');
  expect(busState.followed).toBe('SPX');

  const token = 'test-token';
  const direct = (await buildGateway({ state: p, token, webRoot: false })).app;
  const viaBus = (await buildGateway({ state: busState, token, webRoot: false })).app;
  cleanups.push(async () => {
    await direct.close();
    await viaBus.close();
  });
  const get = async (app: typeof direct, url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { code: r.statusCode, body: JSON.parse(r.body) as { status: string; updated_at: number | null; data: unknown } };
  };

  // The IV table goes out at most once a second (trailing edge): wait until the bus has the pipeline's latest.
  await until(() => busState.iv().updatedAt === p.iv().updatedAt && busState.chain().updatedAt === p.chain().updatedAt, 5000, 'the latest IV table on the bus');
  const routes = [
    '/api/v1/chain', '/api/v1/iv', '/api/v1/iv?limit=1000&offset=17', '/api/v1/iv?expiry=2&limit=5000', '/api/v1/surface', '/api/v1/surface/params',
    '/api/v1/surface/quality', '/api/v1/surface/grid?nk=41&nt=23&kmin=-0.4&kmax=0.3', '/api/v1/surface/quotes', '/api/v1/regime', '/api/v1/regime/history?limit=5000',
    '/api/v1/admin/options', '/api/v1/iv?expiry=99',
  ];
  for (const url of routes) {
    const [a, b] = [await get(direct, url), await get(viaBus, url)];
    expect(b, url).toEqual(a);
  }
  const iv = (await get(viaBus, '/api/v1/iv?limit=5000')).body.data as { total: number; rows: IvRow[] };
  expect(iv.total).toBe(chain.size);
  expect(iv.rows.filter((r) => r.mid_iv !== null).length).toBeGreaterThan(100);
  const grid = (await get(viaBus, '/api/v1/surface/grid?nk=5&nt=5&kmin=-0.1&kmax=0.1')).body.data as { iv: (number | null)[][] };
  expect(grid.iv.flat().every((x) => x !== null && x > 0.02 && x < 3)).toBe(true);
  const quotes = (await get(viaBus, '/api/v1/surface/quotes')).body.data as { k: number[] }[];
  expect(quotes.reduce((n, q) => n + q.k.length, 0)).toBeGreaterThan(100);
  const regime = (await get(viaBus, '/api/v1/regime/history?limit=5000')).body.data as { history: unknown[] };
  expect(regime.history.length).toBeGreaterThan(100);
  // GEX: the same document; its time is when it was published.
  for (const url of ['/api/v1/gex', '/api/v1/gex/summary', '/api/v1/gex/strikes?window=0.05', '/api/v1/gex/profile']) {
    const [a, b] = [await get(direct, url), await get(viaBus, url)];
    expect(b.code, url).toBe(200);
    expect(b.body.data, url).toEqual(a.body.data);
    expect(b.body.updated_at! - a.body.updated_at!, url).toBeGreaterThanOrEqual(0);
    expect(b.body.updated_at! - a.body.updated_at!, url).toBeLessThan(1000);
  }
  // Health: the analytics role's feed and stages, plus the gateway's own view of the bus.
  const h = (await get(viaBus, '/api/v1/health')).body;
  expect(h.status).toBe('ok');
  const hd = h.data as { feed: { source: string }; pipeline: { name: string; status: string }[]; api: unknown };
  expect(hd.feed.source).toBe('test:static');
  expect(hd.pipeline.map((s) => s.name)).toEqual(['feed', 'iv', 'surface', 'gex', 'regime', 'publish', 'bus']);
  expect(hd.pipeline.find((s) => s.name === 'bus')!.status).toBe('ok');
  expect(hd.api).toBeDefined();

  // Updates flow: a quote moves, the pipeline recomputes, the bus state follows (chain, GEX, surface, IV).
  const before = { gex: busState.gex().updatedAt!, surface: busState.surface().updatedAt!, iv: busState.iv().updatedAt! };
  const r0 = chain.expiries[1].rows[Math.floor(chain.expiries[1].rows.length / 2)];
  lc.applyQuote(r0, lc.bid[r0] + 0.05, lc.ask[r0] + 0.05, 5, 5, chain.asOfMs + 1000, 1);
  await until(
    () => busState.gex().updatedAt! > before.gex && busState.surface().updatedAt! > before.surface && busState.iv().updatedAt! > before.iv && busState.iv().updatedAt === p.iv().updatedAt,
    10_000,
    'the bus state to follow an update',
  );
  expect(busState.iv().data!.row(r0)).toEqual(p.iv().data!.row(r0));

  // State-changing routes: a GEX model change is forwarded to the analytics (which recomputes GEX with it); a chain
  // file cannot be loaded into a live pipeline.
  const post = (body: unknown, auth = true) =>
    viaBus.inject({ method: 'POST', url: '/api/v1/admin/reload', payload: body as object, headers: auth ? { authorization: `Bearer ${token}` } : {} });
  expect((await post({ gex_model: 'all-short' }, false)).statusCode).toBe(401);
  const ok = await post({ gex_model: 'all-short' });
  expect(ok.statusCode, ok.body).toBe(200);
  expect(JSON.parse(ok.body)).toMatchObject({ gex_model: 'all-short', sections: { gex: 'ok', surface: 'ok' } });
  await until(() => busState.gex().data?.model === 'all-short', 10_000, 'GEX with the new model on the bus');
  expect(p.gex().data!.model).toBe('all-short');
  const chainReload = await post({ chain: 'x.csv' });
  expect(chainReload.statusCode).toBe(409);
  expect(JSON.parse(chainReload.body).error).toMatch(/follows its feed/);
  expect((await post({ gex_model: 'nope' })).statusCode).toBe(400);

  // No analytics on the bus: the model change is a 409 that says so.
  const empty = new InprocBus();
  const lonely = await BusStateProvider.open(empty, { reloadTimeoutMs: 200 });
  expect(lonely.gex().status).toBe('pending');
  await expect(lonely.reload({ gexModel: 'naive' })).rejects.toThrow(/no analytics role answered within 0.2 s/);
  await lonely.close();
  await empty.close();
}, 60_000);

// ---------------------------------------------------------------------------------------------------------------




/** The shipped chain file cut to its first `n` expiries (the simulator plays it; small enough to fit fast). */
function smallChainFile(n: number): string {
  const lines = readFileSync(SHIPPED_CHAIN, 'utf8').split('\n');
  const head = lines.slice(0, 4);
  const keep: string[] = [];
  const seen = new Set<string>();
  for (const l of lines.slice(4)) {
    const exp = l.split(',')[0];
    if (!exp) continue;
    if (!seen.has(exp)) {
      if (seen.size === n) break;
      seen.add(exp);
    }
    keep.push(l);
  }
  const path = join(tmp, 'small-chain.csv');
  writeFileSync(path, [...head, ...keep, ''].join('\n'));
  return path;
}

it('three processes over ZeroMQ: an api process started last serves the analytics state at once, streams it, forwards a model change', async () => {
  const t0 = Date.now();
  const marks: string[] = [];
  const mark = (what: string) => marks.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const zmqEnv = {
    MANIFOLD_BUS: 'zmq',
    MANIFOLD_ZMQ_PUB: `tcp://127.0.0.1:${p1}`,
    MANIFOLD_ZMQ_SNAPSHOT: `tcp://127.0.0.1:${p2}`,
    MANIFOLD_ZMQ_COLLECT: `tcp://127.0.0.1:${p3}`,
  };
  const env = (dir: string): Record<string, string> => ({
    MANIFOLD_LOG_LEVEL: 'warn',
    MANIFOLD_CONFIG: join(repoRoot, 'test/bus/fixtures/empty-config.json'),
    MANIFOLD_DATA_DIR: join(tmp, dir),
    MANIFOLD_DATABASE_URL: '',
    MANIFOLD_REDIS_URL: '',
    MANIFOLD_API_PORT: '0',
    MANIFOLD_API_TOKEN: 'mp-token',
    ...zmqEnv,
  });
  const ready = (x: Proc) => x.out().includes('"ready":true');
  const chainFile = smallChainFile(5);
  // The feed hosts the hub (the default bus.hubRole); the analytics computes without a gateway of its own.
  const feed = procs.run(['--role', 'feed', '--source', 'sim', '--chain', chainFile, '--rate', '400'], env('feed'));
  const analytics = procs.run(['--role', 'analytics', '--no-serve'], env('analytics'));
  await until(() => ready(feed) && ready(analytics), 40_000, 'the feed and analytics roles', [feed, analytics]);
  mark('feed+analytics ready');

  // This test joins the bus too and records what the analytics process publishes.
  const cfg = loadConfig(env('observer'), repoRoot);
  const bus: Bus = await createBus(cfg.bus, { kind: 'zmq', hub: false });
  cleanups.push(() => bus.close());
  const seen = { gex: new Set<string>(), surface: new Set<string>(), chain: new Set<string>(), regime: new Set<string>(), iv: [] as IvWire[] };
  const keep = <T>(set: Set<string>) => (m: BusMessage<T>) => {
    for (const it of m.items) set.add(JSON.stringify(norm(it)));
  };
  const subs = [
    bus.subscribe<GexJson>('event.gex.SPX', keep(seen.gex), { snapshot: true }),
    bus.subscribe<SurfaceJson>('event.surface.SPX', keep(seen.surface), { snapshot: true }),
    bus.subscribe<WireSection<ChainSummary>>(apiStateTopic('chain', 'SPX'), (m) => m.items.forEach((w) => seen.chain.add(JSON.stringify(norm(w.data)))), { snapshot: true }),
    bus.subscribe<WireSection<RegimeNow>>(apiStateTopic('regime', 'SPX'), (m) => m.items.forEach((w) => seen.regime.add(JSON.stringify(norm(w.data)))), { snapshot: true }),
    bus.subscribe<WireSection<IvWire>>(apiStateTopic('iv', 'SPX'), (m) => m.items.forEach((w) => w.data && seen.iv.push(w.data)), { snapshot: true }),
  ];
  await Promise.all(subs.map((s) => s.ready));
  await until(() => seen.gex.size >= 2 && seen.surface.size >= 1 && seen.regime.size >= 1 && seen.iv.length >= 1, 40_000, 'the analytics state on the bus', [feed, analytics]);
  mark('analytics publishing');

  // The api process, started last: it serves the current state as soon as it is ready.
  const api = procs.run(['--role', 'api'], env('api'));
  await until(() => ready(api), 30_000, 'the api role', [feed, analytics, api]);
  mark('api ready');
  const line = JSON.parse(api.out().split('\n').find((l) => l.includes('"ready":true'))!) as { url: string; roles: string[]; components: string[] };
  expect(line.roles).toEqual(['api']);
  expect(line.components).toEqual(['api/gateway']);
  const base = `${line.url}api/v1`;
  const getJson = async (path: string) => (await (await fetch(`${base}${path}`)).json()) as { status: string; updated_at: number | null; data: unknown };
  const first = await Promise.all(['/gex', '/surface', '/regime', '/health', '/chain', '/iv?limit=2000'].map(getJson));
  mark('first answers');
  for (const s of first) expect(s.status).toBe('ok');
  const [gex, surface, regime, health, chainS, ivS] = first;
  // Each is a state the analytics process published (the updates keep coming: any of the recorded ones; this test's
  // own subscriber may receive it a moment after the api process did).
  const published = (set: Set<string>, x: unknown) => until(() => set.has(JSON.stringify(x)), 3000, 'the same state in this test\'s recording').then(() => true);
  expect(await published(seen.gex, gex.data)).toBe(true);
  expect(await published(seen.surface, surface.data)).toBe(true);
  expect(await published(seen.regime, regime.data)).toBe(true);
  expect(await published(seen.chain, chainS.data)).toBe(true);
  const ivData = ivS.data as { total: number; rows: IvRow[] };
  expect(ivData.rows.length).toBe(Math.min(2000, ivData.total));
  const tables = seen.iv.map((w) => ivTableFromWire(w));
  expect(tables.some((t) => t.rows === ivData.total && ivData.rows.every((r, i) => JSON.stringify(norm(t.row(i))) === JSON.stringify(r)))).toBe(true);
  expect(ivData.rows.filter((r) => r.mid_iv !== null).length).toBeGreaterThan(50);
  const hd = health.data as { feed: { source: string; status: string }; pipeline: { name: string }[] };
  expect(hd.feed.source).toMatch(/^simulator:SPX/);
  expect(hd.pipeline.map((s) => s.name)).toContain('bus');
  expect((surface.data as SurfaceJson).slices.filter((s) => s.svi !== null).length).toBeGreaterThan(0);
  const grid = (await getJson('/surface/grid?nk=5&nt=4&kmin=-0.05&kmax=0.05')).data as { iv: number[][] };
  expect(grid.iv.flat().every((x) => x > 0.02 && x < 3)).toBe(true);

  // The WebSocket stream of the api process: the current GEX at once, then updates.
  const ws = new WebSocket(`${base.replace('http', 'ws')}/stream?topics=gex`);
  cleanups.push(async () => ws.close());
  const msgs: { topic: string; data: GexJson }[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(String(d)) as { topic: string; data: GexJson }));
  await until(() => new Set(msgs.map((m) => JSON.stringify(m.data))).size >= 3, 20_000, 'three distinct GEX updates on the stream', [feed, analytics, api]);
  mark('stream updates');
  expect(msgs.every((m) => m.topic === 'gex')).toBe(true);
  expect(msgs.slice(0, 3).every((m) => seen.gex.has(JSON.stringify(m.data)))).toBe(true);

  // A model change posted to the api process is applied by the analytics process.
  const res = await fetch(`${base}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer mp-token', 'content-type': 'application/json' }, body: JSON.stringify({ gex_model: 'all-short' }) });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(((await res.json()) as { gex_model: string }).gex_model).toBe('all-short');
  await until(async () => ((await getJson('/gex')).data as GexJson).model === 'all-short', 10_000, 'GEX with the new model from the api process', [feed, analytics, api]);
  mark('model change');

  ws.close();
  expect(await stopProc(api)).toBe(0);
  expect(await stopProc(analytics)).toBe(0);
  expect(await stopProc(feed)).toBe(0);
  for (const x of [feed, analytics, api]) expect(x.err()).not.toMatch(/internal error|Error:/);
  console.log(`api role over ZeroMQ: ${marks.join(', ')}; GEX states seen ${seen.gex.size}, IV tables ${seen.iv.length}`);
}, 90_000);
