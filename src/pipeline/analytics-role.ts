/**
 * The analytics and api roles' components.
 *
 * Analytics: the live pipeline (IV and Greeks, surface refits, GEX, regime; live.ts) over a `BusSource`, i.e. over
 * the chain the feed role publishes, whether the feed runs in this process or in another one. It publishes latest
 * state (`event.<kind>.<key>`) and history rows (`data.history.<table>`) for the store role, as before, and shares the
 * pipeline with the other components of its process (`services['live-pipeline']`).
 *
 * Gateway: `GatewayComponent` serves the live pipeline of the same process directly (its in-memory provider: the
 * fastest path), for `manifold run --role analytics` (unless --no-serve). A separate `--role api` process serves the
 * same gateway from the state the analytics role publishes on the bus instead (api-role.ts).
 *
 * Final state (`finalStatePath`): when the feed's source has ended (a replay) and the pipeline has quiesced, the
 * analytics role recomputes IV, a cold surface fit and GEX from the final chain state (no warm start, no cadence: a
 * function of the chain state only) and writes them with the chain state to a JSON file. Live cycles conflate by
 * timing; this is the deterministic result of a replay, which the single- and multi-process runs must agree on.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { nyDate } from '../market/calendar.js';
import type { LiveChain } from '../feed/live-chain.js';
import type { GexJson, SurfaceJson } from '../api/state.js';
import { computeGexSection, computeIvSection, computeSurfaceSection } from '../api/analytics-adapters.js';
import { BusSource } from './bus-source.js';
import { chainStateJson } from './chain-bus.js';
import { LivePipeline, type LiveOptions } from './live.js';
import { TopologyError, type Component, type ComponentContext } from './topology.js';

export const LIVE_PIPELINE_SERVICE = 'live-pipeline';

export interface AnalyticsRoleOptions {
  /** Follow this underlying (default: the first the feed publishes). */
  underlying?: string;
  /** Live pipeline options (cadences, GEX model, ...). */
  pipeline?: Omit<LiveOptions, 'source' | 'bus'>;
  /** Write the final state of an ended source (a replay) here. */
  finalStatePath?: string;
  /** Quiet time before the final state is taken, ms (default 1000). */
  quietMs?: number;
}

export class AnalyticsComponent implements Component {
  readonly name = 'analytics';
  source: BusSource | undefined;
  pipeline: LivePipeline | undefined;
  private stopped = false;
  private watcher: Promise<void> | undefined;
  /** Resolves with the final state once written (finalStatePath only). */
  finalState: Promise<FinalState> | undefined;

  constructor(private readonly o: AnalyticsRoleOptions = {}) {}

  async start(ctx: ComponentContext): Promise<void> {
    this.source = new BusSource(ctx.bus, { underlying: this.o.underlying });
    await this.source.start();
    const { cycleMs, surfaceEveryMs } = ctx.config.pipeline;
    this.pipeline = new LivePipeline({ dataDir: ctx.config.dataDir, cycleMs, surfaceEveryMs, ...this.o.pipeline, source: this.source, bus: ctx.bus });
    this.pipeline.start();
    ctx.services.set(LIVE_PIPELINE_SERVICE, this.pipeline);
    if (this.o.finalStatePath) {
      const path = this.o.finalStatePath;
      this.finalState = this.waitForFinal().then(async (f) => {
        writeJsonAtomic(path, f);
        ctx.log.info({ path }, 'final state written');
        return f;
      });
      this.watcher = this.finalState.then(
        () => undefined,
        (err: unknown) => {
          if (!this.stopped) ctx.log.error({ err: (err as Error).message }, 'final state not written');
        },
      );
    }
  }

  stats(): Record<string, unknown> {
    const p = this.pipeline;
    return { source: this.source?.counters, cycles: p?.cycles, rowsProcessed: p?.rowsProcessed, historyRows: p?.historyRows };
  }

  /** Wait until the source has ended and the pipeline has quiesced, then recompute from the final chain state. */
  private async waitForFinal(): Promise<FinalState> {
    const src = this.source!;
    const p = this.pipeline!;
    const quiet = this.o.quietMs ?? 1000;
    let sig = '';
    let since = Date.now();
    for (;;) {
      if (this.stopped) throw new Error('stopped before the source ended');
      await new Promise((r) => setTimeout(r, 100));
      const settled = src.complete && p.provider.gex().status === 'ok' && p.provider.surface().status === 'ok' && p.provider.regime().status !== 'pending';
      const now = `${settled}|${p.cycles}|${p.rowsProcessed}|${p.provider.surface().updatedAt}|${p.provider.gex().updatedAt}`;
      if (now !== sig) {
        sig = now;
        since = Date.now();
      } else if (settled && Date.now() - since >= quiet) break;
    }
    const lc = src.chain()!;
    const model = p.provider.gex().data?.model ?? 'naive';
    const final = await recomputeFinal(lc, src.clockMs(), model);
    return {
      final,
      run: {
        source: src.name,
        cycles: p.cycles,
        rows_processed: p.rowsProcessed,
        history_rows_published: { ...p.historyRows },
        bus_source: { ...src.counters },
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher;
    await this.pipeline?.stop();
    await this.source?.stop();
  }
}

export interface FinalState {
  /** A function of the final chain state only: equal across runs of the same replay. */
  final: { chain: Record<string, unknown>; gex: GexJson; surface: SurfaceJson };
  /** How the run got there (timing-dependent: not compared). */
  run: Record<string, unknown>;
}

/**
 * IV, a cold surface fit and GEX of a chain state valued at `clockMs`, with the live pipeline's valuation conventions
 * (spot = the underlying's mid rounded to 1e-4, the as-of date in New York).
 */
export async function recomputeFinal(lc: LiveChain, clockMs: number, gexModel: string): Promise<FinalState['final']> {
  const snap = lc.snapshot();
  const spot = Math.round(lc.spotPrice() * 1e4) / 1e4;
  const chain = { ...snap, asOfMs: clockMs, asOfDate: nyDate(clockMs), quote: { ...snap.quote, last: Number.isFinite(spot) ? spot : snap.quote.last } };
  const { chainIv } = await computeIvSection(chain);
  const { state, fit } = await computeSurfaceSection(chain, chainIv);
  const gex = await computeGexSection(chain, chainIv, gexModel, fit);
  return { chain: chainStateJson(lc), gex, surface: state.json };
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
  renameSync(tmp, path);
}

/** The gateway over the live pipeline of this process (an analytics process that also serves). */
export class GatewayComponent implements Component {
  readonly name = 'gateway';
  url: string | undefined;
  private gw: { url: string; close(): Promise<void> } | undefined;

  async start(ctx: ComponentContext): Promise<void> {
    const p = ctx.services.get(LIVE_PIPELINE_SERVICE) as LivePipeline | undefined;
    if (!p) {
      throw new TopologyError(
        'this gateway serves the live pipeline of its own process, and none runs here: use `manifold run --role api` for a gateway over the bus',
      );
    }
    const { startGateway } = await import('../api/index.js');
    this.gw = await startGateway(p.provider, ctx.config.api);
    this.url = this.gw.url;
  }

  async stop(): Promise<void> {
    await this.gw?.close();
  }
}
