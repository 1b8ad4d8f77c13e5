// The live pipeline on the in-process bus with the in-process simulator: numbers move, every stage reports, the
// store role persists what the pipeline publishes, and a simulator outage shows in the feed health and recovers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { planTopology, startTopology, type RunningTopology } from '../../src/pipeline/topology.js';
import { productRoles } from '../../src/pipeline/roles.js';
import { openSource, parseSource, SourceError, type FeedSource } from '../../src/pipeline/live-source.js';
import { LivePipeline } from '../../src/pipeline/live.js';
import { openHistoryDb } from '../../src/store/index.js';
import { tableCounts } from '../../src/store/queries.js';
import { monitorModel, summaryLine } from '../../src/monitor/model.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-live-'));
const cfg = loadConfig({ ...process.env, MANIFOLD_DATA_DIR: tmp, MANIFOLD_DATABASE_URL: '', MANIFOLD_REDIS_URL: '', MANIFOLD_BUS: 'inproc' });
let topo: RunningTopology | undefined;
let source: FeedSource | undefined;
let pipeline: LivePipeline | undefined;
afterAll(async () => {
  await pipeline?.stop();
  await source?.stop();
  await topo?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('source parsing', () => {
  it('accepts sim, massive, replay:<file> and refuses anything else', () => {
    expect(parseSource('sim').kind).toBe('sim');
    expect(parseSource('massive', { underlying: 'spy' })).toEqual({ kind: 'massive', underlying: 'SPY' });
    expect(parseSource('replay:/tmp/x.rec')).toEqual({ kind: 'replay', file: '/tmp/x.rec' });
    expect(() => parseSource('replay:')).toThrow(SourceError);
    expect(() => parseSource('kafka')).toThrow(/unknown source 'kafka'/);
  });

  it('massive without a key and a missing recording are clear errors', async () => {
    const noKey = { ...cfg, massive: { ...cfg.massive, apiKey: undefined } };
    await expect(openSource({ kind: 'massive', underlying: 'SPY' }, noKey)).rejects.toThrow(/no Massive API key/);
    await expect(openSource({ kind: 'replay', file: join(tmp, 'nope.rec') }, cfg)).rejects.toThrow(/does not exist/);
  });
});

describe('live pipeline on the simulator', () => {
  it('updates spot, GEX and surface over time, reports stage rates, persists history, survives a simulator restart', async () => {
    topo = await startTopology(planTopology(cfg), cfg, productRoles);
    const gexSeen: number[] = [];
    const sub = topo.bus.subscribe<{ total_gex: number; spot: number }>('event.gex.', (m) => {
      for (const it of m.items) gexSeen.push(it.spot);
    });
    await sub.ready;
    source = await openSource({ kind: 'sim', rate: 3000 }, cfg);
    pipeline = new LivePipeline({ source, bus: topo.bus, dataDir: tmp, cycleMs: 100, surfaceEveryMs: 1000, gexHistoryMs: 500, surfaceHistoryMs: 500, chainHistoryMs: 1500 });
    pipeline.start();
    const p = pipeline;

    await until(() => p.provider.gex().data !== null && p.provider.surface().data !== null, 60_000, 'the first GEX and surface');
    const g1 = p.provider.gex().data!;
    const fit1 = p.provider.surface().updatedAt!;
    expect(g1.spot).toBeGreaterThan(3000);
    expect(Number.isFinite(g1.total_gex)).toBe(true);
    await until(() => {
      const g = p.provider.gex().data!;
      return g.spot !== g1.spot && g.total_gex !== g1.total_gex && p.provider.surface().updatedAt! > fit1;
    }, 30_000, 'spot, GEX and the surface to change');

    // Every stage ran, and reports a rate; the feed reports its message rate.
    await until(() => p.health().pipeline.filter((s) => ['iv', 'surface', 'gex'].includes(s.name)).every((s) => s.rate > 0), 20_000, 'stage rates');
    const h = p.health();
    for (const s of h.pipeline.filter((x) => ['iv', 'surface', 'gex', 'publish'].includes(x.name))) {
      expect(s.errors, s.name).toBe(0);
      expect(s.last_ms, s.name).not.toBeNull();
    }
    expect(h.feed.status).toBe('live');
    expect(h.feed.msg_rate).toBeGreaterThan(0);
    expect(p.latency().tick_to_gex_ms.n).toBeGreaterThan(0);
    expect(gexSeen.length).toBeGreaterThan(1);

    // Regime without look-ahead: the simulator plays 2023-04-14, so the daily model ends at the close before it, and
    // the intraday state steps past it with the VIX computed from the live SPX chain (the day's close was 17.07).
    await until(() => p.provider.regime().data?.now.intraday != null, 30_000, 'the intraday regime');
    const reg = p.provider.regime().data!.now;
    expect(reg.as_of).toBe('2023-04-13');
    expect(reg.intraday!.date).toBe('2023-04-14');
    expect(reg.intraday!.vix).toBeGreaterThan(12);
    expect(reg.intraday!.vix).toBeLessThan(25);
    expect(reg.intraday!.observed).toEqual(['log_vix', 'vix_change']);
    expect(reg.intraday!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);

    // The non-TTY monitor line reads the same state.
    const line = summaryLine(monitorModel(p.provider));
    expect(line).toMatch(/SPX \d+\.\d\d \| GEX [+-]\$[\d.]+(bn|m|k)?\/1% flip/);
    expect(line).toMatch(/feed live \d+ msg\/s/);

    // Outage: the simulator goes away; the feed shows down, then recovers after the restart; nothing crashes.
    const reconnectsBefore = h.feed.reconnects;
    await source.sim!.kill();
    await until(() => p.health().feed.status === 'down', 10_000, 'the feed to show the outage');
    expect(summaryLine(monitorModel(p.provider))).toMatch(/feed down/);
    await sleep(1000);
    await source.sim!.restart();
    await until(() => p.health().feed.status === 'live' && p.health().feed.reconnects > reconnectsBefore, 20_000, 'the feed to recover');
    const spotAfter = p.provider.gex().data!.spot;
    await until(() => p.provider.gex().data!.spot !== spotAfter, 20_000, 'GEX to move again after the restart');
    expect((p.health().feed as unknown as { outages: number }).outages).toBeGreaterThanOrEqual(1);
    expect(p.health().pipeline.find((s) => s.name === 'gex')!.errors).toBe(0);

    // The store role persisted what the pipeline published (after the topology flushes it on stop).
    await until(() => p.historyRows.option_quotes > 0 && p.historyRows.regime_states > 0 && p.historyRows.option_trades > 0, 30_000, 'history rows');
    const published = { ...p.historyRows };
    await pipeline.stop();
    await source.stop();
    await sub.close();
    await topo.stop();
    pipeline = undefined;
    source = undefined;
    topo = undefined;
    const db = await openHistoryDb(cfg);
    try {
      const counts = await tableCounts(db);
      expect(counts.gex_snapshots).toBe(published.gex_snapshots);
      expect(counts.regime_states).toBe(published.regime_states);
      expect(counts.option_quotes).toBe(published.option_quotes);
      // Every trade the feed applied, once (time and sales).
      expect(counts.option_trades).toBe(published.option_trades);
      expect(counts.surface_fits).toBeGreaterThan(0);
      expect(counts.surface_fits).toBe(published.surface_fits);
    } finally {
      await db.close();
    }
  }, 150_000);
});
