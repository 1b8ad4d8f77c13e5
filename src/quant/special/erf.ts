/**
 * Error functions erf, erfc and the scaled complementary error function erfcx(x) = exp(x²)·erfc(x).
 *
 * JavaScript's Math has none of them. These follow W. J. Cody, "Rational Chebyshev approximations for the error
 * function", Math. Comp. 23 (1969) 631-638, as packaged in his CALERF routine (netlib specfun, CALGO 715): three
 * near-minimax rational approximations on |x| ≤ 0.46875, 0.46875 < |x| ≤ 4 and |x| > 4, accurate to better than
 * 1e-17 in exact arithmetic, so the float64 result is within a few ulps everywhere (checked against mpmath in
 * test/quant/black/special.test.ts).
 *
 * erfcx is the workhorse of the normalised Black function: it never under- or overflows on the side that matters,
 * which is why the implied-volatility code calls it rather than erfc.
 */
import { fastExp } from './exp.js';

/* eslint-disable no-loss-of-precision -- coefficients exactly as published (Cody 1969), rounded to float64 on parse */
// Coefficients of Cody (1969), tables for erf on [0, 0.46875] ...
const A0 = 3.1611237438705656;
const A1 = 113.864154151050156;
const A2 = 377.485237685302021;
const A3 = 3209.37758913846947;
const A4 = 0.185777706184603153;
const B0 = 23.6012909523441209;
const B1 = 244.024637934444173;
const B2 = 1282.61652607737228;
const B3 = 2844.23683343917062;
// ... erfcx on [0.46875, 4] ...
const C0 = 0.564188496988670089;
const C1 = 8.88314979438837594;
const C2 = 66.1191906371416295;
const C3 = 298.635138197400131;
const C4 = 881.95222124176909;
const C5 = 1712.04761263407058;
const C6 = 2051.07837782607147;
const C7 = 1230.33935479799725;
const C8 = 2.15311535474403846e-8;
const D0 = 15.7449261107098347;
const D1 = 117.693950891312499;
const D2 = 537.181101862009858;
const D3 = 1621.38957456669019;
const D4 = 3290.79923573345963;
const D5 = 4362.61909014324716;
const D6 = 3439.36767414372164;
const D7 = 1230.33935480374942;
// ... and x·erfcx(x) − 1/√π in 1/x² for x > 4.
const P0 = 0.305326634961232344;
const P1 = 0.360344899949804439;
const P2 = 0.125781726111229246;
const P3 = 0.0160837851487422766;
const P4 = 6.58749161529837803e-4;
const P5 = 0.0163153871373020978;
const Q0 = 2.56852019228982242;
const Q1 = 1.87295284992346047;
const Q2 = 0.527905102951428412;
const Q3 = 0.0605183413124413191;
const Q4 = 0.00233520497626869185;

const ONE_OVER_SQRT_PI = 0.56418958354775628695;
const THRESH = 0.46875;
/** Below this erf(x) = 2x/√π exactly in float64 (and x² would only lose precision). */
const X_SMALL = 1.11e-16;
/** erfc(x) underflows to 0 beyond this. */
const X_BIG = 26.543;
/** Beyond this erfcx(x) = 1/(x√π) to machine precision. */
const X_HUGE = 6.71e7;
/** erfcx(x) = 2·exp(x²) − erfcx(−x) overflows below this. */
const X_NEG = -26.628;

/** erf(y)/y for 0 ≤ y ≤ 0.46875 (argument y², the approximation is even in y). */
function erfSmallRatio(ysq: number): number {
  let num = A4 * ysq;
  let den = ysq;
  num = (num + A0) * ysq;
  den = (den + B0) * ysq;
  num = (num + A1) * ysq;
  den = (den + B1) * ysq;
  num = (num + A2) * ysq;
  den = (den + B2) * ysq;
  return (num + A3) / (den + B3);
}

/**
 * erfcx(y) for 0.46875 < y ≤ 4 (the range most normal-cdf arguments of option pricing fall in). Small enough for
 * V8 to inline into a hot loop, which avoids the call and the boxing of its argument and result.
 *
 * Numerator and denominator by Estrin's scheme rather than Horner's: the same coefficients, but a dependency chain
 * of 4 multiply-add levels instead of 8, which halves the latency (the evaluation is latency-bound; JS has no FMA).
 * Every coefficient is positive and y > 0, so no partial sum cancels: the rounding error stays a few ulps, as with
 * Horner (checked against mpmath in test/quant/black/special.test.ts).
 */
export function erfcxMid(y: number): number {
  const y2 = y * y;
  const y4 = y2 * y2;
  const num = C7 + C6 * y + (C5 + C4 * y) * y2 + (C3 + C2 * y + (C1 + C0 * y) * y2) * y4 + C8 * (y4 * y4);
  const den = D7 + D6 * y + (D5 + D4 * y) * y2 + (D3 + D2 * y + (D1 + D0 * y) * y2) * y4 + y4 * y4;
  return num / den;
}

/** erfcx(y) for y > 4. */
function erfcxLarge(y: number): number {
  if (y >= X_HUGE) return ONE_OVER_SQRT_PI / y;
  const z = 1 / (y * y);
  let num = P5 * z;
  let den = z;
  num = (num + P0) * z;
  den = (den + Q0) * z;
  num = (num + P1) * z;
  den = (den + Q1) * z;
  num = (num + P2) * z;
  den = (den + Q2) * z;
  num = (num + P3) * z;
  den = (den + Q3) * z;
  const r = (z * (num + P4)) / (den + Q4);
  return (ONE_OVER_SQRT_PI - r) / y;
}

/**
 * exp(−y²) for y ≥ 0 without the error amplification of exp(−(y·y)): y² is split into a part exactly
 * representable (y rounded down to 1/16) and a small remainder, as Cody does.
 */
function expMinusSquare(y: number): number {
  const yr = Math.trunc(y * 16) / 16;
  const del = (y - yr) * (y + yr);
  return fastExp(-yr * yr) * fastExp(-del);
}

/** The error function. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) {
    const ysq = y > X_SMALL ? y * y : 0;
    return x * erfSmallRatio(ysq);
  }
  if (!(y === y)) return NaN;
  let r: number;
  if (y <= 4) r = expMinusSquare(y) * erfcxMid(y);
  else if (y >= X_BIG) r = 0;
  else r = expMinusSquare(y) * erfcxLarge(y);
  // erf = 1 − erfc; for y > 0.46875 erfc(y) < 0.51, so the subtraction loses at most one bit.
  return x < 0 ? r - 1 : 1 - r;
}

/** The complementary error function 1 − erf(x), accurate in relative terms for large positive x. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) {
    const ysq = y > X_SMALL ? y * y : 0;
    return 1 - x * erfSmallRatio(ysq);
  }
  if (!(y === y)) return NaN;
  let r: number;
  if (y <= 4) r = expMinusSquare(y) * erfcxMid(y);
  else if (y >= X_BIG) r = 0;
  else r = expMinusSquare(y) * erfcxLarge(y);
  return x < 0 ? 2 - r : r;
}

/**
 * erfcx(x) written to out[k]: a leaf function (no calls but Math.exp), so that hot loops never receive a boxed
 * double from a call V8 did not inline. `erfcx` below is the value-returning wrapper.
 */
export function erfcxInto(x: number, out: Float64Array, k: number): void {
  const y = x < 0 ? -x : x;
  let r: number;
  if (y <= THRESH) {
    const ysq = y > X_SMALL ? y * y : 0;
    let num = A4 * ysq;
    let den = ysq;
    num = (num + A0) * ysq;
    den = (den + B0) * ysq;
    num = (num + A1) * ysq;
    den = (den + B1) * ysq;
    num = (num + A2) * ysq;
    den = (den + B2) * ysq;
    out[k] = fastExp(ysq) * (1 - (x * (num + A3)) / (den + B3));
    return;
  }
  if (y <= 4) {
    // As erfcxMid (Estrin), written out to keep this a leaf function.
    const y2 = y * y;
    const y4 = y2 * y2;
    const num = C7 + C6 * y + (C5 + C4 * y) * y2 + (C3 + C2 * y + (C1 + C0 * y) * y2) * y4 + C8 * (y4 * y4);
    const den = D7 + D6 * y + (D5 + D4 * y) * y2 + (D3 + D2 * y + (D1 + D0 * y) * y2) * y4 + y4 * y4;
    r = num / den;
  } else if (y === Infinity) {
    out[k] = x > 0 ? 0 : Infinity;
    return;
  } else if (y === y) {
    if (y >= X_HUGE) r = ONE_OVER_SQRT_PI / y;
    else {
      const z = 1 / (y * y);
      let num = P5 * z;
      let den = z;
      num = (num + P0) * z;
      den = (den + Q0) * z;
      num = (num + P1) * z;
      den = (den + Q1) * z;
      num = (num + P2) * z;
      den = (den + Q2) * z;
      num = (num + P3) * z;
      den = (den + Q3) * z;
      r = (ONE_OVER_SQRT_PI - (z * (num + P4)) / (den + Q4)) / y;
    }
  } else {
    out[k] = NaN;
    return;
  }
  if (x > 0) {
    out[k] = r;
    return;
  }
  if (x < X_NEG) {
    out[k] = Infinity;
    return;
  }
  // erfcx(−y) = 2·exp(y²) − erfcx(y), exp(y²) from an exact split of y² (as Cody).
  const yr = Math.trunc(y * 16) / 16;
  const e = fastExp(yr * yr) * fastExp((y - yr) * (y + yr));
  out[k] = e + e - r;
}

const scratch = new Float64Array(1);

/** The scaled complementary error function exp(x²)·erfc(x). Finite for x ≥ −26.628; +Infinity below. */
export function erfcx(x: number): number {
  erfcxInto(x, scratch, 0);
  return scratch[0];
}

/** erf(x)/x for |x| ≤ 0.46875, exposed for leaf kernels (near-the-money normal cdf without an exp). */
export function erfSmallOverX(x: number): number {
  const y = x < 0 ? -x : x;
  return erfSmallRatio(y > X_SMALL ? y * y : 0);
}
