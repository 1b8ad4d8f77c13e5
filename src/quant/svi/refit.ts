/**
 * Live refits of one raw SVI slice: a local Levenberg-Marquardt polish from the previous fit, for quotes that moved
 * a little since that fit (the live pipeline refits every few tens of milliseconds).
 *
 * The full calibration (calibrate.ts) searches globally (coarse scan, Nelder-Mead over (m, σ), LM, repair), a few
 * milliseconds per slice whatever the start. When the quotes barely moved, the previous optimum is in the right basin
 * and a few Gauss-Newton steps in all five parameters find the new one:
 *
 * 1. Start (`liveStart`): the previous parameters with a and b scaled by T_new / T_old (the same vol smile when only
 *    time passed), a re-fitted alone (the level: a parallel vol move is the commonest live change); with a calendar
 *    floor, its wing slopes raised to the floor's and a lifted by the largest shortfall at the floor points.
 * 2. LM on (a, ln b, atanh ρ, m, ln σ) for the vol residuals √ωᵢ (σ_model − σ_mid) (ω as in the full fit), with
 *    penalty rows: g(k) ≥ δ at points over the check range, near the quotes, sinh-spaced around the vertex and in fine
 *    patches around the start's h-roots and low minima of g (only points where the start's g < 0.05), min w > 0,
 *    Lee's bound b(1 ± ρ) ≤ 1.98; with a floor, w(k) ≥ (1 + δ_c) w_prev(k) at points over and past the quotes and wing
 *    slopes ≥ the floor's; slope guides and the next slice's start as soft upper guides. Margins are the full fit's, or
 *    the start's own value where that is feasible but inside the margin. Quote, calendar and slope rows have analytic
 *    Jacobians, g rows numerical ones. A working set (rows violated, plus rows a rejected step would cross) keeps
 *    steps from jumping binding constraints. Penalty weight: 10⁴ × the start's objective per δ² (10² first when the
 *    start violates something).
 * 3. Verification, the full fit's: `butterflyReport` (dense grids far past the quotes, refined minima, slopes, min w),
 *    and with a floor the calendar check — `calendarGapExact` (exact on ℝ, from the real roots of a quartic), else
 *    `rawCalendarGap`; a shortfall is closed by the minimal uniform lift of a. A dip the dense check finds gets a patch
 *    of penalty points and the polish runs again (twice at most).
 * 4. Quality from the same butterfly report (no second dense check): RMSE, in-band, max |z|, min g.
 *
 * Anything that fails returns a status other than 'ok' and no parameters: the caller falls back to the full fit.
 * A residual jump (mean squared residual in half-spreads above 2 × the previous fit's + 1) also falls back: the market
 * moved more than a polish can follow, or the local optimum is no longer the best one.
 */
import { butterflyReport, checkRange, sinhGrid, type ButterflyReport } from './butterfly.js';
import { calendarGrid, earlierW, rawCalendarGap, type CalendarGap } from './calendar.js';
import type { CalendarFloor, CalendarOutcome, SliceQuotes } from './calibrate.js';
import { solveInPlace } from './linalg.js';
import { qualityFromReport, type SliceQuality } from './quality.js';

export { qualityFromReport };
import { MAX_WING_SLOPE, sviG, sviMinW, sviW, sviW1, type RawSvi } from './raw.js';

/** g margin of the penalty rows (the full fit's G_MARGIN). */
const G_MARGIN = 2e-4;
/** Relative calendar margin of the penalty rows (the full fit's CAL_MARGIN). */
const CAL_MARGIN = 2e-5;
const CAL_SCALE = G_MARGIN / CAL_MARGIN;
/** Penalty points where the start's g is at least this are left out of the polish (out of reach of a small move). */
const G_KEEP = 0.05;
/** Within this relative distance of the floor somewhere, the calendar constraint counts as binding. */
const BINDING = 1e-3;

export type LocalRefitStatus = 'ok' | 'bad_input' | 'not_converged' | 'butterfly_failed' | 'calendar_failed' | 'residual_jump';

export interface LocalRefitOptions {
  /** Time to expiry of the previous fit (the start's a and b are scaled by q.t / prevT). Default: q.t. */
  prevT?: number;
  /** The previous (shorter-dated) slice's current fit: the result stays above it everywhere (verified). */
  floor?: CalendarFloor | null;
  /**
   * The previous fit's mean squared residual in half-spreads (`meanSquaredZ` of the previous parameters on the
   * previous quotes): a result above 2 × it + 1 is a residual jump (the caller refits in full).
   */
  baselineZ?: number | null;
  /**
   * The next (longer-dated) slice's start (its previous fit): a soft upper guide at the floor points, w(k) ≤
   * (1 − δ_c) w_next(k) (or the start's own w where that is higher), so that a polish does not lift this slice's
   * extrapolated wings into the next slice's start (which then has to move for them). Not an arbitrage condition.
   */
  ceiling?: RawSvi | null;
  /** Upper guides on the wing slopes b(1 ± ρ) (the next slice's current slopes); not arbitrage conditions. */
  capR?: number;
  capL?: number;
  /** `liveStart(q, start, prevT)` when the caller already has it (the surface computes it for the ceilings). */
  levelledStart?: RawSvi | null;
  /** Minimum number of quotes (default 5, as the full fit). */
  minQuotes?: number;
  /** LM iterations at most (default 8). */
  maxIter?: number;
}

export interface LocalRefitResult {
  status: LocalRefitStatus;
  /** Verified parameters (null unless status is 'ok'). */
  params: RawSvi | null;
  quality: SliceQuality | null;
  /** The dense butterfly report of `params` (the quality's min g comes from it). */
  report: ButterflyReport | null;
  /** Calendar gap against the floor (null without a floor). */
  gap: CalendarGap | null;
  /** 'none' (no floor), 'free', 'constrained' (the floor binds: within 0.1 %), 'lifted' (uniform lift onto it). */
  calendar: CalendarOutcome;
  /** Weighted objective Σ ωᵢ (σ_model − σ_mid)² (ω normalised to sum n). */
  objective: number;
  iterations: number;
}

function failed(status: LocalRefitStatus, iterations = 0): LocalRefitResult {
  return { status, params: null, quality: null, report: null, gap: null, calendar: 'none', objective: NaN, iterations };
}

/**
 * Mean squared residual in half-spreads: Σ wᵢ (σ_model − σ_mid)² / n with the slice's weights wᵢ = 1 / h² (h the
 * half-spread in vol, floored by the slice builder).
 */
export function meanSquaredZ(p: RawSvi, q: SliceQuotes): number {
  const n = q.k.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(Math.max(sviW(p, q.k[i]), 0) / q.t) - q.mid[i];
    s += q.weight[i] * r * r;
  }
  return n > 0 ? s / n : NaN;
}

/** Quoted range of a slice (min and max of k, whatever the order). */
export function quotedRange(k: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k.length; i++) {
    if (k[i] < lo) lo = k[i];
    if (k[i] > hi) hi = k[i];
  }
  return [lo, hi];
}

/**
 * The minimal uniform lift of `p` (a raised) that clears `prev` on the calendar check's own grid and its refined
 * minima (a few rounds at most); null when the wing slopes are below the floor's (no finite lift exists) or the lifted
 * slice still fails the calendar check.
 */
export function liftOntoFloor(p: RawSvi, prev: RawSvi, lo: number, hi: number): { p: RawSvi; gap: CalendarGap } | null {
  if (!(p.b * (1 + p.rho) >= prev.b * (1 + prev.rho) && p.b * (1 - p.rho) >= prev.b * (1 - prev.rho))) return null;
  const grid = calendarGrid(lo, hi);
  const wPrev = earlierW(prev, grid);
  let short = 0;
  for (let j = 0; j < grid.length; j++) short = Math.max(short, wPrev[j] - sviW(p, grid[j]));
  let lifted: RawSvi = { ...p, a: p.a + short * (1 + 1e-9) };
  for (let it = 0; it < 4; it++) {
    const gap = rawCalendarGap(prev, lifted, lo, hi);
    if (gap.free) return { p: lifted, gap };
    lifted = { ...lifted, a: lifted.a - gap.dw * (1 + 1e-6) + 1e-15 };
  }
  const gap = rawCalendarGap(prev, lifted, lo, hi);
  return gap.free ? { p: lifted, gap } : null;
}

const toX = (p: RawSvi, x: Float64Array): void => {
  x[0] = p.a;
  x[1] = Math.log(p.b);
  x[2] = Math.atanh(p.rho);
  x[3] = p.m;
  x[4] = Math.log(p.sigma);
};
const fromX = (x: Float64Array): RawSvi => ({ a: x[0], b: Math.exp(x[1]), rho: Math.tanh(x[2]), m: x[3], sigma: Math.exp(x[4]) });

/** Calendar floor points: over the union of the quoted ranges and geometrically past it (as the full fit's rows). */
function floorPoints(lo: number, hi: number): Float64Array {
  const pts: number[] = [];
  for (let i = 0; i <= 20; i++) pts.push(lo + ((hi - lo) * i) / 20);
  for (let i = 0; i < 12; i++) {
    const d = 0.004 * Math.pow(3 / 0.004, i / 11);
    pts.push(lo - d, hi + d);
  }
  for (let i = 1; i <= 6; i++) {
    const d = 3 * Math.pow(1e3 / 3, i / 6);
    pts.push(lo - d, hi + d);
  }
  return Float64Array.from(pts);
}

/**
 * The start of a live refit: the previous fit with a and b scaled by T_new / T_old (the same vol smile when only time
 * passed), then its level re-fitted — least squares in a alone (Gauss-Newton on the vol residuals): a parallel move
 * of the smile is the commonest live change. Null when the result is not finite. The surface also
 * uses the next slice's start as a soft ceiling (see LocalRefitOptions.ceiling).
 */
export function liveStart(q: SliceQuotes, prev: RawSvi, prevT?: number): RawSvi | null {
  const n = q.k.length;
  const t = q.t;
  const scale = prevT && prevT > 0 && t > 0 ? t / prevT : 1;
  let p: RawSvi = {
    a: prev.a * scale,
    b: Math.max(prev.b * scale, 1e-8),
    rho: Math.max(-0.999, Math.min(0.999, prev.rho)),
    m: prev.m,
    sigma: Math.max(prev.sigma, 1e-6),
  };
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += q.weight[i];
  // Gauss-Newton on a alone, two steps. (Re-fitting m as well, for moves of the forward, was tried: worse fits.)
  for (let it = 0; it < 2 && n > 0 && t > 0; it++) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.max(sviW(p, q.k[i]), 1e-16);
      const om = (q.weight[i] * n) / wsum;
      const jr = 1 / (2 * Math.sqrt(w * t));
      num += om * jr * (Math.sqrt(w / t) - q.mid[i]);
      den += om * jr * jr;
    }
    if (den > 0 && Number.isFinite(num / den)) p = { ...p, a: p.a - num / den };
  }
  return [p.a, p.b, p.rho, p.m, p.sigma].every(Number.isFinite) ? p : null;
}

/**
 * The fixed penalty points of the polish: uniform over the check range, dense just around the quotes (where g
 * usually dips: the fit bends hardest just past the last quotes), sinh-spaced around the vertex, and a fine patch
 * around each root of h = 2w − k w′ of the start (where g can dip in a band narrower than any fixed grid; the dips
 * move little in a polish, and dipG follows them exactly).
 */
function penaltyPoints(p: RawSvi, kMin: number, kMax: number, cLo: number, cHi: number): Float64Array {
  const pts: number[] = [];
  for (let j = 0; j < 41; j++) pts.push(cLo + ((cHi - cLo) * j) / 40);
  const near = Math.max(0.1, 0.5 * (kMax - kMin));
  for (let j = 0; j < 61; j++) pts.push(kMin - near + ((kMax - kMin + 2 * near) * j) / 60);
  const ys = sinhGrid(p.m, p.sigma, 41, 1e4);
  for (let j = 0; j < ys.length; j++) pts.push(ys[j]);
  // Scans of 120 (h) and 200 (g) points: twice as many gave the same fits, 15 % slower.
  const nScan = 120;
  const hAt = (k: number): number => 2 * sviW(p, k) - k * sviW1(p, k);
  let k0 = cLo;
  let h0 = hAt(k0);
  for (let i = 1; i <= nScan; i++) {
    const k1 = cLo + ((cHi - cLo) * i) / nScan;
    const h1 = hAt(k1);
    if (h0 > 0 !== h1 > 0 && Number.isFinite(h0) && Number.isFinite(h1)) {
      const root = k0 + ((k1 - k0) * h0) / (h0 - h1);
      const half = Math.max(2 * (k1 - k0), 0.02);
      for (let j = 0; j <= 20; j++) pts.push(root - half + (2 * half * j) / 20);
    }
    k0 = k1;
    h0 = h1;
  }
  // Patches around the start's low local minima of g near the quotes: the narrow dips the full fit's repair rounds
  // pinned down (a polish tends to deepen them, and the sparse grids above step over them).
  const nMin = 200;
  const far = 2 * near;
  const lo = kMin - far;
  const dk = (kMax - kMin + 2 * far) / nMin;
  let g0 = sviG(p, lo);
  let g1 = sviG(p, lo + dk);
  for (let i = 2; i <= nMin; i++) {
    const g2 = sviG(p, lo + i * dk);
    if (g1 <= g0 && g1 <= g2 && g1 < 0.02) {
      const c = lo + (i - 1) * dk;
      for (let j = 0; j <= 20; j++) pts.push(c - 2 * dk + (4 * dk * j) / 20);
    }
    g0 = g1;
    g1 = g2;
  }
  return Float64Array.from(pts);
}

/** A fine patch of points around k (a dip the verification found between the penalty points). */
function patchAround(k: number, p: RawSvi): Float64Array {
  const h = Math.max(1e-4, Math.min(0.005, 0.05 * p.sigma));
  const out = new Float64Array(41);
  for (let j = 0; j <= 40; j++) out[j] = k - 20 * h + h * j;
  return out;
}

/**
 * Refits one slice locally from `start` (its previous fit). See the module comment; every 'ok' result passes
 * `butterflyReport` and, with a floor, `rawCalendarGap` — the full fit's own checks.
 */
export function refitSliceLocal(q: SliceQuotes, start: RawSvi, opts: LocalRefitOptions = {}): LocalRefitResult {
  const n = q.k.length;
  const t = q.t;
  if (!(t > 0) || n < (opts.minQuotes ?? 5)) return failed('bad_input');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(q.k[i]) || !(q.mid[i] > 0) || !(q.weight[i] > 0) || !Number.isFinite(q.weight[i])) return failed('bad_input');
  }
  const [kMin, kMax] = quotedRange(q.k);
  if (!(kMax - kMin > 1e-6)) return failed('bad_input');
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += q.weight[i];
  const sqOmega = new Float64Array(n);
  for (let i = 0; i < n; i++) sqOmega[i] = Math.sqrt((q.weight[i] * n) / wsum);
  const quoteCost = (p: RawSvi): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = sqOmega[i] * (Math.sqrt(Math.max(sviW(p, q.k[i]), 1e-16) / t) - q.mid[i]);
      s += r * r;
    }
    return s;
  };

  // ---- start: the previous fit, same vol smile at the new T, its level re-fitted ----
  let p0 = opts.levelledStart ?? liveStart(q, start, opts.prevT);
  if (!p0) return failed('bad_input');
  const fl = opts.floor ?? null;
  const calLo = fl ? Math.min(kMin, fl.kMin) : kMin;
  const calHi = fl ? Math.max(kMax, fl.kMax) : kMax;
  const calK = fl ? floorPoints(calLo, calHi) : new Float64Array(0);
  const calW = new Float64Array(calK.length);
  if (fl) {
    for (let j = 0; j < calK.length; j++) calW[j] = sviW(fl.params, calK[j]);
    // Onto the floor, minimally: wing slopes raised to the floor's (keeping the other wing's), then a lifted by the
    // largest shortfall at the floor points (finite once the slopes are). A start that violates the floor by a hair
    // would otherwise make the polish trade the fit for it.
    const sR = p0.b * (1 + p0.rho);
    const sL = p0.b * (1 - p0.rho);
    const wantR = Math.min(fl.params.b * (1 + fl.params.rho) * (1 + CAL_MARGIN), MAX_WING_SLOPE);
    const wantL = Math.min(fl.params.b * (1 - fl.params.rho) * (1 + CAL_MARGIN), MAX_WING_SLOPE);
    if (sR < wantR || sL < wantL) {
      const nR = Math.max(sR, wantR);
      const nL = Math.max(sL, wantL);
      p0 = { ...p0, b: (nR + nL) / 2, rho: Math.max(-0.999, Math.min(0.999, (nR - nL) / (nR + nL))) };
    }
    let short = 0;
    for (let j = 0; j < calK.length; j++) short = Math.max(short, calW[j] * (1 + CAL_MARGIN) + 1e-14 - sviW(p0, calK[j]));
    if (short > 0) p0 = { ...p0, a: p0.a + short * (1 + 1e-9) };
  }
  const [cLo, cHi] = checkRange(kMin, kMax);

  // ---- constraint rows c(p) (violated where c > 0), penalised as √μ · max(0, c) ----
  // Margins are the full fit's, or the start's own value where that is feasible but inside the margin (the full fit
  // leaves many constraints binding: a polish must not trade the fit to widen them).
  // g rows (numerical gradients): fixed points, the moving dip points of dipG, min w.
  let gK: Float64Array = new Float64Array(0);
  let gMin = new Float64Array(0);
  const setPoints = (pts: Float64Array, strictFrom: number): void => {
    const old = gMin;
    gK = pts;
    gMin = new Float64Array(pts.length);
    gMin.set(old.subarray(0, Math.min(old.length, strictFrom)));
    for (let j = old.length; j < pts.length; j++) {
      const g = sviG(p0, pts[j]);
      gMin[j] = j >= strictFrom || !(g >= 0) ? G_MARGIN : Math.min(G_MARGIN, g);
    }
  };
  {
    // Only the points where g is within reach of the margin get rows: a polish moves g little, and a point that does
    // dip is caught by the verification (its patch then joins, see below).
    const all = penaltyPoints(p0, kMin, kMax, cLo, cHi);
    const keep = all.filter((k) => !(sviG(p0, k) >= G_KEEP));
    setPoints(keep, Infinity);
  }
  // g rows (numerical gradients): the fixed points and min w. (The moving dip points of dipG were rows too: a fifth of
  // the polish's time for nothing the patches around the h-roots and the start's minima do not already cover; the
  // verification catches the rest.)
  const numRows = (p: RawSvi, out: Float64Array): void => {
    const m = gK.length;
    for (let j = 0; j < m; j++) {
      const g = sviG(p, gK[j]);
      out[j] = Number.isNaN(g) ? 10 : Math.min(gMin[j] - g, 10);
    }
    out[m] = -sviMinW(p);
  };
  const numRow = (p: RawSvi, j: number): number => {
    if (j === gK.length) return -sviMinW(p);
    const g = sviG(p, gK[j]);
    return Number.isNaN(g) ? 10 : Math.min(gMin[j] - g, 10);
  };
  // Analytic rows: total variance at points (floor from below, the next slice's start from above as a soft guide),
  // wing slopes (floor's from below, guides and Lee's bound from above).
  const ce = opts.ceiling ?? null;
  const ceAll = ce ? floorPoints(calLo, calHi) : new Float64Array(0);
  // (Leaving out the rows far from their bound, as for g, doubled the fallbacks to the full fit for no speed.)
  const wKl: number[] = [];
  const wBl: number[] = [];
  const wSl: number[] = [];
  for (let j = 0; j < calK.length; j++) {
    const ws = sviW(p0, calK[j]);
    const want = calW[j] * (1 + CAL_MARGIN) + 1e-14;
    wKl.push(calK[j]);
    wBl.push(ws >= calW[j] && ws < want ? ws : want);
    wSl.push(-CAL_SCALE / Math.max(calW[j], 1e-12));
  }
  for (let j = 0; j < ceAll.length; j++) {
    const wc = sviW(ce!, ceAll[j]);
    const ws = sviW(p0, ceAll[j]);
    wKl.push(ceAll[j]);
    wBl.push(Math.max(ws, wc * (1 - CAL_MARGIN)));
    // A guide, not a constraint: 10⁸ times softer than the floor (10⁻⁴ on the row; a relative excess of 1 % then
    // costs about as much as the whole objective). Stiffer guides (10⁻¹, 10⁻³) held early slices back after a vol
    // move (median RMSE +12 %); without one, floors pushed later slices into residual jumps.
    wSl.push((1e-4 * CAL_SCALE) / Math.max(wc, 1e-12));
  }
  const nW = wKl.length;
  const wK = Float64Array.from(wKl);
  const wB = Float64Array.from(wBl);
  const wS = Float64Array.from(wSl);
  const sR0 = p0.b * (1 + p0.rho);
  const sL0 = p0.b * (1 - p0.rho);
  const sRprev = fl ? fl.params.b * (1 + fl.params.rho) : 0;
  const sLprev = fl ? fl.params.b * (1 - fl.params.rho) : 0;
  const lowOf = (prev: number, s0: number): number => {
    const want = Math.min(prev * (1 + CAL_MARGIN), MAX_WING_SLOPE);
    return s0 >= prev && s0 < want ? s0 : want;
  };
  // Slope rows: c = sS · (s_side − sB), side +1 (right) / −1 (left).
  const sSide: number[] = [];
  const sB: number[] = [];
  const sS: number[] = [];
  const slopeRow = (side: number, bound: number, sc: number): void => {
    sSide.push(side);
    sB.push(bound);
    sS.push(sc);
  };
  if (fl) {
    slopeRow(1, lowOf(sRprev, sR0), -CAL_SCALE / Math.max(sRprev, 1e-12));
    slopeRow(-1, lowOf(sLprev, sL0), -CAL_SCALE / Math.max(sLprev, 1e-12));
  }
  const capR = Math.max(opts.capR ?? Infinity, sRprev * (1 + 2 * CAL_MARGIN), sR0);
  const capL = Math.max(opts.capL ?? Infinity, sLprev * (1 + 2 * CAL_MARGIN), sL0);
  if (Number.isFinite(capR)) slopeRow(1, capR, CAL_SCALE / Math.max(capR, 1e-12));
  if (Number.isFinite(capL)) slopeRow(-1, capL, CAL_SCALE / Math.max(capL, 1e-12));
  slopeRow(1, MAX_WING_SLOPE, 1);
  slopeRow(-1, MAX_WING_SLOPE, 1);
  const nS = sSide.length;

  // Constraint values at p: numeric rows in cN, w rows in cW, slope rows in cS (signed, clipped at 10).
  let cN = new Float64Array(0);
  let cNt = new Float64Array(0);
  let jac = new Float64Array(0);
  let workN = new Uint8Array(0);
  const ensure = (): number => {
    const nN = gK.length + 1;
    if (cN.length !== nN) {
      cN = new Float64Array(nN);
      cNt = new Float64Array(nN);
      jac = new Float64Array(nN * 5);
      workN = new Uint8Array(nN);
    }
    return nN;
  };
  const cW = new Float64Array(nW);
  const cWt = new Float64Array(nW);
  const cS = new Float64Array(nS);
  const cSt = new Float64Array(nS);
  const workW = new Uint8Array(nW);
  const workS = new Uint8Array(nS);
  const rowsAt = (p: RawSvi, oN: Float64Array, oW: Float64Array, oS: Float64Array): number => {
    const nN = ensure();
    numRows(p, oN);
    let s = 0;
    for (let j = 0; j < nN; j++) if (oN[j] > 0) s += oN[j] * oN[j];
    for (let j = 0; j < nW; j++) {
      const c = Math.min(wS[j] * (sviW(p, wK[j]) - wB[j]), 10);
      oW[j] = c;
      if (c > 0) s += c * c;
    }
    for (let j = 0; j < nS; j++) {
      const c = sS[j] * (p.b * (1 + sSide[j] * p.rho) - sB[j]);
      oS[j] = c;
      if (c > 0) s += c * c;
    }
    return s;
  };
  const penCost = (p: RawSvi): number => rowsAt(p, cNt, cWt, cSt);
  let mu = 0;

  // ---- Levenberg-Marquardt on x = (a, ln b, atanh ρ, m, ln σ) ----
  // Working set: rows violated at the current point, plus every row a rejected trial step would violate, linearised
  // (a feasible row with a zero residual: the step may not move along its gradient, so it cannot jump across it).
  const x = new Float64Array(5);
  toX(p0, x);
  let p = fromX(x);
  const cost0 = Math.max(quoteCost(p), 1e-300);
  let cost = 0;
  let lambda = 1e-3;
  const jq = new Float64Array(25);
  const rq = new Float64Array(5);
  const jtj = new Float64Array(25);
  const jtr = new Float64Array(5);
  const A = new Float64Array(25);
  const rhs = new Float64Array(5);
  const row = new Float64Array(5);
  const xn = new Float64Array(5);
  const xd = new Float64Array(5);
  const acc = (r: number): void => {
    for (let a = 0; a < 5; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      jtr[a] += ra * r;
      for (let b = 0; b < 5; b++) jtj[a * 5 + b] += ra * row[b];
    }
  };
  /** dw/dx at k (into row, times `c`). */
  const dwRow = (pp: RawSvi, k: number, c: number): void => {
    const xk = k - pp.m;
    const s2 = pp.sigma * pp.sigma;
    const sq = Math.sqrt(xk * xk + s2);
    row[0] = c;
    row[1] = c * pp.b * (pp.rho * xk + sq);
    row[2] = c * pp.b * xk * (1 - pp.rho * pp.rho);
    row[3] = -c * pp.b * (pp.rho + xk / sq);
    row[4] = (c * pp.b * s2) / sq;
  };
  // Numerical gradients of the working g rows, at most once per row and iteration.
  let jacIter = new Int32Array(0);
  let lmIter = 0;
  let pdIter = -1;
  const pd: RawSvi[] = [];
  const numJacRow = (sm: number, j: number): void => {
    if (jacIter.length !== cN.length) jacIter = new Int32Array(cN.length).fill(-1);
    if (jacIter[j] === lmIter) return;
    if (pdIter !== lmIter) {
      pdIter = lmIter;
      const h = 1e-6;
      for (let d = 0; d < 5; d++) {
        xd.set(x);
        xd[d] += h;
        pd[d] = fromX(xd);
      }
    }
    for (let d = 0; d < 5; d++) {
      const v = (sm * (numRow(pd[d], j) - cN[j])) / 1e-6;
      jac[j * 5 + d] = Number.isFinite(v) ? v : 0;
    }
    jacIter[j] = lmIter;
  };
  /** Normal equations: quote rows plus the working set. */
  const assemble = (sm: number): void => {
    jtj.set(jq);
    jtr.set(rq);
    for (let j = 0; j < nW; j++) {
      if (!workW[j]) continue;
      dwRow(p, wK[j], sm * wS[j]);
      acc(sm * Math.max(cW[j], 0));
    }
    for (let j = 0; j < nS; j++) {
      if (!workS[j]) continue;
      const sd = sSide[j];
      row.fill(0);
      row[1] = sm * sS[j] * p.b * (1 + sd * p.rho);
      row[2] = sm * sS[j] * sd * p.b * (1 - p.rho * p.rho);
      acc(sm * Math.max(cS[j], 0));
    }
    const nN = cN.length;
    for (let j = 0; j < nN; j++) {
      if (!workN[j]) continue;
      numJacRow(sm, j);
      for (let d = 0; d < 5; d++) row[d] = jac[j * 5 + d];
      acc(sm * Math.max(cN[j], 0));
    }
  };
  const run = (maxIter: number): number => {
    cost = quoteCost(p) + mu * rowsAt(p, cN, cW, cS);
    lambda = 1e-3;
    let it = 0;
    for (; it < maxIter; it++) {
      const sm = Math.sqrt(mu);
      lmIter++;
      pdIter = -1;
      // Quote rows: r = √ω (√(w/T) − σ_mid), dr/dx = √ω (dw/dx) / (2√(wT)).
      jtj.fill(0);
      jtr.fill(0);
      for (let i = 0; i < n; i++) {
        const w = Math.max(sviW(p, q.k[i]), 1e-16);
        dwRow(p, q.k[i], sqOmega[i] / (2 * Math.sqrt(w * t)));
        acc(sqOmega[i] * (Math.sqrt(w / t) - q.mid[i]));
      }
      jq.set(jtj);
      rq.set(jtr);
      for (let j = 0; j < cN.length; j++) workN[j] = cN[j] > 0 ? 1 : 0;
      for (let j = 0; j < nW; j++) workW[j] = cW[j] > 0 ? 1 : 0;
      for (let j = 0; j < nS; j++) workS[j] = cS[j] > 0 ? 1 : 0;
      assemble(sm);
      let improved = false;
      let rel = 0;
      for (let tries = 0; tries < 12; tries++) {
        for (let i = 0; i < 25; i++) A[i] = jtj[i];
        for (let d = 0; d < 5; d++) {
          A[d * 5 + d] += lambda * (jtj[d * 5 + d] + 1e-12);
          rhs[d] = -jtr[d];
        }
        if (!solveInPlace(A, rhs, 5)) {
          lambda *= 10;
          continue;
        }
        for (let d = 0; d < 5; d++) xn[d] = x[d] + rhs[d];
        xn[2] = Math.max(-3.8, Math.min(3.8, xn[2]));
        xn[1] = Math.max(-40, xn[1]);
        xn[4] = Math.max(Math.log(1e-6), Math.min(Math.log(50), xn[4]));
        const pn = fromX(xn);
        const cn = quoteCost(pn) + mu * rowsAt(pn, cNt, cWt, cSt);
        if (cn < cost) {
          rel = (cost - cn) / Math.max(cost, 1e-300);
          x.set(xn);
          p = pn;
          cost = cn;
          cN.set(cNt);
          cW.set(cWt);
          cS.set(cSt);
          lambda = Math.max(lambda / 3, 1e-9);
          improved = true;
          break;
        }
        // Rows the step would violate join the working set (same λ); none new: a shorter step.
        let added = false;
        for (let j = 0; j < cN.length; j++) {
          if (!workN[j] && cNt[j] > 0) {
            workN[j] = 1;
            added = true;
          }
        }
        for (let j = 0; j < nW; j++) {
          if (!workW[j] && cWt[j] > 0) {
            workW[j] = 1;
            added = true;
          }
        }
        for (let j = 0; j < nS; j++) {
          if (!workS[j] && cSt[j] > 0) {
            workS[j] = 1;
            added = true;
          }
        }
        if (added) assemble(sm);
        else lambda *= 4;
      }
      // Stop at a relative gain under 10⁻⁴: tighter (10⁻⁶) cost 13 % more time for the same median RMSE.
      if (!improved || rel < 1e-4) {
        it++;
        break;
      }
    }
    return it;
  };
  // Penalty weight as the full fit's final stage (a violation of G_MARGIN costs 10⁴ × the objective), reached by
  // continuation from 10² when the start violates something (at once, it would trade the whole fit away).
  let iter = 0;
  const maxIter = opts.maxIter ?? 8;
  const polish = (): void => {
    if (penCost(p) > 0) {
      mu = (1e2 * cost0) / (G_MARGIN * G_MARGIN);
      iter += run(Math.max(1, maxIter >> 1));
    }
    mu = (1e4 * cost0) / (G_MARGIN * G_MARGIN);
    iter += run(maxIter);
  };
  polish();

  // ---- verification: the full fit's checks; a dip found between the penalty points gets a fine patch of its own
  // and the polish runs again (twice at most) ----
  let calendar: CalendarOutcome = 'none';
  let gap: CalendarGap | null = null;
  let rep: ButterflyReport;
  for (let round = 0; ; round++) {
    if (![p.a, p.b, p.rho, p.m, p.sigma].every(Number.isFinite)) return failed('not_converged', iter);
    if (fl) {
      gap = calendarGapExact(fl.params, p) ?? rawCalendarGap(fl.params, p, calLo, calHi);
      if (!gap.free) {
        const l = liftOntoFloor(p, fl.params, calLo, calHi);
        if (!l) return failed('calendar_failed', iter);
        p = l.p;
        gap = l.gap;
        calendar = 'lifted';
      } else calendar = gap.minRel > BINDING ? 'free' : 'constrained';
    }
    rep = butterflyReport(p, kMin, kMax);
    if (rep.free) break;
    if (round >= 2 || !Number.isFinite(rep.at)) return failed('butterfly_failed', iter);
    const patch = patchAround(rep.at, p);
    const all = new Float64Array(gK.length + patch.length);
    all.set(gK);
    all.set(patch, gK.length);
    setPoints(all, gK.length);
    toX(p, x);
    p = fromX(x);
    polish();
  }
  const quality = qualityFromReport(p, q, rep);
  const base = opts.baselineZ;
  if (base != null && Number.isFinite(base) && !(meanSquaredZ(p, q) <= 2 * base + 1)) return failed('residual_jump', iter);
  return { status: 'ok', params: p, quality, report: rep, gap, calendar, objective: quoteCost(p), iterations: iter };
}

// ---- exact calendar pre-check ---------------------------------------------------------------------------------------

/** p(z) for coefficients c[0] + c[1] z + … */
function polyAt(c: ArrayLike<number>, n: number, z: number): number {
  let v = 0;
  for (let i = n; i >= 0; i--) v = v * z + c[i];
  return v;
}

/**
 * Real roots of the polynomial c[0..deg] inside [−R, R] (R a Cauchy bound), by recursive isolation: the roots of the
 * derivative split the line into monotone pieces, each bisected where its ends change sign. Appends roots and the
 * derivative's roots (the extrema) to `out`.
 */
function realRootsAndExtrema(c: Float64Array, deg: number, out: number[]): void {
  let d = deg;
  let cmax = 0;
  for (let i = 0; i <= deg; i++) cmax = Math.max(cmax, Math.abs(c[i]));
  while (d > 0 && Math.abs(c[d]) <= 1e-13 * cmax) d--;
  if (d <= 0) return;
  if (d === 1) {
    out.push(-c[0] / c[1]);
    return;
  }
  let R = 0;
  for (let i = 0; i < d; i++) R = Math.max(R, Math.abs(c[i] / c[d]));
  R = 1 + R;
  const dc = new Float64Array(d);
  for (let i = 1; i <= d; i++) dc[i - 1] = i * c[i];
  const crit: number[] = [];
  realRootsAndExtrema(dc, d - 1, crit);
  const ends = [-R, ...crit.filter((z) => z > -R && z < R).sort((a, b) => a - b), R];
  for (let i = 0; i + 1 < ends.length; i++) {
    let lo = ends[i];
    let hi = ends[i + 1];
    let flo = polyAt(c, d, lo);
    const fhi = polyAt(c, d, hi);
    if (flo === 0) out.push(lo);
    if (!(flo < 0 !== fhi < 0) || fhi === 0) continue;
    for (let it = 0; it < 100 && hi - lo > 1e-15 * (1 + Math.abs(lo)); it++) {
      const mid = 0.5 * (lo + hi);
      const fm = polyAt(c, d, mid);
      if (fm < 0 === flo < 0) {
        lo = mid;
        flo = fm;
      } else hi = mid;
    }
    out.push(0.5 * (lo + hi));
  }
  for (const z of crit) out.push(z);
}

/**
 * An exact sufficient test that `later` stays above `earlier` on all of ℝ (no calendar arbitrage between two raw
 * SVI slices at equal forward log-moneyness): w_later − w_earlier can only vanish where the quartic obtained by
 * squaring w_later = w_earlier twice vanishes, so its sign is constant between that quartic's real roots. The
 * difference is evaluated at every root, every extremum of the quartic (which lies inside any narrow interval where
 * the difference dips below zero, even when rounding blurs the two roots around it), between them and beyond them;
 * the wing slopes are compared as in rawCalendarGap. Returns the gap when every point clears the earlier slice by a
 * relative 1e-9 (then rawCalendarGap is certain to pass), null otherwise (the caller runs rawCalendarGap).
 */
export function calendarGapExact(earlier: RawSvi, later: RawSvi): CalendarGap | null {
  const { a: a1, b: b1, rho: r1, m: m1, sigma: s1 } = earlier;
  const { a: a2, b: b2, rho: r2, m: m2, sigma: s2 } = later;
  const tol = 1e-12;
  if (b2 * (1 + r2) < b1 * (1 + r1) * (1 - tol) || b2 * (1 - r2) < b1 * (1 - r1) * (1 - tol)) return null;
  // z = k − m1. L = (a1 − a2) + b1ρ1 z − b2ρ2 (z + d), U = z² + σ1², V = (z + d)² + σ2², d = m1 − m2.
  const d = m1 - m2;
  const L0 = a1 - a2 - b2 * r2 * d;
  const L1 = b1 * r1 - b2 * r2;
  const U = [s1 * s1, 0, 1];
  const V = [d * d + s2 * s2, 2 * d, 1];
  const LL = [L0 * L0, 2 * L0 * L1, L1 * L1];
  // Q = b2² V − L² − b1² U; P = Q² − 4 b1² L² U.
  const Q = [0, 1, 2].map((i) => b2 * b2 * V[i] - LL[i] - b1 * b1 * U[i]);
  const P = new Float64Array(5);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) P[i + j] += Q[i] * Q[j] - 4 * b1 * b1 * LL[i] * U[j];
  const pts: number[] = [0];
  realRootsAndExtrema(P, 4, pts);
  if (!pts.every(Number.isFinite)) return null;
  pts.sort((x, y) => x - y);
  const test: number[] = [];
  for (let i = 0; i < pts.length; i++) {
    test.push(pts[i]);
    if (i + 1 < pts.length) test.push(0.5 * (pts[i] + pts[i + 1]));
  }
  const zlo = pts[0];
  const zhi = pts[pts.length - 1];
  // One point beyond every root on each side decides the sign out to infinity (the slopes were compared above).
  test.push(zlo - 1, zhi + 1);
  let minRel = Infinity;
  let at = NaN;
  let dw = NaN;
  for (const z of test) {
    const k = z + m1;
    const we = sviW(earlier, k);
    const diff = sviW(later, k) - we;
    const rel = diff / Math.max(Math.abs(we), 1e-300);
    if (!(rel >= 1e-9)) return null;
    if (rel < minRel) {
      minRel = rel;
      at = k;
      dw = diff;
    }
  }
  return { minRel, at, dw, free: true };
}
