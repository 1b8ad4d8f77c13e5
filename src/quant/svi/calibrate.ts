/**
 * Arbitrage-free raw SVI calibration of one expiry slice.
 *
 * Objective: the weighted least squares of implied-VOLATILITY residuals, Σ ωᵢ (σ_model(kᵢ) − σ_midᵢ)², with ωᵢ the
 * caller's quote-quality weights (Manifold uses 1 / half-spread² in vol, so residuals are in half-spreads).
 *
 * 1. Quasi-explicit search (inner.ts): total variance is linear in (a, d, c) for fixed (m, σ), so the 5-D problem
 *    becomes an exact 3-variable QP (Goldfarb-Idnani dual active set) inside a 2-D search over (m, ln σ): a coarse
 *    scan picks the start (or the previous fit's (m, σ) for live refits), Nelder-Mead polishes it (a second start
 *    only when the first optimum is butterfly-free). Vol residuals are mapped to variance residuals exactly by
 *    σ_m − σ = (w_m − w) / (T (σ_m + σ)), re-weighted once (IRLS) with the model vols. When the unconstrained optimum
 *    has butterfly arbitrage, the search is repeated from the best scan cells with an exact (L1) penalty on g < δ
 *    (on a vertex and a uniform grid: only a start for step 2, which carries the full penalty set).
 * 2. Levenberg-Marquardt polish on the exact vol objective in all 5 parameters, with penalties for what the inner
 *    polyhedron cannot express: g(k) ≥ δ (Gatheral-Jacquier: no butterfly arbitrage) on grids far past the quotes
 *    and at the moving points where g can dip in a narrow band (dipG), min w > 0, Lee's bound b(1 + |ρ|) ≤ 1.98.
 *    The penalty weight is raised by continuation relative to the fit.
 * 3. Verification of every candidate on dense grids (butterflyReport). The best verified candidate is returned;
 *    an unverified better one is bisected towards it. If nothing verifies, the slice is bisected towards an SSVI
 *    slice inside Gatheral-Jacquier's sufficient conditions (θφ(1+|ρ|) < 4, θφ²(1+|ρ|) ≤ 4), butterfly-free by
 *    theorem. So a returned fit is always verified.
 * 4. Calendar floor (optional: the previous, shorter-dated slice's fit). No calendar arbitrage means
 *    w(k) ≥ w_prev(k) for every k at equal forward log-moneyness. The slice's own fit (stopped after step 1 and
 *    finished only when it can be the answer: `fitSviOwnUnverified`) is kept when it already passes
 *    (rawCalendarGap: dense grid to |k| = 10⁶ and the wing slopes). Otherwise it is refitted with the floor in every
 *    stage: in the inner QP, w(k_j) ≥ (1 + δ_c) w_prev(k_j) at points over and well past the quotes and the wing
 *    slopes c ± d ≥ σ s_prev are linear in (a, d, c), so each inner optimum is exactly feasible at those points;
 *    LM carries the same points (plus far ones) as penalty rows; and every candidate's verification includes the
 *    calendar check. Left between the points, a small shortfall is closed by the minimal uniform lift of a (verified
 *    again: raising w can break g ≥ 0 where k·w′ > 2w); the floor itself (equal variance) is the last resort, and
 *    is also taken when it fits the quotes better than the refit (a guard against a refit run off to a degenerate
 *    point, which would otherwise become the floor of every later slice).
 */
import { butterflyQuickReject, butterflyReport, checkRange, dipG, MAX_DIPS, sinhGrid, uniformGrid, type ButterflyReport } from './butterfly.js';
import { calendarGrid, calendarQuickReject, earlierW, rawCalendarGap, type CalendarGap } from './calendar.js';
import { InnerSolver } from './inner.js';
import { nelderMead } from './nelder-mead.js';
import { solveInPlace } from './linalg.js';
import { gFromW, MAX_WING_SLOPE, rawFromZeliade, sviG, sviGAt, sviMaxWingSlope, sviMinW, sviW, sviW1, type RawSvi } from './raw.js';

/** Quotes of one slice, already filtered. All arrays have the same length. */
export interface SliceQuotes {
  /** Time to expiry in years (ACT/365). */
  t: number;
  /** Log-forward moneyness ln(K/F). */
  k: Float64Array;
  /** Mid implied volatility (decimal). */
  mid: Float64Array;
  /** Bid / ask implied volatility (decimal), for fit quality. */
  bid: Float64Array;
  ask: Float64Array;
  /** Quote-quality weight per quote, in vol space (e.g. 1 / half-spread²). */
  weight: Float64Array;
}

export type SviFitStatus = 'ok' | 'too_few_quotes' | 'bad_input';

/** The previous (shorter-dated) slice's fit: the fit's total variance must stay at or above it everywhere. */
export interface CalendarFloor {
  params: RawSvi;
  /** Its quoted log-moneyness range (the calendar check covers the union of both ranges, then far past them). */
  kMin: number;
  kMax: number;
  /**
   * Optional guides for the refit under the floor: the wing slopes b(1 ± ρ) are kept at or below these (never
   * below the floor's own). Wing slopes only ratchet up along the floors, and past the quotes they are pure
   * extrapolation, so without a cap one steep short-dated wing would force every later slice to be steeper still.
   * The surface passes the smallest own-fit slope of the later slices. Not an arbitrage condition: not verified.
   */
  capR?: number;
  capL?: number;
}

/**
 * What the calendar floor did: 'none' (no floor given), 'free' (the slice's own fit is above the floor: unchanged),
 * 'constrained' (refitted under the floor), 'lifted' (the own fit raised uniformly onto the floor was best),
 * 'repaired' (the constrained fit needed the lift/repair step), 'floor' (no better verified point: the fit IS the
 * floor, equal total variance).
 */
export type CalendarOutcome = 'none' | 'free' | 'constrained' | 'lifted' | 'repaired' | 'floor';

export interface SviFitOptions {
  /** Previous fit of the same slice: the outer search starts there (live refits). */
  warm?: RawSvi | null;
  /** Calendar constraint: w(k) ≥ floor's w(k) for every k (fit slices in increasing expiry time). */
  floor?: CalendarFloor | null;
  /**
   * The slice's own fit without a floor, when the caller already has it (same quotes and options): verified, or
   * unverified (`fitSviOwnUnverified`), in which case it is verified only if it can be the answer.
   */
  own?: SviFitResult | UnverifiedFit | null;
  /** Minimum number of usable quotes (default 5). */
  minQuotes?: number;
}

export interface SviFitResult {
  status: SviFitStatus;
  /** Null unless status is 'ok'; never contains NaN. */
  params: RawSvi | null;
  /** Weighted sum of squared vol residuals. */
  objective: number;
  /** Minimum of g on the verification grid. */
  minG: number;
  /** True when the butterfly repair step had to move the parameters. */
  repaired: boolean;
  /** Objective evaluations (outer + LM), for diagnostics. */
  evals: number;
  /** What the calendar floor did (see CalendarOutcome); 'none' for failed fits. */
  calendar: CalendarOutcome;
  message?: string;
}

/** Margin the LM penalty keeps g above, so that the dense verification rarely needs the repair step. */
const G_MARGIN = 2e-4;

/**
 * Nelder-Mead budget of the outer searches (per start) and of the IRLS re-weighting pass (half of it in a refit under
 * a floor, which starts at the own fit's (m, σ) and is followed by LM anyway).
 */
const NM_EVALS = 45;
const IRLS_EVALS = 40;
const IRLS_EVALS_FLOOR = 20;
/**
 * A refit under the floor from an unpolished own fit is redone from the polished one when its objective is more than
 * this many times the own fit's. On the shared chains (1,512 slices) ~80 exceed 4× (binding floors legitimately cost
 * 4-10×) and the retry helps few of them; above 25× it replaced a poor basin in 5 of 12 (objective 0.73× to 0.001×).
 */
const RETRY_FACTOR = 25;
/** The penalised search re-ranks this many of the best unpenalised scan cells. */
const PEN_CELLS = 12;
/** Levenberg-Marquardt: iterations per run and relative convergence tolerance (the model decrease or the gain). */
const LM_ITERS = 12;
const LM_TOL = 1e-4;
/**
 * A slice's own fit (no floor) stopped before its dense verification: the polished parameters, usable as a start
 * and for guides, not as an answer; `finish()` runs the verification and repair and gives the fit `fitSviSlice`
 * would have returned (once; later calls return the same object).
 */
export interface UnverifiedFit {
  status: 'unverified';
  params: RawSvi;
  finish(): SviFitResult;
}

function isUnverified(f: SviFitResult | UnverifiedFit): f is UnverifiedFit {
  return f.status === 'unverified';
}

/**
 * The slice's own fit (no floor) up to, not including, the dense verification; a failure (too few quotes, bad
 * input) is returned as it is. Under a calendar floor most own fits are only a start for the refit under the floor
 * (86 % of the shared chains' slices need one), and verifying them was a third of their cost.
 */
export function fitSviOwnUnverified(q: SliceQuotes, opts: Omit<SviFitOptions, 'floor' | 'own'> = {}): SviFitResult | UnverifiedFit {
  return fitCore(q, { ...opts, floor: null }, true);
}

function fail(status: SviFitStatus, message: string): SviFitResult {
  return { status, params: null, objective: NaN, minG: NaN, repaired: false, evals: 0, calendar: 'none', message };
}

/**
 * Fits one slice. With a calendar floor: the slice is first fitted on its own, up to the quasi-explicit search; if
 * that point clears the floor, the own fit is finished (polished, verified butterfly-free) and kept when it still
 * clears it. Otherwise the fit is redone under the floor
 * (fitCore with the floor rows), and the best of that and the minimal uniform lift of the free fit onto the floor
 * (when that lift exists and passes both checks) is kept. Every returned fit passes butterflyReport and, with a
 * floor, rawCalendarGap.
 */
export function fitSviSlice(q: SliceQuotes, opts: SviFitOptions = {}): SviFitResult {
  const fl = opts.floor ?? null;
  if (!fl) {
    const given = opts.own;
    if (given) return isUnverified(given) ? given.finish() : given;
    return fitCore(q, opts);
  }
  const own = opts.own ?? fitCore(q, { ...opts, floor: null }, true);
  if (own.status !== 'ok' && own.status !== 'unverified') return own;
  if (!own.params) return own as SviFitResult;
  const kMin = q.k.reduce((a, x) => Math.min(a, x), Infinity);
  const kMax = q.k.reduce((a, x) => Math.max(a, x), -Infinity);
  const lo = Math.min(kMin, fl.kMin);
  const hi = Math.max(kMax, fl.kMax);
  // Slope guides, never below the floor's own slopes.
  const capR = Math.max(fl.capR ?? Infinity, fl.params.b * (1 + fl.params.rho));
  const capL = Math.max(fl.capL ?? Infinity, fl.params.b * (1 - fl.params.rho));
  const withinCaps = (p: RawSvi): boolean => p.b * (1 + p.rho) <= capR * (1 + 1e-6) && p.b * (1 - p.rho) <= capL * (1 + 1e-6);
  const clears = (p: RawSvi): boolean => withinCaps(p) && !calendarQuickReject(fl.params, p, lo, hi) && rawCalendarGap(fl.params, p, lo, hi).free;
  // The own fit is the answer when it clears the floor. An unverified one is verified only when its polished point
  // clears the floor (the repair can move it, so the verified point is checked again).
  if (isUnverified(own)) {
    if (clears(own.params)) {
      const v = own.finish();
      if (v.status === 'ok' && v.params && clears(v.params)) return { ...v, calendar: 'free' };
    }
  } else if (clears(own.params)) return { ...own, calendar: 'free' };
  let gapFor: RawSvi | null = null;
  let gapVal: CalendarGap | null = null;
  const gapOf = (c: RawSvi): CalendarGap => {
    if (c !== gapFor || !gapVal) {
      gapVal = rawCalendarGap(fl.params, c, lo, hi);
      gapFor = c;
    }
    return gapVal;
  };
  const check = (c: RawSvi): ButterflyReport => {
    const r = butterflyReport(c, kMin, kMax);
    return r.free && !gapOf(c).free ? { ...r, free: false } : r;
  };
  /**
   * The best of: the full search under the floor, its outer search warm-started at `start`'s (m, σ) (the floor
   * moves the optimum, rarely its basin; polishing the own fit alone under the floor was tried: it lands in poor
   * basins), and `start` lifted onto the floor (checked in full, and only when its objective would win).
   */
  const underFloor = (start: RawSvi, evals: number): SviFitResult => {
    const con = fitCore(q, { ...opts, warm: opts.warm ?? start });
    let out: SviFitResult = { ...con, evals: con.evals + evals, calendar: con.calendar === 'free' ? 'constrained' : con.calendar };
    const lifted = withinCaps(start) ? liftOnto(start, fl.params, lo, hi, gapOf) : null;
    if (lifted) {
      const obj = volObjective(q, lifted);
      if (!(out.objective <= obj)) {
        const r = check(lifted);
        if (r.free) out = { ...out, params: lifted, objective: obj, minG: r.minG, calendar: 'lifted' };
      }
    }
    return out;
  };
  let best = underFloor(own.params, isUnverified(own) ? 0 : own.evals);
  // From the unpolished own fit the search under the floor occasionally lands in a poor basin (the objective many
  // times the own fit's): then the own fit is polished and verified after all, and the search repeated from it.
  if (isUnverified(own) && !(best.objective <= RETRY_FACTOR * volObjective(q, own.params) + 1e-12)) {
        const v = own.finish();
    if (v.status === 'ok' && v.params) {
      if (clears(v.params)) {
        if (!(best.objective <= v.objective)) best = { ...v, calendar: 'free' };
      } else {
        const again = underFloor(v.params, v.evals);
        if (again.objective < best.objective) best = again;
      }
    }
  }
  // Guard: the floor itself (equal total variance: calendar-free) when it fits better than the refit, e.g. when the
  // refit under a hard floor ran off to a degenerate point. Verified on this slice's range like any candidate.
  if (fl.params.b > 0 || fl.params.a > 0) {
    const objF = volObjective(q, fl.params);
    if (objF < best.objective) {
      const r = check(fl.params);
      if (r.free) best = { ...best, params: fl.params, objective: objF, minG: r.minG, calendar: 'floor' };
    }
  }
  return best;
}

/** The fit objective of `p` on the quotes: Σ ωᵢ (σ_model − σ_mid)² with the weights normalised to sum n. */
function volObjective(q: SliceQuotes, p: RawSvi): number {
  const n = q.k.length;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += q.weight[i];
  let obj = 0;
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(Math.max(sviW(p, q.k[i]), 1e-16) / q.t) - q.mid[i];
    obj += ((q.weight[i] * n) / wsum) * r * r;
  }
  return obj;
}

function fitCore(q: SliceQuotes, opts: SviFitOptions): SviFitResult;
function fitCore(q: SliceQuotes, opts: SviFitOptions, deferVerify: boolean): SviFitResult | UnverifiedFit;
function fitCore(q: SliceQuotes, opts: SviFitOptions, deferVerify = false): SviFitResult | UnverifiedFit {
  const minQuotes = opts.minQuotes ?? 5;
  const n = q.k.length;
  if (!(q.t > 0) || !Number.isFinite(q.t)) return fail('bad_input', `time to expiry must be > 0, got ${q.t}`);
  if (n < minQuotes) return fail('too_few_quotes', `${n} usable quotes, need at least ${minQuotes}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(q.k[i]) || !(q.mid[i] > 0) || !(q.weight[i] > 0) || !Number.isFinite(q.weight[i])) {
      return fail('bad_input', `quote ${i} has a non-finite moneyness, vol or weight`);
    }
  }
  let kMin = Infinity,
    kMax = -Infinity;
  for (let i = 0; i < n; i++) {
    kMin = Math.min(kMin, q.k[i]);
    kMax = Math.max(kMax, q.k[i]);
  }
  if (!(kMax - kMin > 1e-6)) return fail('too_few_quotes', 'all quotes at the same strike');

  const t = q.t;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = q.mid[i] * q.mid[i] * t;
  // Normalise weights so objectives are O(n) whatever the caller's scale.
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += q.weight[i];
  const omega = new Float64Array(n);
  for (let i = 0; i < n; i++) omega[i] = (q.weight[i] * n) / wsum;

  // ---- 1. quasi-explicit outer search -------------------------------------------------------------------------
  const varW = new Float64Array(n);
  const setVarWeights = (modelVol: Float64Array | null): void => {
    for (let i = 0; i < n; i++) {
      const s = (modelVol ? modelVol[i] : q.mid[i]) + q.mid[i];
      varW[i] = omega[i] / (t * t * s * s);
    }
  };
  setVarWeights(null);
  const inner = new InnerSolver(q.k, v, varW, MAX_WING_SLOPE);
  // Calendar floor: the previous slice's total variance, enforced in the inner QP (exact linear rows at fixed
  // (m, σ)), as LM penalty rows, and in every verification (rawCalendarGap on the union of both quoted ranges).
  const fl = opts.floor ?? null;
  const calLo = fl ? Math.min(kMin, fl.kMin) : kMin;
  const calHi = fl ? Math.max(kMax, fl.kMax) : kMax;
  if (fl) inner.setFloor(floorRows(fl.params, calLo, calHi, false, fl.capR, fl.capL));
  // The last calendar gap, by parameter object (the verification and the outcome label ask for the same point).
  let gapFor: RawSvi | null = null;
  let gapVal: CalendarGap | null = null;
  const gapOf = (c: RawSvi): CalendarGap => {
    if (c !== gapFor || !gapVal) {
      gapVal = rawCalendarGap(fl!.params, c, calLo, calHi);
      gapFor = c;
    }
    return gapVal;
  };
  const calendarFree = (c: RawSvi): boolean => !fl || gapOf(c).free;
  /** Butterfly report, with `free` also requiring the calendar floor. */
  const check = (c: RawSvi, nU?: number, nY?: number): ButterflyReport => {
    const r = butterflyReport(c, kMin, kMax, nU, nY);
    return r.free && !calendarFree(c) ? { ...r, free: false } : r;
  };
  const span = kMax - kMin;
  const sigLo = Math.max(1e-4, span * 1e-3);
  const sigHi = Math.max(1.5, 2 * span);
  const lo = [kMin - span, Math.log(sigLo)];
  const hi = [kMax + span, Math.log(sigHi)];
  let evals = 0;
  const [cLo, cHi] = checkRange(kMin, kMax);
  const NU = 41;
  // Butterfly violation of the inner optimum at (m, σ): a sinh grid around the vertex and a uniform grid far past the
  // quotes (the narrow dips of dipG are left to the LM penalty and the verification: this only ranks starts).
  // μ = 0 turns it off (the unconstrained quasi-explicit search).
  let mu = 0;
  const zTmp = { a: 0, d: 0, c: 0, m: 0, sigma: 1 };
  // Vertex grid in y = (k − m)/σ, fixed: y, √(y² + 1) and (y² + 1)^(−3/2) are tabulated once, so g there costs
  // no square root (w, w′, w″ are linear in (a, d, c) for given y).
  const NY = 41;
  const yT = new Float64Array(NY);
  const sT = new Float64Array(NY);
  const s3T = new Float64Array(NY);
  {
    const u = Math.asinh(1e4);
    for (let j = 0; j < NY; j++) {
      const y = Math.sinh(-u + (2 * u * j) / (NY - 1));
      yT[j] = y;
      sT[j] = Math.sqrt(y * y + 1);
      s3T[j] = 1 / (sT[j] * sT[j] * sT[j]);
    }
  }
  const innerViolation = (m: number, sigma: number, a: number, d: number, c: number): number => {
    let v = 0;
    const mw = a + Math.sqrt(Math.max(0, c * c - d * d));
    if (mw <= 0) return 10 + (1 - mw / Math.max(c, 1e-12));
    const inv = 1 / sigma;
    for (let j = 0; j < NY; j++) {
      const y = yT[j];
      const w = a + d * y + c * sT[j];
      const w1 = (d + (c * y) / sT[j]) * inv;
      const w2 = c * s3T[j] * inv * inv;
      const g = gFromW(m + sigma * y, w, w1, w2);
      if (!(g >= G_MARGIN)) v += Number.isNaN(g) || g < -10 ? 10 : G_MARGIN - g;
    }
    zTmp.a = a;
    zTmp.d = d;
    zTmp.c = c;
    zTmp.m = m;
    zTmp.sigma = sigma;
    const p = rawFromZeliade(zTmp);
    // Uniform points over the check range, stretched to m ± 4σ: a wide-σ (parabola-like) fit keeps its curvature,
    // and its negative g, well past the quotes.
    const uLo = Math.min(cLo, m - 4 * sigma);
    const uHi = Math.max(cHi, m + 4 * sigma);
    {
      // Parameters hoisted (sviGAt: sviG's arithmetic).
      const pa = p.a;
      const pb = p.b;
      const pr = p.rho;
      const pm = p.m;
      const s2 = p.sigma * p.sigma;
      for (let j = 0; j < NU; j++) {
        const g = sviGAt(pa, pb, pr, pm, s2, uLo + ((uHi - uLo) * j) / (NU - 1));
        if (!(g >= G_MARGIN)) v += Number.isNaN(g) || g < -10 ? 10 : G_MARGIN - g;
      }
    }
    return v;
  };
  const outer = (x: Float64Array): number => {
    evals++;
    const sigma = Math.exp(x[1]);
    const r = inner.solve(x[0], sigma);
    if (mu === 0) return r.sse;
    return r.sse + mu * innerViolation(x[0], sigma, r.a, r.d, r.c);
  };
  const step = [Math.max(0.05 * span, 1e-3), 0.5];
  // Loose tolerances on purpose: the outer search only has to find the basin; the LM polish converges quadratically
  // once there (values flat to 10⁻⁶ relative, or the simplex within 10⁻³ of its initial step, ends a search).
  const nmOpts = { lo, hi, step, maxEvals: NM_EVALS, fTol: 1e-6, xTol: 1e-3 };

  const warmStart: Array<[number, number]> = [];
  if (opts.warm && Number.isFinite(opts.warm.m) && opts.warm.sigma > 0) {
    warmStart.push([opts.warm.m, Math.log(Math.min(sigHi, Math.max(sigLo, opts.warm.sigma)))]);
  }
  // Coarse scan of (m, σ); the best few cells seed Nelder-Mead (the outer objective is multi-modal).
  const cells: Array<[number, number]> = [];
  const nm = 6;
  const ns = 5;
  for (let i = 0; i < nm; i++) {
    const m = kMin + (span * (i + 0.5)) / nm;
    for (let j = 0; j < ns; j++) cells.push([m, Math.log(sigLo * 3) + ((Math.log(sigHi) - Math.log(sigLo * 3)) * j) / (ns - 1)]);
  }
  const xs = new Float64Array(2);
  const modelVol = new Float64Array(n);
  /** The unpenalised scan, best first (kept: the penalised search re-ranks only its best cells). */
  const scan0: Array<{ x: [number, number]; f: number }> = [];
  const search = (nStarts: number, irls: boolean): Float64Array => {
    // Live refit: the previous fit's (m, σ) is the only start (no scan); a cold fit scans.
    if (warmStart.length > 0) {
      const r = nelderMead(outer, warmStart[0], nmOpts);
      return irls ? reweight(r.x) : r.x;
    }
    // The penalised search re-ranks the best unpenalised cells only: a cell far off the quotes stays far off.
    const pool = scan0.length > 0 && mu > 0 ? scan0.slice(0, PEN_CELLS).map((c) => c.x) : cells;
    const scan = pool.map((x) => {
      xs[0] = x[0];
      xs[1] = x[1];
      return { x, f: outer(xs) };
    });
    scan.sort((p, r) => p.f - r.f);
    if (mu === 0) scan0.push(...scan);
    const starts: Array<[number, number]> = [];
    for (let i = 0; i < Math.min(nStarts, scan.length); i++) starts.push(scan[i].x);
    let bestX: Float64Array = new Float64Array(starts[0]);
    let bestF = Infinity;
    for (const s0 of starts) {
      const r = nelderMead(outer, s0, nmOpts);
      if (r.f < bestF) {
        bestF = r.f;
        bestX = r.x;
      }
    }
    lastSearchF = bestF;
    if (irls) bestX = reweight(bestX);
    return bestX;
  };
  let lastSearchF = Infinity;
  // IRLS step: re-weight with the model vols so that the variance objective equals the vol objective at the
  // fixed point, and re-polish. One pass is enough: the LM polish below works on the exact vol objective anyway.
  const reweight = (x: Float64Array): Float64Array => {
    const z = inner.solve(x[0], Math.exp(x[1]));
    const p = rawFromZeliade({ a: z.a, d: z.d, c: z.c, m: x[0], sigma: Math.exp(x[1]) });
    for (let i = 0; i < n; i++) modelVol[i] = Math.sqrt(Math.max(sviW(p, q.k[i]), 1e-12) / t);
    setVarWeights(modelVol);
    const xs0 = nelderMead(outer, x, { ...nmOpts, step: [step[0] * 0.2, 0.1], maxEvals: fl ? IRLS_EVALS_FLOOR : IRLS_EVALS }).x;
    setVarWeights(null);
    return xs0;
  };
  const paramsAt = (x: Float64Array): { p: RawSvi; viol: number } => {
    const sigma = Math.exp(x[1]);
    const z = inner.solve(x[0], sigma);
    return { p: sanitize(rawFromZeliade({ a: z.a, d: z.d, c: z.c, m: x[0], sigma })), viol: innerViolation(x[0], sigma, z.a, z.d, z.c) };
  };
  let qeX = search(1, false);
  let qeR = paramsAt(qeX);
  // A second start only when the first optimum is butterfly-free (otherwise the penalised search below rescans).
  if (qeR.viol === 0 && warmStart.length === 0 && scan0.length > 1) {
    const f1 = lastSearchF;
    const r2 = nelderMead(outer, scan0[1].x, nmOpts);
    if (r2.f < f1) {
      qeX = r2.x;
      qeR = paramsAt(qeX);
    }
  }
  if (qeR.viol === 0) {
    qeX = reweight(qeX);
    qeR = paramsAt(qeX);
  }
  if (qeR.viol > 0) {
    // The unconstrained optimum has butterfly arbitrage (typically: curvature persisting far past the quotes).
    // Search again with an exact (L1) penalty large enough that the optimum is feasible.
    mu = (1e4 * Math.max(inner.solve(qeX[0], Math.exp(qeX[1])).sse, 1e-14)) / G_MARGIN;
    qeX = search(1, true);
    qeR = paramsAt(qeX);
  }
  const qe = qeR.p;

  if (deferVerify) {
    let done: SviFitResult | null = null;
    return { status: 'unverified', params: qe, finish: () => (done ??= polishAndVerify()) };
  }
  return polishAndVerify();

  function polishAndVerify(): SviFitResult {
    // ---- 2. LM polish with constraint penalties -----------------------------------------------------------------
    // Penalty grid: coarse over the whole check range, dense just around the quoted range (where dips of g usually
    // sit: the fit bends hardest just past the last quotes), and sinh-spaced around the vertex.
    const near = Math.max(0.1, 0.5 * span);
    const wLo = Math.min(cLo, qe.m - 6 * qe.sigma);
    const wHi = Math.max(cHi, qe.m + 6 * qe.sigma);
    const lm = new PenalisedLm(
      q,
      omega,
      concat(
        concat(concat(uniformGrid(wLo, wHi, 41), uniformGrid(kMin - near, kMax + near, 61)), sinhGrid(qe.m, qe.sigma, 61, 1e4)),
        dipPatches(qe, wLo, wHi),
      ),
      wLo,
      wHi,
    );
    if (fl) lm.cal = floorRows(fl.params, calLo, calHi, true, fl.capR, fl.capL);
    let p = qe;
    const startFeasible = lm.violation(qe) === 0;
    // Penalty weights relative to the fit: at level c, a violation of G_MARGIN costs c times the whole objective.
    // Starting low and raising it (continuation) lets LM slide along the constraint instead of jumping to any
    // feasible point, which from a slightly infeasible start lands in poor local minima. It stops at the first level
    // where every penalised constraint holds at its points (nearFeasible: inside half the margins; the dense
    // verification below decides anyway).
    const cost0 = Math.max(lm.cost(qe, 0), 1e-300);
    const muOf = (c: number): number => (c * cost0) / (G_MARGIN * G_MARGIN);
    for (const c of startFeasible ? [1e4] : [1, 1e2, 1e4, 1e6]) {
      p = lm.run(p, muOf(c));
      if (lm.nearFeasible(p)) break;
    }
    // Keep whichever of QE and LM is better among the constraint-satisfying ones.
    if (startFeasible && (lm.violation(p) > 0 || lm.cost(qe, 0) < lm.cost(p, 0))) p = qe;


    // ---- 3. verification and repair ------------------------------------------------------------------------------
    // Every candidate is checked on the dense grids; the best verified one is kept, and an unverified better one is
    // pulled towards it by bisection (the closest verified point on the segment).
    let rep = butterflyReport(p, kMin, kMax);
    let best: { p: RawSvi; cost: number; minG: number } | null = null;
    const consider = (c: RawSvi, r: { free: boolean; minG: number }): void => {
      if (!r.free) return;
      const f = lm.cost(c, 0);
      if (!best || f < best.cost) best = { p: c, cost: f, minG: r.minG };
    };
    consider(p, rep);
    // The QE point only matters as a fallback when the polished point fails (otherwise the polish is at least as good).
    if (!rep.free && p !== qe) consider(qe, butterflyReport(qe, kMin, kMax));
    // A dip between the penalty grid's points: add a fine patch around it and the vertex, polish again.
    for (let round = 0; round < 3 && !rep.free; round++) {
      const at = Number.isFinite(rep.at) ? rep.at : p.m;
      const h = Math.max(1e-4, Math.min(0.05, 0.2 * p.sigma));
      lm.grid = concat(concat(lm.grid, dipPatches(p, wLo, wHi)), concat(uniformGrid(at - 10 * h, at + 10 * h, 41), sinhGrid(p.m, p.sigma, 41, 1e4)));
      // Continuation again: jumping straight to a huge weight lets LM trade the whole fit for the new points.
      const costNow = Math.max(lm.cost(p, 0), 1e-300);
      let cand = p;
      for (const c of [1, 1e2, 1e4, 1e6]) {
        cand = lm.run(cand, (c * costNow) / (G_MARGIN * G_MARGIN));
        if (c >= 1e2 && lm.nearFeasible(cand)) break;
      }
      const r = butterflyReport(cand, kMin, kMax);
      consider(cand, r);
      if (r.free) break;
      p = cand;
      rep = r;
    }
    evals += lm.evals;
    const finalBest = best as { p: RawSvi; cost: number; minG: number } | null;
    let repaired = false;
    if (!rep.free || (finalBest && finalBest.p !== p)) {
      // p is the best unverified point; target is the best verified one, else an SSVI slice free by theorem.
      const target = finalBest ? finalBest.p : ssviSafe(p);
      let loL = 0;
      let hiL = 1;
      let hiP = target;
      if (!rep.free) {
        for (let it = 0; it < 24; it++) {
          const mid = 0.5 * (loL + hiL);
          const cand = blend(p, target, mid);
          if (!butterflyQuickReject(cand, kMin, kMax, 801, 401, 8) && butterflyReport(cand, kMin, kMax, 801, 401).free) {
            hiL = mid;
            hiP = cand;
          } else loL = mid;
        }
        rep = butterflyReport(hiP, kMin, kMax);
        if (!rep.free || (finalBest && lm.cost(hiP, 0) > finalBest.cost)) hiP = target;
      }
      p = hiP;
      rep = butterflyReport(p, kMin, kMax);
      repaired = !finalBest;
      if (!rep.free) {
        // The SSVI end point itself is free by theorem; only rounding could get here.
        p = ssviSafe(p);
        rep = butterflyReport(p, kMin, kMax);
        repaired = true;
      }
    }
    let calendar: CalendarOutcome = 'none';
    if (fl && !calendarFree(p)) {
      // The floor rows hold at their points (exactly in the QE optimum, up to the penalty in LM), not necessarily
      // between them: lift the butterfly-free candidates onto the floor (the minimal uniform lift), verify both
      // checks, keep the best; the floor itself is the last resort.
      // Candidates by objective; the first that passes both checks wins (only it needs verifying).
      const cands: Array<{ t: RawSvi; f: number }> = [];
      for (const c of p === qe ? [p] : [p, qe]) {
        const t = liftOnto(c, fl.params, calLo, calHi, gapOf);
        if (t) cands.push({ t, f: lm.cost(t, 0) });
      }
      cands.sort((x, y) => x.f - y.f);
      let chosen: { p: RawSvi; r: ButterflyReport } | null = null;
      for (const c of cands) {
        const r = check(c.t);
        if (r.free) {
          chosen = { p: c.t, r };
          break;
        }
      }
      p = chosen ? chosen.p : fl.params;
      rep = chosen ? chosen.r : check(p);
      repaired = true;
    }
    if (fl) {
      const slack = gapOf(p).minRel;
      calendar = p === fl.params ? 'floor' : repaired ? 'repaired' : slack > BINDING ? 'free' : 'constrained';
    }
    return { status: 'ok', params: p, objective: lm.cost(p, 0), minG: rep.minG, repaired, evals, calendar };
  }
}

/**
 * Floor rows for the inner QP / the LM penalty: points over the quoted union [lo, hi] and geometrically outward from
 * it (the same points in both, so that the QE optimum starts LM feasible); the floor value carries the relative
 * CAL_MARGIN.
 */
function floorRows(prev: RawSvi, lo: number, hi: number, withFar: boolean, capR = Infinity, capL = Infinity): CalendarRows {
  const pts: number[] = [];
  const nNear = 20;
  const nOut = 12;
  for (let i = 0; i <= nNear; i++) pts.push(lo + ((hi - lo) * i) / nNear);
  // Outward from the quoted union, geometrically from 0.4 % of log-moneyness to 3: the crossings of two fits sit
  // just past the quotes, where the slices' wings diverge.
  for (let i = 0; i < nOut; i++) {
    const d = 0.004 * Math.pow(3 / 0.004, i / (nOut - 1));
    pts.push(lo - d, hi + d);
  }
  // LM only: far points out to 10³ (intercepts of the wings; in the QP they would make the rows badly scaled).
  if (withFar) {
    for (let i = 1; i <= 6; i++) {
      const d = 3 * Math.pow(1e3 / 3, i / 6);
      pts.push(lo - d, hi + d);
    }
  }
  const k = Float64Array.from(pts);
  const wMin = new Float64Array(k.length);
  const wPrev = new Float64Array(k.length);
  for (let j = 0; j < k.length; j++) {
    wPrev[j] = sviW(prev, k[j]);
    wMin[j] = wPrev[j] * (1 + CAL_MARGIN) + 1e-14;
  }
  return { k, wPrev, wMin, sR: prev.b * (1 + prev.rho), sL: prev.b * (1 - prev.rho), capR, capL };
}

/**
 * The calendar fallback for a fit `p` that fails the floor: `p` lifted uniformly (a raised by its largest shortfall
 * on the dense check grid, then by what the check's refinement finds), or null when its wing slopes are below the
 * floor's (no finite lift). Not verified here: raising w can itself break g ≥ 0 where k·w′ > 2w, so the callers
 * check it (both checks) before using it, and fall back to the floor itself (equal total variance: calendar-free,
 * and butterfly-free since it was verified when it was fitted).
 */
function liftOnto(p: RawSvi, prev: RawSvi, lo: number, hi: number, gap: (c: RawSvi) => CalendarGap = (c) => rawCalendarGap(prev, c, lo, hi)): RawSvi | null {
  const wingsOk = p.b * (1 + p.rho) >= prev.b * (1 + prev.rho) && p.b * (1 - p.rho) >= prev.b * (1 - prev.rho);
  if (!wingsOk) return null;
  // The check's own grid: lifted by the largest shortfall there, every grid point passes.
  let short = 0;
  const grid = calendarGrid(lo, hi);
  const wPrev = earlierW(prev, grid);
  for (let j = 0; j < grid.length; j++) short = Math.max(short, wPrev[j] - sviW(p, grid[j]));
  let lifted: RawSvi = { ...p, a: p.a + short * (1 + 1e-9) };
  // The check also refines dips between its grid points: lift by what it finds, a few times at most.
  for (let it = 0; it < 4; it++) {
    const g = gap(lifted);
    if (g.free) break;
    lifted = { ...lifted, a: lifted.a - g.dw * (1 + 1e-6) + 1e-15 };
  }
  return lifted;
}

/**
 * Where g can dip below zero in a narrow band: its first term (1 − k w′/(2w))² has a double zero where
 * 2w = k w′, and only there can the negative terms win. Those points are bracketed on a scan of 2w − k w′ (cheap:
 * no g) and a fine patch of penalty points is laid around each, so that a grid cannot step over the dip.
 */
function dipPatches(p: RawSvi, lo: number, hi: number): Float64Array {
  const out: number[] = [];
  const n = 240;
  let prevK = lo;
  let prevH = 2 * sviW(p, lo) - lo * sviW1(p, lo);
  for (let i = 1; i <= n; i++) {
    const k = lo + ((hi - lo) * i) / n;
    const h = 2 * sviW(p, k) - k * sviW1(p, k);
    if ((h > 0) !== (prevH > 0) && Number.isFinite(h) && Number.isFinite(prevH)) {
      const root = prevK + ((k - prevK) * prevH) / (prevH - h);
      const half = Math.max(2 * (k - prevK), 0.02);
      for (let j = 0; j <= 20; j++) out.push(root - half + (2 * half * j) / 20);
    }
    prevK = k;
    prevH = h;
  }
  return Float64Array.from(out);
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Clamp into the open domain the LM parametrisation can represent (b > 0, |ρ| < 1). */
function sanitize(p: RawSvi): RawSvi {
  return {
    a: p.a,
    b: Math.max(p.b, 1e-8),
    rho: Math.max(-0.999, Math.min(0.999, p.rho)),
    m: p.m,
    sigma: Math.max(p.sigma, 1e-6),
  };
}

function blend(p: RawSvi, s: RawSvi, l: number): RawSvi {
  return {
    a: p.a + l * (s.a - p.a),
    b: p.b + l * (s.b - p.b),
    rho: p.rho + l * (s.rho - p.rho),
    m: p.m + l * (s.m - p.m),
    sigma: p.sigma + l * (s.sigma - p.sigma),
  };
}

/**
 * An SSVI slice (θ, ρ, φ) with the same ATM total variance and skew direction as `p`, inside Gatheral-Jacquier's
 * sufficient no-butterfly conditions with a 2 % margin, written as raw SVI.
 */
export function ssviSafe(p: RawSvi): RawSvi {
  let theta = sviW(p, 0);
  if (!(theta > 0)) theta = Math.max(sviMinW(p), 1e-8);
  const rho = Math.max(-0.95, Math.min(0.95, p.rho));
  const r = 1 + Math.abs(rho);
  const phi = 0.98 * Math.min(4 / (theta * r), 2 / Math.sqrt(theta * r));
  return ssviToRaw(theta, rho, phi);
}

/** SSVI slice w = θ/2 (1 + ρφk + √((φk + ρ)² + 1 − ρ²)) as raw SVI. */
export function ssviToRaw(theta: number, rho: number, phi: number): RawSvi {
  return {
    a: (theta / 2) * (1 - rho * rho),
    b: (theta * phi) / 2,
    rho,
    m: -rho / phi,
    sigma: Math.sqrt(1 - rho * rho) / phi,
  };
}

/**
 * Levenberg-Marquardt on (a, ln b, atanh ρ, m, ln σ) for residuals √ω (σ_model − σ_mid) plus penalty rows
 * √μ · max(0, δ − g(k_j)), √μ · max(0, slope − cap), √μ · max(0, −min w). Quote rows have analytic Jacobians;
 * penalty rows are differentiated numerically, only where active.
 */
class PenalisedLm {
  evals = 0;
  private readonly n: number;
  constructor(
    private readonly q: SliceQuotes,
    private readonly omega: Float64Array,
    public grid: Float64Array,
    private readonly lo: number,
    private readonly hi: number,
  ) {
    this.n = q.k.length;
  }

  /** Calendar floor rows (null: none). Changing it invalidates the penalty cache. */
  private calRows: CalendarRows | null = null;
  get cal(): CalendarRows | null {
    return this.calRows;
  }
  set cal(c: CalendarRows | null) {
    this.calRows = c;
    this.penFor = null;
  }

  /** Vol-objective value plus μ-weighted penalties. */
  cost(p: RawSvi, mu: number): number {
    const { q, omega } = this;
    let s = 0;
    for (let i = 0; i < this.n; i++) {
      const w = sviW(p, q.k[i]);
      const r = Math.sqrt(Math.max(w, 1e-16) / q.t) - q.mid[i];
      s += omega[i] * r * r;
    }
    if (mu > 0) {
      const pen = this.penalties(p);
      for (let j = 0; j < pen.length; j++) s += mu * pen[j] * pen[j];
    }
    return s;
  }

  /** Sum of constraint violations (0 when the penalised constraints hold). */
  /**
   * True when every penalised constraint holds at its points: the butterfly and calendar rows below half their
   * margins (so g > 0 and w > w_prev there), Lee's bound and min w > 0 exactly.
   */
  nearFeasible(p: RawSvi): boolean {
    const pen = this.penalties(p);
    const g = this.grid.length;
    for (let j = 0; j < pen.length; j++) {
      if (j === g || j === g + 1 ? pen[j] > 0 : !(pen[j] < 0.5 * G_MARGIN)) return false;
    }
    return true;
  }

  violation(p: RawSvi): number {
    const pen = this.penalties(p);
    let s = 0;
    for (let j = 0; j < pen.length; j++) s += pen[j];
    return s;
  }

  private penBuf = new Float64Array(0);
  private readonly dips = new Float64Array(MAX_DIPS);
  /** The parameters `penBuf` was last computed for (object identity). */
  private penFor: RawSvi | null = null;

  /** Penalty values (a shared buffer: valid until the next call with other parameters). */
  private penalties(p: RawSvi): Float64Array {
    const g = this.grid;
    const cal = this.cal;
    const len = g.length + 2 + MAX_DIPS + (cal ? cal.k.length + 2 : 0);
    if (this.penFor === p && this.penBuf.length === len) return this.penBuf;
    if (this.penBuf.length !== len) this.penBuf = new Float64Array(len);
    this.penFor = p;
    const out = this.penBuf;
    // g on the grid, the parameters hoisted (sviGAt: sviG's arithmetic).
    const pa = p.a;
    const pb = p.b;
    const pr = p.rho;
    const pm = p.m;
    const s2 = p.sigma * p.sigma;
    for (let j = 0; j < g.length; j++) {
      const gv = sviGAt(pa, pb, pr, pm, s2, g[j]);
      out[j] = gv >= G_MARGIN ? 0 : Math.min(G_MARGIN - gv, 10);
    }
    out[g.length] = Math.max(0, sviMaxWingSlope(p) - MAX_WING_SLOPE);
    out[g.length + 1] = Math.max(0, -sviMinW(p));
    dipG(p, this.lo, this.hi, 30, this.dips);
    for (let j = 0; j < MAX_DIPS; j++) {
      const gv = this.dips[j];
      out[g.length + 2 + j] = gv >= G_MARGIN ? 0 : Math.min(G_MARGIN - gv, 10);
    }
    if (cal) {
      const base = g.length + 2 + MAX_DIPS;
      for (let j = 0; j < cal.k.length; j++) out[base + j] = calPenalty(p, cal, j);
      out[base + cal.k.length] = slopePenalty(cal.sR, cal.capR, p.b * (1 + p.rho));
      out[base + cal.k.length + 1] = slopePenalty(cal.sL, cal.capL, p.b * (1 - p.rho));
    }
    return out;
  }

  run(start: RawSvi, mu: number): RawSvi {
    const { q, omega, n } = this;
    const toX = (p: RawSvi): Float64Array =>
      Float64Array.of(p.a, Math.log(p.b), Math.atanh(p.rho), p.m, Math.log(p.sigma));
    const fromX = (x: Float64Array): RawSvi => ({
      a: x[0],
      b: Math.exp(x[1]),
      rho: Math.tanh(x[2]),
      m: x[3],
      sigma: Math.exp(x[4]),
    });
    let x = toX(start);
    let p = fromX(x);
    let cost = this.cost(p, mu);
    let lambda = 1e-3;
    const jtj = new Float64Array(25);
    const jtr = new Float64Array(5);
    const a = new Float64Array(25);
    const rhs = new Float64Array(5);
    const row = new Float64Array(5);
    for (let iter = 0; iter < LM_ITERS; iter++) {
      jtj.fill(0);
      jtr.fill(0);
      // Quote rows: r = √ω (√(w/T) − σ), dr/dθ = √ω · (dw/dθ) / (2√(wT)).
      for (let i = 0; i < n; i++) {
        const xk = q.k[i] - p.m;
        const sq = Math.sqrt(xk * xk + p.sigma * p.sigma);
        const w = Math.max(p.a + p.b * (p.rho * xk + sq), 1e-16);
        const so = Math.sqrt(omega[i]);
        const r = so * (Math.sqrt(w / q.t) - q.mid[i]);
        const f = so / (2 * Math.sqrt(w * q.t));
        row[0] = f;
        row[1] = f * p.b * (p.rho * xk + sq);
        row[2] = f * p.b * xk * (1 - p.rho * p.rho);
        row[3] = -f * p.b * (p.rho + xk / sq);
        row[4] = (f * p.b * p.sigma * p.sigma) / sq;
        accumulate(jtj, jtr, row, r);
      }
      // Penalty rows, numerically differentiated where active.
      const sm = Math.sqrt(mu);
      const pen = this.penalties(p);
      const h = 1e-6;
      // The five perturbed parameter sets, shared by every active row.
      let pds: RawSvi[] | null = null;
      this.dipFor.fill(0);
      for (let j = 0; j < pen.length; j++) {
        if (pen[j] === 0) continue;
        if (!pds) {
          pds = [];
          for (let d = 0; d < 5; d++) {
            const xd = Float64Array.from(x);
            xd[d] += h;
            pds.push(fromX(xd));
          }
        }
        for (let d = 0; d < 5; d++) row[d] = (sm * (this.penaltyAt(pds[d], j, d) - pen[j])) / h;
        accumulate(jtj, jtr, row, sm * pen[j]);
      }
      this.evals++;
      let improved = false;
      for (let tries = 0; tries < 8; tries++) {
        for (let i = 0; i < 25; i++) a[i] = jtj[i];
        for (let d = 0; d < 5; d++) {
          a[d * 5 + d] += lambda * (jtj[d * 5 + d] + 1e-12);
          rhs[d] = -jtr[d];
        }
        if (!solveInPlace(a, rhs, 5)) {
          lambda *= 10;
          continue;
        }
        {
          // Gauss-Newton model decrease of this step, −(2δᵀJᵀr + δᵀJᵀJδ): below the relative tolerance the run has
          // converged (no need to evaluate more and more damped trial steps).
          let lin = 0;
          let quad = 0;
          for (let d = 0; d < 5; d++) {
            lin += rhs[d] * jtr[d];
            let row5 = 0;
            for (let e = 0; e < 5; e++) row5 += jtj[d * 5 + e] * rhs[e];
            quad += rhs[d] * row5;
          }
          const pred = -(2 * lin + quad);
          if (!(pred > LM_TOL * cost)) break;
        }
        const xn = Float64Array.from(x);
        for (let d = 0; d < 5; d++) xn[d] += rhs[d];
        xn[2] = Math.max(-3.8, Math.min(3.8, xn[2]));
        xn[1] = Math.max(-40, xn[1]);
        xn[4] = Math.max(Math.log(1e-6), Math.min(Math.log(50), xn[4]));
        const pn = fromX(xn);
        const cn = this.cost(pn, mu);
        this.evals++;
        if (cn < cost) {
          const rel = (cost - cn) / Math.max(cost, 1e-300);
          x = xn;
          p = pn;
          cost = cn;
          lambda = Math.max(lambda / 3, 1e-9);
          improved = true;
          if (rel < LM_TOL) return p;
          break;
        }
        lambda *= 4;
      }
      if (!improved) break;
    }
    return p;
  }

  /** dipG of the five perturbed parameter sets of the current Jacobian (computed once each, on first use). */
  private readonly dipD = Array.from({ length: 5 }, () => new Float64Array(MAX_DIPS));
  private readonly dipFor = new Uint8Array(5);

  private penaltyAt(p: RawSvi, j: number, dIdx: number): number {
    const g = this.grid;
    if (j < g.length) {
      const gv = sviG(p, g[j]);
      return gv >= G_MARGIN ? 0 : Math.min(G_MARGIN - gv, 10);
    }
    if (j === g.length) return Math.max(0, sviMaxWingSlope(p) - MAX_WING_SLOPE);
    if (j === g.length + 1) return Math.max(0, -sviMinW(p));
    const base = g.length + 2 + MAX_DIPS;
    const cal = this.cal;
    if (cal && j >= base) {
      const i = j - base;
      if (i < cal.k.length) return calPenalty(p, cal, i);
      return i === cal.k.length ? slopePenalty(cal.sR, cal.capR, p.b * (1 + p.rho)) : slopePenalty(cal.sL, cal.capL, p.b * (1 - p.rho));
    }
    const d = this.dipD[dIdx];
    if (!this.dipFor[dIdx]) {
      dipG(p, this.lo, this.hi, 30, d);
      this.dipFor[dIdx] = 1;
    }
    const gv = d[j - g.length - 2];
    return gv >= G_MARGIN ? 0 : Math.min(G_MARGIN - gv, 10);
  }
}

/**
 * Calendar floor as penalty rows: at points k_j the fit's total variance must stay ≥ (1 + CAL_MARGIN) w_prev(k_j),
 * and its wing slopes ≥ the previous slice's. Shortfalls are relative and scaled so that a relative shortfall of
 * CAL_MARGIN weighs like a butterfly violation of G_MARGIN (the penalty weight μ is shared).
 */
interface CalendarRows {
  k: Float64Array;
  wPrev: Float64Array;
  /** wPrev (1 + CAL_MARGIN) + 1e-14: the bound the fit keeps at k. */
  wMin: Float64Array;
  sR: number;
  sL: number;
  /** Upper slope guides (Infinity: none). */
  capR: number;
  capL: number;
}

/** Relative margin the calendar penalty keeps above the previous slice (the dense check then rarely fails). */
const CAL_MARGIN = 2e-5;
const CAL_SCALE = G_MARGIN / CAL_MARGIN;
/** A fit whose total variance comes within this relative distance of the floor somewhere counts as constrained. */
const BINDING = 1e-3;

function calPenalty(p: RawSvi, cal: CalendarRows, j: number): number {
  const wp = cal.wPrev[j];
  const short = (cal.wMin[j] - sviW(p, cal.k[j])) / Math.max(wp, 1e-12);
  return short > 0 ? Math.min(short * CAL_SCALE, 10) : 0;
}

function slopePenalty(prev: number, cap: number, s: number): number {
  // The same relative margin as the points (capped by Lee's bound), so that the wing slopes end at or above the
  // floor's and the minimal lift stays finite; above the cap guide (never below the floor) a softer pull down.
  const low = Math.min(prev * (1 + CAL_MARGIN), MAX_WING_SLOPE);
  const short = (low - s) / Math.max(prev, 1e-12);
  if (short > 0) return Math.min(short * CAL_SCALE, 10);
  const hi = Math.max(low, cap);
  const over = (s - hi) / Math.max(hi, 1e-12);
  return over > 0 ? Math.min(over * CAL_SCALE, 10) : 0;
}

function accumulate(jtj: Float64Array, jtr: Float64Array, row: Float64Array, r: number): void {
  for (let a = 0; a < 5; a++) {
    const ra = row[a];
    if (ra === 0) continue;
    jtr[a] += ra * r;
    for (let b = 0; b < 5; b++) jtj[a * 5 + b] += ra * row[b];
  }
}




