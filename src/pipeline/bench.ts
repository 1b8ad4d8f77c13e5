/**
 * `manifold bench pipeline`: the simulator in another process sends at a fixed rate over loopback WebSocket; this
 * process runs the feed client and the live pipeline (surface refit every cycle, so that each cycle updates both
 * GEX and the surface). Latency per changed contract: its latest tick's exchange time (the simulator stamps wall
 * time on this machine) → the cycle that served GEX and surface holding it. With `store`, the store role persists
 * the history rows on embedded PGlite in a temporary folder and the run checks the rows (the soak).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { spawnSimulator } from '../feed/sim/spawn.js';
import { LivePipeline } from './live.js';
import { openSource } from './live-source.js';
import { planTopology, startTopology, type RunningTopology } from './topology.js';
import { pipelineRoles, productRoles } from './roles.js';
import { AnalyticsComponent } from './analytics-role.js';
import { FeedComponent } from './feed-role.js';
import type { FeedSource } from './live-source.js';

export interface PipelineBenchOptions {
  rate: number;
  durationS: number;
  /** Seconds at the start excluded from the latency (first fits, JIT warm-up). */
  warmupS: number;
  store: boolean;
  /** Surface refit cadence, ms (0 = every cycle). */
  surfaceEveryMs: number;
  /** Fit the surface on the main thread instead of the worker (for comparison). */
  inlineSurface: boolean;
  /** Pause between analytics cycles, ms. */
  cycleMs: number;
  /**
   * 'bus' (default): the product's components, as `manifold run` composes them: the feed role publishes the live
   * chain on the in-process bus and the analytics role runs the pipeline on the chain it rebuilds from the bus.
   * 'direct': the pipeline reads the feed's live chain itself (no feed → bus step).
   */
  path?: 'bus' | 'direct';
}

const q = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

export async function runPipelineBench(o: PipelineBenchOptions): Promise<Record<string, unknown>> {
  const tmp = mkdtempSync(join(tmpdir(), 'manifold-bench-pipeline-'));
  const cfg = loadConfig({ ...process.env, MANIFOLD_DATA_DIR: tmp, MANIFOLD_DATABASE_URL: '', MANIFOLD_REDIS_URL: '', MANIFOLD_BUS: 'inproc' });
  const sim = await spawnSimulator(['--rate', String(o.rate), '--events-per-frame', '100']);
  const path = o.path ?? 'bus';
  const pipelineOpts = { dataDir: tmp, cycleMs: o.cycleMs, surfaceEveryMs: o.surfaceEveryMs, surfaceThread: !o.inlineSurface, regime: o.store };
  let topo: RunningTopology | undefined;
  let source: FeedSource;
  let p: LivePipeline;
  if (path === 'bus') {
    const roles = pipelineRoles({ feed: { spec: { kind: 'sim', url: sim.info.ws_url } }, analytics: { pipeline: pipelineOpts }, serve: false });
    if (!o.store) roles.store = [];
    topo = await startTopology(planTopology(cfg), cfg, roles);
    const feed = topo.components.find((c) => c.component instanceof FeedComponent)!.component as FeedComponent;
    const analytics = topo.components.find((c) => c.component instanceof AnalyticsComponent)!.component as AnalyticsComponent;
    source = feed.source!;
    p = analytics.pipeline!;
  } else {
    topo = o.store ? await startTopology(planTopology(cfg), cfg, productRoles) : undefined;
    source = await openSource({ kind: 'sim', url: sim.info.ws_url }, cfg);
    p = new LivePipeline({ source, bus: topo?.bus, ...pipelineOpts });
  }
  const stageMs: Record<string, number[]> = { iv: [], surface: [], gex: [] };
  const rss: number[] = [];
  let errors: number;
  try {
    if (path === 'direct') p.start();
    const t0 = Date.now();
    let warm = false;
    let lastRuns = { iv: 0, surface: 0, gex: 0 } as Record<string, number>;
    let msgs0 = 0;
    let tMsgs0 = 0;
    while (Date.now() - t0 < (o.durationS + o.warmupS) * 1000) {
      await new Promise((r) => setTimeout(r, 250));
      if (!warm && Date.now() - t0 >= o.warmupS * 1000) {
        warm = true;
        p.tickToGexUs.reset();
        p.tickToStateUs.reset();
        p.appliedToStateUs.reset();
        source.metrics()?.exchangeToReceiveUs.reset();
        source.metrics()?.receiveToAppliedUs.reset();
        msgs0 = source.metrics()?.messages ?? 0;
        tMsgs0 = Date.now();
      }
      for (const s of ['iv', 'surface', 'gex'] as const) {
        const m = p.stages[s];
        if (warm && m.runs > lastRuns[s] && m.lastMs !== null) stageMs[s].push(m.lastMs);
      }
      lastRuns = { iv: p.stages.iv.runs, surface: p.stages.surface.runs, gex: p.stages.gex.runs };
      if (rss.length === 0 || Date.now() - t0 >= rss.length * 10_000) rss.push(process.memoryUsage().rss / 2 ** 20);
    }
    const m = source.metrics()!;
    const msgs = m.messages - msgs0;
    const secs = (Date.now() - tMsgs0) / 1000;
    errors = Object.values(p.stages).reduce((a, s) => a + s.errors, 0);
    const lat = p.latency();
    const stopTopo = async () => {
      const t = topo;
      topo = undefined;
      await t?.stop();
    };
    await p.stop();
    if (path === 'direct') await source.stop();
    // The feed role's client goes before the simulator (no reconnect attempts in the log); with the store, the
    // topology's stop also flushes the writer before the rows are counted.
    if (path === 'bus' || !o.store) await stopTopo();
    const simStats = await sim.stop();
    const published = { ...p.historyRows };
    let stored: Record<string, number> | undefined;
    if (o.store) {
      await stopTopo();
      const { openHistoryDb } = await import('../store/index.js');
      const { tableCounts } = await import('../store/queries.js');
      const db = await openHistoryDb(cfg);
      try {
        stored = await tableCounts(db);
      } finally {
        await db.close();
      }
    }
    return {
      path,
      rate: o.rate,
      surface_every_ms: o.surfaceEveryMs,
      surface_thread: !o.inlineSurface,
      cycle_ms: o.cycleMs,
      duration_s: o.durationS,
      msgs_received: msgs,
      msgs_per_sec: Math.round(msgs / secs),
      decode_errors: m.decodeErrorTotal,
      reconnects: m.reconnects,
      sim_generated: simStats?.generated ?? null,
      cycles: p.cycles,
      contracts_per_cycle: p.cycles ? Math.round(p.rowsProcessed / p.cycles) : 0,
      tick_to_gex_and_surface_p50_ms: lat.tick_to_state_ms.p50,
      tick_to_gex_and_surface_p99_ms: lat.tick_to_state_ms.p99,
      tick_to_gex_p50_ms: lat.tick_to_gex_ms.p50,
      tick_to_gex_p99_ms: lat.tick_to_gex_ms.p99,
      applied_to_gex_and_surface_p50_ms: lat.applied_to_state_ms.p50,
      applied_to_gex_and_surface_p99_ms: lat.applied_to_state_ms.p99,
      feed_exchange_to_receive_p50_ms: m.exchangeToReceiveUs.quantile(0.5) / 1000,
      feed_exchange_to_receive_p99_ms: m.exchangeToReceiveUs.quantile(0.99) / 1000,
      feed_receive_to_applied_p99_ms: m.receiveToAppliedUs.quantile(0.99) / 1000,
      samples: lat.tick_to_state_ms.n,
      surface_refits: p.stages.surface.runs,
      stage_ms_p50: { iv: q(stageMs.iv, 0.5), surface: q(stageMs.surface, 0.5), gex: q(stageMs.gex, 0.5) },
      stage_ms_p99: { iv: q(stageMs.iv, 0.99), surface: q(stageMs.surface, 0.99), gex: q(stageMs.gex, 0.99) },
      stage_errors: errors,
      rss_mb: { first: round1(rss[0]), last: round1(rss[rss.length - 1]), max: round1(Math.max(...rss)), samples: rss.map(round1) },
      ...(stored ? { history_published: published, history_stored: pick(stored, Object.keys(published)) } : {}),
    };
  } finally {
    await p.stop().catch(() => undefined);
    await source.stop().catch(() => undefined);
    await topo?.stop().catch(() => undefined);
    await sim.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const pick = (o: Record<string, number>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));
