/**
 * The regime model on SPY/VIX features: fitting on a training window, today's filtered state, and the
 * walk-forward history. No I/O here; history loading is in ./history.ts.
 *
 * No look-ahead, by construction:
 *   - features at t use closes ≤ t (analytics/regime-features.ts);
 *   - a model refitted at row r sees only the `trainDays` rows ending at r, and its z-score scaling is fitted on
 *     those same rows;
 *   - the probabilities reported for a row t in [r, next refit) come from the forward filter run with that
 *     model from the start of its training window through t, i.e. from data ≤ t only.
 */
import {
  computeRegimeFeatures,
  fitScaler,
  applyScaler,
  resolveFeatureConfig,
  type AlignedHistory,
  type FeatureScaler,
  type RegimeFeatureConfig,
  type RegimeFeatures,
} from '../analytics/regime-features.js';
import { fitHmm, selectByBic, ForwardFilter, type CovarianceType, type FitResult, type StateOrder } from '../quant/hmm/index.js';

export type RefitCadence = 'monthly' | 'weekly' | 'daily';

export interface RegimeModelConfig {
  features: RegimeFeatureConfig;
  /** Training window in trading days (rows of features). Default 1260 (≈ 5 years). */
  trainDays: number;
  /** Walk-forward: first refit once this many rows exist (expanding window until trainDays). Default 504. */
  minTrainDays: number;
  /** K, or 'auto' for BIC over 2..5 (fit/now only; the walk-forward history needs a fixed K). Default 3. */
  states: number | 'auto';
  restarts: number;
  seed: number;
  covarianceType: CovarianceType;
  /** Walk-forward refit cadence: the first trading day of each month (default), ISO week, or every day. */
  refit: RefitCadence;
}

export const DEFAULT_REGIME_MODEL: RegimeModelConfig = {
  features: resolveFeatureConfig(),
  trainDays: 1260,
  minTrainDays: 504,
  states: 3,
  restarts: 10,
  seed: 1,
  covarianceType: 'full',
  refit: 'monthly',
};

export function resolveModelConfig(partial: Partial<Omit<RegimeModelConfig, 'features'>> & { features?: Partial<RegimeFeatureConfig> } = {}): RegimeModelConfig {
  const cfg: RegimeModelConfig = { ...DEFAULT_REGIME_MODEL, ...partial, features: resolveFeatureConfig(partial.features) };
  if (!Number.isInteger(cfg.trainDays) || cfg.trainDays < 50) throw new RangeError('trainDays must be an integer ≥ 50');
  if (!Number.isInteger(cfg.minTrainDays) || cfg.minTrainDays < 50 || cfg.minTrainDays > cfg.trainDays) throw new RangeError('minTrainDays must be in [50, trainDays]');
  if (cfg.states !== 'auto' && !(Number.isInteger(cfg.states) && cfg.states >= 1 && cfg.states <= 10)) throw new RangeError('states must be 1..10 or auto');
  if (!Number.isInteger(cfg.restarts) || cfg.restarts < 1) throw new RangeError('restarts must be an integer ≥ 1');
  if (!['monthly', 'weekly', 'daily'].includes(cfg.refit)) throw new RangeError(`refit must be monthly, weekly or daily`);
  return cfg;
}

/** States are ordered by the mean of realised volatility (else log VIX, else total variance): calm → stressed. */
export function stateOrderFor(features: RegimeFeatureConfig): StateOrder {
  const rv = features.features.indexOf('realized_vol');
  if (rv >= 0) return { by: 'mean', dim: rv };
  const lv = features.features.indexOf('log_vix');
  if (lv >= 0) return { by: 'mean', dim: lv };
  return { by: 'trace' };
}

export interface WindowFit {
  fit: FitResult;
  scaler: FeatureScaler;
  /** Feature rows [from, to) the model was trained on. */
  from: number;
  to: number;
  fitMs: number;
}

/** Fits the model on feature rows [to − trainDays, to) (fewer if the history is shorter), scaling fitted there. */
export function fitWindow(f: RegimeFeatures, cfg: RegimeModelConfig, to = f.n): WindowFit {
  const from = Math.max(0, to - cfg.trainDays);
  if (to - from < Math.min(cfg.minTrainDays, cfg.trainDays)) {
    throw new RangeError(`only ${to - from} feature rows up to ${f.dates[to - 1] ?? '(none)'}, need ${cfg.minTrainDays}`);
  }
  const scaler = fitScaler(f.data, f.d, from, to);
  const obs = { n: to - from, d: f.d, data: applyScaler(f.data, f.d, from, to, scaler) };
  const opts = { restarts: cfg.restarts, seed: cfg.seed, covarianceType: cfg.covarianceType, order: stateOrderFor(cfg.features) };
  const t0 = performance.now();
  const fit = cfg.states === 'auto' ? selectByBic(obs, opts).best : fitHmm(obs, { ...opts, states: cfg.states });
  return { fit, scaler, from, to, fitMs: performance.now() - t0 };
}

/** Runs the forward filter of a window fit from its window start through row `through` (inclusive). */
export function filterFrom(f: RegimeFeatures, w: WindowFit, through: number, onRow: (row: number, probs: Float64Array) => void, emitFrom = w.from): void {
  const filter = new ForwardFilter(w.fit.model);
  const d = f.d;
  const z = new Float64Array(d);
  for (let t = w.from; t <= through; t++) {
    for (let c = 0; c < d; c++) z[c] = (f.data[t * d + c] - w.scaler.mean[c]) / w.scaler.std[c];
    const p = filter.step(z);
    if (t >= emitFrom) onRow(t, p);
  }
}

export function argmax(p: ArrayLike<number>): number {
  let a = 0;
  for (let j = 1; j < p.length; j++) if (p[j] > p[a]) a = j;
  return a;
}

export interface RegimeNow {
  date: string;
  state: string;
  state_index: number;
  probabilities: Record<string, number>;
  features: Record<string, number>;
  model: { trained_from: string; trained_to: string; observations: number; states: number; loglik: number; bic: number; fit_ms: number };
}

/** What `regimeNow` computed on the way: the features, the window fit and the last filtered probabilities. */
export interface RegimeNowFit {
  now: RegimeNow;
  features: RegimeFeatures;
  window: WindowFit;
  /** Filtered probabilities at the last feature row (state order). */
  last: Float64Array;
}

/** The last date's filtered probabilities under a model fitted on the latest training window. */
export function regimeNow(history: AlignedHistory, cfg: RegimeModelConfig): RegimeNow {
  return regimeNowFit(history, cfg).now;
}

/** `regimeNow`, keeping the fit for later provisional (intraday) steps. */
export function regimeNowFit(history: AlignedHistory, cfg: RegimeModelConfig): RegimeNowFit {
  const f = computeRegimeFeatures(history, cfg.features);
  const w = fitWindow(f, cfg);
  let last: Float64Array = new Float64Array(0);
  filterFrom(f, w, f.n - 1, (_t, p) => (last = Float64Array.from(p)), f.n - 1);
  const names = w.fit.model.stateNames;
  const s = argmax(last);
  const now: RegimeNow = {
    date: f.dates[f.n - 1],
    state: names[s],
    state_index: s,
    probabilities: Object.fromEntries(names.map((nm, j) => [nm, last[j]])),
    features: Object.fromEntries(f.columns.map((c, j) => [c, f.data[(f.n - 1) * f.d + j]])),
    model: {
      trained_from: f.dates[w.from],
      trained_to: f.dates[w.to - 1],
      observations: w.to - w.from,
      states: w.fit.model.k,
      loglik: w.fit.loglik,
      bic: w.fit.bic,
      fit_ms: w.fitMs,
    },
  };
  return { now, features: f, window: w, last };
}

export interface HistoryRow {
  date: string;
  /** Filtered p(state_t | data ≤ t), in state order. */
  probs: Float64Array;
  state: number;
  /** Last date of the training window of the model used (≤ date). */
  modelDate: string;
}

/** Is row t a refit point (the first row of a new month / ISO week, or every row)? Uses dates ≤ t only. */
function isRefit(dates: readonly string[], t: number, cadence: RefitCadence): boolean {
  if (t === 0 || cadence === 'daily') return true;
  if (cadence === 'monthly') return dates[t].slice(0, 7) !== dates[t - 1].slice(0, 7);
  const week = (s: string): number => {
    const day = Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 86_400_000;
    return Math.floor((day + 3) / 7); // weeks starting Monday (1970-01-01 was a Thursday)
  };
  return week(dates[t]) !== week(dates[t - 1]);
}

/**
 * Walk-forward regime history: refit at each cadence point r ≥ minTrainDays − 1 on rows ≤ r, then filtered
 * probabilities for rows r .. next refit − 1. Rows before the first refit have no model and are not emitted.
 */
export function walkForward(
  history: AlignedHistory,
  cfg: RegimeModelConfig,
  onRefit?: (w: WindowFit, date: string) => void,
  /** Skip refits whose rows all lie before this date (their rows are not needed; later rows are unchanged). */
  emitFrom?: string,
): { names: string[]; columns: string[]; rows: HistoryRow[]; refits: number } {
  if (cfg.states === 'auto') throw new RangeError('the walk-forward history needs a fixed number of states (not auto)');
  const f = computeRegimeFeatures(history, cfg.features);
  const first = cfg.minTrainDays - 1;
  const rows: HistoryRow[] = [];
  let names: string[] = [];
  let refits = 0;
  let r = first;
  while (r < f.n) {
    let next = r + 1;
    while (next < f.n && !isRefit(f.dates, next, cfg.refit)) next++;
    if (emitFrom !== undefined && f.dates[next - 1] < emitFrom) {
      r = next;
      continue;
    }
    const w = fitWindow(f, cfg, r + 1);
    refits++;
    onRefit?.(w, f.dates[r]);
    names = [...w.fit.model.stateNames];
    filterFrom(f, w, next - 1, (t, p) => rows.push({ date: f.dates[t], probs: Float64Array.from(p), state: argmax(p), modelDate: f.dates[r] }), r);
    r = next;
  }
  return { names, columns: f.columns, rows, refits };
}
