/**
 * Standard normal distribution: density, cumulative distribution (accurate in both tails) and its inverse.
 */
import { erfc, erfcx } from './erf.js';
import { fastExp } from './exp.js';

export const SQRT_TWO = 1.4142135623730951;
export const ONE_OVER_SQRT_TWO = 0.7071067811865476;
export const SQRT_TWO_PI = 2.5066282746310002;
export const ONE_OVER_SQRT_TWO_PI = 0.3989422804014327;
export const SQRT_PI_OVER_TWO = 1.2533141373155003;

/** φ(x) = exp(−x²/2)/√(2π). */
export function normPdf(x: number): number {
  return ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * x * x);
}

/**
 * Φ(x), with full relative accuracy in the lower tail (Φ(−38) ≈ 2.9e−316 is still returned, not 0) and
 * 1 − Φ(x) never formed by subtraction for negative x.
 */
export function normCdf(x: number): number {
  if (x < -1) {
    // Lower tail: Φ(x) = erfcx(−x/√2)·e^{−x²/2}/2. Rounding −x/√2 would cost ~x²ε relative inside erfc; erfcx is
    // insensitive to it, and e^{−x²/2} is formed from an exact split of x (x = xh + xl, xh a multiple of 1/16) so
    // that the exponent carries no rounding either. Φ(−37) keeps ~15 digits.
    const xh = Math.trunc(x * 16) / 16;
    const del = (x - xh) * (x + xh);
    return 0.5 * erfcx(-x * ONE_OVER_SQRT_TWO) * fastExp(-0.5 * xh * xh) * fastExp(-0.5 * del);
  }
  // Φ(x) = erfc(−x/√2)/2: the upper tail is 1 − (small), never a difference of nearly equal numbers.
  return 0.5 * erfc(-x * ONE_OVER_SQRT_TWO);
}

/** 1 − Φ(x) = Φ(−x), accurate for large positive x. */
export function normCdfComplement(x: number): number {
  return normCdf(-x);
}

/** Y(x) = Φ(x)/φ(x), the reciprocal Mills ratio (finite and accurate for very negative x). */
export function normCdfOverPdf(x: number): number {
  return SQRT_PI_OVER_TWO * erfcx(-x * ONE_OVER_SQRT_TWO);
}

/* eslint-disable no-loss-of-precision -- coefficients exactly as published (Wichura 1988), rounded to float64 on parse */
// Wichura (1988), Algorithm AS 241 (PPND16), coefficients of the three rational approximations.
const A = [
  3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457,
  67265.770927008700853, 33430.575583588128105, 2509.0809287301226727,
];
const B = [
  1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,
  39307.89580009271061, 28729.085735721942674, 5226.495278852854561,
];
const C = [
  1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
  1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4,
];
const D = [
  1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459,
  0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9,
];
const E = [
  6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
  0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
];
const F = [
  1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4,
  1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15,
];

function ratio(p: readonly number[], q: readonly number[], r: number): number {
  let n = p[7];
  let d = q[7];
  for (let i = 6; i >= 0; i--) {
    n = n * r + p[i];
    d = d * r + q[i];
  }
  return n / d;
}

/**
 * Φ⁻¹(p) by Wichura's AS 241 (relative accuracy about 1e−16). p ≤ 0 gives −Infinity, p ≥ 1 +Infinity, NaN NaN.
 * For the upper tail prefer `invNormCdfComplement(1 − p)` computed without forming 1 − p.
 */
export function invNormCdf(p: number): number {
  if (!(p > 0)) return p === 0 || p < 0 ? -Infinity : NaN;
  if (p >= 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) return q * ratio(A, B, 0.180625 - q * q);
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  const v = r <= 5 ? ratio(C, D, r - 1.6) : ratio(E, F, r - 5);
  return q < 0 ? -v : v;
}
