/**
 * Regime features from aligned daily SPY and VIX closes (pure).
 *
 * Columns (each optional, in this order):
 *   - `spy_return`:   log return of SPY's adjusted close, ln(S_t / S_{t−1}).
 *   - `realized_vol`: annualised realised volatility of those log returns over the last `realizedVolWindow`
 *                     trading days ending at t: sqrt(annualization · mean(r²)) (no mean subtracted: a daily
 *                     drift is noise at this horizon).
 *   - `log_vix`:      ln(VIX_t).
 *   - `vix_change`:   ln(VIX_t / VIX_{t−1}) (or the point difference with `vixChange: 'diff'`).
 * Every feature at t uses closes at dates ≤ t only. The first `max(1, window)` dates have no feature row.
 *
 * Scaling (z-scores) is fitted on a training window only and then applied to any rows, so that a walk-forward
 * model at date t never sees moments computed from data after t.
 */

export type RegimeFeatureName = 'spy_return' | 'realized_vol' | 'log_vix' | 'vix_change';

export const ALL_REGIME_FEATURES: readonly RegimeFeatureName[] = ['spy_return', 'realized_vol', 'log_vix', 'vix_change'];

export interface RegimeFeatureConfig {
  /** Feature columns, in output order. Default: all four. */
  features: readonly RegimeFeatureName[];
  /** Realised-volatility window in trading days. Default 21 (one month). */
  realizedVolWindow: number;
  /** Trading days per year for annualising realised volatility. Default 252. */
  annualization: number;
  /** VIX change as a log difference ('log', default) or in index points ('diff'). */
  vixChange: 'log' | 'diff';
}

export const DEFAULT_REGIME_FEATURES: RegimeFeatureConfig = {
  features: ALL_REGIME_FEATURES,
  realizedVolWindow: 21,
  annualization: 252,
  vixChange: 'log',
};

/** SPY and VIX closes on the same dates (ascending, one row per common trading day). */
export interface AlignedHistory {
  dates: readonly string[];
  /** SPY dividend- and split-adjusted close. */
  spy: Float64Array;
  /** VIX close (index points). */
  vix: Float64Array;
}

export interface RegimeFeatures {
  dates: string[];
  columns: RegimeFeatureName[];
  /** n × d row-major. */
  data: Float64Array;
  n: number;
  d: number;
}

export class FeatureInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureInputError';
  }
}

export function resolveFeatureConfig(partial: Partial<RegimeFeatureConfig> = {}): RegimeFeatureConfig {
  const cfg = { ...DEFAULT_REGIME_FEATURES, ...partial };
  if (cfg.features.length === 0) throw new FeatureInputError('at least one feature is required');
  for (const f of cfg.features) if (!ALL_REGIME_FEATURES.includes(f)) throw new FeatureInputError(`unknown feature '${f}'`);
  if (new Set(cfg.features).size !== cfg.features.length) throw new FeatureInputError('duplicate feature');
  if (!Number.isInteger(cfg.realizedVolWindow) || cfg.realizedVolWindow < 2) throw new FeatureInputError(`realizedVolWindow must be an integer ≥ 2`);
  if (!(cfg.annualization > 0)) throw new FeatureInputError('annualization must be > 0');
  if (cfg.vixChange !== 'log' && cfg.vixChange !== 'diff') throw new FeatureInputError(`vixChange must be 'log' or 'diff'`);
  return cfg;
}

/** Computes the feature matrix. Throws on non-positive or non-finite closes (the loader filters those out first). */
export function computeRegimeFeatures(h: AlignedHistory, partial: Partial<RegimeFeatureConfig> = {}): RegimeFeatures {
  const cfg = resolveFeatureConfig(partial);
  const n0 = h.dates.length;
  if (h.spy.length !== n0 || h.vix.length !== n0) throw new FeatureInputError('dates, spy and vix must have the same length');
  for (let i = 0; i < n0; i++) {
    if (!(h.spy[i] > 0 && Number.isFinite(h.spy[i]))) throw new FeatureInputError(`SPY close on ${h.dates[i]} is not a positive number`);
    if (!(h.vix[i] > 0 && Number.isFinite(h.vix[i]))) throw new FeatureInputError(`VIX close on ${h.dates[i]} is not a positive number`);
    if (i > 0 && !(h.dates[i] > h.dates[i - 1])) throw new FeatureInputError(`dates not strictly ascending at ${h.dates[i]}`);
  }
  const w = cfg.realizedVolWindow;
  const first = w; // r_1 is the first return; realised vol needs w of them (r_1..r_w)
  const n = Math.max(0, n0 - first);
  const d = cfg.features.length;
  const data = new Float64Array(n * d);
  const ret = new Float64Array(n0);
  for (let i = 1; i < n0; i++) ret[i] = Math.log(h.spy[i] / h.spy[i - 1]);
  for (let row = 0; row < n; row++) {
    const t = first + row;
    // Exact window sum every row (w multiply-adds): no running-sum drift, and row t depends on rows ≤ t only.
    let sumSq = 0;
    for (let i = t - w + 1; i <= t; i++) sumSq += ret[i] * ret[i];
    for (let c = 0; c < d; c++) {
      let v: number;
      switch (cfg.features[c]) {
        case 'spy_return':
          v = ret[t];
          break;
        case 'realized_vol':
          v = Math.sqrt((cfg.annualization * sumSq) / w);
          break;
        case 'log_vix':
          v = Math.log(h.vix[t]);
          break;
        case 'vix_change':
          v = cfg.vixChange === 'log' ? Math.log(h.vix[t] / h.vix[t - 1]) : h.vix[t] - h.vix[t - 1];
          break;
      }
      data[row * d + c] = v;
    }
  }
  return { dates: h.dates.slice(first), columns: [...cfg.features], data, n, d };
}

/** Per-column mean and standard deviation fitted on a window of rows. */
export interface FeatureScaler {
  mean: Float64Array;
  std: Float64Array;
}

/** Fits z-score scaling on rows [from, to) only. A constant column gets std 1. */
export function fitScaler(data: Float64Array, d: number, from: number, to: number): FeatureScaler {
  const m = to - from;
  if (!(m >= 2)) throw new FeatureInputError(`scaling needs at least 2 rows, got ${m}`);
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let t = from; t < to; t++) for (let c = 0; c < d; c++) mean[c] += data[t * d + c];
  for (let c = 0; c < d; c++) mean[c] /= m;
  for (let t = from; t < to; t++) {
    for (let c = 0; c < d; c++) {
      const v = data[t * d + c] - mean[c];
      std[c] += v * v;
    }
  }
  for (let c = 0; c < d; c++) {
    const s = Math.sqrt(std[c] / (m - 1));
    std[c] = s > 0 ? s : 1;
  }
  return { mean, std };
}

/** Applies a scaler to rows [from, to), returning a new n × d array. */
export function applyScaler(data: Float64Array, d: number, from: number, to: number, s: FeatureScaler): Float64Array {
  const out = new Float64Array((to - from) * d);
  for (let t = from; t < to; t++) {
    for (let c = 0; c < d; c++) out[(t - from) * d + c] = (data[t * d + c] - s.mean[c]) / s.std[c];
  }
  return out;
}
