/**
 * The gateway's state on the bus, for an api role in another process (`manifold run --role api`).
 *
 * The analytics role already publishes the latest GEX (`event.gex.<U>`), surface JSON (`event.surface.<U>`), regime
 * (`event.regime.daily|intraday`) and pipeline health (`event.health.pipeline`) for the store role. What the gateway
 * serves beyond those is published here, on retained, conflated `event.api.<section>.<U>` topics (a late api process
 * receives the latest of each at once, Clone pattern), each item a whole section envelope (status, updatedAt,
 * reason, data) so that the api role serves the analytics role's statuses and times unchanged:
 *
 *   event.api.chain.<U>           the chain summary (every time the pipeline replaces it: once per analytics cycle)
 *   event.api.iv.<U>              the IV table as columns (typed arrays), at most once per `ivEveryMs` (1 s), the last
 *                                 one always sent (trailing edge)
 *   event.api.surface.<U>         the surface section: the contract JSON, the eSSVI nodes `volAt` evaluates (the grid),
 *                                 and the market quotes per slice; each landed refit
 *   event.api.regime.<U>          the regime section without its history (daily state, intraday update ≤ 1/s)
 *   event.api.regime_history.<U>  the walk-forward history, when it changes (once per regime computation)
 *
 * State-changing requests come back as commands: `cmd.api.reload` (a GEX model change) is applied by the analytics
 * role's live pipeline and answered on `data.api.reload-reply` (not retained).
 *
 * The names stay clear of the store role's `event.surface.`, `event.gex.`, `event.regime.` and `event.health.`
 * prefixes, so none of this is written to Redis.
 */
import type { Bus, Subscription } from '../bus/types.js';
import { defineTopic, type Topic } from '../bus/topics.js';
import type { EssviNode } from '../quant/svi/essvi.js';
import {
  ReloadError,
  type ChainSummary,
  type IvExpiry,
  type IvTable,
  type RegimeHistoryPoint,
  type RegimeNow,
  type RegimeState,
  type ReloadResult,
  type Section,
  type SectionStatus,
  type SliceQuotes,
  type SurfaceJson,
  type SurfaceState,
} from '../api/state.js';
import { createLogger } from '../util/log.js';
import type { LiveProvider } from './live-provider.js';

const log = createLogger('pipeline.api-state');

export const API_STATE_PREFIX = 'event.api.';
export const API_SECTIONS = ['chain', 'iv', 'surface', 'regime', 'regime_history'] as const;
export type ApiSection = (typeof API_SECTIONS)[number];

/** A section as it travels: `Section<T>` with plain data (no functions), `reason` only when set. */
export interface WireSection<T> {
  status: SectionStatus;
  updatedAt: number | null;
  reason?: string;
  data: T | null;
}

/** The IV table as columns in row order; `expiryRows[i]`: the rows of `expiries[i]` in the table's order. */
export interface IvWire {
  expiries: IvExpiry[];
  status_codes: Record<string, string>;
  symbol: string[];
  expiryIndex: Uint16Array;
  right: Uint8Array;
  strike: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  bidIv: Float64Array;
  midIv: Float64Array;
  askIv: Float64Array;
  status: Uint8Array;
  delta: Float64Array;
  gamma: Float64Array;
  vega: Float64Array;
  expiryRows: Int32Array[];
}

/** The surface section's data without its functions: `volAt` is rebuilt from `nodes` (the eSSVI surface). */
export interface SurfaceWire {
  json: SurfaceJson;
  gridModel: string;
  nodes: EssviNode[];
  quotes: SliceQuotes[];
}

export interface RegimeHistoryWire {
  history: RegimeHistoryPoint[];
}

export interface ReloadCommand {
  id: string;
  /** Only the analytics role following this underlying answers (undefined: any). */
  underlying?: string;
  gexModel?: string;
}

export type ReloadReply = { id: string; ok: true; result: ReloadResult } | { id: string; ok: false; status: 400 | 404 | 409; error: string };

export function apiStateTopic(section: 'chain', u: string): Topic<WireSection<ChainSummary>>;
export function apiStateTopic(section: 'iv', u: string): Topic<WireSection<IvWire>>;
export function apiStateTopic(section: 'surface', u: string): Topic<WireSection<SurfaceWire>>;
export function apiStateTopic(section: 'regime', u: string): Topic<WireSection<RegimeNow>>;
export function apiStateTopic(section: 'regime_history', u: string): Topic<RegimeHistoryWire>;
export function apiStateTopic(section: ApiSection, u: string): Topic<unknown> {
  return defineTopic('event', `api.${section}.${u}`);
}

export const API_RELOAD_TOPIC = defineTopic<ReloadCommand>('cmd', 'api.reload');
export const API_RELOAD_REPLY_TOPIC = defineTopic<ReloadReply>('data', 'api.reload-reply');

function wire<T, D>(s: Section<T>, data: D | null): WireSection<D> {
  const w: WireSection<D> = { status: s.status, updatedAt: s.updatedAt, data };
  if (s.reason !== undefined) w.reason = s.reason;
  return w;
}

/** The IV table as columns (copies: the message must not change after it is published). */
export function ivToWire(t: IvTable): IvWire {
  const n = t.rows;
  const cols = t.columns?.();
  const expiryRows = t.expiries.map((e) => Int32Array.from(t.rowsOf(e.index)));
  if (cols) {
    return {
      expiries: t.expiries,
      status_codes: t.status_codes,
      symbol: cols.symbol.slice(0, n),
      expiryIndex: Uint16Array.from(cols.expiryIndex),
      right: Uint8Array.from(cols.right),
      strike: Float64Array.from(cols.strike),
      bid: Float64Array.from(cols.bid),
      ask: Float64Array.from(cols.ask),
      bidIv: Float64Array.from(cols.bidIv),
      midIv: Float64Array.from(cols.midIv),
      askIv: Float64Array.from(cols.askIv),
      status: Uint8Array.from(cols.status),
      delta: Float64Array.from(cols.delta),
      gamma: Float64Array.from(cols.gamma),
      vega: Float64Array.from(cols.vega),
      expiryRows,
    };
  }
  // A table without columns: materialise its rows once.
  const w: IvWire = {
    expiries: t.expiries, status_codes: t.status_codes, symbol: new Array<string>(n), expiryIndex: new Uint16Array(n), right: new Uint8Array(n),
    strike: new Float64Array(n), bid: new Float64Array(n), ask: new Float64Array(n), bidIv: new Float64Array(n), midIv: new Float64Array(n),
    askIv: new Float64Array(n), status: new Uint8Array(n), delta: new Float64Array(n), gamma: new Float64Array(n), vega: new Float64Array(n), expiryRows,
  };
  for (let i = 0; i < n; i++) {
    const r = t.row(i);
    w.symbol[i] = r.symbol;
    w.expiryIndex[i] = r.expiry_index;
    w.right[i] = r.right === 'C' ? 0 : 1;
    w.strike[i] = r.strike;
    w.bid[i] = r.bid;
    w.ask[i] = r.ask;
    w.bidIv[i] = r.bid_iv;
    w.midIv[i] = r.mid_iv;
    w.askIv[i] = r.ask_iv;
    w.status[i] = r.status;
    w.delta[i] = r.delta;
    w.gamma[i] = r.gamma;
    w.vega[i] = r.vega;
  }
  return w;
}

export interface ApiStatePublisherOptions {
  bus: Bus;
  provider: LiveProvider;
  /** The underlying (topic key). */
  key: string;
  /** The eSSVI nodes of the fit behind the current surface section. */
  essviNodes: () => readonly EssviNode[] | null;
  /** True once the pipeline is stopping: nothing more is published. */
  stopped: () => boolean;
  /** Minimum interval between two IV tables, ms (default 1000). */
  ivEveryMs?: number;
}

/**
 * Analytics side: follows the live pipeline's provider and publishes every section the gateway needs that is not
 * already on the bus. Created by the live pipeline at its first publish; stops with the bus.
 */
export class ApiStatePublisher {
  readonly counters = { chain: 0, iv: 0, surface: 0, regime: 0, regimeHistory: 0, reloads: 0, errors: 0 };
  private sentChain: unknown = null;
  private sentIv: unknown = null;
  private sentSurface: unknown = null;
  private sentRegime: unknown = null;
  private sentHistory: unknown = null;
  private lastIvAt = 0;
  private ivTimer: NodeJS.Timeout | undefined;
  private surfaceWire: { data: SurfaceState; nodes: EssviNode[] } | null = null;
  private readonly unsubscribe: () => void;
  private readonly cmdSub: Subscription;
  private readonly ivEveryMs: number;

  constructor(private readonly o: ApiStatePublisherOptions) {
    this.ivEveryMs = o.ivEveryMs ?? 1000;
    this.unsubscribe = o.provider.subscribe((topic) => this.guard(() => this.onUpdate(topic)));
    this.cmdSub = o.bus.subscribe(API_RELOAD_TOPIC, (m) => {
      for (const cmd of m.items) void this.onReload(cmd);
    });
    this.guard(() => {
      this.onUpdate('chain');
      this.onUpdate('surface');
      this.onUpdate('regime');
    });
  }

  close(): void {
    this.unsubscribe();
    clearTimeout(this.ivTimer);
    void this.cmdSub.close();
  }

  private guard(f: () => void): void {
    if (this.o.stopped()) return this.close();
    try {
      f();
    } catch (err) {
      this.counters.errors++;
      log.warn({ err: (err as Error).message }, 'api state not published');
    }
  }

  private onUpdate(topic: string): void {
    const { bus, provider: p, key } = this.o;
    if (topic === 'chain') {
      // The provider signals the chain summary and the IV table under one topic: tell them apart by identity.
      const c = p.chain();
      if (c !== this.sentChain) {
        this.sentChain = c;
        bus.publish(apiStateTopic('chain', key), wire(c, c.data), { key });
        this.counters.chain++;
      }
      if (p.iv() !== this.sentIv) this.scheduleIv();
    } else if (topic === 'surface') {
      const s = p.surface();
      if (s === this.sentSurface) return;
      this.sentSurface = s;
      let w: SurfaceWire | null = null;
      if (s.data) {
        // The nodes of the fit behind this state (an error section keeps the previous state: keep its nodes too).
        if (this.surfaceWire?.data !== s.data) this.surfaceWire = { data: s.data, nodes: (this.o.essviNodes() ?? []).map((n) => ({ t: n.t, theta: n.theta, psi: n.psi, eta: n.eta })) };
        w = { json: s.data.json, gridModel: s.data.gridModel, nodes: this.surfaceWire.nodes, quotes: s.data.quotes };
      }
      bus.publish(apiStateTopic('surface', key), wire(s, w), { key });
      this.counters.surface++;
    } else if (topic === 'regime') {
      const r = p.regime();
      if (r === this.sentRegime) return;
      this.sentRegime = r;
      const data: RegimeState | null = r.data;
      if (data && data.history !== this.sentHistory) {
        this.sentHistory = data.history;
        bus.publish(apiStateTopic('regime_history', key), { history: data.history }, { key });
        this.counters.regimeHistory++;
      }
      bus.publish(apiStateTopic('regime', key), wire(r, data ? data.now : null), { key });
      this.counters.regime++;
    }
  }

  /** At most one IV table per `ivEveryMs`; the latest one is always sent (trailing edge). */
  private scheduleIv(): void {
    if (this.ivTimer !== undefined) return;
    const wait = this.lastIvAt + this.ivEveryMs - Date.now();
    if (wait <= 0) return this.publishIv();
    this.ivTimer = setTimeout(() => {
      this.ivTimer = undefined;
      this.guard(() => this.publishIv());
    }, wait);
    this.ivTimer.unref();
  }

  private publishIv(): void {
    const s = this.o.provider.iv();
    if (s === this.sentIv) return;
    this.sentIv = s;
    this.lastIvAt = Date.now();
    this.o.bus.publish(apiStateTopic('iv', this.o.key), wire(s, s.data ? ivToWire(s.data) : null), { key: this.o.key });
    this.counters.iv++;
  }

  private async onReload(cmd: ReloadCommand): Promise<void> {
    if (this.o.stopped() || (cmd.underlying !== undefined && cmd.underlying !== this.o.key) || typeof cmd.id !== 'string') return;
    this.counters.reloads++;
    let reply: ReloadReply;
    try {
      const gexModel = typeof cmd.gexModel === 'string' ? cmd.gexModel : undefined;
      reply = { id: cmd.id, ok: true, result: await this.o.provider.reload({ gexModel }) };
    } catch (e) {
      const status = e instanceof ReloadError ? e.statusCode : 409;
      reply = { id: cmd.id, ok: false, status, error: (e as Error).message };
    }
    try {
      this.o.bus.publish(API_RELOAD_REPLY_TOPIC, reply);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'reload reply not published');
    }
  }
}
