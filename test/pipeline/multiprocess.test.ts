// Issue 8: the same replay through `manifold run` all-in-one (every role in one process, in-process bus) and through
// one process per role (`manifold run --role store|analytics|feed`, ZeroMQ on free ports, each its own data dir and
// PGlite) gives the same results.
//
// Compared (docs/ARCHITECTURE.md, "Process topology"):
//   - the final chain state, exactly (every replicated column of every contract, spot, latest exchange time), in both
//     runs and against the recording replayed directly in this process (no bus);
//   - the final GEX and surface JSON recomputed cold from that final state (`--final-state`), exactly;
//   - the stored history: every row each run's analytics published is in its store exactly once (counts per table);
//     regime rows identical; every stored trade (time and sales) is a trade of the recording with its exact values,
//     and one run's trades contain the other's (each run stores from its pipeline's first cycle on); the cadence-
//     sampled GEX and surface rows lie inside the recording's time range. Those are sampled by wall-clock cadences
//     while the replay runs, so which states they sample depends on timing: their values are not compared.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { replayRecording } from '../../src/feed/replay.js';
import { FeedPipeline, IN_FRAME, IN_RESYNC_BEGIN, IN_RESYNC_SNAPSHOT } from '../../src/feed/pipeline.js';
import { SimMarket } from '../../src/feed/sim/market.js';
import { InprocBus } from '../../src/bus/inproc.js';
import { LiveChain, type SnapshotRow } from '../../src/feed/live-chain.js';
import { Recorder, RecordingReader } from '../../src/feed/recorder.js';
import { universeFromContracts } from '../../src/feed/rest.js';
import { BusSource } from '../../src/pipeline/bus-source.js';
import { chainStateJson } from '../../src/pipeline/chain-bus.js';
import { FeedComponent } from '../../src/pipeline/feed-role.js';
import type { FeedSource } from '../../src/pipeline/live-source.js';
import { createLogger } from '../../src/util/log.js';
import type { FinalState } from '../../src/pipeline/analytics-role.js';
import { openHistoryDb } from '../../src/store/index.js';
import { tableCounts } from '../../src/store/queries.js';
import { repoRoot } from '../support/cli.js';
import { Procs, stopProc, until, type Proc } from '../support/processes.js';
import { smallChain } from '../feed/helpers.js';
import { freePort } from '../store/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-mp-'));
const recording = join(tmp, 'run.mfrec');
const procs = new Procs();
afterAll(() => {
  procs.killAll();
  rmSync(tmp, { recursive: true, force: true });
});

const baseEnv = (dataDir: string): Record<string, string> => ({
  MANIFOLD_LOG_LEVEL: 'warn',
  MANIFOLD_CONFIG: join(repoRoot, 'test/bus/fixtures/empty-config.json'),
  MANIFOLD_DATA_DIR: dataDir,
  MANIFOLD_DATABASE_URL: '',
  MANIFOLD_REDIS_URL: '',
  MANIFOLD_API_PORT: '0',
});





async function stored(dataDir: string) {
  const db = await openHistoryDb(loadConfig(baseEnv(dataDir), repoRoot));
  try {
    const counts = await tableCounts(db);
    const regime = (await db.query('SELECT series, model, ts, state, label, probabilities FROM regime_states ORDER BY series, model, ts')).rows;
    const ts = (await db.query<{ t: string; lo: Date | null; hi: Date | null }>(
      `SELECT 'gex' AS t, min(ts) AS lo, max(ts) AS hi FROM gex_snapshots UNION ALL SELECT 'surface', min(ts), max(ts) FROM surface_fits`,
    )).rows;
    const trades = (await db.query<TradeRow>('SELECT symbol, trade_id, price, size, (extract(epoch from ts) * 1000)::float8 AS ts FROM option_trades')).rows;
    return { counts, regime, ts, trades };
  } finally {
    await db.close();
  }
}

interface TradeRow {
  symbol: string;
  trade_id: string;
  price: number;
  size: number;
  ts: number;
}
const tradeKey = (r: TradeRow) => `${r.symbol}|${r.trade_id}`;

let direct: Record<string, unknown>;
/** Every trade of the recording (time and sales), as the pipeline stores them, keyed by symbol and trade id. */
const expectedTrades = new Map<string, TradeRow>();
let range: { lo: number; hi: number };

/**
 * A 3-second recording, written here through the recorder: the simulator's market model (seeded) playing the first
 * expiries of the shipped SPX chain on the chain's own date (the live simulator stamps events with the wall clock,
 * which a replay would value years after these expiries), one quote per contract first, then frames every 10 ms.
 */
async function writeRecording(path: string): Promise<void> {
  const chain = await smallChain(5);
  const m = new SimMarket(chain, { seed: 8, timeScale: 60 });
  // Small blocks: a replay hands the chain over block by block, so updates flow while it plays.
  const rec = new Recorder(path, { version: 1, underlying: chain.underlying, createdMs: Date.now(), contracts: m.massive, source: 'test:sim-market' }, { blockBytes: 16 * 1024 });
  const enc = new TextEncoder();
  const base = chain.asOfMs + 1000;
  const frame = (t: number, events: string[]) => rec.write({ type: IN_FRAME, recvMs: t, data: enc.encode(`[${events.join(',')}]`) });
  // The initial state as a session takes it (a REST snapshot through the resync path): open interest, volume, last.
  const snapshot: SnapshotRow[] = Array.from({ length: chain.size }, (_, r) => ({
    symbol: m.massive[r], bid: chain.bid[r], ask: chain.ask[r], bidSize: 10, askSize: 10, quoteTimeMs: base - 60_000,
    last: chain.last[r], lastSize: 1, tradeTimeMs: base - 60_000, volume: chain.volume[r], openInterest: chain.openInterest[r],
  }));
  const nulls = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
  rec.write({ type: IN_RESYNC_BEGIN, recvMs: base - 1, data: new Uint8Array(0) });
  rec.write({ type: IN_RESYNC_SNAPSHOT, recvMs: base - 1, data: enc.encode(JSON.stringify(snapshot, nulls)) });
  m.advance(base);
  frame(base, [m.underlyingEvent(base), ...Array.from(m.quotable, (r) => m.quoteEvent(r, base))]);
  for (let i = 1; i <= 300; i++) {
    const t = base + i * 10;
    m.advance(t);
    const ev: string[] = i % 5 === 0 ? [m.underlyingEvent(t)] : [];
    for (let k = 0; k < 20; k++) {
      const r = m.quotable[m.nextIndex(m.quotable.length)];
      ev.push(m.nextRandom() < 0.1 ? m.tradeEvent(r, t) : m.quoteEvent(r, t));
    }
    frame(t, ev);
  }
  await rec.close();
}

beforeAll(async () => {
  await writeRecording(recording);
  const res = await replayRecording(recording);
  direct = chainStateJson(res.chain);
  const reader = new RecordingReader(recording);
  const lc = new LiveChain(universeFromContracts(reader.header.underlying, reader.header.contracts.map((symbol) => ({ symbol }))));
  lc.trackUpdates();
  const fp = new FeedPipeline(lc, { sync: true, measureLatency: false });
  for (const block of reader.blocks()) for (const input of block) fp.push(input);
  reader.close();
  for (const tr of lc.takeUpdates().trades) {
    const row: TradeRow = { symbol: lc.universe.symbol[tr.row], trade_id: String(tr.q), price: tr.price, size: tr.size, ts: tr.t };
    expectedTrades.set(tradeKey(row), row);
  }
  let lo = Infinity;
  for (const t of res.chain.quoteTime) if (t < lo) lo = t;
  range = { lo, hi: res.chain.asOfMs };
}, 60_000);

it('all-in-one and one process per role over ZeroMQ: same final chain, same GEX and surface, every row stored once', async () => {
  // --- all-in-one and per-role runs, side by side (independent ports, data dirs and databases) ---
  const t0 = Date.now();
  const marks: string[] = [];
  const mark = (what: string) => marks.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const single = join(tmp, 'single');
  const finalSingle = join(tmp, 'final-single.json');
  const a = procs.run(['--source', `replay:${recording}`, '--speed', '1', '--no-monitor', '--no-serve', '--final-state', finalSingle], { ...baseEnv(single), MANIFOLD_BUS: 'inproc' });

  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const zmq = {
    MANIFOLD_ZMQ_PUB: `tcp://127.0.0.1:${p1}`,
    MANIFOLD_ZMQ_SNAPSHOT: `tcp://127.0.0.1:${p2}`,
    MANIFOLD_ZMQ_COLLECT: `tcp://127.0.0.1:${p3}`,
    // The store hosts the hub and starts first, then the analytics, then the feed: consumers before producers, as
    // the all-in-one process starts its components, so the replay's updates flow over ZeroMQ while it plays.
    MANIFOLD_BUS_HUB_ROLE: 'store',
  };
  const finalMulti = join(tmp, 'final-multi.json');
  const ready = (x: Proc) => x.out().includes('"ready":true');
  // (The analytics process may start with the store: its subscription is ready once the hub's heartbeat reaches it.)
  const store = procs.run(['--role', 'store'], { ...baseEnv(join(tmp, 'multi-store')), ...zmq });
  const analytics = procs.run(['--role', 'analytics', '--no-serve', '--final-state', finalMulti], { ...baseEnv(join(tmp, 'multi-analytics')), ...zmq });
  await until(() => ready(store) && ready(analytics), 45_000, 'the store and analytics roles', [store, analytics]);
  mark('roles ready');
  const feed = procs.run(['--role', 'feed', '--source', `replay:${recording}`, '--speed', '1'], { ...baseEnv(join(tmp, 'multi-feed')), ...zmq });

  await until(() => existsSync(finalSingle) && existsSync(finalMulti), 60_000, 'both final states', [a, store, analytics, feed]);
  mark('final states');
  // Stop: producers first, the store last (it flushes on stop).
  expect(await Promise.all([stopProc(a), stopProc(feed)])).toEqual([0, 0]);
  expect(await stopProc(analytics)).toBe(0);
  expect(await stopProc(store)).toBe(0);
  mark('stopped');
  for (const x of [a, store, analytics, feed]) expect(x.err()).not.toMatch(/internal error|Error:/);

  const fa = JSON.parse(readFileSync(finalSingle, 'utf8')) as FinalState;
  const fb = JSON.parse(readFileSync(finalMulti, 'utf8')) as FinalState;
  const norm = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as unknown;

  // The final chain state: identical in both runs and to the recording replayed here without any bus.
  expect(fa.final.chain).toEqual(norm(direct));
  expect(fb.final.chain).toEqual(fa.final.chain);
  // Deterministic analytics of that state: exactly the same JSON.
  expect(fa.final.gex.spot).toBeGreaterThan(3000);
  expect(Number.isFinite(fa.final.gex.total_gex)).toBe(true);
  expect(fa.final.surface.slices.filter((s) => s.svi !== null).length).toBeGreaterThan(0);
  expect(fb.final.gex).toEqual(fa.final.gex);
  expect(fb.final.surface).toEqual(fa.final.surface);
  // The multi-process analytics really consumed the replay over the bus (not only a final snapshot).
  type BusCounters = { updates: number; deltaRows: number; trades: number; dseqGaps: number };
  const busA = fa.run.bus_source as BusCounters;
  const busB = fb.run.bus_source as BusCounters;
  expect(busA.deltaRows).toBeGreaterThan(200);
  expect(busB.deltaRows).toBeGreaterThan(200);
  expect(busA.trades).toBeGreaterThan(100);
  expect(busB.trades).toBeGreaterThan(100);
  expect(busA.dseqGaps + busB.dseqGaps).toBe(0);
  const fitted = fa.final.surface.slices.filter((s) => s.svi !== null).length;
  console.log(
    `multiprocess: ${(fa.final.chain.contracts as string[]).length} contracts, ${fitted}/${fa.final.surface.slices.length} slices fitted, GEX ${fa.final.gex.total_gex}; ` +
      `bus updates: single ${busA.updates} (${busA.deltaRows} delta rows, ${busA.trades} trades), multi ${busB.updates} (${busB.deltaRows}, ${busB.trades}); ` +
      `cycles: single ${String(fa.run.cycles)}, multi ${String(fb.run.cycles)}; trades in the recording ${expectedTrades.size}; ${marks.join(', ')}`,
  );

  // The stores: every published row exactly once; the regime rows identical; sampled rows inside the replay.
  const sa = await stored(single);
  const sb = await stored(join(tmp, 'multi-store'));
  for (const [s, f] of [[sa, fa], [sb, fb]] as const) {
    const published = f.run.history_rows_published as Record<string, number>;
    for (const t of ['regime_states', 'gex_snapshots', 'surface_fits', 'option_quotes', 'option_trades']) expect(s.counts[t], t).toBe(published[t]);
    // Time and sales: every stored trade is a trade of the recording, with its exact price, size and time.
    for (const r of s.trades) expect(r, tradeKey(r)).toEqual(expectedTrades.get(tradeKey(r)));
    expect(s.trades.length).toBeGreaterThan(expectedTrades.size / 3);
    expect(s.counts.regime_states).toBe(1);
    expect(s.counts.gex_snapshots).toBeGreaterThan(0);
    expect(s.counts.surface_fits).toBeGreaterThan(0);
    for (const r of s.ts) {
      expect(r.lo!.getTime(), r.t).toBeGreaterThanOrEqual(Math.floor(range.lo));
      expect(r.hi!.getTime(), r.t).toBeLessThanOrEqual(Math.ceil(range.hi));
    }
  }
  expect(sb.regime).toEqual(sa.regime);
  // Each run stores the trades from its pipeline's first cycle on (earlier ones are not stored, by the pipeline's
  // design), so one run's set contains the other's: the same trades after the later start, none lost or altered.
  const keysA = new Set(sa.trades.map(tradeKey));
  const keysB = new Set(sb.trades.map(tradeKey));
  const [small, big] = keysA.size <= keysB.size ? [keysA, keysB] : [keysB, keysA];
  expect([...small].filter((k) => !big.has(k))).toEqual([]);
}, 150_000);

it('in one process: the replica follows the feed chain after every update; a late joiner catches up by snapshot and resync', async () => {
  // The recording's inputs pushed one frame at a time into a feed pipeline; the feed component publishes after each
  // step (its timer is off), and each step the replicas must equal the feed's chain, column for column.
  const reader = new RecordingReader(recording);
  const lc = new LiveChain(universeFromContracts(reader.header.underlying, reader.header.contracts.map((symbol) => ({ symbol }))));
  const fp = new FeedPipeline(lc, { sync: true, measureLatency: false });
  const source: FeedSource = {
    name: 'test', chain: () => lc, metrics: () => fp.metrics, state: () => 'live', clockMs: () => lc.asOfMs, outages: () => 0, stop: async () => undefined,
  };
  const bus = new InprocBus();
  const cfg = loadConfig(baseEnv(join(tmp, 'inproc')), repoRoot);
  const ctx = { bus, config: cfg, role: 'feed' as const, localRoles: ['feed' as const], log: createLogger('test'), services: new Map<string, unknown>() };
  const feed = new FeedComponent({ spec: { kind: 'sim' }, flushMs: 1e9, snapshotEveryMs: 1e12, open: async () => source });
  const early = new BusSource(bus);
  await early.start();
  await feed.start(ctx);
  let late: BusSource | undefined;
  let steps = 0;
  let lateChecks = 0;
  try {
    for (const block of reader.blocks()) {
      for (const input of block) {
        fp.push(input);
        feed.flush();
        steps++;
        if (steps === 120) {
          late = new BusSource(bus);
          await late.start(); // the retained reference data and full update: the state at step 1
          expect(late.chain()).not.toBeNull();
        }
        if (steps % 25 === 0 || steps === 121) {
          expect(chainStateJson(early.chain()!), `step ${steps}`).toEqual(chainStateJson(lc));
          if (late && late.counters.fulls >= 2) {
            expect(chainStateJson(late.chain()!), `late joiner, step ${steps}`).toEqual(chainStateJson(lc));
            lateChecks++;
          }
        }
      }
    }
  } finally {
    reader.close();
    await feed.stop();
  }
  expect(chainStateJson(early.chain()!)).toEqual(chainStateJson(lc));
  // The early subscriber saw deltas without a gap, and two full updates: the first, and the one the late joiner asked for.
  expect(early.counters.fulls).toBe(2);
  expect(early.counters.dseqGaps).toBe(0);
  expect(early.counters.updates).toBeGreaterThan(250);
  // Every trade of the recording went over the bus, in order, once.
  expect(feed.counters.trades).toBe(expectedTrades.size);
  expect(early.counters.trades).toBe(expectedTrades.size);
  // The late joiner started from the retained (old) full update, saw the deltas jump, asked, and caught up.
  expect(late!.counters.dseqGaps).toBe(1);
  expect(late!.counters.resyncRequests).toBe(1);
  expect(late!.counters.fulls).toBe(2);
  expect(lateChecks).toBeGreaterThan(5);
  expect(chainStateJson(late!.chain()!)).toEqual(chainStateJson(lc));
  await bus.close();
});
