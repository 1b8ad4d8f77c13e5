/**
 * Spot Greeks of every contract in a book (per unit of underlying, per option), Black-Scholes-Merton written through
 * the forward (see book.ts):
 *
 *   Δ_call = e^{-qT} Φ(d1),  Δ_put = −e^{-qT} Φ(−d1)
 *   Γ      = e^{-qT} φ(d1) / (S σ√T)
 *   vanna  = ∂Δ/∂σ = −e^{-qT} φ(d1) d2 / σ                                   (same for calls and puts)
 *   charm  = dΔ/dt (calendar time passing, per YEAR) =
 *            ±q e^{-qT} Φ(±d1) − e^{-qT} φ(d1) (2(r−q)T − d2 σ√T) / (2T σ√T)   (+ and Φ(d1) for calls,
 *                                                                               − and Φ(−d1) for puts)
 *
 * with e^{-qT} = D·F/S and (r−q)T = ln(F/S). At a hypothetical spot S' the forward scales with spot (F' = F·S'/S),
 * so ln(F'/K) = ln(S'/S) + ln(F/K) and the carry terms do not change.
 */
import type { GexBook } from './book.js';
import { INV_SQRT_2PI, normCdf } from './normal.js';
import { RIGHT_CALL } from './positioning.js';

export interface BookGreeks {
  /** Spot at which the Greeks were evaluated. */
  spot: number;
  delta: Float64Array;
  gamma: Float64Array;
  vanna: Float64Array;
  /** Per year of calendar time (divide by 365 for per day). */
  charm: Float64Array;
}

/**
 * Greeks of every contract at `spot` (default: the book's spot), IVs held at their strikes. `volShift` (decimal, e.g.
 * 0.02 for +2 vol points) is added to every IV; a shifted IV ≤ 0 gives NaN Greeks for that contract.
 */
export function bookGreeks(book: GexBook, spot = book.spot, volShift = 0): BookGreeks {
  const n = book.n;
  const out: BookGreeks = {
    spot,
    delta: new Float64Array(n),
    gamma: new Float64Array(n),
    vanna: new Float64Array(n),
    charm: new Float64Array(n),
  };
  const lnMove = Math.log(spot / book.spot);
  for (let i = 0; i < n; i++) {
    const T = book.t[i];
    const sigma = book.iv[i] + volShift;
    if (!(sigma > 0)) {
      out.delta[i] = out.gamma[i] = out.vanna[i] = out.charm[i] = NaN;
      continue;
    }
    const lfr = book.logFwdRatio[i]; // ln(F/S) = (r − q)T
    const r = book.rate[i];
    const q = r - lfr / T;
    const dq = Math.exp(lfr - r * T); // e^{-qT} = D·F/S
    const v = sigma * Math.sqrt(T);
    const d1 = (lnMove + lfr + Math.log(book.spot / book.strike[i])) / v + 0.5 * v;
    const d2 = d1 - v;
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * d1 * d1);
    const isCall = book.right[i] === RIGHT_CALL;
    const nd = isCall ? normCdf(d1) : -normCdf(-d1); // signed Φ(±d1)
    out.delta[i] = dq * nd;
    out.gamma[i] = (dq * pdf) / (spot * v);
    out.vanna[i] = (-dq * pdf * d2) / sigma;
    out.charm[i] = q * dq * nd - (dq * pdf * (2 * lfr - d2 * v)) / (2 * T * v);
  }
  return out;
}

/** Dealer exposures per contract, all on one basis: the change of the dealers' position in the underlying. */
export interface BookExposures {
  spot: number;
  /** $ change of dealer dollar delta for a 1 % spot move: p·m·Γ·S²·0.01 (the GEX number). */
  gex: Float64Array;
  /** Shares (underlying units) of dealer delta change per $1 spot move: p·m·Γ. */
  gexShares: Float64Array;
  /** Dealer dollar delta, $: p·m·Δ·S. */
  dex: Float64Array;
  /** Dealer delta in shares (underlying units): p·m·Δ. */
  dexShares: Float64Array;
  /** $ change of dealer dollar delta for +1 vol point (0.01) in every IV: p·m·vanna·0.01·S. */
  vex: Float64Array;
  /** $ change of dealer dollar delta per calendar day passing: p·m·charm/365·S. */
  cex: Float64Array;
}

/**
 * Exposures from Greeks and the book's positions. `gamma` may come from anywhere (this module's `bookGreeks`, or a
 * chain-level Greek column), which is what lets tests feed hand-computed numbers.
 */
export function bookExposures(
  book: GexBook,
  g: { spot: number; gamma: ArrayLike<number>; delta?: ArrayLike<number>; vanna?: ArrayLike<number>; charm?: ArrayLike<number> },
): BookExposures {
  const n = book.n;
  const S = g.spot;
  const m = book.multiplier;
  const out: BookExposures = {
    spot: S,
    gex: new Float64Array(n),
    gexShares: new Float64Array(n),
    dex: new Float64Array(n),
    dexShares: new Float64Array(n),
    vex: new Float64Array(n),
    cex: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const pm = book.position[i] * m;
    out.gexShares[i] = pm * g.gamma[i];
    out.gex[i] = out.gexShares[i] * S * S * 0.01;
    const d = g.delta ? g.delta[i] : NaN;
    out.dexShares[i] = pm * d;
    out.dex[i] = pm * d * S;
    out.vex[i] = g.vanna ? pm * g.vanna[i] * 0.01 * S : NaN;
    out.cex[i] = g.charm ? ((pm * g.charm[i]) / 365) * S : NaN;
  }
  return out;
}
