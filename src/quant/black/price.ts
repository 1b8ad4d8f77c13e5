/**
 * Option prices: Black-Scholes-Merton with a continuous dividend yield and Black-76 on a forward and a discount
 * factor. Both are the normalised Black function b(x, s) scaled by D√(FK), plus the intrinsic value when in the
 * money (computed separately so that it carries a relative, not an absolute, rounding error).
 */
import { normalisedBlackOtm } from './normalised.js';

/** Black-76: forward F, strike K, time T (years), discount factor D = e^{−rT}, volatility σ. NaN on bad input. */
export function black76Price(isCall: boolean, F: number, K: number, T: number, D: number, sigma: number): number {
  if (!(F > 0 && K > 0 && T >= 0 && D > 0 && sigma >= 0) || F === Infinity || K === Infinity || T === Infinity || D === Infinity) return NaN;
  const intrinsic = isCall ? Math.max(D * (F - K), 0) : Math.max(D * (K - F), 0);
  const s = sigma * Math.sqrt(T);
  if (s === 0) return intrinsic;
  const x = Math.log(F / K);
  const theta = isCall ? 1 : -1;
  const xo = theta * x > 0 ? -theta * x : theta * x;
  return D * Math.sqrt(F) * Math.sqrt(K) * normalisedBlackOtm(xo, s) + intrinsic;
}

/** BSM: spot S, strike K, time T (years), continuous rate r and dividend yield q, volatility σ. NaN on bad input. */
export function bsmPrice(isCall: boolean, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  if (!(S > 0 && K > 0 && T >= 0 && sigma >= 0 && Number.isFinite(r) && Number.isFinite(q)) || S === Infinity || K === Infinity || T === Infinity) return NaN;
  const fwdIntrinsic = S - K + S * Math.expm1(-q * T) - K * Math.expm1(-r * T); // S·e^{−qT} − K·e^{−rT}
  const intrinsic = isCall ? Math.max(fwdIntrinsic, 0) : Math.max(-fwdIntrinsic, 0);
  const s = sigma * Math.sqrt(T);
  if (s === 0) return intrinsic;
  const x = Math.log(S / K) + (r - q) * T;
  const theta = isCall ? 1 : -1;
  const xo = theta * x > 0 ? -theta * x : theta * x;
  const scale = Math.sqrt(S * Math.exp(-q * T)) * Math.sqrt(K * Math.exp(-r * T));
  return scale * normalisedBlackOtm(xo, s) + intrinsic;
}
