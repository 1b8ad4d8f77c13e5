/**
 * A `FeedSource` that rebuilds the feed role's live chain from the bus (chain-bus.ts): the analytics role's input,
 * the same whether the feed runs in this process (in-process bus) or in another one (ZeroMQ). A late joiner starts
 * from the retained reference data and full update (the bus's Clone snapshot) and asks the feed for a fresh full
 * update when the deltas it then receives do not follow on; a message lost by the bus is handled the same way.
 */
import type { Bus, Subscription } from '../bus/types.js';
import { LiveChain } from '../feed/live-chain.js';
import { FeedMetrics, Histogram } from '../feed/metrics.js';
import { createLogger } from '../util/log.js';
import { applyUpdate, CHAIN_PREFIX, chainResyncTopic, type ChainRef, type ChainUpdate, type FeedStatus, type RemoteFeedMetrics } from './chain-bus.js';
import type { ConnState, FeedSource } from './live-source.js';

const log = createLogger('pipeline.bus-source');

/** A histogram stand-in holding the two quantiles the feed published. */
class PublishedQuantiles extends Histogram {
  p50 = NaN;
  p99 = NaN;
  override quantile(q: number): number {
    return q <= 0.5 ? this.p50 : this.p99;
  }
}

/** The feed's metrics as last published by the feed role. */
class RemoteMetrics extends FeedMetrics {
  override readonly exchangeToReceiveUs = new PublishedQuantiles();
  override readonly receiveToAppliedUs = new PublishedQuantiles();
  private remote: RemoteFeedMetrics | null = null;

  update(m: RemoteFeedMetrics): void {
    this.remote = m;
    this.messages = m.messages;
    this.reconnects = m.reconnects;
    this.exchangeToReceiveUs.p50 = m.exchangeToReceiveP50Us;
    this.exchangeToReceiveUs.p99 = m.exchangeToReceiveP99Us;
    this.receiveToAppliedUs.p50 = m.receiveToAppliedP50Us;
    this.receiveToAppliedUs.p99 = m.receiveToAppliedP99Us;
  }

  override get decodeErrorTotal(): number {
    return this.remote?.decodeErrors ?? 0;
  }

  override gapSummary(): { count: number; totalMs: number; maxMs: number } {
    const r = this.remote;
    return { count: r?.gaps ?? 0, totalMs: r?.gapTotalMs ?? 0, maxMs: r?.gapMaxMs ?? 0 };
  }
}

export interface BusSourceOptions {
  /** Follow this underlying (default: the first one seen on the bus). */
  underlying?: string;
  /** No message from the feed for this long → `down`, ms (default 3000). */
  silenceMs?: number;
}

export class BusSource implements FeedSource {
  private sub: Subscription | undefined;
  private underlying: string | undefined;
  private gen = '';
  private replica: LiveChain | null = null;
  private ready = false;
  private lastDseq = 0;
  private resyncPending = false;
  private status: FeedStatus | null = null;
  private lastMsgAt = 0;
  private silentOutages = 0;
  private wasSilent = false;
  private readonly remoteMetrics = new RemoteMetrics();
  /** The source ended (a replay) and its final full update has been applied. */
  complete = false;
  readonly counters = { updates: 0, fulls: 0, rowsChanged: 0, deltaRows: 0, trades: 0, dseqGaps: 0, busGaps: 0, resyncRequests: 0, ignored: 0, generations: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly o: BusSourceOptions = {},
  ) {
    this.underlying = o.underlying;
  }

  get name(): string {
    return this.status?.name ?? 'bus';
  }

  /** Subscribe (with the retained snapshot); resolves when the subscription is live. */
  async start(): Promise<void> {
    const prefix = CHAIN_PREFIX + (this.underlying ? `${this.underlying}.` : '');
    this.sub = this.bus.subscribe<unknown>(prefix, (m) => this.onMessage(m.topic, m.items), {
      snapshot: true,
      onGap: () => {
        this.counters.busGaps++;
        this.requestResync('bus gap');
      },
    });
    await this.sub.ready;
  }

  private onMessage(topic: string, items: unknown[]): void {
    const rest = topic.slice(CHAIN_PREFIX.length);
    const dot = rest.lastIndexOf('.');
    const u = rest.slice(0, dot);
    const kind = rest.slice(dot + 1);
    if (this.underlying === undefined) this.underlying = u;
    else if (u !== this.underlying) return;
    for (const item of items) {
      if (kind === 'ref') this.onRef(item as ChainRef);
      else if (kind === 'snap' || kind === 'delta') this.onUpdate(item as ChainUpdate);
    }
  }

  private onRef(ref: ChainRef): void {
    if (ref.gen === this.gen) return;
    // A new feed chain (first, restarted feed process, or a new replay): a new replica, complete at its first full update.
    this.gen = ref.gen;
    this.replica = new LiveChain(ref.universe);
    this.ready = false;
    this.lastDseq = 0;
    this.resyncPending = false;
    this.complete = false;
    this.counters.generations++;
  }

  private onUpdate(u: ChainUpdate): void {
    this.lastMsgAt = Date.now();
    this.status = u.status;
    if (u.status.metrics) this.remoteMetrics.update(u.status.metrics);
    if (!this.replica || u.gen !== this.gen) {
      // An update of a generation whose reference data we never saw (should not happen: the reference is retained).
      this.counters.ignored++;
      return;
    }
    if (u.dseq <= this.lastDseq) {
      this.counters.ignored++;
      return;
    }
    if (!this.ready && !u.full) {
      this.requestResync('no full update yet');
      this.counters.ignored++;
      return;
    }
    if (!u.full && u.dseq !== this.lastDseq + 1) {
      this.counters.dseqGaps++;
      this.requestResync(`updates ${this.lastDseq + 1}..${u.dseq - 1} missed`);
    }
    this.counters.rowsChanged += applyUpdate(this.replica, u);
    this.counters.updates++;
    if (!u.full) this.counters.deltaRows += u.rows!.length;
    this.counters.trades += u.trades?.row.length ?? 0;
    this.lastDseq = u.dseq;
    if (u.full) {
      this.counters.fulls++;
      this.ready = true;
      this.resyncPending = false;
      if (u.status.state === 'ended') this.complete = true;
    }
  }

  private requestResync(reason: string): void {
    if (this.resyncPending || !this.underlying) return;
    this.resyncPending = true;
    this.counters.resyncRequests++;
    log.info({ reason, underlying: this.underlying }, 'asking the feed for a full chain update');
    this.bus.publish(chainResyncTopic(this.underlying), { gen: this.gen, reason });
  }

  chain(): LiveChain | null {
    return this.ready ? this.replica : null;
  }

  metrics(): FeedMetrics | null {
    return this.status?.metrics ? this.remoteMetrics : null;
  }

  state(): ConnState {
    const st = this.status?.state;
    if (st === undefined) return 'connecting';
    const silent = st !== 'ended' && Date.now() - this.lastMsgAt > (this.o.silenceMs ?? 3000);
    if (silent && !this.wasSilent && st === 'live') this.silentOutages++;
    this.wasSilent = silent;
    return silent ? 'down' : st;
  }

  clockMs(): number {
    const c = this.status?.clock;
    if (c?.kind === 'wall') return Date.now() + c.offsetMs;
    const lc = this.replica;
    return lc && Number.isFinite(lc.asOfMs) ? lc.asOfMs : Date.now();
  }

  outages(): number {
    return (this.status?.outages ?? 0) + this.silentOutages;
  }

  async stop(): Promise<void> {
    await this.sub?.close();
    this.sub = undefined;
  }
}
