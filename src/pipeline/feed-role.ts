/**
 * The feed role's component: opens the feed source (simulator, Massive, or a replay) and publishes its live chain on
 * the bus (see chain-bus.ts): the reference data and a full update when the chain appears, then every `flushMs` the
 * rows changed since the previous message (conflated: a contract quoted 50 times in 10 ms is sent once, latest
 * wins) with every trade applied since (in order), a full update every `snapshotEveryMs` (the retained state a late joiner starts from) and when asked, a
 * heartbeat with the feed's status when nothing changed, and a final full update when the source ends (a replay).
 */
import { randomBytes } from 'node:crypto';
import type { Subscription } from '../bus/types.js';
import type { LiveChain, TradeUpdate } from '../feed/live-chain.js';
import { openSource, type FeedSource, type SourceSpec } from './live-source.js';
import { captureUpdate, chainDeltaTopic, chainRefTopic, chainSnapTopic, type FeedStatus, type SpotState } from './chain-bus.js';
import type { Component, ComponentContext } from './topology.js';

export interface FeedRoleOptions {
  spec: SourceSpec;
  /** Publish changed rows this often, ms (default 10). */
  flushMs?: number;
  /** A full (retained) update this often, ms (default 5000). */
  snapshotEveryMs?: number;
  /** Status-only message when nothing changed for this long, ms (default 250). */
  heartbeatMs?: number;
  /** Open the source (default `openSource`): tests hand in their own. */
  open?: (spec: SourceSpec, ctx: ComponentContext) => Promise<FeedSource>;
}

export class FeedComponent implements Component {
  readonly name = 'feed';
  source: FeedSource | undefined;
  private ctx: ComponentContext | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tracked: LiveChain | null = null;
  private gen = '';
  private dseq = 0;
  private lastSpot: SpotState = { bid: NaN, ask: NaN, last: NaN, timeMs: NaN, seq: -1 };
  private lastAsOf = NaN;
  private lastState = '';
  private lastSent = 0;
  private lastFull = 0;
  private resyncRequested = false;
  private endedSent = false;
  private sub: Subscription | undefined;
  private quantilesAt = 0;
  private quantiles = [NaN, NaN, NaN, NaN];
  readonly counters = { deltas: 0, fulls: 0, rows: 0, trades: 0, resyncRequests: 0, heartbeats: 0 };
  private readonly o: Required<Omit<FeedRoleOptions, 'open'>> & Pick<FeedRoleOptions, 'open'>;

  constructor(opts: FeedRoleOptions) {
    this.o = { flushMs: 10, snapshotEveryMs: 5000, heartbeatMs: 250, ...opts };
  }

  async start(ctx: ComponentContext): Promise<void> {
    this.ctx = ctx;
    this.sub = ctx.bus.subscribe<{ gen: string; reason: string }>('cmd.chain.', (m) => {
      for (const it of m.items) {
        if (it.gen === this.gen || it.gen === '') {
          this.resyncRequested = true;
          this.counters.resyncRequests++;
        }
      }
    });
    await this.sub.ready;
    try {
      this.source = await (this.o.open ?? ((spec, c) => openSource(spec, c.config)))(this.o.spec, ctx);
    } catch (e) {
      await this.sub.close(); // not started: the topology will not call stop()
      throw e;
    }
    this.timer = setInterval(() => {
      try {
        this.flush();
      } catch (err) {
        ctx.log.error({ err: (err as Error).message }, 'chain update not published');
      }
    }, this.o.flushMs);
  }

  stats(): Record<string, unknown> {
    return { ...this.counters, gen: this.gen, dseq: this.dseq };
  }

  status(): FeedStatus {
    const src = this.source!;
    const m = src.metrics();
    const chain = src.chain();
    const gaps = m?.gapSummary();
    // The latency quantiles scan histograms: refreshed at most every 200 ms (the status goes out every 10 ms).
    const now = Date.now();
    if (m && now - this.quantilesAt >= 200) {
      this.quantilesAt = now;
      this.quantiles = [m.exchangeToReceiveUs.quantile(0.5), m.exchangeToReceiveUs.quantile(0.99), m.receiveToAppliedUs.quantile(0.5), m.receiveToAppliedUs.quantile(0.99)];
    }
    const [e50, e99, a50, a99] = this.quantiles;
    return {
      name: src.name,
      state: src.state(),
      // A replay values at its own (recorded) exchange time; a live feed at the feed host's clock plus its offset.
      clock: this.o.spec.kind === 'replay' ? { kind: 'chain' } : { kind: 'wall', offsetMs: src.clockMs() - Date.now() },
      outages: src.outages(),
      metrics: m
        ? {
            messages: m.messages,
            reconnects: m.reconnects,
            decodeErrors: m.decodeErrorTotal,
            unknownSymbol: chain?.counters.unknownSymbol ?? 0,
            gaps: gaps!.count,
            gapTotalMs: gaps!.totalMs,
            gapMaxMs: gaps!.maxMs,
            exchangeToReceiveP50Us: e50,
            exchangeToReceiveP99Us: e99,
            receiveToAppliedP50Us: a50,
            receiveToAppliedP99Us: a99,
          }
        : null,
    };
  }

  /** One publishing step (the timer's; public so that tests can step it). */
  flush(): void {
    const src = this.source;
    const bus = this.ctx?.bus;
    if (!src || !bus) return;
    const lc = src.chain();
    if (!lc) return;
    const u = lc.universe.underlying;
    const now = Date.now();
    if (lc !== this.tracked) {
      // A new chain (first state, or a replay's): new generation, reference data, then its whole state.
      this.tracked = lc;
      this.gen = randomBytes(6).toString('hex');
      this.dseq = 0;
      lc.trackUpdates();
      bus.publish(chainRefTopic(u), { gen: this.gen, universe: lc.universe }, { key: 'ref' });
      this.publishFull(lc, now, undefined, lc.takeUpdates().trades);
      return;
    }
    const status = this.status();
    if (status.state === 'ended' && !this.endedSent) {
      // The source is done (a replay): its final state, whole.
      this.endedSent = true;
      this.publishFull(lc, now, status, lc.takeUpdates().trades);
      return;
    }
    if (this.resyncRequested || now - this.lastFull >= this.o.snapshotEveryMs) {
      this.resyncRequested = false;
      this.publishFull(lc, now, status, lc.takeUpdates().trades);
      return;
    }
    const { rows, trades } = lc.takeUpdates();
    const s = lc.spot;
    const l = this.lastSpot;
    const moved = s.bid !== l.bid || s.ask !== l.ask || s.last !== l.last || s.seq !== l.seq || lc.asOfMs !== this.lastAsOf;
    if (rows.length === 0 && !moved && status.state === this.lastState && now - this.lastSent < this.o.heartbeatMs) return;
    if (rows.length === 0) this.counters.heartbeats++;
    this.counters.deltas++;
    this.counters.rows += rows.length;
    this.counters.trades += trades.length;
    this.send(chainDeltaTopic(u), lc, captureUpdate(lc, this.gen, ++this.dseq, status, rows, trades), now, false);
  }

  private publishFull(lc: LiveChain, now: number, status = this.status(), trades: readonly TradeUpdate[] = []): void {
    this.counters.fulls++;
    this.counters.trades += trades.length;
    this.lastFull = now;
    this.send(chainSnapTopic(lc.universe.underlying), lc, captureUpdate(lc, this.gen, ++this.dseq, status, undefined, trades), now, true);
  }

  private send(topic: ReturnType<typeof chainSnapTopic>, lc: LiveChain, update: ReturnType<typeof captureUpdate>, now: number, retain: boolean): void {
    this.ctx!.bus.publish(topic, update, retain ? { key: 'state' } : undefined);
    this.lastSent = now;
    this.lastSpot = { ...update.spot };
    this.lastAsOf = lc.asOfMs;
    this.lastState = update.status.state;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sub?.close();
    await this.source?.stop();
  }
}
