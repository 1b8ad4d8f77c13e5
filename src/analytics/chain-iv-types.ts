/**
 * Types of the chain IV result (`computeChainIv` in ./chain-iv.ts). Split out so that consumers (surface, GEX,
 * pipeline, API) can depend on the contract alone. Stable: extend, never rename.
 */
import type { IvStatusCode } from '../quant/black/status.js';

export { IvStatus, IV_STATUS_NAMES, ivStatusName } from '../quant/black/status.js';
export type { IvStatusCode };

/** How an expiry's forward and discount factor were obtained. */
export type ForwardMethod =
  /** Weighted least squares of C − P = D·F − D·K over near-the-money strikes (≥ 3 pairs): both D and F implied. */
  | 'regression'
  /**
   * D from the chain's short rate (the T²-weighted mean of the regression rates of expiries from 30 days to 1.5
   * years), used for expiries under 0.25 y, or when the own regression is implausible (fewer than 3 pairs, a rate
   * outside [−5 %, 25 %]); F then from the parity pairs with that D. (Name kept for compatibility.)
   */
  | 'interpolated-rate'
  /** No usable call/put pair: no forward; every row of the expiry has status NO_FORWARD. */
  | 'none';

export interface ExpiryForward {
  /** Index into `chain.expiries`. */
  expiryIndex: number;
  /** Time to expiry in years, ACT/365 calendar time from `chain.asOfMs` to the expiry instant. */
  t: number;
  /** Parity-implied forward F (NaN when method is 'none'). */
  forward: number;
  /** Parity-implied discount factor D = e^{−rT} (NaN when method is 'none'). */
  discount: number;
  /** Continuously compounded rate −ln(D)/T. */
  rate: number;
  /** Implied continuous carry/dividend yield relative to `chain.quote.last`: q = r − ln(F/S)/T (NaN if no spot). */
  dividendYield: number;
  method: ForwardMethod;
  /** Number of call/put pairs (both sides quoted) used for the forward. */
  pairs: number;
  /** Root-mean-square residual of the parity fit, in price units (NaN when fewer than 3 pairs). */
  rmse: number;
  /** Status code for the expiry as a whole: OK or NO_FORWARD. */
  status: IvStatusCode;
}

/**
 * Per-row results, column-oriented and aligned with the chain's rows (length `chain.size`).
 *
 * Only out-of-the-money rows relative to the parity forward are inverted (puts with K < F, calls with K ≥ F);
 * other rows keep NaN IVs and status NOT_OTM. Nothing is dropped: each row carries a status.
 * Greeks are Black-76 on the parity forward at the mid IV, expressed per unit of the underlying *spot* (the
 * forward is taken proportional to spot, F = S·e^{(r−q)T}), raw units as in the IV/Greeks kernel:
 * delta dV/dS, gamma d²V/dS², vega dV/dσ per 1.00 vol, theta −dV/dT per year (calendar), vanna d²V/dSdσ.
 * All are per one option (not per contract; multiply by `chain.multiplier` for contract exposure).
 */
export interface ChainIv {
  underlying: string;
  asOfMs: number;
  /** Spot used for spot-based Greeks (`chain.quote.last`). */
  spot: number;
  /** One entry per chain expiry, same order as `chain.expiries`. */
  expiries: ExpiryForward[];
  size: number;
  /** 1 if the row is out of the money relative to its expiry's forward (the rows that are inverted). */
  otm: Uint8Array;
  /** Time to expiry of the row (years), copied from its expiry. */
  t: Float64Array;
  bidIv: Float64Array;
  midIv: Float64Array;
  askIv: Float64Array;
  /** Status of the mid IV (the one the Greeks use). */
  status: Uint8Array;
  /** Status of the bid IV and the ask IV (a zero bid is common far out: NO_PRICE on the bid only). */
  bidStatus: Uint8Array;
  askStatus: Uint8Array;
  /** Greeks at mid IV (NaN when status is not OK). */
  delta: Float64Array;
  gamma: Float64Array;
  vega: Float64Array;
  theta: Float64Array;
  vanna: Float64Array;
}

export interface ChainIvOptions {
  /** Spot to use instead of `chain.quote.last` (for spot-based Greeks and the implied yield). */
  spot?: number;
  /** How many strikes nearest the forward (both sides quoted) enter the parity regression. Default 12. */
  parityStrikes?: number;
}
