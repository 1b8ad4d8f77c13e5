/**
 * Intraday regime: a provisional observation for the session in progress, filtered one step past the last daily
 * close with the model fitted on the daily history (no refit, no look-ahead: the history must end before the session
 * date, which the caller guarantees by slicing it).
 *
 * During the session only some of the day's features are known: the live VIX gives `log_vix` and `vix_change`
 * (against the previous close); `spy_return` and `realized_vol` are known only when a live SPY price is available.
 * Unknown columns are marginalised out of the Gaussian emission (`partialFilterStep`), which is the exact Bayesian
 * update on what is known, not a guess for what is not.
 */
import { partialFilterStep } from '../quant/hmm/inference.js';
import { argmax, type RegimeNowFit } from './model.js';
import type { AlignedHistory, RegimeFeatureConfig } from '../analytics/regime-features.js';

export interface IntradayInput {
  /** Live VIX level (index points). */
  vix: number;
  /** Where the VIX came from: a VIX quote on the feed, or computed from the live SPX chain (Cboe's method). */
  vixSource: 'feed' | 'chain';
  /** Live SPY price, when the feed carries SPY (otherwise the return features are marginalised out). */
  spy?: number;
  /** Instant of the observation, epoch ms. */
  atMs: number;
}

export interface IntradayRegime {
  /** The session date the provisional observation belongs to. */
  date: string;
  as_of_ms: number;
  provisional: true;
  state: number;
  label: string;
  labels: string[];
  probabilities: number[];
  vix: number;
  vix_source: 'feed' | 'chain';
  /** Feature columns that entered the update (the others were marginalised out). */
  observed: string[];
  /** The observed feature values (raw, before scaling). */
  features: Record<string, number>;
}

export class IntradayRegimeModel {
  private readonly lastVix: number;
  private readonly lastSpy: number;
  /** Squared SPY log returns of the last `window − 1` closes (for a provisional realised vol). */
  private readonly recentSq: number;

  constructor(
    private readonly fit: RegimeNowFit,
    history: AlignedHistory,
    private readonly cfg: RegimeFeatureConfig,
  ) {
    const n = history.dates.length;
    if (n < cfg.realizedVolWindow + 1) throw new RangeError('history too short for an intraday update');
    this.lastVix = history.vix[n - 1];
    this.lastSpy = history.spy[n - 1];
    let s = 0;
    for (let i = n - cfg.realizedVolWindow + 1; i < n; i++) {
      const r = Math.log(history.spy[i] / history.spy[i - 1]);
      s += r * r;
    }
    this.recentSq = s;
  }

  /** Last daily close the update starts from. */
  get lastDate(): string {
    return this.fit.now.date;
  }

  /** Provisional state for `date` (after the last close) from the live values; throws on a bad VIX. */
  update(date: string, input: IntradayInput): IntradayRegime {
    if (!(input.vix > 0) || !Number.isFinite(input.vix)) throw new RangeError(`live VIX must be a positive number, got ${input.vix}`);
    if (!(date > this.lastDate)) throw new RangeError(`intraday date ${date} is not after the last close ${this.lastDate}`);
    const { columns } = this.fit.features;
    const { scaler, fit } = this.fit.window;
    const d = columns.length;
    const z = new Float64Array(d);
    const mask = new Uint8Array(d);
    const features: Record<string, number> = {};
    const hasSpy = input.spy !== undefined && input.spy > 0 && Number.isFinite(input.spy);
    const ret = hasSpy ? Math.log(input.spy! / this.lastSpy) : NaN;
    for (let c = 0; c < d; c++) {
      let v = NaN;
      switch (columns[c]) {
        case 'log_vix':
          v = Math.log(input.vix);
          break;
        case 'vix_change':
          v = this.cfg.vixChange === 'log' ? Math.log(input.vix / this.lastVix) : input.vix - this.lastVix;
          break;
        case 'spy_return':
          v = ret;
          break;
        case 'realized_vol':
          v = hasSpy ? Math.sqrt((this.cfg.annualization * (this.recentSq + ret * ret)) / this.cfg.realizedVolWindow) : NaN;
          break;
      }
      if (Number.isFinite(v)) {
        mask[c] = 1;
        z[c] = (v - scaler.mean[c]) / scaler.std[c];
        features[columns[c]] = v;
      }
    }
    const p = partialFilterStep(fit.model, this.fit.last, z, mask);
    const labels = [...fit.model.stateNames];
    const s = argmax(p);
    return {
      date,
      as_of_ms: input.atMs,
      provisional: true,
      state: s,
      label: labels[s],
      labels,
      probabilities: Array.from(p),
      vix: input.vix,
      vix_source: input.vixSource,
      observed: columns.filter((_, c) => mask[c] === 1),
      features,
    };
  }
}
