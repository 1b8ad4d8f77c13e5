/**
 * The live pipeline: feed → live chain state → chain IV and Greeks → SVI surface (refit on a cadence or when enough
 * quotes moved, warm-started from the previous fit) → GEX and flip → regime → latest state (the `LiveProvider` the
 * gateway and monitor read, and `event.<kind>.<key>` on the bus for the store's Redis/memory state) and history rows
 * (`data.history.<table>` on the bus for the store role).
 *
 * Backpressure by conflation: the feed applies every event to the chain state in place; the analytics cycle takes
 * the rows changed since its last run (each once, latest wins: `LiveChain.takeUpdates()`) and a snapshot of the
 * whole chain. A slow cycle therefore never builds a queue: the next one simply sees more changed rows. Only one
 * cycle runs at a time; the next is scheduled after the previous one ends.
 */
import type { Bus } from '../bus/types.js';
import type { ChainIv } from '../analytics/chain-iv-types.js';
import type { SurfaceFit } from '../analytics/surface.js';
import type { RawSvi } from '../quant/svi/raw.js';
import { CALL, type OptionChain } from '../market/chain.js';
import { nyDate } from '../market/calendar.js';
import { Histogram, nowMs } from '../feed/metrics.js';
import type { LiveChain, TradeUpdate } from '../feed/live-chain.js';
import { createLogger } from '../util/log.js';
import type { FeedHealth, GexJson, HealthState, RegimeState, SurfaceJson, SurfaceState } from '../api/state.js';
import { computeGexSection, computeIvSection, computeRegimeWithModel, GEX_MODELS, sliceQuotes, summariseChain } from '../api/analytics-adapters.js';
import { vixIndex } from '../analytics/vix-index.js';
import type { IntradayRegime, IntradayRegimeModel } from '../regime/intraday.js';
import { LiveProvider } from './live-provider.js';
import { runStage, StageMeter } from './live-stage.js';
import { SurfaceRunner } from './surface-runner.js';
import { ApiStatePublisher } from './api-state.js';
import type { FeedSource } from './live-source.js';
import { historyTopic, stateTopic } from './store-sink.js';

const log = createLogger('pipeline.live');

export interface LiveOptions {
  source: FeedSource;
  /** Bus to publish latest state and history rows on (the store role persists them). */
  bus?: Bus;
  /** Pause between two analytics cycles, ms (default 25, as the configuration's `pipeline.cycleMs`). */
  cycleMs?: number;
  /**
   * Surface refit cadence (every raw SVI slice and the eSSVI surface), ms (default 0, as `pipeline.surfaceEveryMs`:
   * whenever quotes changed and no refit is running).
   */
  surfaceEveryMs?: number;
  /** Fit the surface on a worker thread (default true) so that the feed and the monitor never wait for it. */
  surfaceThread?: boolean;
  /** Refit earlier when at least this many contracts moved since the last fit (default 500). */
  surfaceMinMoved?: number;
  gexModel?: string;
  /** Regime: compute from the shipped daily history at start (default true). */
  regime?: boolean;
  dataDir?: string;
  /** History cadences, ms: GEX snapshots (default 5 s), surface fits (10 s), chain quote snapshots (60 s). */
  gexHistoryMs?: number;
  surfaceHistoryMs?: number;
  chainHistoryMs?: number;
}

const STAGES = ['feed', 'iv', 'surface', 'gex', 'regime', 'publish'] as const;

export class LivePipeline {
  readonly provider = new LiveProvider();
  readonly stages: Record<(typeof STAGES)[number], StageMeter>;
  /** Tick (exchange time of a contract's latest quote) → the GEX state that includes it was published, µs. */
  readonly tickToGexUs = new Histogram();
  /** Tick → GEX and surface state both updated with it, µs. */
  readonly tickToStateUs = new Histogram();
  /** Tick applied to the chain state in this process → GEX and surface updated with it, µs (the pipeline's own part). */
  readonly appliedToStateUs = new Histogram();
  /** Per contract: when its latest quote was applied here (epoch ms), for `appliedToStateUs`. */
  private appliedMs = new Float64Array(0);
  private pendingSurfaceApplied = new Float64Array(0);
  cycles = 0;
  /** Contracts whose change went into a cycle (after conflation). */
  rowsProcessed = 0;
  historyRows = { surface_fits: 0, gex_snapshots: 0, option_quotes: 0, option_trades: 0, regime_states: 0 };
  private readonly o: Required<Omit<LiveOptions, 'bus' | 'dataDir'>> & Pick<LiveOptions, 'bus' | 'dataDir'>;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private cycleDone: Promise<void> = Promise.resolve();
  private tracked: LiveChain | null = null;
  private lastSpot = NaN;
  private fit: SurfaceFit | null = null;
  private lastFitAt = 0;
  private movedSinceFit = 0;
  private surfaceInFlight: Promise<void> | null = null;
  private readonly runner: SurfaceRunner;
  /** Per contract: exchange time of the oldest change not yet in a surface fit (NaN: none). */
  private pendingSurfaceTick = new Float64Array(0);
  private pendingSurfaceRows: number[] = [];
  private chainDirty = new Uint8Array(0);
  private writtenQuoteTs = new Float64Array(0);
  private chainDirtyRows: number[] = [];
  private lastGexHistory = 0;
  private lastSurfaceHistory = 0;
  private lastChainHistory = 0;
  private underlying = '';
  private gexModel: string;
  private feedRate = { t: Date.now(), messages: 0, rate: 0 };
  private regimeStarted: Promise<void> | null = null;
  /** The last cycle's chain snapshot and IVs: a refit that lands with changes pending starts on them at once. */
  private latest: { chain: OptionChain; civ: ChainIv } | null = null;
  private regimeState: RegimeState | null = null;
  private intradayModel: IntradayRegimeModel | null = null;
  private sessionDate = '';
  private lastIntraday = 0;
  private lastIntradayHistory = 0;

  constructor(opts: LiveOptions) {
    this.o = {
      cycleMs: 25,
      surfaceEveryMs: 0,
      surfaceMinMoved: 500,
      surfaceThread: true,
      gexModel: 'naive',
      regime: true,
      gexHistoryMs: 5000,
      surfaceHistoryMs: 10_000,
      chainHistoryMs: 60_000,
      ...opts,
    };
    this.gexModel = this.o.gexModel;
    this.runner = new SurfaceRunner(this.o.surfaceThread);
    if (!GEX_MODELS.includes(this.gexModel)) throw new Error(`unknown GEX model '${this.gexModel}' (one of ${GEX_MODELS.join(', ')})`);
    this.stages = Object.fromEntries(STAGES.map((s) => [s, new StageMeter(s)])) as LivePipeline['stages'];
    this.provider.attach({
      gexModels: () => [...GEX_MODELS],
      gexModel: () => this.gexModel,
      setGexModel: (m) => {
        this.gexModel = m;
        this.movedSinceFit = Infinity; // recompute everything at the next cycle
      },
      healthNow: () => this.health(),
    });
  }

  get source(): FeedSource {
    return this.o.source;
  }

  /**
   * Start the cycle loop. The regime is computed once the feed's clock is known (the first chain state), from the
   * daily history before that session date, without blocking the first cycles.
   */
  start(): void {
    if (!this.o.regime) this.stages.regime.status = 'unavailable';
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.cycleDone;
    await this.regimeStarted;
    await this.surfaceInFlight;
    await this.runner.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.cycleDone = this.cycle().catch((err: unknown) => log.error({ err: (err as Error).message }, 'analytics cycle failed'));
      void this.cycleDone.then(() => this.schedule(this.o.cycleMs));
    }, ms);
  }

  /** Feed health from the source's metrics and connection state. */
  feedHealth(): FeedHealth {
    const src = this.o.source;
    const m = src.metrics();
    const chain = src.chain();
    const now = Date.now();
    if (m && now - this.feedRate.t >= 500) {
      this.feedRate = { t: now, messages: m.messages, rate: ((m.messages - this.feedRate.messages) / (now - this.feedRate.t)) * 1000 };
    }
    const st = src.state();
    const status: FeedHealth['status'] = st === 'live' ? 'live' : st === 'connecting' ? 'connecting' : st === 'static' ? 'static' : 'down';
    const gaps = m?.gapSummary();
    return {
      source: src.name,
      status,
      msg_rate: Math.max(0, this.feedRate.rate),
      last_message_at: chain && Number.isFinite(chain.asOfMs) ? chain.asOfMs : null,
      gaps: gaps?.count ?? 0,
      reconnects: m?.reconnects ?? 0,
      bad_rows: m ? m.decodeErrorTotal + (chain?.counters.unknownSymbol ?? 0) : 0,
      // Beyond the contract: what the monitor shows about the feed.
      ...({
        exchange_to_receive_p50_ms: m ? m.exchangeToReceiveUs.quantile(0.5) / 1000 : null,
        receive_to_applied_p99_us: m ? m.receiveToAppliedUs.quantile(0.99) : null,
        gap_total_ms: gaps?.totalMs ?? 0,
        outages: src.outages(),
      } as object),
    } as FeedHealth;
  }

  health(): HealthState {
    const now = Date.now();
    return { feed: this.feedHealth(), pipeline: STAGES.map((s) => this.stages[s].health(now)) };
  }

  /** Latency summary for the benchmark and the soak. */
  latency(): Record<'tick_to_gex_ms' | 'tick_to_state_ms' | 'applied_to_state_ms', { p50: number; p99: number; n: number }> {
    const q = (h: Histogram) => ({ p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, n: h.count });
    return { tick_to_gex_ms: q(this.tickToGexUs), tick_to_state_ms: q(this.tickToStateUs), applied_to_state_ms: q(this.appliedToStateUs) };
  }

  // ---------------------------------------------------------------------------------------------------------

  /** The chain snapshot valued at the feed's clock, with spot from the underlying's quotes. */
  private snapshot(lc: LiveChain): OptionChain {
    const snap = lc.snapshot();
    const asOfMs = this.o.source.clockMs();
    // The mid of two cent prices, without binary noise (4136.81, not 4136.8099999999995).
    const spot = Math.round(lc.spotPrice() * 1e4) / 1e4;
    return { ...snap, asOfMs, asOfDate: nyDate(asOfMs), quote: { ...snap.quote, last: Number.isFinite(spot) ? spot : snap.quote.last } };
  }

  private async cycle(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.cycleInner();
    } finally {
      this.running = false;
    }
  }

  private async cycleInner(): Promise<void> {
    const lc = this.o.source.chain();
    const feed = this.stages.feed;
    if (!lc) return;
    const first = this.tracked !== lc;
    if (first) {
      // Time each applied quote (one clock read per quote, a few % of the apply cost), so latency can be split into
      // exchange → applied (feed, socket, simulator) and applied → served (this pipeline).
      const applied = (this.appliedMs = new Float64Array(lc.size).fill(NaN));
      this.pendingSurfaceApplied = new Float64Array(lc.size).fill(NaN);
      const apply = lc.applyQuote.bind(lc);
      lc.applyQuote = (r, bp, ap, bs, as, t, q) => {
        apply(r, bp, ap, bs, as, t, q);
        if (r >= 0) applied[r] = nowMs();
      };
      lc.trackUpdates();
      lc.takeUpdates();
      this.tracked = lc;
      this.pendingSurfaceTick = new Float64Array(lc.size).fill(NaN);
      this.pendingSurfaceRows = [];
      this.chainDirty = new Uint8Array(lc.size);
      this.writtenQuoteTs = new Float64Array(lc.size).fill(NaN);
      this.chainDirtyRows = [];
      this.fit = null;
    }
    if (this.o.regime && this.regimeStarted === null) this.regimeStarted = this.computeRegime(nyDate(this.o.source.clockMs()));
    const spot = lc.spotPrice();
    // No analytics without a spot (the underlying's first quote): the changed rows stay pending in the chain.
    if (!Number.isFinite(spot) || !(spot > 0)) return;
    const { rows, trades } = lc.takeUpdates();
    if (trades.length > 0) this.publishTrades(lc, trades);
    const spotMoved = spot !== this.lastSpot && Number.isFinite(spot);
    if (!first && rows.length === 0 && !spotMoved && this.movedSinceFit !== Infinity) {
      feed.status = this.o.source.state() === 'live' ? 'ok' : 'pending';
      return;
    }
    feed.ok(0, rows.length);
    this.lastSpot = spot;
    this.cycles++;
    this.rowsProcessed += rows.length;
    this.movedSinceFit += rows.length;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!(this.pendingSurfaceTick[r] === this.pendingSurfaceTick[r])) {
        this.pendingSurfaceTick[r] = lc.quoteTime[r];
        this.pendingSurfaceApplied[r] = this.appliedMs[r];
        this.pendingSurfaceRows.push(r);
      }
      if (this.chainDirty[r] === 0) {
        this.chainDirty[r] = 1;
        this.chainDirtyRows.push(r);
      }
    }
    const chain = this.snapshot(lc);
    this.underlying = chain.underlying;

    // IV and Greeks of the whole chain (≈ 40 ms for 18,000 SPX contracts: cheaper than tracking what changed).
    const iv = await this.stageAsync(this.stages.iv, () => computeIvSection(chain), () => chain.size);
    if (!iv.ok) return;
    const civ = iv.value.chainIv;
    this.updateIntraday(chain, civ);
    const now = Date.now();
    this.provider.set('chain', { status: 'ok', updatedAt: now, data: summariseChain(chain, { live: true, source: this.o.source.name }, this.o.source.name) });
    this.provider.set('iv', { status: 'ok', updatedAt: now, data: iv.value.table });

    // Surface refit on the cadence (or sooner, at most 4 times per cadence, once many contracts moved), on the
    // surface worker: the cycle does not wait for it (except for the very first fit, so that the first GEX has the
    // surface as its IV fallback, as the static path does).
    const sinceFit = Date.now() - this.lastFitAt;
    const due =
      this.surfaceInFlight === null &&
      (this.fit === null ||
        this.movedSinceFit === Infinity ||
        sinceFit >= this.o.surfaceEveryMs ||
        (this.movedSinceFit >= this.o.surfaceMinMoved && sinceFit >= this.o.surfaceEveryMs / 4));
    this.latest = { chain, civ };
    if (due) {
      const landed = this.launchRefit(chain, civ);
      if (this.fit === null) await landed;
    }

    // Let the event loop in between the synchronous stages: socket data (the feed) and a landed refit from the worker
    // are handled now rather than after the whole cycle.
    await yieldToEventLoop();
    const gex = await this.stageAsync(this.stages.gex, () => computeGexSection(chain, civ, this.gexModel, this.fit), () => 1);
    if (gex.ok) this.provider.set('gex', { status: 'ok', updatedAt: Date.now(), data: gex.value });
    else this.provider.set('gex', { ...this.provider.gex(), status: 'error', reason: this.stages.gex.lastError });

    // Latency: each contract's latest tick (exchange time, the feed's clock = this machine's for the simulator) to
    // the moment the GEX holding it is served; tick → GEX and surface is recorded when the surface lands.
    const doneMs = nowMs();
    if (gex.ok) for (let i = 0; i < rows.length; i++) this.tickToGexUs.record((doneMs - lc.quoteTime[rows[i]]) * 1000);
    this.provider.emit('health');
    runStage(this.stages.publish, () => this.publish(chain, gex.ok ? gex.value : null), (n) => n);
  }

  private async stageAsync<T>(m: StageMeter, f: () => Promise<T> | T, items?: (v: T) => number): Promise<{ ok: true; value: T } | { ok: false }> {
    const t0 = performance.now();
    try {
      const value = await f();
      m.ok(performance.now() - t0, items ? items(value) : 0);
      return { ok: true, value };
    } catch (err) {
      m.fail(performance.now() - t0, err);
      log.warn({ stage: m.name, err: m.lastError }, 'stage failed');
      return { ok: false };
    }
  }

  /**
   * Start a warm-started refit (the previous raw SVI parameters per slice start the optimiser near the answer) of
   * every slice and the eSSVI surface. The contracts changed since the previous refit are in it: when it lands, their
   * tick → GEX-and-surface latency is recorded.
   */
  private launchRefit(chain: OptionChain, civ: ChainIv): Promise<void> {
    const rows = this.pendingSurfaceRows;
    this.pendingSurfaceRows = [];
    const ticks = new Float64Array(rows.length);
    const applied = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      ticks[i] = this.pendingSurfaceTick[rows[i]];
      applied[i] = this.pendingSurfaceApplied[rows[i]];
      this.pendingSurfaceTick[rows[i]] = NaN;
    }
    this.lastFitAt = Date.now();
    this.movedSinceFit = 0;
    const warm = new Map<string, RawSvi>();
    for (const s of this.fit?.slices ?? []) if (s.svi) warm.set(s.key, s.svi);
    const t0 = performance.now();
    const m = this.stages.surface;
    const run = this.runner
      .fit(chain, civ, warm)
      .then(async (fit) => {
        if (this.stopped) return;
        this.fit = fit;
        const state = await this.surfaceState(chain, civ, fit);
        m.ok(performance.now() - t0, fit.slices.length);
        this.provider.set('surface', { status: 'ok', updatedAt: Date.now(), data: state });
        const done = nowMs();
        for (let i = 0; i < rows.length; i++) {
          this.tickToStateUs.record((done - ticks[i]) * 1000);
          if (applied[i] === applied[i]) this.appliedToStateUs.record((done - applied[i]) * 1000);
        }
        this.publishSurface(chain, state.json);
      })
      .catch((err: unknown) => {
        if (this.stopped) return;
        m.fail(performance.now() - t0, err);
        log.warn({ stage: 'surface', err: m.lastError }, 'stage failed');
        this.provider.set('surface', { ...this.provider.surface(), status: 'error', reason: m.lastError });
      })
      .finally(() => {
        this.surfaceInFlight = null;
        // Changes that arrived while this refit ran are all in the last cycle's snapshot: refit on it now rather
        // than at the next cycle (on the cadence: back to back when it is 0).
        const next = this.latest;
        if (!this.stopped && next && next.chain !== chain && this.pendingSurfaceRows.length > 0 && this.o.surfaceEveryMs === 0) {
          void this.launchRefit(next.chain, next.civ);
        }
      });
    this.surfaceInFlight = run;
    return run;
  }

  /** The gateway's surface section from a fit: the contract JSON, the quotes per slice, the eSSVI grid query. */
  private async surfaceState(chain: OptionChain, civ: ChainIv, fit: SurfaceFit): Promise<SurfaceState> {
    const { surfaceJson } = await import('../analytics/surface.js');
    const json = surfaceJson(fit, 'svi') as unknown as SurfaceJson;
    json.refit_at = Date.now();
    json.fit_ms = { svi: fit.sviMs, essvi: fit.essviMs };
    const quotes = sliceQuotes(chain, civ, fit, json);
    const query = fit.query;
    return { json, volAt: (k, t) => query.vol(k, t), gridModel: 'essvi', quotes };
  }

  private async computeRegime(sessionDate: string): Promise<void> {
    this.sessionDate = sessionDate;
    const res = await this.stageAsync(this.stages.regime, () => computeRegimeWithModel({ dataDir: this.o.dataDir, before: sessionDate }), () => 1);
    if (!res.ok) {
      this.provider.set('regime', { status: 'error', updatedAt: null, reason: this.stages.regime.lastError, data: null });
      return;
    }
    const r: RegimeState = res.value.state;
    this.regimeState = r;
    this.intradayModel = res.value.intraday;
    this.provider.set('regime', { status: 'ok', updatedAt: Date.now(), data: r });
    const bus = this.o.bus;
    if (!bus || this.stopped) return;
    bus.publish(stateTopic<RegimeState['now']>('regime', 'daily'), r.now, { key: 'daily' });
    bus.publish(historyTopic('regime_states'), {
      series: 'SPY_VIX_daily',
      model: 'hmm',
      ts: `${r.now.as_of}T21:00:00Z`,
      state: r.now.state,
      label: r.now.label,
      probabilities: Object.fromEntries(r.now.labels.map((l, i) => [l, r.now.probabilities[i]])),
    });
    this.historyRows.regime_states++;
  }

  /**
   * The provisional intraday regime (at most once a second): the live VIX computed from the SPX chain by Cboe's
   * method, one filter step past the last daily close. Other underlyings have no VIX here: the reason is shown.
   */
  private updateIntraday(chain: OptionChain, civ: ChainIv): void {
    const model = this.intradayModel;
    const r = this.regimeState;
    if (!model || !r) return;
    const now = Date.now();
    if (now - this.lastIntraday < 1000) return;
    this.lastIntraday = now;
    let intraday: IntradayRegime | null = null;
    let reason: string | undefined;
    if (chain.underlying !== 'SPX') reason = `no live VIX: the feed carries ${chain.underlying}, and the VIX is computed from an SPX chain`;
    else {
      const v = vixIndex(chain, civ);
      if (v.status !== 'ok') reason = `live VIX not computable: ${v.message ?? v.status}`;
      else {
        try {
          intraday = model.update(this.sessionDate, { vix: v.value, vixSource: 'chain', atMs: chain.asOfMs });
        } catch (e) {
          reason = (e as Error).message;
        }
      }
    }
    this.regimeState = { ...r, now: { ...r.now, intraday, intraday_reason: reason } };
    this.provider.set('regime', { status: 'ok', updatedAt: now, data: this.regimeState });
    const bus = this.o.bus;
    if (!bus || !intraday) return;
    bus.publish(stateTopic<RegimeState['now']>('regime', 'intraday'), this.regimeState.now, { key: 'intraday' });
    if (now - this.lastIntradayHistory >= this.o.gexHistoryMs * 12) {
      this.lastIntradayHistory = now;
      bus.publish(historyTopic('regime_states'), {
        series: 'SPX_VIX_intraday',
        model: 'hmm',
        ts: intraday.as_of_ms,
        state: intraday.state,
        label: intraday.label,
        probabilities: Object.fromEntries(intraday.labels.map((l, i) => [l, intraday.probabilities[i]])),
      });
      this.historyRows.regime_states++;
    }
  }

  /** Each landed refit: the surface's latest state, and its slices as history rows on their cadence. */
  private publishSurface(chain: OptionChain, json: SurfaceJson): void {
    const bus = this.o.bus;
    if (!bus) return;
    const key = chain.underlying;
    const ts = chain.asOfMs;
    const now = Date.now();
    bus.publish(stateTopic<SurfaceJson>('surface', key), json, { key });
    if (now - this.lastSurfaceHistory < this.o.surfaceHistoryMs) return;
    this.lastSurfaceHistory = now;
    const rows = json.slices.map((s) => ({
      underlying: key, ts, expiry: s.expiry, settlement: s.settlement, t: s.t, forward: s.forward, discount: s.discount, quotes: s.quotes,
      a: s.svi?.a ?? null, b: s.svi?.b ?? null, rho: s.svi?.rho ?? null, m: s.svi?.m ?? null, sigma: s.svi?.sigma ?? null,
      rmse_vol: s.rmse_vol, in_band: s.in_band, max_abs_z: s.max_abs_z, min_g: s.min_g, butterfly_free: s.butterfly_free, atm_vol: s.atm_vol,
      calendar_free: json.calendar_free,
    }));
    // Two slices of one expiry date (SPX AM and SPXW PM) share the key only if their settlement does too.
    const unique = dedupe(rows, (r) => `${r.expiry}|${r.settlement}`);
    bus.publishBatch(historyTopic('surface_fits'), unique);
    this.historyRows.surface_fits += unique.length;
  }

  /**
   * Every trade the feed applied (time and sales), in feed order, as history rows. The trade id is the feed's
   * per-contract sequence number (Massive's `q`), so a trade seen twice (a resync) keeps its key and is stored once.
   */
  private publishTrades(lc: LiveChain, trades: readonly TradeUpdate[]): void {
    const bus = this.o.bus;
    if (!bus) return;
    const rows = [];
    for (const tr of trades) {
      if (tr.row < 0 || !(tr.price >= 0) || !(tr.size >= 0) || !Number.isFinite(tr.t)) continue;
      rows.push({
        underlying: lc.universe.underlying, symbol: lc.universe.symbol[tr.row], ts: tr.t,
        trade_id: Number.isFinite(tr.q) ? String(tr.q) : `t${tr.t}p${tr.price}s${tr.size}`, price: tr.price, size: tr.size,
      });
    }
    if (rows.length === 0) return;
    bus.publishBatch(historyTopic('option_trades'), rows);
    this.historyRows.option_trades += rows.length;
  }

  /** Latest state every cycle; history rows on their cadences. Returns the number of bus messages. */
  private publish(chain: OptionChain, gex: GexJson | null): number {
    const bus = this.o.bus;
    if (!bus) return 0;
    let n = 0;
    const key = chain.underlying;
    this.apiState ??= this.startApiState(bus, key);
    const now = Date.now();
    const ts = chain.asOfMs;
    if (gex) {
      bus.publish(stateTopic<GexJson>('gex', key), gex, { key });
      n++;
      if (now - this.lastGexHistory >= this.o.gexHistoryMs) {
        this.lastGexHistory = now;
        bus.publish(historyTopic('gex_snapshots'), {
          underlying: key, ts, model: gex.model, spot: gex.spot, total_gex: gex.total_gex, flip: gex.flip, call_wall: gex.call_wall,
          put_wall: gex.put_wall, abs_gamma_strike: gex.abs_gamma_strike, by_expiry: gex.by_expiry, by_strike: gex.by_strike, profile: gex.profile,
        });
        this.historyRows.gex_snapshots++;
        n++;
      }
    }
    if (now - this.lastChainHistory >= this.o.chainHistoryMs && this.chainDirtyRows.length > 0) {
      if (this.lastChainHistory === 0) this.lastChainHistory = now; // the first sample after one full interval
      else {
        this.lastChainHistory = now;
        const lc = this.tracked!;
        // One row per new quote: the table's key is (underlying, symbol, quote time), so a contract that only
        // traded since the last sample (same quote time) is not written again.
        // Whole ms: a resync snapshot's ns times converted to ms can differ from the WebSocket's ms by less than the
        // store's µs resolution, which would make the same quote look new.
        const qms = (r: number) => Math.floor(lc.quoteTime[r]);
        const fresh = this.chainDirtyRows.filter((r) => qms(r) > this.writtenQuoteTs[r] || (Number.isFinite(lc.quoteTime[r]) && Number.isNaN(this.writtenQuoteTs[r])));
        for (const r of fresh) this.writtenQuoteTs[r] = qms(r);
        const rows = fresh.map((r) => ({
          underlying: key, symbol: chain.symbol[r], ts: qms(r),
          expiry: chain.expiries[chain.expiryIndex[r]].date, strike: chain.strike[r], option_right: chain.right[r] === CALL ? 'C' : 'P',
          bid: fin(lc.bid[r]), ask: fin(lc.ask[r]), bid_size: fin(lc.bidSize[r]), ask_size: fin(lc.askSize[r]), last: fin(lc.last[r]),
          volume: fin(lc.volume[r]), underlying_price: fin(chain.quote.last),
        }));
        for (const r of this.chainDirtyRows) this.chainDirty[r] = 0;
        this.chainDirtyRows = [];
        if (rows.length) {
          bus.publishBatch(historyTopic('option_quotes'), rows);
          this.historyRows.option_quotes += rows.length;
          n++;
        }
      }
    }
    if (this.cycles % 5 === 1) {
      bus.publish(stateTopic<HealthState>('health', 'pipeline'), this.health(), { key: 'pipeline' });
      n++;
    }
    return n;
  }

  /**
   * The rest of the gateway's state on the bus (chain summary, IV table, surface grid nodes and quotes, regime with
   * history: api-state.ts), for an api role in another process; it follows the provider from the first publish on.
   */
  private apiState: ApiStatePublisher | null = null;
  private startApiState(bus: Bus, key: string): ApiStatePublisher {
    return new ApiStatePublisher({ bus, provider: this.provider, key, essviNodes: () => this.fit?.query.nodes ?? null, stopped: () => this.stopped });
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function fin(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function dedupe<T>(rows: T[], key: (r: T) => string): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(key(r)) ? false : (seen.add(key(r)), true)));
}
