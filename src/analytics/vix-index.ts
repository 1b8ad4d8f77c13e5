/**
 * A VIX-style 30-day volatility index from an option chain: the model-free variance of Cboe's VIX methodology
 * (Cboe VIX white paper), computed on Manifold's own chain state, so that an SPX feed gives an intraday VIX every
 * analytics cycle without a separate index feed (pure; runs in the browser).
 *
 * Per expiry (T in years, ACT/365 to the exact expiry instant; F and the discount D = e^{−RT} from the chain's
 * put-call parity, chain-iv):
 *   σ² = (2/T) Σ ΔK_i / K_i² · e^{RT} · Q(K_i) − (1/T) (F/K₀ − 1)²
 * with K₀ the first listed strike at or below F, Q the out-of-the-money mid (puts below K₀, calls above, the average
 * of both at K₀), strikes taken outward from K₀ skipping zero bids and stopping after two consecutive zero bids, and
 * ΔK_i half the distance between the neighbouring included strikes (the one-sided distance at the ends).
 * The index interpolates total variance linearly in T between the two expiries that bracket 30 days (the
 * "near-term" with T ≤ 30 days and the "next-term" with T > 30 days, both within Cboe's 23-37 day window):
 *   VIX = 100 √{ [T₁σ₁² (T₂ − T₃₀)/(T₂ − T₁) + T₂σ₂² (T₃₀ − T₁)/(T₂ − T₁)] / T₃₀ }.
 * Differences from the published index, stated: Cboe takes F from the strike where |C − P| is smallest and R from
 * Treasury yields; here both come from the parity regression over several strikes (less sensitive to one bad
 * quote). Either way the result is a 30-day variance-swap rate, not the quoted VIX tick.
 */
import { PUT, type OptionChain } from '../market/chain.js';
import type { ChainIv } from './chain-iv-types.js';

const DAY = 1 / 365;
const T30 = 30 * DAY;
/** Cboe's window for the near- and next-term expiries, days. */
const MIN_DAYS = 23;
const MAX_DAYS = 37;

export interface VixTerm {
  expiry: string;
  root: string;
  t: number;
  forward: number;
  k0: number;
  /** Model-free variance σ² of this expiry (annualised). */
  variance: number;
  /** Strikes that entered the sum. */
  strikes: number;
}

export type VixStatus = 'ok' | 'no_terms' | 'bad_term';

export interface VixIndex {
  status: VixStatus;
  /** Index level in vol points (e.g. 17.1), NaN unless status is ok. */
  value: number;
  near: VixTerm | null;
  next: VixTerm | null;
  message?: string;
}

/** Model-free variance of one expiry (Cboe's per-term formula); null when it cannot be formed. */
export function termVariance(chain: OptionChain, civ: ChainIv, expiryIndex: number): VixTerm | null {
  const e = chain.expiries[expiryIndex];
  const x = civ.expiries[expiryIndex];
  if (!e || !x || !(x.t > 0) || !(x.forward > 0) || !(x.discount > 0)) return null;
  const F = x.forward;
  const growth = 1 / x.discount; // e^{RT}
  // Pair calls and puts by strike (rows are sorted by strike, call first).
  const strikes: number[] = [];
  const call: number[] = [];
  const put: number[] = [];
  for (const r of e.rows) {
    const k = chain.strike[r];
    if (strikes.length === 0 || strikes[strikes.length - 1] !== k) {
      strikes.push(k);
      call.push(-1);
      put.push(-1);
    }
    if (chain.right[r] === PUT) put[put.length - 1] = r;
    else call[call.length - 1] = r;
  }
  let i0 = -1;
  for (let i = 0; i < strikes.length; i++) if (strikes[i] <= F) i0 = i;
  if (i0 < 0) return null;
  const mid = (r: number) => (r >= 0 && chain.bid[r] > 0 && chain.ask[r] >= chain.bid[r] ? (chain.bid[r] + chain.ask[r]) / 2 : NaN);
  const hasBid = (r: number) => r >= 0 && chain.bid[r] > 0 && chain.ask[r] >= chain.bid[r];
  const q0 = (mid(call[i0]) + mid(put[i0])) / 2;
  if (!Number.isFinite(q0)) return null;
  const ks: number[] = [strikes[i0]];
  const qs: number[] = [q0];
  // Outward from K0: skip zero bids, stop after two consecutive ones.
  const walk = (from: number, step: -1 | 1, side: number[]) => {
    let zeros = 0;
    const outK: number[] = [];
    const outQ: number[] = [];
    for (let i = from; i >= 0 && i < strikes.length; i += step) {
      if (!hasBid(side[i])) {
        if (++zeros >= 2) break;
        continue;
      }
      zeros = 0;
      outK.push(strikes[i]);
      outQ.push(mid(side[i]));
    }
    return { outK, outQ };
  };
  const down = walk(i0 - 1, -1, put);
  const up = walk(i0 + 1, 1, call);
  const K = [...down.outK.reverse(), ...ks, ...up.outK];
  const Q = [...down.outQ.reverse(), ...qs, ...up.outQ];
  if (K.length < 3) return null;
  let sum = 0;
  for (let i = 0; i < K.length; i++) {
    const dK = i === 0 ? K[1] - K[0] : i === K.length - 1 ? K[i] - K[i - 1] : (K[i + 1] - K[i - 1]) / 2;
    sum += (dK / (K[i] * K[i])) * Q[i];
  }
  const t = x.t;
  const k0 = strikes[i0];
  const variance = (2 / t) * growth * sum - (1 / t) * (F / k0 - 1) ** 2;
  if (!(variance > 0) || !Number.isFinite(variance)) return null;
  return { expiry: e.date, root: e.root, t, forward: F, k0, variance, strikes: K.length };
}

/** The 30-day index of a chain (an SPX chain gives a VIX-style figure; any chain its own "VIX"). */
export function vixIndex(chain: OptionChain, civ: ChainIv): VixIndex {
  // Candidates in Cboe's window; near = the latest at or before 30 days, next = the earliest after.
  let near = -1;
  let next = -1;
  for (let i = 0; i < chain.expiries.length; i++) {
    const t = civ.expiries[i]?.t;
    if (!(t > MIN_DAYS * DAY && t < MAX_DAYS * DAY) || civ.expiries[i].method === 'none') continue;
    if (t <= T30 && (near < 0 || t > civ.expiries[near].t)) near = i;
    if (t > T30 && (next < 0 || t < civ.expiries[next].t)) next = i;
  }
  if (near < 0 && next < 0) return { status: 'no_terms', value: NaN, near: null, next: null, message: `no expiry between ${MIN_DAYS} and ${MAX_DAYS} days with a forward` };
  const n1 = near >= 0 ? termVariance(chain, civ, near) : null;
  const n2 = next >= 0 ? termVariance(chain, civ, next) : null;
  let w: number;
  if (n1 && n2) {
    const a = (n2.t - T30) / (n2.t - n1.t);
    w = n1.t * n1.variance * a + n2.t * n2.variance * (1 - a);
  } else if (n1 && near >= 0 && next < 0) w = (n1.variance * T30); // only the near term exists: its variance
  else if (n2 && next >= 0 && near < 0) w = (n2.variance * T30);
  else return { status: 'bad_term', value: NaN, near: n1, next: n2, message: 'a bracketing expiry has no usable strip (no forward or fewer than 3 strikes)' };
  if (!(w > 0)) return { status: 'bad_term', value: NaN, near: n1, next: n2, message: 'non-positive interpolated variance' };
  return { status: 'ok', value: 100 * Math.sqrt(w / T30), near: n1, next: n2 };
}
