/**
 * Adapters from the analytics modules (chain loader, chain IV, surface, GEX, regime) to the gateway's section types.
 * Each one imports its module lazily through `importModule`, so an absent module marks its section `unavailable`.
 */
import { CALL, type OptionChain } from '../market/chain.js';
import { MODEL_NAMES, type NamedModel } from '../quant/gex/positioning.js';
import type { SurfaceFit } from '../analytics/surface.js';
import type { AlignedHistory } from '../analytics/regime-features.js';
import { IV_STATUS_NAMES, ivStatusName } from '../quant/black/status.js';
import type { ChainIv } from '../analytics/chain-iv-types.js';
import { fn, importModule, ModuleUnavailable } from './modules.js';
import { IntradayRegimeModel } from '../regime/intraday.js';
import type {
  ChainSummary,
  GexJson,
  IvColumns,
  IvExpiry,
  IvRow,
  IvTable,
  RegimeState,
  SliceQuotes,
  SurfaceJson,
  SurfaceState,
} from './state.js';

/** GEX positioning models selectable through the admin route (the named ones; flow needs a trade feed). */
export const GEX_MODELS: string[] = [...MODEL_NAMES];

// ---------------------------------------------------------------------------------------------------------------
// Chain

export async function loadChain(path: string): Promise<{ chain: OptionChain; report: unknown }> {
  const mod = await importModule('feed/chain-file');
  const load = fn<(p: string) => Promise<{ chain: OptionChain; report: unknown }>>(mod, 'feed/chain-file', 'loadChainFile');
  return load(path);
}

export function summariseChain(chain: OptionChain, report: unknown, source: string): ChainSummary {
  return {
    underlying: chain.underlying,
    as_of: new Date(chain.asOfMs).toISOString(),
    as_of_date: chain.asOfDate,
    spot: chain.quote.last,
    multiplier: chain.multiplier,
    contracts: chain.size,
    source,
    expiries: chain.expiries.map((e, index) => ({
      index,
      expiry: e.date,
      root: e.root,
      settlement: e.settlement,
      expiry_ms: e.expiryMs,
      contracts: e.rows.length,
    })),
    report: toPlain(report),
  };
}

/** Typed arrays and Maps in a loader report become plain JSON. */
function toPlain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), toPlain(x)]));
  if (Array.isArray(v)) return v.map(toPlain);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
}

// ---------------------------------------------------------------------------------------------------------------
// Chain IV

/** The chain IV result (contract in src/analytics/chain-iv-types.ts). */
export type ChainIvLike = ChainIv;

function checkChainIv(civ: ChainIv, n: number): void {
  for (const c of ['bidIv', 'midIv', 'askIv', 'status', 'delta', 'gamma', 'vega', 'otm'] as const) {
    const col = civ[c] as ArrayLike<number> | undefined;
    if (!col || col.length !== n) throw new ModuleUnavailable(`computeChainIv() result has no column '${c}' of length ${n}`);
  }
  if (!Array.isArray(civ.expiries)) throw new ModuleUnavailable('computeChainIv() result has no expiries array');
}

export async function computeIvSection(chain: OptionChain): Promise<{ chainIv: ChainIvLike; table: IvTable }> {
  const mod = await importModule('analytics/chain-iv');
  const compute = fn<(c: OptionChain) => ChainIv>(mod, 'analytics/chain-iv', 'computeChainIv');
  const civ = compute(chain);
  checkChainIv(civ, chain.size);
  const status_codes: Record<string, string> = {};
  IV_STATUS_NAMES.forEach((s, i) => (status_codes[String(i)] = s));

  const byExpiry = new Map<number, ChainIv['expiries'][number]>();
  for (const e of civ.expiries) byExpiry.set(e.expiryIndex, e);
  const expiries: IvExpiry[] = chain.expiries.map((e, index) => {
    const x = byExpiry.get(index);
    return {
      index,
      expiry: e.date,
      root: e.root,
      settlement: e.settlement,
      t: x?.t ?? NaN,
      forward: x?.forward ?? NaN,
      discount: x?.discount ?? NaN,
      rate: x?.rate ?? NaN,
      status: x ? (x.method === 'none' ? ivStatusName(x.status) : x.method) : 'missing',
    };
  });
  const allRows = Int32Array.from({ length: chain.size }, (_, i) => i);
  const columns: IvColumns = {
    symbol: chain.symbol, expiryIndex: chain.expiryIndex, right: chain.right, strike: chain.strike, bid: chain.bid, ask: chain.ask,
    bidIv: civ.bidIv, midIv: civ.midIv, askIv: civ.askIv, status: civ.status, delta: civ.delta, gamma: civ.gamma, vega: civ.vega,
  };
  const table: IvTable = {
    expiries,
    rows: chain.size,
    status_codes,
    columns: () => columns,
    rowsOf: (ei?: number) => (ei === undefined ? allRows : (chain.expiries[ei]?.rows ?? new Int32Array(0))),
    row: (i: number) => ivRow(columns, expiries, i),
  };
  return { chainIv: civ, table };
}

/** Row i of an IV table from its columns (the analytics' own table and the api role's copy off the bus). */
export function ivRow(c: IvColumns, expiries: readonly IvExpiry[], i: number): IvRow {
  const ei = c.expiryIndex[i];
  const k = Math.log(c.strike[i] / (expiries[ei]?.forward ?? NaN));
  return {
    symbol: c.symbol[i],
    expiry_index: ei,
    expiry: expiries[ei]?.expiry ?? '',
    right: c.right[i] === CALL ? 'C' : 'P',
    strike: c.strike[i],
    k: Number.isFinite(k) ? k : null,
    bid: c.bid[i],
    ask: c.ask[i],
    bid_iv: c.bidIv[i],
    mid_iv: c.midIv[i],
    ask_iv: c.askIv[i],
    status: c.status[i],
    delta: c.delta[i],
    gamma: c.gamma[i],
    vega: c.vega[i],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Surface

/** The surface module's fit (kept by the provider: GEX takes its query as the IV fallback). */
export type SurfaceFitLike = SurfaceFit;

export async function computeSurfaceSection(chain: OptionChain, civ: ChainIv): Promise<{ state: SurfaceState; fit: SurfaceFit }> {
  const mod = await importModule('analytics/surface');
  const fit = fn<typeof import('../analytics/surface.js').fitSurface>(mod, 'analytics/surface', 'fitSurface');
  const toJson = fn<typeof import('../analytics/surface.js').surfaceJson>(mod, 'analytics/surface', 'surfaceJson');
  const result = fit(chain, civ, {});
  // The raw SVI slices are the contract's default model (`manifold surface --json`); the grid samples the eSSVI
  // surface, which is calendar-free by construction, so the 3D mesh never shows an interpolation artefact.
  const json = toJson(result, 'svi') as unknown as SurfaceJson;
  const query = result.query;
  const volAt = (k: number, t: number) => query.vol(k, t);

  const quotes = sliceQuotes(chain, civ, result, json);
  return { state: { json, volAt, gridModel: 'essvi', quotes }, fit: result };
}

/**
 * The market quotes of each fitted slice in surface coordinates (k = ln K/F), in the order of `json.slices`: the
 * out-of-the-money quotes with a mid IV, i.e. exactly what the fit saw. Shared by the chain-file and live providers.
 */
export function sliceQuotes(chain: OptionChain, civ: ChainIv, fit: SurfaceFit, json: SurfaceJson): SliceQuotes[] {
  return fit.slices.map((sl, i) => {
    const rows = chain.expiries[sl.expiryIndex]?.rows ?? new Int32Array(0);
    const out: SliceQuotes = { expiry: json.slices[i].expiry, t: sl.t, forward: sl.forward, k: [], strike: [], bid_iv: [], ask_iv: [], mid_iv: [] };
    for (const r of rows) {
      if (civ.otm[r] !== 1 || !Number.isFinite(civ.midIv[r])) continue;
      const K = chain.strike[r];
      out.k.push(Math.log(K / sl.forward));
      out.strike.push(K);
      out.bid_iv.push(finiteOrNull(civ.bidIv[r]));
      out.ask_iv.push(finiteOrNull(civ.askIv[r]));
      out.mid_iv.push(finiteOrNull(civ.midIv[r]));
    }
    return out;
  });
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

// ---------------------------------------------------------------------------------------------------------------
// GEX

export async function computeGexSection(chain: OptionChain, civ: ChainIv, model: string, fit: SurfaceFit | null): Promise<GexJson> {
  const mod = await importModule('analytics/gex');
  const compute = fn<typeof import('../analytics/gex.js').computeGex>(mod, 'analytics/gex', 'computeGex');
  if (!(MODEL_NAMES as readonly string[]).includes(model)) throw new Error(`unknown GEX model '${model}'`);
  // As `manifold gex`: quote IVs, the fitted surface where a quote gives none.
  const surface = fit ? { volAt: (k: number, t: number) => fit.query.vol(k, t) } : null;
  return compute(chain, civ, { model: { kind: model as NamedModel }, surface }) as unknown as GexJson;
}

// ---------------------------------------------------------------------------------------------------------------
// Regime

export interface RegimeOptions {
  /** Local data folder (regime history updates live there). */
  dataDir?: string;
  /** First date of the walk-forward history (default: 5 years before the last date). */
  historyYears?: number;
  /**
   * Use only closes strictly before this date (YYYY-MM-DD): the live pipeline passes its session date, so that a
   * simulated or replayed past session is classified from the history it would have had, never from its future.
   */
  before?: string;
}

export async function computeRegimeSection(opts: RegimeOptions = {}): Promise<RegimeState> {
  return (await computeRegimeWithModel(opts)).state;
}

/** The regime section and the fitted model, kept for provisional intraday updates (live pipeline). */
export async function computeRegimeWithModel(opts: RegimeOptions = {}): Promise<{ state: RegimeState; intraday: IntradayRegimeModel }> {
  const hist = await importModule('regime/history');
  const model = await importModule('regime/model');
  const loadHistory = fn<typeof import('../regime/history.js').loadHistory>(hist, 'regime/history', 'loadHistory');
  const regimeNowFit = fn<typeof import('../regime/model.js').regimeNowFit>(model, 'regime/model', 'regimeNowFit');
  const walkForward = fn<typeof import('../regime/model.js').walkForward>(model, 'regime/model', 'walkForward');
  const cfg = (model.DEFAULT_REGIME_MODEL ?? null) as import('../regime/model.js').RegimeModelConfig | null;
  if (!cfg) throw new ModuleUnavailable('src/regime/model.ts does not export DEFAULT_REGIME_MODEL');
  let { history } = await loadHistory({ dataDir: opts.dataDir });
  if (opts.before !== undefined) {
    let end = history.dates.length;
    while (end > 0 && history.dates[end - 1] >= opts.before) end--;
    history = sliceHistoryTo(history, end);
  }
  const fit = regimeNowFit(history, cfg);
  const now = fit.now;
  // The walk-forward history refits monthly; restrict it to the last few years so that startup stays short.
  const years = opts.historyYears ?? 3;
  const startIdx = Math.max(0, history.dates.length - Math.round(years * 252) - cfg.minTrainDays);
  const recent = sliceHistory(history, startIdx);
  const wf = walkForward(recent, cfg);
  const labels = now.probabilities ? Object.keys(now.probabilities) : wf.names;
  const state: RegimeState = {
    now: {
      as_of: now.date,
      state: now.state_index,
      label: now.state,
      labels,
      probabilities: labels.map((l) => now.probabilities[l]),
      features: now.features,
      model: now.model,
    },
    history: wf.rows.map((r) => ({ date: r.date, state: r.state, probabilities: Array.from(r.probs) })),
  };
  return { state, intraday: new IntradayRegimeModel(fit, history, cfg.features) };
}

/** The aligned history before row `end`. */
function sliceHistoryTo(h: AlignedHistory, end: number): AlignedHistory {
  if (end >= h.dates.length) return h;
  return { dates: h.dates.slice(0, end), spy: h.spy.slice(0, end), vix: h.vix.slice(0, end) };
}

/** The aligned history from row `from` on. */
function sliceHistory(h: AlignedHistory, from: number): AlignedHistory {
  if (from <= 0) return h;
  return { dates: h.dates.slice(from), spy: h.spy.slice(from), vix: h.vix.slice(from) };
}
