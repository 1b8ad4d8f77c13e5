/**
 * Calendar-spread checks between raw SVI slices: total variance must not decrease with T at fixed forward
 * log-moneyness k = ln(K/F_T) (forwards differ per slice; total variance in k is the object that must be monotone).
 *
 * The check covers all of ℝ: a dense uniform grid over the union of the two quoted ranges widened like the butterfly
 * check (± max(1, 2 × width)), geometric points in both wings out to |k| = 10⁶ (every local minimum of the relative
 * difference near zero refined by golden-section search), and the wings analytically: as
 * k → ±∞, w(k) = s±·|k| + c± + O(1/|k|) with slopes s± = b(1 ± ρ), so the later slice needs slopes at least the
 * earlier one's (and, with equal slopes, an intercept at least as high, which the |k| = 10⁶ points decide).
 * Tolerance: 1e-12 relative to the earlier slice's total variance at the point (rounding only).
 */
import { checkRange } from './butterfly.js';
import { sviW, type RawSvi } from './raw.js';

export interface RawSliceRef {
  /** Label reported with a violation (e.g. '2023-05-19 PM'). */
  label: string;
  t: number;
  params: RawSvi;
  /** Quoted log-moneyness range of the slice. */
  kMin: number;
  kMax: number;
}

export interface CalendarViolation {
  earlier: string;
  later: string;
  /** Log-moneyness of the worst point (±1e6 stands for a wing violation). */
  k: number;
  /** w_later(k) − w_earlier(k) there (negative). */
  dw: number;
}

/** Relative tolerance of the calendar check (rounding only). */
export const CALENDAR_REL_TOL = 1e-12;
/** Far-wing extent of the calendar check grid. */
const FAR = 1e6;

export interface CalendarGap {
  /** Smallest (w_later − w_earlier) / max(w_earlier, tiny) over the grid and wings (≥ −tol ⇔ calendar-free). */
  minRel: number;
  /** Where (k), and the absolute difference there. */
  at: number;
  dw: number;
  free: boolean;
}

let relBuf = new Float64Array(0);
const GR = (Math.sqrt(5) - 1) / 2;

/** FAR^(i/nFar) of the geometric wing points (the same for every range): tabulated per nFar. */
const farOffsets = new Map<number, Float64Array>();
function farOffsetsOf(nFar: number): Float64Array {
  let o = farOffsets.get(nFar);
  if (!o) {
    o = new Float64Array(nFar + 1);
    for (let i = 1; i <= nFar; i++) o[i] = Math.pow(FAR, i / nFar);
    if (farOffsets.size < 8) farOffsets.set(nFar, o);
  }
  return o;
}

/**
 * The last few grids built, newest first: a fit under a floor and the surface's pairwise check alternate between a
 * handful of ranges, and rebuilding a 2,321-point grid each time cost as much as checking on it.
 */
const GRID_CACHE = 4;
const gridCache: Array<{ lo: number; hi: number; n: number; k: Float64Array }> = [];

/** The check grid for one quoted range [lo, hi] (union of both slices' ranges). */
export function calendarGrid(lo: number, hi: number, n = 2001, nFar = 160): Float64Array {
  const total = n + 2 * nFar;
  for (let i = 0; i < gridCache.length; i++) {
    const c = gridCache[i];
    if (c.lo === lo && c.hi === hi && c.n === total) return c.k;
  }
  const [cLo, cHi] = checkRange(lo, hi);
  const far = farOffsetsOf(nFar);
  const k = new Float64Array(total);
  let j = 0;
  // Geometric in distance from the check range, out to FAR on each side.
  for (let i = nFar; i >= 1; i--) k[j++] = cLo - far[i] + 1;
  for (let i = 0; i < n; i++) k[j++] = cLo + ((cHi - cLo) * i) / (n - 1);
  for (let i = 1; i <= nFar; i++) k[j++] = cHi + far[i] - 1;
  gridCache.unshift({ lo, hi, n: total, k });
  if (gridCache.length > GRID_CACHE) gridCache.pop();
  return k;
}

interface WEntry {
  p: RawSvi;
  a: number;
  b: number;
  rho: number;
  m: number;
  sigma: number;
  grid: Float64Array;
  w: Float64Array;
  /** 1 / max(|w|, 1e-300): the check's relative differences become products. */
  inv: Float64Array;
}
const wCache: WEntry[] = [];

/**
 * The earlier slice's total variance on a check grid, cached for the last few (slice, grid) pairs: a fit under a
 * floor checks many candidates against the same earlier slice (the values are exactly those sviW returns).
 */
export function earlierW(p: RawSvi, grid: Float64Array): Float64Array {
  return earlierEntry(p, grid).w;
}

function earlierEntry(p: RawSvi, grid: Float64Array): WEntry {
  for (let i = 0; i < wCache.length; i++) {
    const c = wCache[i];
    if (c.p === p && c.grid === grid && c.a === p.a && c.b === p.b && c.rho === p.rho && c.m === p.m && c.sigma === p.sigma) return c;
  }
  const w = new Float64Array(grid.length);
  const inv = new Float64Array(grid.length);
  for (let j = 0; j < grid.length; j++) {
    w[j] = sviW(p, grid[j]);
    inv[j] = 1 / Math.max(Math.abs(w[j]), 1e-300);
  }
  const e = { p, a: p.a, b: p.b, rho: p.rho, m: p.m, sigma: p.sigma, grid, w, inv };
  wCache.unshift(e);
  if (wCache.length > GRID_CACHE) wCache.pop();
  return e;
}

/**
 * Calendar gap of `later` over `earlier` on the grid of [lo, hi] (see calendarGrid) and in the wings analytically.
 */
export function rawCalendarGap(earlier: RawSvi, later: RawSvi, lo: number, hi: number, n = 2001): CalendarGap {
  const grid = calendarGrid(lo, hi, n);
  let minRel = Infinity;
  let at = NaN;
  const rel = (k: number): number => {
    const we = sviW(earlier, k);
    const r = (sviW(later, k) - we) / Math.max(Math.abs(we), 1e-300);
    return Number.isNaN(r) ? -Infinity : r;
  };
  const vals = relBuf.length >= grid.length ? relBuf : (relBuf = new Float64Array(grid.length));
  const { w: wE, inv } = earlierEntry(earlier, grid);
  // sviW(later, ·) inlined with the parameters hoisted (the same arithmetic).
  const la = later.a;
  const lb = later.b;
  const lr = later.rho;
  const lm = later.m;
  const ls = later.sigma;
  const ls2 = ls * ls;
  for (let j = 0; j < grid.length; j++) {
    const we = wE[j];
    const x = grid[j] - lm;
    const wl = la + lb * (lr * x + Math.sqrt(x * x + ls2));
    const r0 = (wl - we) * inv[j];
    const r = Number.isNaN(r0) ? -Infinity : r0;
    vals[j] = r;
    if (r < minRel) {
      minRel = r;
      at = grid[j];
    }
  }
  // A grid can step over a narrow dip of the difference (two smooth curves crossing by a hair between points):
  // grid-local minima within 1e-4 of crossing (and not already clearly below it) are refined by golden-section
  // search in their bracket (at most 16 per check).
  let refined = 0;
  for (let j = 1; j + 1 < grid.length && refined < 16; j++) {
    if (vals[j] <= vals[j - 1] && vals[j] <= vals[j + 1] && vals[j] < 1e-4 && vals[j] > -CALENDAR_REL_TOL * 1e3) {
      refined++;
      const r = refineMin(earlier, later, grid[j - 1], grid[j + 1], rel);
      if (r.r < minRel) {
        minRel = r.r;
        at = r.k;
      }
    }
  }
  let dw = sviW(later, at) - sviW(earlier, at);
  // Asymptotic slopes: a smaller slope loses to the earlier slice somewhere past any finite grid.
  const wing = (sE: number, sL: number, k: number): void => {
    const r = (sL - sE) / Math.max(sE, 1e-300);
    if (r < -CALENDAR_REL_TOL && r < minRel) {
      minRel = r;
      at = k;
      dw = sviW(later, k) - sviW(earlier, k);
    }
  };
  wing(earlier.b * (1 + earlier.rho), later.b * (1 + later.rho), FAR);
  wing(earlier.b * (1 - earlier.rho), later.b * (1 - later.rho), -FAR);
  return { minRel, at, dw, free: minRel >= -CALENDAR_REL_TOL };
}

/**
 * True when `rawCalendarGap(earlier, later, lo, hi, n)` is certain to report a violation, found cheaply: a wing slope
 * below the earlier slice's, or one of the check's own grid points (the same values, bit for bit) below tolerance.
 * False means "run the full check". Lets a caller skip most of the full check for fits that clearly cross.
 */
export function calendarQuickReject(earlier: RawSvi, later: RawSvi, lo: number, hi: number, n = 2001): boolean {
  const tol = CALENDAR_REL_TOL;
  const sE = earlier.b * (1 + earlier.rho);
  const sL = earlier.b * (1 - earlier.rho);
  if ((later.b * (1 + later.rho) - sE) / Math.max(sE, 1e-300) < -tol) return true;
  if ((later.b * (1 - later.rho) - sL) / Math.max(sL, 1e-300) < -tol) return true;
  const grid = calendarGrid(lo, hi, n);
  const { w: wE, inv } = earlierEntry(earlier, grid);
  const la = later.a;
  const lb = later.b;
  const lr = later.rho;
  const lm = later.m;
  const ls2 = later.sigma * later.sigma;
  // Coarse stride first (crossings are usually wide), then the rest.
  for (const [start, stride] of [
    [0, 16],
    [0, 1],
  ]) {
    for (let j = start; j < grid.length; j += stride) {
      const we = wE[j];
      const x = grid[j] - lm;
      const wl = la + lb * (lr * x + Math.sqrt(x * x + ls2));
      const r = (wl - we) * inv[j];
      if (Number.isNaN(r) || r < -tol) return true;
    }
  }
  return false;
}

/**
 * Minimum of the relative gap rel(k) = (w_L − w_E)/w_E in a bracket [lo, hi] around a grid-local minimum: the root of
 * its derivative, whose sign is that of N(k) = w_L′ w_E − w_L w_E′ (w_E > 0), by safeguarded secant (Illinois) steps
 * on N to 1e-13 relative width; golden-section search when N does not change sign in the bracket. The smaller of
 * the stationary point's value and the bracket's end values is returned.
 */
function refineMin(e: RawSvi, l: RawSvi, lo: number, hi: number, rel: (k: number) => number): { k: number; r: number } {
  const nAt = (k: number): number => {
    const xe = k - e.m;
    const se = Math.sqrt(xe * xe + e.sigma * e.sigma);
    const we = e.a + e.b * (e.rho * xe + se);
    const we1 = e.b * (e.rho + xe / se);
    const xl = k - l.m;
    const sl = Math.sqrt(xl * xl + l.sigma * l.sigma);
    const wl = l.a + l.b * (l.rho * xl + sl);
    const wl1 = l.b * (l.rho + xl / sl);
    return wl1 * we - wl * we1;
  };
  let a = lo;
  let b = hi;
  let fa = nAt(a);
  let fb = nAt(b);
  const ra = rel(lo);
  const rb = rel(hi);
  let bestK = ra <= rb ? lo : hi;
  let bestR = Math.min(ra, rb);
  if (!(fa <= 0 && fb >= 0)) {
    // No sign change of the derivative: golden-section search, as a plain bracketed minimum.
    let c = b - GR * (b - a);
    let d = a + GR * (b - a);
    let rc = rel(c);
    let rd = rel(d);
    for (let it = 0; it < 60 && b - a > 1e-12 * (1 + Math.abs(a)); it++) {
      if (rc < rd) {
        b = d;
        d = c;
        rd = rc;
        c = b - GR * (b - a);
        rc = rel(c);
      } else {
        a = c;
        c = d;
        rc = rd;
        d = a + GR * (b - a);
        rd = rel(d);
      }
    }
    const [k, r] = rc < rd ? [c, rc] : [d, rd];
    return r < bestR ? { k, r } : { k: bestK, r: bestR };
  }
  let side = 0;
  let x = 0.5 * (a + b);
  for (let it = 0; it < 60 && b - a > 1e-13 * (1 + Math.abs(a)); it++) {
    x = fa === fb ? 0.5 * (a + b) : a + ((b - a) * fa) / (fa - fb);
    if (!(x > a && x < b)) x = 0.5 * (a + b);
    const fx = nAt(x);
    if (fx === 0) break;
    if (fx < 0) {
      a = x;
      fa = fx;
      if (side === -1) fb /= 2;
      side = -1;
    } else {
      b = x;
      fb = fx;
      if (side === 1) fa /= 2;
      side = 1;
    }
  }
  for (const k of [x, a, b]) {
    const r = rel(k);
    if (r < bestR) {
      bestR = r;
      bestK = k;
    }
  }
  return { k: bestK, r: bestR };
}

/**
 * Checks each pair of consecutive slices (by t; ties keep the input order) with `rawCalendarGap` over the union of
 * their quoted ranges. Returns the worst violation of each failing pair.
 */
export function rawCalendarViolations(slices: readonly RawSliceRef[], n = 2001): CalendarViolation[] {
  const s = [...slices].filter((x) => x.t > 0).sort((a, b) => a.t - b.t);
  const out: CalendarViolation[] = [];
  for (let i = 0; i + 1 < s.length; i++) {
    const a = s[i];
    const b = s[i + 1];
    const gap = rawCalendarGap(a.params, b.params, Math.min(a.kMin, b.kMin), Math.max(a.kMax, b.kMax), n);
    if (!gap.free) out.push({ earlier: a.label, later: b.label, k: gap.at, dw: gap.dw });
  }
  return out;
}

/**
 * Least-squares non-decreasing fit to `y` (pool-adjacent-violators). The surface uses it on the slices' own wing
 * slopes in expiry order: wing slopes must not decrease with T (a smaller slope loses to the earlier slice far out),
 * so the isotonic sequence is the nearest admissible set of slopes, robust to one odd slice (which pools with its
 * neighbours instead of capping every earlier slice).
 */
export function isotonicIncreasing(y: ArrayLike<number>): Float64Array {
  const n = y.length;
  const val = new Float64Array(n);
  const cnt = new Int32Array(n);
  let top = 0;
  for (let i = 0; i < n; i++) {
    val[top] = y[i];
    cnt[top] = 1;
    top++;
    while (top > 1 && val[top - 2] > val[top - 1]) {
      const c = cnt[top - 2] + cnt[top - 1];
      val[top - 2] = (val[top - 2] * cnt[top - 2] + val[top - 1] * cnt[top - 1]) / c;
      cnt[top - 2] = c;
      top--;
    }
  }
  const out = new Float64Array(n);
  let j = 0;
  for (let b = 0; b < top; b++) for (let c = 0; c < cnt[b]; c++) out[j++] = val[b];
  return out;
}
