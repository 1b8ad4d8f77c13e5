/**
 * GEX profile: total dealer gamma exposure recomputed at hypothetical spots, and the zero-gamma flip.
 *
 * Sticky strike: each contract keeps its IV, T and carry while spot moves; the forward moves with spot. Then
 *
 *   d1(S') = a_i + b_i · ln S'         a_i = (ln(F_i/S0) − ln K_i)/v_i + v_i/2,   b_i = 1/v_i,  v_i = σ_i√T_i
 *   GEX(S') = 0.01 · S' · Σ_i w_i · exp(−d1²/2),   w_i = p_i · m · e^{−q_i T_i} / (v_i √(2π))
 *
 * (Γ_i S'² = e^{−qT} φ(d1) S' / v). So a point costs one multiply-add and ONE exp per contract; ln S' is computed once
 * per point. The plan holds the per-contract constants in Float64Arrays and the kernel allocates nothing.
 *
 * The exp is `fastExp` (src/quant/special/exp.ts: table-driven, within 1 ulp of Math.exp, about three times as fast because it inlines).
 * On the standard grid (even steps in ln S) most of those exps become two multiplications (see `profileInto`).
 */
import type { GexBook } from './book.js';
import { brentRoot } from './roots.js';
import { INV_SQRT_2PI } from './normal.js';
import { fastExp } from '../special/exp.js';

/** Window of d1 visited per contract: beyond it exp(−d1²/2) < e^{−684}, and the recurrence cannot overflow. */
const D_CUT = 37;
/** Points per recurrence block before an exact restart. */
const REC_BLOCK = 32;

export interface ProfilePlan {
  /** Terms: contracts with the same (a, v, next) listed side by side are merged into one (weights summed). */
  n: number;
  spot: number;
  /** Vol shift applied when the plan was built (decimal). */
  volShift: number;
  a: Float64Array;
  /** v_i = σ_i√T_i (d1 = a + ln S'/v). */
  v: Float64Array;
  w: Float64Array;
  /** 1 for contracts of the "next expiry" subset (see `nextMask`), else 0. */
  next: Uint8Array;
  /** Contracts left out because the shifted IV is ≤ 0 (only possible with a negative vol shift). */
  droppedNonPositiveVol: number;
}

/**
 * Precompute the per-contract constants. `nextMask` (optional, length n) marks contracts whose GEX is also summed
 * separately (the next expiry, so "ex-next-expiry" = total − next costs nothing extra).
 */
export function planProfile(book: GexBook, opts: { volShift?: number; nextMask?: Uint8Array } = {}): ProfilePlan {
  const n = book.n;
  const volShift = opts.volShift ?? 0;
  const plan: ProfilePlan = {
    n: 0,
    spot: book.spot,
    volShift,
    a: new Float64Array(n),
    v: new Float64Array(n),
    w: new Float64Array(n),
    next: new Uint8Array(n),
    droppedNonPositiveVol: 0,
  };
  const m = book.multiplier;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const T = book.t[i];
    const sigma = book.iv[i] + volShift;
    if (!(sigma > 0)) {
      // Left out: it would contribute exactly nothing (w = 0).
      plan.droppedNonPositiveVol++;
      continue;
    }
    const v = sigma * Math.sqrt(T);
    const lfr = book.logFwdRatio[i];
    const dq = Math.exp(lfr - book.rate[i] * T); // e^{-qT} = D·F/S
    const a = (lfr - Math.log(book.strike[i])) / v + 0.5 * v;
    const w = (book.position[i] * m * dq * INV_SQRT_2PI) / v;
    const nx = opts.nextMask ? opts.nextMask[i] : 0;
    // A call and a put at one strike share T, the forward and (GEX uses one IV per strike) the IV, so the same a and
    // v: one term with the weights summed. Books list them side by side (chain rows are sorted by strike, then
    // right), which halves the profile's work.
    if (k > 0 && plan.a[k - 1] === a && plan.v[k - 1] === v && plan.next[k - 1] === nx) {
      plan.w[k - 1] += w;
      continue;
    }
    plan.a[k] = a;
    plan.v[k] = v;
    plan.w[k] = w;
    plan.next[k] = nx;
    k++;
  }
  plan.n = k;
  return plan;
}

/**
 * `count` spots evenly spaced in ln S (equal percentage steps, the natural scale for moves), covering
 * [spot·(1 − halfWidth), spot·(1 + halfWidth)] with the spot itself exactly on the grid (at `spotIndex`). The step
 * is the smallest that covers both sides with `count` points, so one side reaches slightly beyond its bound
 * (for ±20 % and 201 points: 0.7966·S … 1.2·S, step 0.205 %). Even log spacing is what lets the profile kernel
 * replace exps by a recurrence.
 */
export function spotGrid(spot: number, halfWidth = 0.2, count = 201): Float64Array {
  return spotGridInfo(spot, halfWidth, count).spots;
}

export function spotGridInfo(spot: number, halfWidth = 0.2, count = 201): { spots: Float64Array; spotIndex: number; logStep: number } {
  if (!(count >= 3) || !Number.isInteger(count)) throw new Error(`profile needs an integer number of points ≥ 3, got ${count}`);
  if (!(halfWidth > 0 && halfWidth < 1)) throw new Error(`profile half-width must be in (0, 1), got ${halfWidth}`);
  if (!(spot > 0) || !Number.isFinite(spot)) throw new Error(`spot must be a positive number, got ${spot}`);
  const down = -Math.log(1 - halfWidth);
  const up = Math.log(1 + halfWidth);
  const steps = count - 1;
  let best = { m: 0, h: Infinity };
  const guess = Math.round((steps * down) / (down + up));
  for (let m = Math.max(1, guess - 2); m <= Math.min(steps - 1, guess + 2); m++) {
    const h = Math.max(down / m, up / (steps - m));
    if (h < best.h) best = { m, h };
  }
  const out = new Float64Array(count);
  for (let j = 0; j < count; j++) out[j] = j === best.m ? spot : spot * Math.exp(best.h * (j - best.m));
  return { spots: out, spotIndex: best.m, logStep: best.h };
}

export interface ProfileWork {
  lnS: Float64Array;
  acc: Float64Array;
  accNext: Float64Array;
}

/** Scratch arrays for `profileInto`, reusable across calls with the same grid size. */
export function profileWork(points: number): ProfileWork {
  return { lnS: new Float64Array(points), acc: new Float64Array(points), accNext: new Float64Array(points) };
}

/**
 * Total GEX ($ per 1 % move) at each spot of `spots` (ascending) into `out`; when `outNext` is given, the part of it
 * from the `next` contracts goes there. Allocation-free given `work`.
 *
 * On a grid evenly spaced in ln S (what `spotGrid` makes) d1 advances by the constant c = h/v per point, so
 *   e_{j+1} = e_j · r_j,  r_{j+1} = r_j · e^{−c²}     with e_j = exp(−d_j²/2), r_j = exp(−c·d_j − c²/2)
 * gives the Gaussian at the next point with two multiplications instead of an exp. The recurrence restarts from
 * exact values every REC_BLOCK points (rounding grows ~k²ε/2 over k steps: < 1e-13 relative per term), and is only
 * used where it cannot overflow (c ≤ 8 and |d| ≤ 37, so r ≤ e^{300}); other contracts and other grids take the
 * direct exp. Terms with |d1| > 37 (below e^{−684} ≈ 1e-297 of the contract's own peak) are skipped.
 */
export function profileInto(
  plan: ProfilePlan,
  spots: Float64Array,
  out: Float64Array,
  outNext?: Float64Array,
  work: ProfileWork = profileWork(spots.length),
): void {
  const P = spots.length;
  const { lnS, acc, accNext } = work;
  for (let j = 0; j < P; j++) {
    lnS[j] = Math.log(spots[j]);
    acc[j] = 0;
    accNext[j] = 0;
  }
  const lnLo = lnS[0];
  const lnHi = lnS[P - 1];
  // Evenly spaced in ln S? (to rounding of the logs)
  const h = P > 1 ? (lnHi - lnLo) / (P - 1) : 0;
  let uniform = P > 2 && h > 0;
  for (let j = 1; uniform && j < P - 1; j++) if (Math.abs(lnS[j] - (lnLo + j * h)) > 1e-13 * (1 + Math.abs(lnS[j]))) uniform = false;
  const { a, v, w, next } = plan;
  for (let i = 0; i < plan.n; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    const ai = a[i];
    const vi = v[i];
    const bi = 1 / vi;
    // |d1| ≤ D_CUT  ⇔  ln S' ∈ [(−D_CUT − a)·v, (D_CUT − a)·v].
    const lo = (-D_CUT - ai) * vi;
    const hi = (D_CUT - ai) * vi;
    if (hi < lnLo || lo > lnHi) continue;
    let j0 = 0;
    let j1 = P;
    if (lo > lnLo) j0 = lowerBound(lnS, lo);
    if (hi < lnHi) j1 = lowerBound(lnS, hi);
    if (j1 < P && lnS[j1] <= hi) j1++;
    const target = next[i] === 1 ? accNext : acc;
    const c = bi * h;
    if (!uniform || c > 8) {
      for (let j = j0; j < j1; j++) {
        const d = ai + bi * lnS[j];
        target[j] += wi * fastExp(-0.5 * d * d);
      }
      continue;
    }
    const q = Math.exp(-c * c);
    const halfC2 = 0.5 * c * c;
    for (let j = j0; j < j1; ) {
      const d = ai + bi * lnS[j];
      let e = wi * fastExp(-0.5 * d * d);
      let r = Math.exp(-c * d - halfC2);
      const end = j + REC_BLOCK < j1 ? j + REC_BLOCK : j1;
      for (; j < end; j++) {
        target[j] += e;
        e *= r;
        r *= q;
      }
    }
  }
  for (let j = 0; j < P; j++) {
    const scale = 0.01 * spots[j];
    out[j] = (acc[j] + accNext[j]) * scale;
    if (outNext) outNext[j] = accNext[j] * scale;
  }
}

/** First index j with xs[j] >= x (xs ascending). */
function lowerBound(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Total GEX at one spot (full pass; used by the root refinement). `subset`: 'all', 'next' or 'ex-next'. */
export function gexAt(plan: ProfilePlan, spot: number, subset: 'all' | 'next' | 'ex-next' = 'all'): number {
  const x = Math.log(spot);
  const { a, v, w, next } = plan;
  let s = 0;
  for (let i = 0; i < plan.n; i++) {
    if (subset === 'next' && next[i] !== 1) continue;
    if (subset === 'ex-next' && next[i] === 1) continue;
    const d = a[i] + x / v[i];
    s += w[i] * fastExp(-0.5 * d * d);
  }
  return 0.01 * spot * s;
}

export interface ZeroCrossing {
  /** Refined spot where GEX = 0. */
  spot: number;
  /** Grid points that bracket it (profile[lo] and profile[hi] have opposite signs or one is 0). */
  lower: number;
  upper: number;
  /** 'up' when GEX goes from negative (below) to positive (above), 'down' otherwise. */
  direction: 'up' | 'down';
}

/**
 * Every sign change of a profile, each refined by Brent's method on the exact GEX(S) over its bracket. A run of
 * points with GEX exactly 0 between values of opposite sign is one crossing (reported at the middle of the run);
 * touching zero without changing sign, or a profile that is 0 everywhere (empty book), is no crossing. A sign change
 * narrower than the grid step can be missed (two crossings in one step cancel); with ≥ 200 points over ±20 % the
 * step is 0.2 % of spot.
 */
export function zeroCrossings(
  plan: ProfilePlan,
  spots: Float64Array,
  profile: Float64Array,
  subset: 'all' | 'next' | 'ex-next' = 'all',
  xtolRel = 1e-10,
): ZeroCrossing[] {
  const out: ZeroCrossing[] = [];
  const f = (s: number) => gexAt(plan, s, subset);
  let prev = -1; // index of the last non-zero point
  for (let j = 0; j < spots.length; j++) {
    const y1 = profile[j];
    if (y1 === 0 || Number.isNaN(y1)) continue;
    if (prev >= 0 && Math.sign(profile[prev]) !== Math.sign(y1)) {
      const y0 = profile[prev];
      const direction = y0 < 0 ? 'up' : 'down';
      if (j - prev > 1) {
        // Exact zeros in between: the crossing is the zero run itself.
        const mid = (prev + j) >> 1;
        out.push({ spot: spots[mid === prev ? prev + 1 : mid], lower: spots[prev + 1], upper: spots[j - 1], direction });
      } else {
        // Re-evaluate the ends with the same function Brent iterates on (the kernel sums in another order, so a
        // value within rounding of 0 could differ in sign); if that loses the bracket, the root is within rounding
        // of the linear interpolant, which is then reported.
        const fa = f(spots[prev]);
        const fb = f(spots[j]);
        let root: number;
        if (fa === 0) root = spots[prev];
        else if (fb === 0) root = spots[j];
        else if (Math.sign(fa) !== Math.sign(fb)) root = brentRoot(f, spots[prev], spots[j], xtolRel * spots[prev], 200, fa, fb).root;
        else root = spots[prev] + ((spots[j] - spots[prev]) * y0) / (y0 - y1);
        out.push({ spot: root, lower: spots[prev], upper: spots[j], direction });
      }
    }
    prev = j;
  }
  return out;
}

/** The crossing nearest to `spot` (the "flip" traders mean), or null when the profile never changes sign. */
export function nearestCrossing(crossings: ZeroCrossing[], spot: number): ZeroCrossing | null {
  let best: ZeroCrossing | null = null;
  for (const c of crossings) if (!best || Math.abs(c.spot - spot) < Math.abs(best.spot - spot)) best = c;
  return best;
}
