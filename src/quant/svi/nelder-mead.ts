/**
 * Nelder-Mead on a box (points are clamped into [lo, hi]), for the low-dimensional outer searches of the SVI
 * calibrations (2-D (m, ln σ) and 3-D eSSVI). Standard coefficients; stops on simplex size and value spread.
 */

export interface NelderMeadOptions {
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
  /** Initial step per coordinate. */
  step: ArrayLike<number>;
  maxEvals?: number;
  /** Absolute tolerance on the spread of values in the simplex. */
  fTol?: number;
  /** Tolerance on the simplex size per coordinate, relative to `step`. */
  xTol?: number;
}

export interface NelderMeadResult {
  x: Float64Array;
  f: number;
  evals: number;
}

export function nelderMead(f: (x: Float64Array) => number, x0: ArrayLike<number>, o: NelderMeadOptions): NelderMeadResult {
  const n = x0.length;
  const maxEvals = o.maxEvals ?? 200 * n;
  const fTol = o.fTol ?? 1e-10;
  const xTol = o.xTol ?? 1e-7;
  const clamp = (x: Float64Array): Float64Array => {
    for (let i = 0; i < n; i++) x[i] = Math.min(o.hi[i], Math.max(o.lo[i], x[i]));
    return x;
  };
  let evals = 0;
  const ev = (x: Float64Array): number => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const pts: Float64Array[] = [];
  const vals: number[] = [];
  const p0 = clamp(Float64Array.from(x0));
  pts.push(p0);
  vals.push(ev(p0));
  for (let i = 0; i < n; i++) {
    const p = Float64Array.from(p0);
    p[i] += o.step[i];
    if (p[i] > o.hi[i]) p[i] = p0[i] - o.step[i];
    clamp(p);
    pts.push(p);
    vals.push(ev(p));
  }
  const order = Array.from({ length: n + 1 }, (_, i) => i);
  const cen = new Float64Array(n);
  const xr = new Float64Array(n);
  const xe = new Float64Array(n);
  const xc = new Float64Array(n);
  while (evals < maxEvals) {
    order.sort((i, j) => vals[i] - vals[j]);
    const best = order[0];
    const worst = order[n];
    const second = order[n - 1];
    // Convergence: values flat and simplex small.
    let size = 0;
    for (let i = 1; i <= n; i++) {
      const p = pts[order[i]];
      for (let d = 0; d < n; d++) size = Math.max(size, Math.abs(p[d] - pts[best][d]) / o.step[d]);
    }
    if (Math.abs(vals[worst] - vals[best]) <= fTol * (1 + Math.abs(vals[best])) && size < xTol * 1e3) break;
    if (size < xTol) break;
    cen.fill(0);
    for (let i = 0; i < n; i++) {
      const p = pts[order[i]];
      for (let d = 0; d < n; d++) cen[d] += p[d] / n;
    }
    const pw = pts[worst];
    for (let d = 0; d < n; d++) xr[d] = cen[d] + (cen[d] - pw[d]);
    clamp(xr);
    const fr = ev(xr);
    if (fr < vals[best]) {
      for (let d = 0; d < n; d++) xe[d] = cen[d] + 2 * (cen[d] - pw[d]);
      clamp(xe);
      const fe = ev(xe);
      if (fe < fr) {
        pw.set(xe);
        vals[worst] = fe;
      } else {
        pw.set(xr);
        vals[worst] = fr;
      }
      continue;
    }
    if (fr < vals[second]) {
      pw.set(xr);
      vals[worst] = fr;
      continue;
    }
    // Contraction (outside if the reflection improved on the worst, inside otherwise).
    const outside = fr < vals[worst];
    for (let d = 0; d < n; d++) xc[d] = outside ? cen[d] + 0.5 * (xr[d] - cen[d]) : cen[d] + 0.5 * (pw[d] - cen[d]);
    clamp(xc);
    const fc = ev(xc);
    if (fc < (outside ? fr : vals[worst])) {
      pw.set(xc);
      vals[worst] = fc;
      continue;
    }
    // Shrink towards the best point.
    const pb = pts[best];
    for (let i = 1; i <= n; i++) {
      const p = pts[order[i]];
      for (let d = 0; d < n; d++) p[d] = pb[d] + 0.5 * (p[d] - pb[d]);
      vals[order[i]] = ev(p);
    }
  }
  let bi = 0;
  for (let i = 1; i <= n; i++) if (vals[i] < vals[bi]) bi = i;
  return { x: Float64Array.from(pts[bi]), f: vals[bi], evals };
}
