/**
 * The api role (`manifold run --role api`): the gateway (REST, WebSocket streams, dashboard) in a process of its own,
 * serving the state the analytics role publishes on the bus. It computes no analytics: every section is the analytics
 * role's, as published (api-state.ts lists the topics):
 *
 *   chain    event.api.chain.<U>        iv       event.api.iv.<U> (≤ 1/s)
 *   surface  event.api.surface.<U>      (the contract JSON; `volAt` rebuilt from the eSSVI nodes, the quotes per slice)
 *   gex      event.gex.<U>              (the store role's state topic; updatedAt = its publish time)
 *   regime   event.api.regime.<U> + event.api.regime_history.<U>
 *   health   event.health.pipeline      (the analytics role's feed and stage health) plus a `bus` stage: the age of
 *            the newest state message; the section turns `error` when nothing arrived for `staleMs`
 *
 * Every subscription takes the retained snapshot first (Clone pattern), so a gateway started after the analytics
 * serves the current state as soon as it is ready. State-changing routes: a GEX model change is forwarded as a bus
 * command (`cmd.api.reload`) to the analytics role, which applies it and answers; no answer within
 * `reloadTimeoutMs` is a 409 with the reason. Loading a chain file is refused with a 409 (a live pipeline follows its
 * feed), as the in-process gateway does.
 *
 * In all-in-one and `--role analytics` processes the gateway keeps serving the live pipeline's in-memory provider
 * (no bus round trip): `ApiGatewayComponent` picks the in-process provider whenever the analytics role runs in its
 * process.
 */
import { randomUUID } from 'node:crypto';
import { SectionStore } from '../api/sections.js';
import type { Bus, BusMessage, Subscription } from '../bus/types.js';
import { createSurfaceQuery } from '../quant/svi/query.js';
import { GEX_MODELS, ivRow } from '../api/analytics-adapters.js';
import {
  ReloadError,
  emptySection,
  type AnalyticsState,
  type ChainSummary,
  type GexJson,
  type HealthState,
  type IvTable,
  type RegimeHistoryPoint,
  type RegimeNow,
  type RegimeState,
  type ReloadRequest,
  type ReloadResult,
  type Section,
  type StageHealth,
  type SurfaceState,
  type Topic,
} from '../api/state.js';
import type { RunningGateway } from '../api/index.js';
import { createLogger } from '../util/log.js';
import { GatewayComponent, LIVE_PIPELINE_SERVICE } from './analytics-role.js';
import {
  API_RELOAD_REPLY_TOPIC,
  API_RELOAD_TOPIC,
  API_STATE_PREFIX,
  type IvWire,
  type RegimeHistoryWire,
  type ReloadReply,
  type SurfaceWire,
  type WireSection,
} from './api-state.js';
import type { ComponentContext } from './topology.js';

const log = createLogger('pipeline.api-role');

export interface BusStateOptions {
  /** Follow this underlying (default: the first one whose state arrives). */
  underlying?: string;
  /** Health turns `error` when no state message arrived for this long, ms (default 15 s). */
  staleMs?: number;
  /** How long a forwarded reload waits for the analytics role's answer, ms (default 5 s). */
  reloadTimeoutMs?: number;
}

function section<T, D>(w: WireSection<T>, data: D | null): Section<D> {
  const s: Section<D> = { status: w.status, updatedAt: w.updatedAt, data };
  if (w.reason !== undefined) s.reason = w.reason;
  return s;
}

/** The gateway's IV table over the published columns; `row(i)` is computed as the analytics role's table does. */
export function ivTableFromWire(w: IvWire): IvTable {
  const n = w.symbol.length;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const none = new Int32Array(0);
  return {
    expiries: w.expiries,
    rows: n,
    status_codes: w.status_codes,
    rowsOf: (ei?: number) => (ei === undefined ? all : (w.expiryRows[ei] ?? none)),
    columns: () => w,
    row: (i: number) => ivRow(w, w.expiries, i),
  };
}

/** The surface section's data from what the analytics role published: the grid samples the same eSSVI surface. */
export function surfaceFromWire(w: SurfaceWire): SurfaceState {
  const query = createSurfaceQuery(w.nodes);
  return { json: w.json, gridModel: w.gridModel, quotes: w.quotes, volAt: (k, t) => query.vol(k, t) };
}

/** `AnalyticsState` over the bus: the latest state the analytics role published, served as is. */
export class BusStateProvider extends SectionStore implements AnalyticsState {
  private readonly subs: Subscription[] = [];
  private underlying: string | undefined;
  private regimeNow: Section<RegimeNow> = emptySection('pending', 'waiting for the analytics role\'s regime on the bus');
  private regimeHistory: RegimeHistoryPoint[] = [];
  private healthMsg: { value: HealthState; ts: number } | null = null;
  private lastMessageAt: number | null = null;
  private readonly bus: { messages: number; gaps: number; lost: number; since: number; lastGap?: string };
  private readonly waiting = new Map<string, (r: ReloadReply) => void>();
  private readonly staleMs: number;
  private readonly reloadTimeoutMs: number;
  private closed = false;

  private constructor(
    private readonly b: Bus,
    o: BusStateOptions,
  ) {
    super((what) => `waiting for the analytics role's ${what} on the bus`);
    this.underlying = o.underlying;
    this.staleMs = o.staleMs ?? 15_000;
    this.reloadTimeoutMs = o.reloadTimeoutMs ?? 5000;
    this.bus = { messages: 0, gaps: 0, lost: 0, since: Date.now() };
  }

  /** Subscribe (retained state first) and resolve once every subscription is live, i.e. the snapshot is applied. */
  static async open(bus: Bus, o: BusStateOptions = {}): Promise<BusStateProvider> {
    const p = new BusStateProvider(bus, o);
    const opts = {
      snapshot: true,
      conflate: true,
      onGap: (g: { topic: string; lost: number; cause: string }) => {
        p.bus.gaps++;
        p.bus.lost += g.lost;
        p.bus.lastGap = `${g.lost} message(s) of ${g.topic} lost (${g.cause}); the next one replaces the state`;
      },
    };
    p.subs.push(bus.subscribe<unknown>(API_STATE_PREFIX, (m) => p.onApiState(m), opts));
    p.subs.push(bus.subscribe<GexJson>('event.gex.', (m) => p.onGex(m), opts));
    p.subs.push(bus.subscribe<HealthState>('event.health.pipeline', (m) => p.onHealth(m), opts));
    p.subs.push(bus.subscribe<ReloadReply>(API_RELOAD_REPLY_TOPIC, (m) => p.onReply(m)));
    try {
      await Promise.all(p.subs.map((s) => s.ready));
    } catch (e) {
      await p.close();
      throw e;
    }
    return p;
  }

  /** The underlying this gateway follows (undefined until the first state arrives). */
  get followed(): string | undefined {
    return this.underlying;
  }

  /** Which underlying a per-underlying topic (`<prefix><U>`) is about, if this gateway follows it. */
  private follows(u: string): boolean {
    if (u === '') return false;
    this.underlying ??= u;
    return u === this.underlying;
  }

  private seen(): void {
    this.bus.messages++;
    this.lastMessageAt = Date.now();
  }

  override emit(topic: Topic): void {
    if (!this.closed) super.emit(topic);
  }

  private onApiState(m: BusMessage<unknown>): void {
    const rest = m.topic.slice(API_STATE_PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot < 0 || m.items.length === 0) return;
    const kind = rest.slice(0, dot);
    if (!this.follows(rest.slice(dot + 1))) return;
    this.seen();
    const item = m.items[m.items.length - 1];
    try {
      switch (kind) {
        case 'chain': {
          const w = item as WireSection<ChainSummary>;
          this.sChain = section(w, w.data);
          return this.emit('chain');
        }
        case 'iv': {
          const w = item as WireSection<IvWire>;
          this.sIv = section(w, w.data ? ivTableFromWire(w.data) : null);
          return this.emit('chain');
        }
        case 'surface': {
          const w = item as WireSection<SurfaceWire>;
          this.sSurface = section(w, w.data ? surfaceFromWire(w.data) : null);
          return this.emit('surface');
        }
        case 'regime': {
          this.regimeNow = section(item as WireSection<RegimeNow>, (item as WireSection<RegimeNow>).data);
          break;
        }
        case 'regime_history': {
          this.regimeHistory = (item as RegimeHistoryWire).history ?? [];
          break;
        }
        default:
          return;
      }
      const now = this.regimeNow;
      this.sRegime = { ...now, data: now.data ? { now: now.data, history: this.regimeHistory } : null } as Section<RegimeState>;
      this.emit('regime');
    } catch (err) {
      log.warn({ err: (err as Error).message, topic: m.topic }, 'malformed api state dropped');
    }
  }

  private onGex(m: BusMessage<GexJson>): void {
    if (m.items.length === 0 || !this.follows(m.topic.slice('event.gex.'.length))) return;
    this.seen();
    this.sGex = { status: 'ok', updatedAt: m.ts, data: m.items[m.items.length - 1] };
    this.emit('gex');
  }

  private onHealth(m: BusMessage<HealthState>): void {
    if (m.topic !== 'event.health.pipeline' || m.items.length === 0) return;
    this.seen();
    this.healthMsg = { value: m.items[m.items.length - 1], ts: m.ts };
    this.emit('health');
  }

  private onReply(m: BusMessage<ReloadReply>): void {
    for (const r of m.items) this.waiting.get(r?.id)?.(r);
  }

  /** The analytics role's health as published, plus this gateway's view of the bus (a `bus` stage). */
  health(): Section<HealthState> {
    const now = Date.now();
    const age = this.lastMessageAt === null ? null : now - this.lastMessageAt;
    const stale = age === null ? now - this.bus.since > this.staleMs : age > this.staleMs;
    const elapsed = Math.max(1, now - this.bus.since) / 1000;
    const bus: StageHealth = {
      name: 'bus',
      status: stale ? 'error' : this.lastMessageAt === null ? 'pending' : 'ok',
      last_ms: null,
      rate: this.bus.messages / elapsed,
      lag_ms: age,
      errors: this.bus.gaps,
    };
    const reason = stale
      ? age === null
        ? `no state from the analytics role on the bus for ${Math.round((now - this.bus.since) / 1000)} s since this gateway started`
        : `no state from the analytics role on the bus for ${Math.round(age / 1000)} s`
      : undefined;
    if (reason) bus.last_error = reason;
    else if (this.bus.lastGap) bus.last_error = this.bus.lastGap;
    const h = this.healthMsg;
    if (!h) {
      return {
        status: stale ? 'error' : 'pending',
        updatedAt: null,
        reason: reason ?? "waiting for the analytics role's health on the bus",
        data: null,
      };
    }
    const s: Section<HealthState> = { status: stale ? 'error' : 'ok', updatedAt: h.ts, data: { ...h.value, pipeline: [...h.value.pipeline, bus] } };
    if (reason) s.reason = reason;
    return s;
  }


  /** A live pipeline has no chain files to switch between. */
  chainFiles(): string[] {
    return [];
  }

  gexModels(): string[] {
    return [...GEX_MODELS];
  }

  /**
   * A GEX model change is forwarded to the analytics role (`cmd.api.reload`) and its answer returned; a chain file
   * cannot be loaded into a live pipeline (409), and no answer in time is a 409 saying so.
   */
  async reload(req: ReloadRequest): Promise<ReloadResult> {
    if (req.chain !== undefined) throw new ReloadError('the live pipeline follows its feed: a chain file cannot be loaded into it', 409);
    if (req.gexModel !== undefined && !GEX_MODELS.includes(req.gexModel)) {
      throw new ReloadError(`unknown GEX model '${req.gexModel}' (one of ${GEX_MODELS.join(', ')})`);
    }
    if (this.closed) throw new ReloadError('the gateway is shutting down', 409);
    const id = randomUUID();
    const reply = new Promise<ReloadReply | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), this.reloadTimeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    try {
      this.b.publish(API_RELOAD_TOPIC, { id, underlying: this.underlying, gexModel: req.gexModel });
      const r = await reply;
      if (r === null) {
        throw new ReloadError(
          `no analytics role answered within ${this.reloadTimeoutMs / 1000} s (this api process forwards the change to \`manifold run --role analytics\` over the bus)`,
          409,
        );
      }
      if (!r.ok) throw new ReloadError(r.error, r.status);
      return r.result;
    } finally {
      this.waiting.delete(id);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subs) await s.close();
    this.subs.length = 0;
    this.dropListeners();
  }
}

/**
 * The api role's gateway. With the analytics role in the same process (all-in-one, `--role analytics`) it serves
 * that live pipeline's provider directly, as `GatewayComponent` does; alone (`--role api`) it serves a
 * `BusStateProvider`. A subclass of `GatewayComponent`, so that the process reports its URL the same way.
 */
export class ApiGatewayComponent extends GatewayComponent {
  state: BusStateProvider | undefined;
  private gateway: RunningGateway | undefined;

  constructor(private readonly opts: BusStateOptions = {}) {
    super();
  }

  override async start(ctx: ComponentContext): Promise<void> {
    if (ctx.services.has(LIVE_PIPELINE_SERVICE)) return super.start(ctx);
    this.state = await BusStateProvider.open(ctx.bus, this.opts);
    try {
      const { startGateway } = await import('../api/index.js');
      this.gateway = await startGateway(this.state, ctx.config.api);
    } catch (e) {
      await this.state.close();
      throw e;
    }
    this.url = this.gateway.url;
    ctx.log.info({ url: this.url, underlying: this.state.followed ?? null }, 'gateway serving the state on the bus');
  }

  stats(): Record<string, unknown> {
    return { source: this.state ? 'bus' : 'in-process', underlying: this.state?.followed };
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.gateway?.close();
    await this.state?.close();
  }
}
