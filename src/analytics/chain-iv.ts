/**
 * Chain IV: per expiry, the forward and discount factor implied by put-call parity, then bid/mid/ask implied
 * volatility of the out-of-the-money contracts (puts below the forward, calls at or above it) and Greeks at mid.
 * Nothing is dropped: every row carries a status (see ./chain-iv-types.ts for the contract).
 *
 * Parity: for European options C − P = D·F − D·K. Over the strikes nearest the money with both sides quoted
 * (bid > 0, ask ≥ bid), a weighted least-squares line of mid(C) − mid(P) against K gives slope −D and intercept D·F
 * (weights 1/(spread_C² + spread_P²): tight quotes count more). The slope is poorly determined for short expiries
 * (the rate's effect on C − P across a few strikes is tiny next to quote noise: a 0.1 error in C − P over 100
 * points of strike moves a 2-week rate by ~2.5 %), so D is taken from the expiry's own regression only for
 * T ≥ 0.25 y with ≥ 3 pairs and a rate in [−5 %, 25 %]. Shorter expiries use one short rate (the T²-weighted
 * mean of the regression rates of expiries from 30 days to 1.5 years), and their forward then follows from the pairs
 * with that D (the forward is insensitive to D when T is short).
 *
 * American-style ETFs (SPY, QQQ): their options are American and the underlying pays discrete dividends. The
 * parity-implied "forward" of near-the-money pairs then absorbs dividends and (small) early-exercise premia, and is
 * used as the Black-76 forward for the out-of-the-money options, whose early-exercise premium is negligible. This is
 * an approximation (documented in docs/ARCHITECTURE.md): out-of-the-money puts far from the money on high-rate days
 * are the first to feel it.
 *
 * Time: T = ACT/365 calendar time from the chain's as-of instant to the expiry instant (src/market/calendar.ts).
 */
import type { OptionChain } from '../market/chain.js';
import { yearFraction } from '../market/calendar.js';
import { lastStatus, solveBlack76Iv } from '../quant/black/core.js';
import { allocGreekColumns } from '../quant/black/columns.js';
import { allocBsmInput, greeksBatch } from '../quant/black/batch.js';
import { IvStatus } from '../quant/black/status.js';
import type { ChainIv, ChainIvOptions, ExpiryForward, ForwardMethod } from './chain-iv-types.js';

export type { ChainIv, ChainIvOptions, ExpiryForward, ForwardMethod } from './chain-iv-types.js';
export { IvStatus, IV_STATUS_NAMES, ivStatusName } from './chain-iv-types.js';

/** Expiries whose own regression gives D (shorter ones take the smoothed rate curve). */
const MIN_REGRESSION_T = 0.25;
/** Expiries whose regression rate is a knot of the smoothed rate curve. */
const MIN_KNOT_T = 30 / 365;
const MIN_RATE = -0.05;
const MAX_RATE = 0.25;
const DEFAULT_PARITY_STRIKES = 12;

interface Pair {
  k: number;
  y: number; // mid(C) − mid(P)
  w: number;
}

interface ExpiryFit {
  pairs: Pair[];
  t: number;
  /** Regression result (NaN if not possible). */
  dReg: number;
  fReg: number;
  rmse: number;
}

function quoteUsable(bid: number, ask: number): boolean {
  return bid > 0 && ask >= bid && ask < Infinity;
}

/** Pairs (both sides quoted) of one expiry, the `n` nearest the strike where |C − P| is smallest. */
function nearMoneyPairs(chain: OptionChain, rows: Int32Array, n: number): Pair[] {
  const all: Pair[] = [];
  const { strike, right, bid, ask } = chain;
  // rows are sorted by strike then right (call first); match call/put at equal strikes.
  for (let j = 0; j + 1 < rows.length; j++) {
    const a = rows[j];
    const b = rows[j + 1];
    if (strike[a] !== strike[b] || right[a] === right[b]) continue;
    const c = right[a] === 0 ? a : b;
    const p = right[a] === 0 ? b : a;
    if (!quoteUsable(bid[c], ask[c]) || !quoteUsable(bid[p], ask[p])) continue;
    const sc = ask[c] - bid[c];
    const sp = ask[p] - bid[p];
    all.push({ k: strike[c], y: 0.5 * (bid[c] + ask[c]) - 0.5 * (bid[p] + ask[p]), w: 1 / (sc * sc + sp * sp + 1e-8) });
    j++;
  }
  if (all.length <= n) return all;
  let best = 0;
  for (let i = 1; i < all.length; i++) if (Math.abs(all[i].y) < Math.abs(all[best].y)) best = i;
  const k0 = all[best].k;
  return all
    .slice()
    .sort((u, v) => Math.abs(u.k - k0) - Math.abs(v.k - k0))
    .slice(0, n);
}

/** Weighted least squares y = a + b·K → D = −b, F = a/D. */
function regress(pairs: Pair[]): { d: number; f: number; rmse: number } {
  if (pairs.length < 3) return { d: NaN, f: NaN, rmse: NaN };
  let sw = 0;
  let sk = 0;
  let sy = 0;
  for (const p of pairs) {
    sw += p.w;
    sk += p.w * p.k;
    sy += p.w * p.y;
  }
  const km = sk / sw;
  const ym = sy / sw;
  let skk = 0;
  let sky = 0;
  for (const p of pairs) {
    skk += p.w * (p.k - km) * (p.k - km);
    sky += p.w * (p.k - km) * (p.y - ym);
  }
  if (!(skk > 0)) return { d: NaN, f: NaN, rmse: NaN };
  const b = sky / skk;
  const a = ym - b * km;
  const d = -b;
  let ss = 0;
  for (const p of pairs) {
    const e = p.y - (a + b * p.k);
    ss += e * e;
  }
  return { d, f: a / d, rmse: Math.sqrt(ss / pairs.length) };
}

/** Forward from the pairs for a given D: weighted mean of K + (C − P)/D. */
function forwardGivenDiscount(pairs: Pair[], d: number): number {
  let sw = 0;
  let sf = 0;
  for (const p of pairs) {
    sw += p.w;
    sf += p.w * (p.k + p.y / d);
  }
  return sw > 0 ? sf / sw : NaN;
}

/**
 * One short-end rate from the reliable (t, r) knots up to 1.5 y: their mean weighted by t², because a knot's
 * rate error from parity noise scales like 1/t (the 30-90-day regressions scatter by several percent, the
 * 3-18-month ones by a few tenths). Short expiries barely depend on it: a 1 % rate error moves a 1-week discount
 * factor by 2e−4.
 */
function shortRate(knots: Array<[number, number]>): number {
  let sw = 0;
  let sr = 0;
  for (const [tj, rj] of knots) {
    if (tj > 1.5) continue;
    const w = tj * tj;
    sw += w;
    sr += w * rj;
  }
  if (sw > 0) return sr / sw;
  return knots[0][1]; // only long knots: the shortest of them
}

/** Per-expiry forwards and discount factors of a chain (exported for tests and diagnostics). */
export function impliedForwards(chain: OptionChain, opts: ChainIvOptions = {}): ExpiryForward[] {
  const nPairs = opts.parityStrikes ?? DEFAULT_PARITY_STRIKES;
  const spot = opts.spot ?? chain.quote.last;
  const fits: ExpiryFit[] = chain.expiries.map((e) => {
    const t = yearFraction(chain.asOfMs, e.expiryMs);
    const pairs = t > 0 ? nearMoneyPairs(chain, e.rows, nPairs) : [];
    const reg = regress(pairs);
    return { pairs, t, dReg: reg.d, fReg: reg.f, rmse: reg.rmse };
  });
  const plausible = (f: ExpiryFit): boolean => {
    if (!(f.dReg > 0 && f.fReg > 0)) return false;
    const r = -Math.log(f.dReg) / f.t;
    return r >= MIN_RATE && r <= MAX_RATE;
  };
  let knots: Array<[number, number]> = fits
    .filter((f) => f.t >= MIN_KNOT_T && plausible(f))
    .map((f) => [f.t, -Math.log(f.dReg) / f.t] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  // A chain with only short expiries: fall back to whatever regressions are plausible, then to a zero rate.
  if (knots.length === 0) {
    knots = fits
      .filter(plausible)
      .map((f) => [f.t, -Math.log(f.dReg) / f.t] as [number, number])
      .sort((a, b) => a[0] - b[0]);
  }
  const shortRateValue = knots.length > 0 ? shortRate(knots) : 0;
  return fits.map((f, expiryIndex) => {
    let method: ForwardMethod;
    let d: number;
    if (f.pairs.length === 0 || !(f.t > 0)) {
      return {
        expiryIndex,
        t: f.t,
        forward: NaN,
        discount: NaN,
        rate: NaN,
        dividendYield: NaN,
        method: 'none' as const,
        pairs: 0,
        rmse: NaN,
        status: IvStatus.NO_FORWARD,
      };
    }
    if (f.t >= MIN_REGRESSION_T && plausible(f)) {
      method = 'regression';
      d = f.dReg;
    } else {
      method = 'interpolated-rate';
      const r = knots.length > 0 ? shortRateValue : 0;
      d = Math.exp(-r * f.t);
    }
    const fwd = forwardGivenDiscount(f.pairs, d);
    const ok = fwd > 0 && fwd < Infinity && d > 0;
    const rate = -Math.log(d) / f.t;
    return {
      expiryIndex,
      t: f.t,
      forward: ok ? fwd : NaN,
      discount: ok ? d : NaN,
      rate: ok ? rate : NaN,
      dividendYield: ok && spot > 0 ? rate - Math.log(fwd / spot) / f.t : NaN,
      method: ok ? method : 'none',
      pairs: f.pairs.length,
      rmse: f.rmse,
      status: ok ? IvStatus.OK : IvStatus.NO_FORWARD,
    };
  });
}

/** Chain IV (see the module comment and ChainIv). Never throws on bad quotes; they are flagged per row. */
export function computeChainIv(chain: OptionChain, opts: ChainIvOptions = {}): ChainIv {
  const n = chain.size;
  const spot0 = opts.spot ?? chain.quote.last;
  const expiries = impliedForwards(chain, opts);
  const f64 = () => new Float64Array(n).fill(NaN);
  const res: ChainIv = {
    underlying: chain.underlying,
    asOfMs: chain.asOfMs,
    spot: spot0,
    expiries,
    size: n,
    otm: new Uint8Array(n),
    t: f64(),
    bidIv: f64(),
    midIv: f64(),
    askIv: f64(),
    status: new Uint8Array(n),
    bidStatus: new Uint8Array(n),
    askStatus: new Uint8Array(n),
    delta: f64(),
    gamma: f64(),
    vega: f64(),
    theta: f64(),
    vanna: f64(),
  };
  const { strike, right, bid, ask, expiryIndex } = chain;
  // Greeks in one batch after the IVs (one kernel call for the chain rather than one per row: the per-call cost of
  // the kernel's column copies dominated when called row by row).
  const batch = allocBsmInput(n);
  const batchRow = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const e = expiries[expiryIndex[i]];
    if (!e) {
      res.status[i] = res.bidStatus[i] = res.askStatus[i] = IvStatus.NO_FORWARD;
      continue;
    }
    res.t[i] = e.t;
    if (e.status !== IvStatus.OK) {
      res.status[i] = res.bidStatus[i] = res.askStatus[i] = IvStatus.NO_FORWARD;
      continue;
    }
    const F = e.forward;
    const D = e.discount;
    const K = strike[i];
    const isCall = right[i] === 0;
    const otm = isCall ? K >= F : K < F;
    if (!otm) {
      res.status[i] = res.bidStatus[i] = res.askStatus[i] = IvStatus.NOT_OTM;
      continue;
    }
    res.otm[i] = 1;
    const b = bid[i];
    const a = ask[i];
    if (b < 0 || a < 0 || (b >= 0 && a >= 0 && a < b) || b === Infinity || a === Infinity) {
      res.status[i] = res.bidStatus[i] = res.askStatus[i] = IvStatus.BAD_QUOTE;
      continue;
    }
    // Missing (NaN) or zero sides give NO_PRICE for that side; mid needs a positive ask and a non-missing bid.
    res.bidIv[i] = solveBlack76Iv(isCall, F, K, e.t, D, b);
    res.bidStatus[i] = lastStatus();
    res.askIv[i] = solveBlack76Iv(isCall, F, K, e.t, D, a);
    res.askStatus[i] = lastStatus();
    const mid = b >= 0 && a > 0 ? 0.5 * (b + a) : NaN;
    const sigma = solveBlack76Iv(isCall, F, K, e.t, D, mid);
    res.midIv[i] = sigma;
    res.status[i] = lastStatus();
    if (lastStatus() !== IvStatus.OK) continue;
    // Greeks per unit of spot with the forward proportional to spot: e^{−qT} = D·F/S, e^{−rT} = D. Without a spot,
    // Black-76 forward Greeks (S = F, q = r).
    const S = spot0 > 0 && spot0 < Infinity ? spot0 : F;
    const r = e.rate;
    batch.right[m] = isCall ? 0 : 1;
    batch.spot[m] = S;
    batch.strike[m] = K;
    batch.t[m] = e.t;
    batch.rate[m] = r;
    batch.dividendYield[m] = r + Math.log(S / F) / e.t;
    batch.sigma[m] = sigma;
    batchRow[m++] = i;
  }
  if (m > 0) {
    const cut = (a: Float64Array) => a.subarray(0, m);
    const input = {
      right: batch.right.subarray(0, m), spot: cut(batch.spot), strike: cut(batch.strike), t: cut(batch.t), rate: cut(batch.rate),
      dividendYield: cut(batch.dividendYield), sigma: cut(batch.sigma),
    };
    const g = allocGreekColumns(m);
    greeksBatch(input, g);
    for (let j = 0; j < m; j++) {
      const i = batchRow[j];
      if (g.status[j] === IvStatus.OK) {
        res.delta[i] = g.delta[j];
        res.gamma[i] = g.gamma[j];
        res.vega[i] = g.vega[j];
        res.theta[i] = g.theta[j];
        res.vanna[i] = g.vanna[j];
      } else {
        res.status[i] = IvStatus.BAD_INPUT;
        res.midIv[i] = NaN;
      }
    }
  }
  return res;
}
