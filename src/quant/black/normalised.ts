/**
 * The normalised Black function of Jäckel ("Let's Be Rational", 2015; "Implied Normal/Black volatility", 2024):
 *
 *   b(x, s) = e^{x/2}·Φ(x/s + s/2) − e^{−x/2}·Φ(x/s − s/2),   x = ln(F/K), s = σ√T,
 *
 * the undiscounted call price divided by √(FK). Every Black/BSM price in Manifold goes through here. Only the
 * out-of-the-money branch x ≤ 0 is needed (a put or an in-the-money call reduces to it by parity and x → −x).
 *
 * Writing h = x/s, t = s/2 and Y(z) = Φ(z)/φ(z) (the reciprocal Mills ratio, √(π/2)·erfcx(−z/√2)):
 *
 *   b = e^{−(h²+t²)/2}/√(2π) · [Y(h+t) − Y(h−t)]
 *
 * because x = 2ht makes both exponential prefactors equal. The evaluation picks, per region, a form without
 * cancellation:
 *  - h + t < −10 (far out of the money, any s): asymptotic series of Y(h+t) − Y(h−t) in 1/(|h| ∓ t)², each term's
 *    difference formed as a product (sinh) so small t/|h| costs nothing;
 *  - t < 0.21 (small s): Taylor series of Y(h+t) − Y(h−t) in t (odd powers), derivatives of Y by recurrence;
 *  - h + t > 0.85: the plain Φ form above (the first term dominates; no cancellation);
 *  - otherwise the erfcx form (the difference of two erfcx loses at most ~1.5 digits there).
 * Pure arithmetic, no allocation.
 */
import { erf, erfc, erfcxInto, erfcxMid } from '../special/erf.js';
import { fastExp } from '../special/exp.js';
import { ONE_OVER_SQRT_TWO, ONE_OVER_SQRT_TWO_PI, SQRT_PI_OVER_TWO } from '../special/normal.js';

const ASYMPTOTIC_LIMIT = -10;
const SMALL_T = 0.21;
const PHI_FORM_LIMIT = 0.85;
/** INV_PAIR[k] = 1/((k+1)(k+2)): the factorial step of the small-t series without a division per term. */
const INV_PAIR = new Float64Array(42);
for (let k = 0; k < 42; k++) INV_PAIR[k] = 1 / ((k + 1) * (k + 2));

// b and ∂b/∂s of the last normalisedBlackOtmWithVega call. A Float64Array rather than return values or module-level
// `let`s: V8 boxes a double returned from a non-inlined call or held in a module binding (a heap allocation each
// time), which cost ~12 % of the batch kernel in GC.
const bv = new Float64Array(6); // b, vega, two scratch slots, and the arguments x, s of the *At variants

/**
 * In/out slots of `normalisedBlackAt` / `normalisedBlackGuessAt`: write x to [4] and s to [5], call, read b from [0]
 * and ∂b/∂s from [1]. The solver calls these in its hot loop without passing doubles (a call V8 does not inline
 * boxes each double argument: a heap allocation each).
 */
export const blackIo = bv;

/** b(x, s) of the last `normalisedBlackOtmWithVega` call. */
export function blackOfLast(): number {
  return bv[0];
}

/** ∂b/∂s at the (x, s) of the last `normalisedBlackOtmWithVega` call. */
export function vegaOfLastBlack(): number {
  return bv[1];
}

/** b(x, s) for x ≤ 0, s ≥ 0 (out-of-the-money call, normalised). */
export function normalisedBlackOtm(x: number, s: number): number {
  normalisedBlackOtmWithVega(x, s);
  return bv[0];
}

/**
 * b(x, s) for x ≤ 0, s ≥ 0, and ∂b/∂s, read back with blackOfLast() / vegaOfLastBlack(). In most regions both
 * share the factor e^{−(h²+t²)/2}, so the vega costs nothing extra; the solver needs both at every iterate.
 */
export function normalisedBlackOtmWithVega(x: number, s: number): void {
  bv[4] = x;
  bv[5] = s;
  normalisedBlackAt();
}

/** normalisedBlackOtmWithVega on x = blackIo[4], s = blackIo[5]. */
export function normalisedBlackAt(): void {
  const x = bv[4];
  const s = bv[5];
  if (!(s > 0)) {
    bv[0] = 0;
    bv[1] = 0;
    return;
  }
  if (x === 0) {
    bv[1] = ONE_OVER_SQRT_TWO_PI * fastExp(-0.125 * s * s);
    bv[0] = erf(s * 0.5 * ONE_OVER_SQRT_TWO);
    return;
  }
  if (s === Infinity) {
    bv[1] = 0;
    bv[0] = fastExp(0.5 * x);
    return;
  }
  const h = x / s;
  const t = 0.5 * s;
  const hpt = h + t;
  const ve = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (h * h + t * t));
  bv[1] = ve;
  if (hpt > PHI_FORM_LIMIT) {
    // (t > 0.85 here.) e^{x/2}Φ(h+t) − e^{−x/2}Φ(h−t) with Φ(z) = erfc(−z/√2)/2.
    const ex = fastExp(0.5 * x);
    bv[0] = 0.5 * (ex * erfc(-hpt * ONE_OVER_SQRT_TWO) - erfc(-(h - t) * ONE_OVER_SQRT_TWO) / ex);
  } else if (hpt < ASYMPTOTIC_LIMIT) {
    bv[0] = ve === 0 ? 0 : asymptoticDifference(h, t) * ve;
  } else if (t < SMALL_T) {
    // Small-t series (see smallTDifference), written out here: the solver's hot path, and a call returning a
    // double would box it.
    const yh = -h * ONE_OVER_SQRT_TWO; // ≥ 0
    if (yh > 0.46875 && yh <= 4) bv[2] = erfcxMid(yh); // the common case, inlinable
    else erfcxInto(yh, bv, 2);
    const y0 = SQRT_PI_OVER_TWO * bv[2];
    let yPrev = y0;
    let yCur = 1 + h * y0;
    const t2 = t * t;
    let pow = t;
    let sum = yCur * pow;
    for (let k = 1; k < 40; k += 2) {
      const yNext = h * yCur + k * yPrev;
      const yNext2 = h * yNext + (k + 1) * yCur;
      yPrev = yNext;
      yCur = yNext2;
      pow *= t2 * INV_PAIR[k];
      const term = yCur * pow;
      sum += term;
      if (Math.abs(term) <= 1.1e-17 * sum) break;
    }
    bv[0] = 2 * sum * ve;
  } else {
    // ½e^{−(h²+t²)/2}[erfcx(−(h+t)/√2) − erfcx(−(h−t)/√2)] = ve·√(π/2)·[...]
    erfcxInto(-hpt * ONE_OVER_SQRT_TWO, bv, 2);
    erfcxInto(-(h - t) * ONE_OVER_SQRT_TWO, bv, 3);
    bv[0] = ve * SQRT_PI_OVER_TWO * (bv[2] - bv[3]);
  }
}

/** Below this t the erfcx difference of `normalisedBlackOtmGuessWithVega` would lose more than ~1e−11. */
const GUESS_MIN_T = 1e-4;

/**
 * As normalisedBlackOtmWithVega, but for the solver's intermediate points (the nodes of the initial guess and the
 * first Householder iterate), where ~1e−11 relative accuracy is ample: the next, accurate iteration removes any
 * such error (Householder(3) converges quartically). In the small-t region it uses the erfcx difference instead of
 * the Taylor series, about 2.5× cheaper; its cancellation costs at most ε·(|h|+1.3)/t relative, ≤ 2e−11 for
 * t ≥ 1e−4, |h| ≤ 10. Everywhere else it is the accurate evaluation.
 */
export function normalisedBlackOtmGuessWithVega(x: number, s: number): void {
  bv[4] = x;
  bv[5] = s;
  normalisedBlackGuessAt();
}

/** normalisedBlackOtmGuessWithVega on x = blackIo[4], s = blackIo[5]. */
export function normalisedBlackGuessAt(): void {
  const x = bv[4];
  const s = bv[5];
  const t = 0.5 * s;
  if (t < SMALL_T && t >= GUESS_MIN_T && x < 0) {
    const h = x / s;
    const hpt = h + t;
    if (hpt >= ASYMPTOTIC_LIMIT) {
      const ve = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (h * h + t * t));
      bv[1] = ve;
      // The common arguments (0.46875, 4] take the inlinable erfcxMid (no call, no boxed double).
      const ya = -hpt * ONE_OVER_SQRT_TWO;
      const yb = -(h - t) * ONE_OVER_SQRT_TWO;
      if (ya > 0.46875 && ya <= 4) bv[2] = erfcxMid(ya);
      else erfcxInto(ya, bv, 2);
      if (yb > 0.46875 && yb <= 4) bv[3] = erfcxMid(yb);
      else erfcxInto(yb, bv, 3);
      bv[0] = ve * SQRT_PI_OVER_TWO * (bv[2] - bv[3]);
      return;
    }
  }
  normalisedBlackAt();
}

/**
 * b_max − b(x, s) = e^{x/2}Φ(−h−t) + e^{−x/2}Φ(h−t) for x ≤ 0: the distance to the upper bound, a sum of two
 * positive terms (no cancellation even when b is within an ulp of e^{x/2}). Used by the upper-branch objective.
 */
export function normalisedBlackOtmComplement(x: number, s: number): number {
  if (!(s > 0)) return fastExp(0.5 * x);
  if (s === Infinity) return 0;
  const h = x / s;
  const t = 0.5 * s;
  const ex = fastExp(0.5 * x);
  return 0.5 * (ex * erfc((h + t) * ONE_OVER_SQRT_TWO) + erfc(-(h - t) * ONE_OVER_SQRT_TWO) / ex);
}

/** ∂b/∂s = φ(h+t)·e^{x/2} = e^{−(h²+t²)/2}/√(2π) (the same for calls and puts, and for any sign of x). */
export function normalisedVega(x: number, s: number): number {
  const h = x / s;
  const t = 0.5 * s;
  return ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (h * h + t * t));
}

/**
 * Y(h+t) − Y(h−t) = Σ_m (−1)^m (2m−1)!! [a^{−(2m+1)} − b^{−(2m+1)}], a = |h| − t, b = |h| + t (from
 * Y(z) = ∫₀^∞ e^{zu − u²/2} du and term-wise integration of e^{−u²/2}); valid as an asymptotic series for a ≥ 10,
 * where its smallest term is below 1e−20 relative. a^{−n} − b^{−n} = |h|^{−n}(1−τ²)^{−n/2}·2 sinh(n·atanh τ),
 * τ = t/|h|, has no cancellation.
 */
function asymptoticDifference(h: number, t: number): number {
  const ah = -h;
  const tau = t / ah;
  const at = Math.atanh(tau);
  const l1mt2 = Math.log1p(-tau * tau);
  const invH2 = 1 / (ah * ah);
  let sum = 0;
  let coef = 1; // (−1)^m (2m−1)!! / |h|^{2m} (the remaining 1/|h| is applied at the end)
  for (let m = 0; m < 60; m++) {
    const n = 2 * m + 1;
    const diff = 2 * fastExp(-0.5 * n * l1mt2) * Math.sinh(n * at);
    const term = coef * diff;
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    coef *= -(2 * m + 1) * invH2;
  }
  return sum / ah;
}

/*
 * Small-t region (written out in normalisedBlackOtmWithVega): Y(h+t) − Y(h−t) = 2 Σ_{k odd} Y^{(k)}(h) t^k / k!,
 * with Y′ = 1 + hY and Y^{(n+1)} = h·Y^{(n)} + n·Y^{(n−1)}. For t < 0.21 the terms fall at least as fast as
 * (t/√k)^k; the recurrence's error growth (|h|^k) is outweighed by t^k/k! for |h| ≤ 10.
 */
