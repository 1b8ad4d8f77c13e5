/**
 * Scalar kernels shared by the scalar API, the batch API and chain IV: implied volatility (BSM and Black-76) with a
 * status code, and all Greeks from one set of transcendental evaluations.
 *
 * Nothing is allocated: the solvers return σ and leave the status in a module-private variable (`lastStatus()`),
 * the Greeks are written straight into output columns at a row index. (Exported `let` bindings and module-namespace
 * reads cost 2-3× in V8's hot loops, so none are used here.)
 */
import { impliedNormalisedVolOtm, lastNormalisedVega } from './lets-be-rational.js';
import { normalisedBlackOtm } from './normalised.js';
import { IvStatus } from './status.js';
import { wasmKernelActive, wasmLastStatus, wasmSolveBlack76Iv, wasmSolveBsmIv } from './wasm-kernel.js';

const EPS = 2.220446049250313e-16;
/** Normalised time values below this are treated as no information (b underflows long before). */
const MIN_NORMALISED_TIME_VALUE = 1e-290;
/**
 * Prices, spots, strikes and forwards must lie in [1e−300, 1e300]: below, float64 is subnormal (precision lost);
 * above, products such as S·K overflow. Prices below get PRICE_TOO_SMALL, spots/strikes outside BAD_INPUT.
 */
const MIN_MAGNITUDE = 1e-300;
const MAX_MAGNITUDE = 1e300;
/**
 * Largest relative IV error that the float64 rounding of the input price alone may cause for a row to be OK:
 * ε·price/(vega·σ). Beyond it the price does not determine σ (deep in-the-money time value lost in the price's last
 * digits, or a price within rounding of its maximum) and the row gets PRICE_TOO_SMALL instead of a number that
 * only looks precise. Real quotes are nowhere near it (their tick size is ~1e−4 of the price or more).
 */
export const MAX_IV_CONDITION_ERROR = 1e-9;

let outStatus = 0;
/** Status code of the last solve (IvStatus). */
export function lastStatus(): number {
  return outStatus;
}

/**
 * Arguments of solveNormalised (x, price, intrinsic, maxPrice, scale, √T, intrinsicMagnitude): a typed array, as a
 * call V8 does not inline boxes each double argument (one heap allocation each, ~7 per option).
 */
const sa = new Float64Array(7);

/**
 * Implied volatility from a normalised problem: θ = +1 call / −1 put, x = ln(F/K), price and its bounds in the
 * same (discounted) units, `scale` = D√(FK), `intrinsicMagnitude` the size of the terms whose difference is the
 * intrinsic value (their rounding limits how small a time value is meaningful). Sets outStatus.
 */
function solveNormalised(isCall: boolean): number {
  const theta = isCall ? 1 : -1;
  const x = sa[0];
  const price = sa[1];
  const intrinsic = sa[2];
  const maxPrice = sa[3];
  const scale = sa[4];
  const sqrtT = sa[5];
  const intrinsicMagnitude = sa[6];
  if (!(price >= intrinsic)) {
    // Below intrinsic by no more than the rounding of price and intrinsic: the time value is simply lost in the
    // last digits (deep in the money), which is a different diagnosis from a genuinely arbitrageable quote.
    outStatus = intrinsic - price <= 8 * EPS * intrinsic ? IvStatus.PRICE_TOO_SMALL : IvStatus.BELOW_INTRINSIC;
    return NaN;
  }
  if (price >= maxPrice) {
    outStatus = IvStatus.ABOVE_MAXIMUM;
    return NaN;
  }
  const tv = price - intrinsic;
  if (tv === 0) {
    outStatus = IvStatus.BELOW_INTRINSIC;
    return NaN;
  }
  if (intrinsic > 0 && tv <= 8 * EPS * intrinsicMagnitude) {
    outStatus = IvStatus.PRICE_TOO_SMALL;
    return NaN;
  }
  const beta = tv / scale;
  if (!(beta >= MIN_NORMALISED_TIME_VALUE)) {
    outStatus = IvStatus.PRICE_TOO_SMALL;
    return NaN;
  }
  const xo = theta * x > 0 ? -theta * x : theta * x; // −|x|
  const s = impliedNormalisedVolOtm(beta, xo);
  if (!(s > 0) || s === Infinity) {
    // beta within rounding of the upper bound e^{x/2}: no finite volatility.
    outStatus = beta >= Math.exp(0.5 * xo) * (1 - 4 * EPS) ? IvStatus.ABOVE_MAXIMUM : IvStatus.PRICE_TOO_SMALL;
    return NaN;
  }
  // Conditioning: d(price)/d(ln σ) = scale·b′(s)·s; the price's own rounding (ε·price) must move σ by less than
  // MAX_IV_CONDITION_ERROR relative.
  if (EPS * price > MAX_IV_CONDITION_ERROR * scale * lastNormalisedVega() * s) {
    outStatus = IvStatus.PRICE_TOO_SMALL;
    return NaN;
  }
  const sigma = s / sqrtT;
  if (!(sigma < Infinity)) {
    outStatus = IvStatus.BAD_INPUT;
    return NaN;
  }
  outStatus = IvStatus.OK;
  return sigma;
}

/**
 * BSM implied volatility (continuous dividend yield q). isCall: true for a call. Status in lastStatus().
 * Never throws; NaN iff the status is not OK. WebAssembly kernel when loaded (./wasm-kernel.ts), else pure JS.
 */
export function solveBsmIv(isCall: boolean, S: number, K: number, T: number, r: number, q: number, price: number): number {
  if (wasmKernelActive()) {
    const v = wasmSolveBsmIv(isCall, S, K, T, r, q, price);
    outStatus = wasmLastStatus();
    return v;
  }
  return solveBsmIvJs(isCall, S, K, T, r, q, price);
}

/** solveBsmIv on the pure-JS kernel. */
export function solveBsmIvJs(isCall: boolean, S: number, K: number, T: number, r: number, q: number, price: number): number {
  if (!(S >= MIN_MAGNITUDE && S <= MAX_MAGNITUDE && K >= MIN_MAGNITUDE && K <= MAX_MAGNITUDE && T > 0 && T < Infinity && r - r === 0 && q - q === 0)) {
    outStatus = IvStatus.BAD_INPUT;
    return NaN;
  }
  return solveBsmIvPrepared(isCall, S, K, T, r, q, price, Math.log(S / K) + (r - q) * T, Math.exp(-q * T), Math.exp(-r * T));
}

/**
 * As solveBsmIv for inputs already checked (S, K in [1e−300, 1e300], T > 0 finite; r, q finite), given x = ln(S/K) + (r−q)T,
 * dq = e^{−qT}, dr = e^{−rT} (the batch loop computes them once for the solve and the Greeks).
 */
export function solveBsmIvPrepared(isCall: boolean, S: number, K: number, T: number, r: number, q: number, price: number, x: number, dq: number, dr: number): number {
  if (price !== price || price === 0) {
    outStatus = IvStatus.NO_PRICE;
    return NaN;
  }
  if (!(price > 0 && price < Infinity)) {
    outStatus = IvStatus.BAD_INPUT;
    return NaN;
  }
  if (price < MIN_MAGNITUDE) {
    outStatus = IvStatus.PRICE_TOO_SMALL;
    return NaN;
  }
  const sDq = S * dq;
  const kDr = K * dr;
  const prod = sDq * kDr;
  // One sqrt when the product is a normal number; two when it would over- or underflow.
  const scale = prod > 1e-300 && prod < 1e300 ? Math.sqrt(prod) : Math.sqrt(sDq) * Math.sqrt(kDr);
  if (!(x > -Infinity && x < Infinity && scale > 0 && scale < Infinity && sDq < Infinity && kDr < Infinity)) {
    outStatus = IvStatus.BAD_INPUT;
    return NaN;
  }
  const theta = isCall ? 1 : -1;
  let intrinsic = 0;
  if (theta * x > 0) {
    // In the money. S·e^{−qT} − K·e^{−rT} = (S − K) + S·expm1(−qT) − K·expm1(−rT): S − K is exact when S and K are
    // within a factor of 2 and the expm1 terms are small, so the intrinsic value carries a relative (not an absolute
    // ε·S) error. That keeps the time value, and so the implied volatility, at the attainable bound.
    const fwdIntrinsic = S - K + S * Math.expm1(-q * T) - K * Math.expm1(-r * T);
    const diff = isCall ? fwdIntrinsic : -fwdIntrinsic;
    intrinsic = diff > 0 ? diff : 0;
  }
  sa[0] = x;
  sa[1] = price;
  sa[2] = intrinsic;
  sa[3] = isCall ? sDq : kDr;
  sa[4] = scale;
  sa[5] = Math.sqrt(T);
  sa[6] = price;
  return solveNormalised(isCall);
}

/** Black-76 implied volatility on forward F and discount factor D. Status in lastStatus(). WebAssembly when loaded. */
export function solveBlack76Iv(isCall: boolean, F: number, K: number, T: number, D: number, price: number): number {
  if (wasmKernelActive()) {
    const v = wasmSolveBlack76Iv(isCall, F, K, T, D, price);
    outStatus = wasmLastStatus();
    return v;
  }
  return solveBlack76IvJs(isCall, F, K, T, D, price);
}

/** solveBlack76Iv on the pure-JS kernel. */
export function solveBlack76IvJs(isCall: boolean, F: number, K: number, T: number, D: number, price: number): number {
  if (!(F >= MIN_MAGNITUDE && F <= MAX_MAGNITUDE && K >= MIN_MAGNITUDE && K <= MAX_MAGNITUDE && T > 0 && T < Infinity && D > 0 && D < Infinity)) {
    outStatus = IvStatus.BAD_INPUT;
    return NaN;
  }
  if (price !== price || price === 0) {
    outStatus = IvStatus.NO_PRICE;
    return NaN;
  }
  if (!(price > 0 && price < Infinity)) {
    outStatus = IvStatus.BAD_INPUT;
    return NaN;
  }
  if (price < MIN_MAGNITUDE) {
    outStatus = IvStatus.PRICE_TOO_SMALL;
    return NaN;
  }
  const x = Math.log(F / K);
  const dF = D * F;
  const dK = D * K;
  const scale = D * Math.sqrt(F) * Math.sqrt(K);
  if (!(x > -Infinity && x < Infinity && scale > 0 && scale < Infinity && dF < Infinity && dK < Infinity)) {
    outStatus = IvStatus.BAD_INPUT;
    return NaN;
  }
  const diff = isCall ? D * (F - K) : D * (K - F);
  sa[0] = x;
  sa[1] = price;
  sa[2] = diff > 0 ? diff : 0;
  sa[3] = isCall ? dF : dK;
  sa[4] = scale;
  sa[5] = Math.sqrt(T);
  sa[6] = price;
  return solveNormalised(isCall);
}

/**
 * Undiscounted-normalised price of a call (θ = 1) or put (θ = −1): b(x, s) for any sign of x, via the OTM branch
 * plus intrinsic. Multiply by D√(FK).
 */
export function normalisedBlack(theta: number, x: number, s: number): number {
  const xo = theta * x > 0 ? -theta * x : theta * x;
  const otm = normalisedBlackOtm(xo, s);
  if (theta * x <= 0) return otm;
  // in the money: intrinsic e^{|x|/2} − e^{−|x|/2} = 2 sinh(|x|/2)
  return otm + 2 * Math.sinh(0.5 * Math.abs(x));
}

