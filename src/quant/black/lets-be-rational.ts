/**
 * Implied normalised volatility s = σ√T from a normalised out-of-the-money Black price, after P. Jäckel,
 * "Let's Be Rational" (Wilmott 2015) and its 2024 revision. Written from the paper's description:
 *
 *  1. The curve β = b(x, s) for fixed x < 0 has one inflection point s_c = √(2|x|). Tangents there give two more
 *     nodes, s_l (lower) and s_u (upper), which split the β axis in four branches.
 *  2. Initial guess per branch by a rational cubic (Delbourgo-Gregory) interpolation that matches value, slope and,
 *     at one end, the second derivative:
 *       - lowest branch β < b_l: in the transformed variable f = (2π/√27)|x|·Φ(−|x|/(√3 s))³, which behaves like β
 *         as s → 0 and inverts in closed form;
 *       - the two middle branches: s directly as a function of β (slopes 1/b′);
 *       - highest branch β > b_u: in f = Φ(−s/2), which tends to (b_max − β)/2 as s → ∞ and inverts as
 *         s = −2Φ⁻¹(f).
 *  3. Householder iterations of order 3 on an objective per branch that is nearly linear in s:
 *     1/ln b(s) − 1/ln β (lowest), b(s) − β (middle), ln((b_max − β)/(b_max − b(s))) (highest), every iterate on the
 *     accurate b, stopping after the first step no larger than CONVERGED_STEP·s (its error is then O(step⁴)); a
 *     bracket with bisection keeps every step safe.
 *  4. Cost: the x-only nodes (b_c, b_l, b′_l and the lowest branch's map at s_l) come from a table in √−x (lowerTable
 *     below) for |x| in [2.4e−4, 8.9]; b at s_u uses a cheaper evaluation (normalisedBlackGuessAt, ~1e−11), b at s_c
 *     a closed form. For |x| in [2.4e−4, 1.6] the two lower branches take s itself from two-dimensional tables
 *     (lowestTable: the lowest branch over (√−x, ln b_l/ln β), the lower middle one over (√−x, (β − b_l)/(b_c − b_l))),
 *     filled at load by solving at the nodes: that guess is ~1e−8 (median), ≲1e−5 (99 %) off instead of the rational
 *     cubic's 5e−4 to 4e−2, so one Householder step converges for most inputs (two or more otherwise, as before).
 * Pure arithmetic on numbers: no allocation, no closures, safe to call in tight loops.
 */
import { invNormCdf, normCdf, ONE_OVER_SQRT_TWO, ONE_OVER_SQRT_TWO_PI } from '../special/normal.js';
import { erfcxInto, erfcxMid, erfSmallOverX } from '../special/erf.js';
import { fastExp } from '../special/exp.js';
import { blackIo, normalisedBlackAt, normalisedBlackGuessAt, normalisedBlackOtmComplement, normalisedVega } from './normalised.js';

const DBL_MAX = Number.MAX_VALUE;
const SQRT_DBL_MAX = Math.sqrt(DBL_MAX);
const DBL_EPS = 2.220446049250313e-16;
const SQRT_DBL_EPS = Math.sqrt(DBL_EPS);
const TWO_PI = 2 * Math.PI;
const SQRT_THREE = Math.sqrt(3);
const TWO_PI_OVER_SQRT_27 = TWO_PI / Math.sqrt(27);
const MIN_RATIONAL_CUBIC_R = -(1 - SQRT_DBL_EPS);
const MAX_ITERATIONS = 8;
/** After a Householder(3) step of relative size δ, the remaining error is O(δ⁴): 1e−5 means converged. */
const CONVERGED_STEP = 1e-5;

// ---------------------------------------------------------------------------------------------------------------
// Rational cubic interpolation (Delbourgo & Gregory 1985): on [xl, xr] with values yl, yr and slopes dl, dr, the
// control parameter r ≥ 0 tunes curvature (r = 3 is the cubic Hermite, r → ∞ the straight line).

/** Arguments of rationalCubic (x, xl, xr, yl, yr, dl, dr, r): not inlined in the solver, so no boxed doubles. */
const rc = new Float64Array(8);

function rationalCubic(): number {
  const x = rc[0];
  const xl = rc[1];
  const xr = rc[2];
  const yl = rc[3];
  const yr = rc[4];
  const dl = rc[5];
  const dr = rc[6];
  const r = rc[7];
  const h = xr - xl;
  if (Math.abs(h) <= 0) return 0.5 * (yl + yr);
  const t = (x - xl) / h;
  if (r < SQRT_DBL_MAX) {
    const omt = 1 - t;
    const t2 = t * t;
    const omt2 = omt * omt;
    return (
      (yr * t2 * t + (r * yr - h * dr) * t2 * omt + (r * yl + h * dl) * t * omt2 + yl * omt2 * omt) /
      (1 + (r - 3) * t * omt)
    );
  }
  return yr * t + yl * (1 - t);
}

/** The smallest r that keeps the interpolant monotone (and convex/concave when the data are). */
function minimumRationalCubicR(dl: number, dr: number, slope: number, preferShape: boolean): number {
  const monotonic = dl * slope >= 0 && dr * slope >= 0;
  const convex = dl <= slope && slope <= dr;
  const concave = dl >= slope && slope >= dr;
  if (!monotonic && !convex && !concave) return MIN_RATIONAL_CUBIC_R;
  const drmdl = dr - dl;
  const drms = dr - slope;
  const smdl = slope - dl;
  let r1 = -DBL_MAX;
  let r2 = -DBL_MAX;
  if (monotonic) {
    if (slope !== 0) r1 = (dr + dl) / slope;
    else if (preferShape) r1 = DBL_MAX;
  }
  if (convex || concave) {
    if (smdl !== 0 && drms !== 0) r2 = Math.max(Math.abs(drmdl / drms), Math.abs(drmdl / smdl));
    else if (preferShape) r2 = DBL_MAX;
  } else if (monotonic && preferShape) r2 = DBL_MAX;
  return Math.max(MIN_RATIONAL_CUBIC_R, r1, r2);
}

/** r such that the interpolant's second derivative at the left end is `d2l`, raised to keep the shape. */
function rFitLeft(xl: number, xr: number, yl: number, yr: number, dl: number, dr: number, d2l: number, preferShape: boolean): number {
  const h = xr - xl;
  const num = 0.5 * h * d2l + (dr - dl);
  const den = (yr - yl) / h - dl;
  let r: number;
  if (num === 0) r = 0;
  else if (den === 0) r = num > 0 ? DBL_MAX : MIN_RATIONAL_CUBIC_R;
  else r = num / den;
  return Math.max(r, minimumRationalCubicR(dl, dr, (yr - yl) / h, preferShape));
}

/** r such that the interpolant's second derivative at the right end is `d2r`, raised to keep the shape. */
function rFitRight(xl: number, xr: number, yl: number, yr: number, dl: number, dr: number, d2r: number, preferShape: boolean): number {
  const h = xr - xl;
  const num = 0.5 * h * d2r + (dr - dl);
  const den = dr - (yr - yl) / h;
  let r: number;
  if (num === 0) r = 0;
  else if (den === 0) r = num > 0 ? DBL_MAX : MIN_RATIONAL_CUBIC_R;
  else r = num / den;
  return Math.max(r, minimumRationalCubicR(dl, dr, (yr - yl) / h, preferShape));
}

// ---------------------------------------------------------------------------------------------------------------
// Branch transformations. Results of the "map and derivatives" helpers go to module scratch variables (no
// allocation); they are consumed immediately by the caller.
// (A Float64Array, not `let`s: V8 boxes doubles held in module-level bindings, one allocation per write.)
const map = new Float64Array(7); // f, df/dβ, d²f/dβ², scratch; lowerMap's arguments x, s, b′ in 4..6

/** f_l(s) = (2π/√27)|x|Φ(z)³, z = −|x|/(√3 s), and its first two derivatives with respect to β = b(x, s). */
function lowerMap(): void {
  const x = map[4];
  const s = map[5];
  const bp = map[6];
  const ax = Math.abs(x);
  const z = (-ax / SQRT_THREE) / s;
  // One exponential for both φ(z) and Φ(z) = ½·erfcx(−z/√2)·e^{−z²/2} (z < 0). This only shapes the initial guess,
  // so the ~z²ε rounding of the unsplit exponent is irrelevant. bp = b′(x, s) is passed in (already known).
  const ez = fastExp(-0.5 * z * z);
  const phiZ = ONE_OVER_SQRT_TWO_PI * ez;
  const yz = -z * ONE_OVER_SQRT_TWO;
  if (yz > 0.46875 && yz <= 4) map[3] = erfcxMid(yz);
  else erfcxInto(yz, map, 3);
  const cdfZ = 0.5 * map[3] * ez;
  map[0] = TWO_PI_OVER_SQRT_27 * ax * cdfZ * cdfZ * cdfZ;
  if (!(bp > 0) || !(cdfZ > 0)) {
    map[1] = 1;
    map[2] = 0;
    return;
  }
  const fs = ((TWO_PI / 3) * x * x) / (s * s) * cdfZ * cdfZ * phiZ; // df/ds
  const fss = ((TWO_PI / 3) * x * x) / (s * s * s) * cdfZ * phiZ * (-2 * cdfZ - 2 * z * phiZ + z * z * cdfZ);
  const bpp = x * x / (s * s * s) - 0.25 * s; // b''/b'
  map[1] = fs / bp;
  map[2] = (fss - fs * bpp) / (bp * bp);
}

function inverseLowerMap(x: number, f: number): number {
  const ax = Math.abs(x);
  const u = Math.cbrt(f / (TWO_PI_OVER_SQRT_27 * ax));
  return Math.abs(ax / (SQRT_THREE * invNormCdf(u)));
}

// ---------------------------------------------------------------------------------------------------------------
// The x-only part of the guess, tabulated. b_c = b(x, s_c), b_l = b(x, s_l), b′(x, s_l) and the lowest branch's
// map and derivatives at s_l (f_l, df/dβ, d²f/dβ²) depend on x alone and cost two exponentials, four erfcx and a
// dozen divisions per option. They are tabulated at module load, at y_k = Y0 + k·H (y = √−x), as the smooth
// values 1 − erfcx(y) (= 2b_c/e^{x/2}), b_l/b_c, b′_l/b′_c, f_l/b_l, df/dβ and b_l·d²f/dβ² (computed by the same code
// as before), and interpolated by 4-point Lagrange (relative error ≲1e−7): they only shape the
// initial guess, whose own error is ~1e−3, and the iteration converges as before. What must be exact stays exact:
// s_c = √(−2x) and, when β is within 1e−5 of the interpolated b_c, b_c itself, so the half (β below or above b_c,
// which brackets the root by s_c) is always decided right. The upper half evaluates b at its s_u exactly, so its
// branch split and brackets stay consistent. Because an interpolated b_l may sit a hair on the other side of β than
// the exact one, the tabulated path brackets both lower branches with [0, s_c] instead of [0, s_l] or [s_l, s_c].
// Outside [Y0, Y1] (|x| < 2.4e−4 or > 8.9) everything is computed per option as before. The WebAssembly kernel
// builds the same table with the same operations and interpolates it the same way (same bits).
const TAB_H = 1 / 128;
const TAB_INV_H = 128;
const TAB_Y0 = 1 / 64;
const TAB_N = 381;
const TAB_Y1 = TAB_Y0 + (TAB_N - 1) * TAB_H;
/** β within this relative distance of the interpolated b_c (interpolation error ≤ 8.5e−8): the exact b_c decides the half. */
const TAB_MARGIN = 1e-5;
const TAB_W = 6; // values per node
const lowerTable = new Float64Array(TAB_W * TAB_N);

/**
 * 1 − erfcx(y), y = √−x: b(x, s_c) = ½e^{x/2}·(1 − erfcx(√−x)). Below y = 0.46875 as e^{y²}·erf(y) − expm1(y²),
 * whose terms cancel by at most 1.7×.
 */
function oneMinusErfcx(x: number, y: number): number {
  if (y <= 0.46875) return fastExp(-x) * y * erfSmallOverX(y) - Math.expm1(-x);
  if (y <= 4) return 1 - erfcxMid(y);
  erfcxInto(y, map, 3);
  return 1 - map[3];
}

/** The exact lower-half nodes at x < 0, as the six ratios, into dst[o…o+5]. */
function lowerNodes(x: number, dst: Float64Array, o: number): void {
  const bMax = fastExp(0.5 * x);
  const sc = Math.sqrt(-2 * x);
  const y = Math.sqrt(-x);
  const omc = oneMinusErfcx(x, y);
  const bc = 0.5 * bMax * omc;
  const vc = bMax * ONE_OVER_SQRT_TWO_PI;
  const sl = sc - bc / vc;
  blackIo[4] = x;
  blackIo[5] = sl;
  normalisedBlackAt();
  const bl = blackIo[0];
  const vl = blackIo[1];
  map[4] = x;
  map[5] = sl;
  map[6] = vl;
  lowerMap();
  dst[o] = omc;
  dst[o + 1] = bl / bc;
  dst[o + 2] = vl / vc;
  dst[o + 3] = map[0] / bl;
  dst[o + 4] = map[1];
  dst[o + 5] = map[2] * bl;
}
/** ln b_l at the same nodes (the lowest branch's table coordinate w = ln b_l / ln β), interpolated into tabOut[6]. */
const lnBlTable = new Float64Array(TAB_N);
for (let k = 0; k < TAB_N; k++) {
  const yk = TAB_Y0 + k * TAB_H;
  const xk = -(yk * yk);
  lowerNodes(xk, lowerTable, TAB_W * k);
  lnBlTable[k] = Math.log(lowerTable[TAB_W * k + 1] * (0.5 * fastExp(0.5 * xk) * lowerTable[TAB_W * k]));
}

// The lowest branch's s itself, tabulated in two dimensions (y = √−x, w = ln b_l / ln β ∈ (0, 1)) as the smooth
// q = s·√(−2 ln β)/|x|, filled at module load by solving at the nodes with the rational guess, and interpolated by
// 4×4-point Lagrange: the guess is then ~1e−8 (median) to ~1.5e−4 (worst measured) off instead of ~4e−2, so
// that one accurate Householder(3) step usually converges (a step still larger than CONVERGED_STEP takes another).
const T2_H = 1 / 128;
const T2_INV_H = 128;
const T2_NY = 161;
const T2_Y1 = TAB_Y0 + (T2_NY - 1) * T2_H;
const T2_HW = 1 / 64;
const T2_INV_HW = 64;
const T2_NW = 64;
const T2_W0 = 1 / 64;
/**
 * From this y on, ln b_l is interpolated from the lower table (lnBlTable, ≤ 1.3e−7 off); below, where ln b_l
 * behaves like a multiple of ln y and does not interpolate, it is computed.
 */
const T2_YLN = 0.3;
/** The lower middle branch's s/s_c over (y, t = (β − b_l)/(b_c − b_l) ∈ [0, 1]), nodes t_j = j/63, after it. */
const T2_INV_HT = 63;
const T2_MID = T2_NY * T2_NW;
const lowestTable = new Float64Array(2 * T2_NY * T2_NW);
let lowestReady = false;

/** q(y, w) by 4×4-point Lagrange, for y ∈ [TAB_Y0, T2_Y1], w ∈ [T2_W0, 1]. */
function lowestTableAt(y: number, w: number): number {
  return table2At(0, (y - TAB_Y0) * T2_INV_H, (w - T2_W0) * T2_INV_HW);
}

/** s/s_c on the lower middle branch, for y ∈ [TAB_Y0, T2_Y1], t ∈ [0, 1]. */
function midTableAt(y: number, t: number): number {
  return table2At(T2_MID, (y - TAB_Y0) * T2_INV_H, t * T2_INV_HT);
}

/** 4×4-point Lagrange in the table at `base`, at node coordinates (u, v). */
function table2At(base: number, u: number, v: number): number {
  let k = Math.floor(u) - 1;
  if (k < 0) k = 0;
  else if (k > T2_NY - 4) k = T2_NY - 4;
  const t = u - (k + 1);
  const tp = t + 1;
  const tm = t - 1;
  const tm2 = t - 2;
  const a0 = (-t * tm * tm2) / 6;
  const a1 = (tp * tm * tm2) / 2;
  const a2 = (-tp * t * tm2) / 2;
  const a3 = (tp * t * tm) / 6;
  let j = Math.floor(v) - 1;
  if (j < 0) j = 0;
  else if (j > T2_NW - 4) j = T2_NW - 4;
  const r = v - (j + 1);
  const rp = r + 1;
  const rm = r - 1;
  const rm2 = r - 2;
  const c0 = (-r * rm * rm2) / 6;
  const c1 = (rp * rm * rm2) / 2;
  const c2 = (-rp * r * rm2) / 2;
  const c3 = (rp * r * rm) / 6;
  let o = base + k * T2_NW + j;
  let acc = 0;
  for (let m = 0; m < 4; m++) {
    const a = m === 0 ? a0 : m === 1 ? a1 : m === 2 ? a2 : a3;
    acc += a * (c0 * lowestTable[o] + c1 * lowestTable[o + 1] + c2 * lowestTable[o + 2] + c3 * lowestTable[o + 3]);
    o += T2_NW;
  }
  return acc;
}

/** Interpolated values at y ∈ [TAB_Y0, TAB_Y1] into tabOut[0…5]. */
const tabOut = new Float64Array(TAB_W + 1);
function lowerTableAt(y: number): void {
  const u = (y - TAB_Y0) * TAB_INV_H;
  let k = Math.floor(u) - 1;
  if (k < 0) k = 0;
  else if (k > TAB_N - 4) k = TAB_N - 4;
  const t = u - (k + 1);
  const tp = t + 1;
  const tm = t - 1;
  const tm2 = t - 2;
  const w0 = (-t * tm * tm2) / 6;
  const w1 = (tp * tm * tm2) / 2;
  const w2 = (-tp * t * tm2) / 2;
  const w3 = (tp * t * tm) / 6;
  const o = TAB_W * k;
  for (let j = 0; j < TAB_W; j++) {
    tabOut[j] = w0 * lowerTable[o + j] + w1 * lowerTable[o + TAB_W + j] + w2 * lowerTable[o + 2 * TAB_W + j] + w3 * lowerTable[o + 3 * TAB_W + j];
  }
  tabOut[TAB_W] = w0 * lnBlTable[k] + w1 * lnBlTable[k + 1] + w2 * lnBlTable[k + 2] + w3 * lnBlTable[k + 3];
}

/**
 * Diagnostics (tests): the six tabulated values 1 − erfcx(y), b_l/b_c, b′_l/b′_c, f_l/b_l, df/dβ, b_l·d²f/dβ² at
 * x = −y², interpolated from the table (false outside its range) or computed exactly.
 */
export function lowerGuessRatios(y: number, out: Float64Array, exact: boolean): boolean {
  if (exact) {
    lowerNodes(-(y * y), out, 0);
    return true;
  }
  if (!(y >= TAB_Y0 && y <= TAB_Y1)) return false;
  lowerTableAt(y);
  out.set(tabOut.subarray(0, TAB_W));
  return true;
}

/**
 * Diagnostics (tests): the lowest branch's tabulated guess of s for (β, x) as the solver forms it, or NaN where the
 * solver does not use the table (outside its y or w range, or β not below the interpolated b_l).
 */
export function lowestTableGuess(beta: number, x: number): number {
  const y = Math.sqrt(-x);
  if (!(y >= TAB_Y0 && y <= T2_Y1) || !lowestReady) return NaN;
  lowerTableAt(y);
  const bc = 0.5 * fastExp(0.5 * x) * tabOut[0];
  const bl = tabOut[1] * bc;
  if (!(beta < bl && beta > 0)) return NaN;
  const lnB = Math.log(beta);
  const w = (y >= T2_YLN ? tabOut[TAB_W] : Math.log(bl)) / lnB;
  if (!(w >= T2_W0 && w <= 1)) return NaN;
  return (lowestTableAt(y, w) * -x) / Math.sqrt(-2 * lnB);
}

/** f_u(s) = Φ(−s/2) and its first two derivatives with respect to β. */
function upperMap(x: number, s: number): void {
  map[0] = normCdf(-0.5 * s);
  const w = (x * x) / (s * s);
  map[1] = -0.5 * fastExp(0.5 * w);
  // ½·(x²/s³)·√(2π)·e^{x²/s² + s²/8}
  map[2] = 0.5 * (x * x) / (s * s * s) * 2.5066282746310002 * fastExp(w + 0.125 * s * s);
}

// ---------------------------------------------------------------------------------------------------------------

/** Objectives of the Householder iteration. */
const OBJ_DIRECT = 0;
const OBJ_LOWER = 1;
const OBJ_UPPER = 2;

// Module-private (not exported: exported `let` bindings are slow to write in hot loops); read via the getters.
let iterationsOfLastCall = 0; // small integer: stored unboxed
const vegaOfLastCall = new Float64Array(1);
/** Householder iterations used by the last call (diagnostics and tests). */
export function lastIterations(): number {
  return iterationsOfLastCall;
}
/** b′(x, s) at the last iterate of the last call (for the caller's conditioning estimate; no extra exp). */
export function lastNormalisedVega(): number {
  return vegaOfLastCall[0];
}

/**
 * s = σ√T such that b(x, s) = beta, for x ≤ 0 and 0 < beta < e^{x/2} (the caller checks the bounds).
 * Returns NaN only if the inputs violate that contract.
 */
export function impliedNormalisedVolOtm(beta: number, x: number): number {
  const bMax = fastExp(0.5 * x);
  if (!(beta > 0) || !(beta < bMax) || !(x <= 0)) return NaN;
  if (x === 0) return atTheMoney(beta);

  const sc = Math.sqrt(-2 * x);
  // At the inflection point h = −t, so b(x, s_c) = ½e^{x/2} − e^{−x/2}Φ(−√(−2x)) = ½e^{x/2}·(1 − erfcx(√−x)) and
  // b′(x, s_c) = e^{x/2}/√(2π): one rational and the e^{x/2} already at hand, instead of a general evaluation.
  // Below y = 0.46875, 1 − erfcx(y) = e^{y²}·erf(y) − expm1(y²) (y² = −x), whose terms cancel by at most 1.7×.
  const y = Math.sqrt(-x);
  const tab = y >= TAB_Y0 && y <= TAB_Y1;
  let bc: number;
  if (tab) {
    lowerTableAt(y);
    bc = 0.5 * bMax * tabOut[0];
    // The half (β below or above b_c) brackets the root: decide it on the exact b_c when β is that close.
    if (!(Math.abs(beta - bc) > TAB_MARGIN * bc)) bc = 0.5 * bMax * oneMinusErfcx(x, y);
  } else bc = 0.5 * bMax * oneMinusErfcx(x, y);
  const vc = bMax * ONE_OVER_SQRT_TWO_PI;
  let s: number;
  let lo = 0;
  let hi = Infinity;
  let objective: number;

  if (beta < bc) {
    const sl = sc - bc / vc;
    let bl: number;
    let vl: number;
    if (tab) {
      bl = tabOut[1] * bc;
      vl = tabOut[2] * vc;
    } else {
      blackIo[4] = x;
      blackIo[5] = sl;
      normalisedBlackGuessAt();
      bl = blackIo[0];
      vl = blackIo[1];
    }
    hi = sc;
    if (sl > 0 && beta >= bl) {
      if (tab && lowestReady && y <= T2_Y1) {
        s = midTableAt(y, (beta - bl) / (bc - bl)) * sc;
      } else {
        const r = rFitRight(bl, bc, sl, sc, 1 / vl, 1 / vc, 0, false);
        rc[0] = beta;
        rc[1] = bl;
        rc[2] = bc;
        rc[3] = sl;
        rc[4] = sc;
        rc[5] = 1 / vl;
        rc[6] = 1 / vc;
        rc[7] = r;
        s = rationalCubic();
      }
      lo = tab ? 0 : sl;
      objective = OBJ_DIRECT;
    } else {
      objective = OBJ_LOWER;
      if (sl > 0 && bl > 0) {
        let w = 0;
        let lnB = 0;
        if (tab && lowestReady && y <= T2_Y1) {
          lnB = Math.log(beta);
          w = (y >= T2_YLN ? tabOut[TAB_W] : Math.log(bl)) / lnB;
        }
        if (w >= T2_W0 && w <= 1) {
          s = (lowestTableAt(y, w) * -x) / Math.sqrt(-2 * lnB);
          hi = sc;
        } else {
        let fl: number;
        let d1: number;
        let d2: number;
        if (tab) {
          fl = tabOut[3] * bl;
          d1 = tabOut[4];
          d2 = tabOut[5] / bl;
        } else {
          map[4] = x;
          map[5] = sl;
          map[6] = vl;
          lowerMap();
          fl = map[0];
          d1 = map[1];
          d2 = map[2];
        }
        let f = -1;
        if (d2 > -SQRT_DBL_MAX && d2 < SQRT_DBL_MAX) {
          const r = rFitRight(0, bl, 0, fl, 1, d1, d2, true);
          rc[0] = beta;
          rc[1] = 0;
          rc[2] = bl;
          rc[3] = 0;
          rc[4] = fl;
          rc[5] = 1;
          rc[6] = d1;
          rc[7] = r;
          f = rationalCubic();
        }
        if (!(f > 0)) {
          const tt = beta / bl;
          f = (fl * tt + bl * (1 - tt)) * tt;
        }
        s = inverseLowerMap(x, f);
        hi = tab ? sc : sl;
        }
      } else {
        s = inverseLowerMap(x, beta);
      }
    }
  } else {
    const su = vc > Number.MIN_VALUE ? sc + (bMax - bc) / vc : sc;
    blackIo[4] = x;
    blackIo[5] = su;
    normalisedBlackGuessAt();
    const bu = blackIo[0];
    const vu = blackIo[1];
    lo = sc;
    if (beta <= bu) {
      const r = rFitLeft(bc, bu, sc, su, 1 / vc, 1 / vu, 0, false);
      rc[0] = beta;
      rc[1] = bc;
      rc[2] = bu;
      rc[3] = sc;
      rc[4] = su;
      rc[5] = 1 / vc;
      rc[6] = 1 / vu;
      rc[7] = r;
      s = rationalCubic();
      hi = su;
      objective = OBJ_DIRECT;
    } else {
      upperMap(x, su);
      const fu = map[0];
      const d1 = map[1];
      const d2 = map[2];
      let f = -1;
      if (d2 > -SQRT_DBL_MAX && d2 < SQRT_DBL_MAX) {
        const r = rFitLeft(bu, bMax, fu, 0, d1, -0.5, d2, true);
        rc[0] = beta;
        rc[1] = bu;
        rc[2] = bMax;
        rc[3] = fu;
        rc[4] = 0;
        rc[5] = d1;
        rc[6] = -0.5;
        rc[7] = r;
        f = rationalCubic();
      }
      if (!(f > 0)) {
        const hh = bMax - bu;
        const tt = (beta - bu) / hh;
        f = (fu * (1 - tt) + 0.5 * hh * tt) * (1 - tt);
      }
      s = -2 * invNormCdf(f);
      lo = su;
      objective = OBJ_UPPER;
    }
  }
  if (!(s >= lo && s <= hi)) s = hi === Infinity ? 2 * lo + 1 : 0.5 * (lo + hi);
  hh[0] = beta;
  hh[1] = x;
  hh[2] = s;
  hh[3] = lo;
  hh[4] = hi;
  hh[5] = bMax;
  return householder(objective);
}

/** x = 0: b(0, s) = erf(s/(2√2)); guess from the closed form, then polish (the closed form loses digits). */
function atTheMoney(beta: number): number {
  let s: number;
  let objective: number;
  if (beta < 0.5) {
    s = beta < 1e-6 ? 2.5066282746310002 * beta : -2 * invNormCdf(0.5 - 0.5 * beta);
    objective = OBJ_DIRECT;
  } else {
    s = -2 * invNormCdf(0.5 * (1 - beta));
    objective = OBJ_UPPER;
  }
  if (!(s > 0) || s === Infinity) return s;
  hh[0] = beta;
  hh[1] = 0;
  hh[2] = s;
  hh[3] = 0;
  hh[4] = Infinity;
  hh[5] = 1;
  return householder(objective);
}

/**
 * Arguments of `householder` (β, x, s0, lo, hi, b_max): a typed array, because a call V8 does not inline boxes
 * every double argument (a heap allocation each).
 */
const hh = new Float64Array(6);

function householder(objective: number): number {
  const beta = hh[0];
  const x = hh[1];
  const bMax = hh[5];
  let s = hh[2];
  let lo = hh[3];
  let hi = hh[4];
  const lnBeta = objective === OBJ_LOWER ? Math.log(beta) : 0;
  const iLnBeta = 1 / lnBeta;
  const lnUpperGap = objective === OBJ_UPPER ? Math.log(bMax - beta) : 0;
  const x2 = x * x;
  let it = 0;
  for (; it < MAX_ITERATIONS; it++) {
    // Divisions are few on purpose (each ~15 cycles of latency): reciprocals once, then products.
    const is = 1 / s;
    const is2 = is * is;
    const h2b = x2 * is2 * is - 0.25 * s; // b''/b'
    const h3b = h2b * h2b - 3 * x2 * is2 * is2 - 0.25; // b'''/b'
    let bp: number; // b'(s)
    let nu: number; // Newton step −g/g'
    let h2: number; // g''/g'
    let h3: number; // g'''/g'
    // Every iterate on the accurate b (the tabulated guesses usually converge in one step, which must be exact).
    const accurate = true;
    if (objective === OBJ_DIRECT) {
      blackIo[4] = x;
      blackIo[5] = s;
      if (accurate) normalisedBlackAt();
      else normalisedBlackGuessAt();
      const b = blackIo[0];
      bp = blackIo[1];
      if (b > beta) hi = s;
      else if (b < beta) lo = s;
      nu = (beta - b) / bp;
      h2 = h2b;
      h3 = h3b;
    } else if (objective === OBJ_LOWER) {
      blackIo[4] = x;
      blackIo[5] = s;
      if (accurate) normalisedBlackAt();
      else normalisedBlackGuessAt();
      const b = blackIo[0];
      bp = blackIo[1];
      if (b > beta) hi = s;
      else if (b < beta) lo = s;
      if (!(b > 0)) {
        // Underflow below the root: move up (bisect towards the bracket).
        s = hi === Infinity ? 2 * s : 0.5 * (s + hi);
        continue;
      }
      // g = 1/ln b − 1/ln β = −ln(b/β)/(ln b·ln β). ln(b/β) is formed from the ratio (near 1 at the root, so its
      // logarithm is exact to ε absolute) rather than as a difference of two large logarithms.
      // One logarithm per iterate: ln b = ln β + ln(b/β).
      const lr = Math.log(b / beta);
      const L = lnBeta + lr;
      const iL = 1 / L;
      const r1 = bp / b; // L'
      const ir1 = b / bp;
      const L2 = r1 * h2b - r1 * r1; // L''
      // g' = −L'/L², so −g/g' = −ln(b/β)·L/(L'·ln β); g''/g' and g'''/g' from L'' = L'·(b''/b' − L') and L'''.
      nu = -lr * L * ir1 * iLnBeta;
      h2 = h2b - r1 - 2 * r1 * iL;
      h3 = h3b - 3 * r1 * h2b + 2 * r1 * r1 - 6 * L2 * iL + 6 * r1 * r1 * iL * iL;
    } else {
      const c = normalisedBlackOtmComplement(x, s); // b_max − b(s)
      bp = normalisedVega(x, s);
      const gap = bMax - beta;
      if (c < gap) hi = s;
      else if (c > gap) lo = s;
      if (!(c > 0)) {
        s = 0.5 * (lo + s);
        continue;
      }
      const q = bp / c;
      const g = lnUpperGap - Math.log(c);
      nu = -g / q;
      h2 = h2b + q;
      h3 = h3b + 3 * h2b * q + 2 * q * q;
    }
    vegaOfLastCall[0] = bp;
    let ds = nu;
    const hn = h2 * nu;
    if (Number.isFinite(hn)) {
      const den = 1 + nu * (h2 + (h3 * nu) / 6);
      const fac = (1 + 0.5 * hn) / den;
      if (fac > 0 && Number.isFinite(fac)) ds = nu * fac;
    }
    ds = Math.max(-0.5 * s, ds);
    if (Math.abs(ds) <= CONVERGED_STEP * s) {
      // Converged (the next error is O(ds⁴)); skip the bracket test, which a rounding-level step could fail. A step
      // from the ~1e−11 first evaluation is not final: one more, exact, iteration follows.
      s += ds;
      if (accurate || objective === OBJ_UPPER) {
        it++;
        break;
      }
      continue;
    }
    let sn = s + ds;
    if (!(sn >= lo && sn <= hi)) sn = hi === Infinity ? Math.max(2 * s, lo * 2) : 0.5 * (lo + hi);
    s = sn;
  }
  iterationsOfLastCall = it;
  return s;
}

// Fill the two tables (after everything above is defined): solve at each node with the rational guess.
for (let k = 0; k < T2_NY; k++) {
  const yk = TAB_Y0 + k * T2_H;
  const xk = -(yk * yk);
  lowerNodes(xk, tabOut, 0);
  const bcN = 0.5 * fastExp(0.5 * xk) * tabOut[0];
  const blN = tabOut[1] * bcN;
  const lnBl = Math.log(blN);
  const scN = Math.sqrt(-2 * xk);
  for (let j = 0; j < T2_NW; j++) {
    const wj = T2_W0 + j * T2_HW;
    const lnB = lnBl / wj;
    const sk = impliedNormalisedVolOtm(Math.exp(lnB), xk);
    lowestTable[k * T2_NW + j] = (sk * Math.sqrt(-2 * lnB)) / -xk;
    const tj = j / T2_INV_HT;
    lowestTable[T2_MID + k * T2_NW + j] = impliedNormalisedVolOtm(blN + tj * (bcN - blN), xk) / scN;
  }
}
lowestReady = true;
