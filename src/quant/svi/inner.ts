/**
 * The quasi-explicit inner problem (De Marco-Martini / Zeliade): for fixed (m, σ), total variance
 * w = a + d·y + c·√(y² + 1), y = (k − m)/σ, is linear in x = (a, d, c), so the weighted least-squares fit is a
 * 3-variable convex quadratic programme on a polyhedron. It is solved EXACTLY by the Goldfarb-Idnani dual active-set
 * method (start at the unconstrained optimum, add the most violated row, step in the primal and the multipliers,
 * drop a row whose multiplier reaches zero): with a positive-definite Hessian the end point is the unique KKT point.
 * A step costs one pass over the rows and a ≤ 3×3 solve; a few steps suffice even with the calendar floor's rows
 * (enumerating the KKT systems of every active subset, as before, cost ~22-29 systems per solve under the floor).
 *
 * Constraints (all linear, all implied by the true SVI domain or sufficient for it):
 *   |d| ≤ c                 (|ρ| ≤ 1, b ≥ 0)
 *   c ± d ≤ S·σ             (Lee: wing slopes b(1 ± ρ) ≤ S, S < 2)
 *   a + αⱼ c + βⱼ d ≥ 0     (min w = a + c·√(1 − u²) ≥ 0 with u = d/c: √(1 − u²) is concave, so its chords
 *                            αⱼ + βⱼ u lie below it and these cuts are sufficient; nodes crowd near |u| = 1, where
 *                            strongly skewed smiles live, so the cut-off part of the true domain is tiny there)
 * Every row is checked at every step; only violated ones enter the active set, so the chord cuts and floor rows cost
 * one dot product each when inactive.
 */
import { solveInPlace } from './linalg.js';

const NODES = [-1, -0.995, -0.98, -0.95, -0.9, -0.8, -0.6, -0.3, 0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.98, 0.995, 1];
const f = (u: number): number => Math.sqrt(Math.max(0, 1 - u * u));

/** Constraint rows (a, d, c coefficients) ≥ right-hand side; the right-hand sides of rows 2, 3 scale with σ. */
const ROWS: Array<readonly [number, number, number]> = [
  [0, -1, 1], // c − d ≥ 0
  [0, 1, 1], // c + d ≥ 0
  [0, -1, -1], // −c − d ≥ −Sσ
  [0, 1, -1], // −c + d ≥ −Sσ
];
const FIRST_CHORD = ROWS.length;
for (let j = 0; j + 1 < NODES.length; j++) {
  const u0 = NODES[j];
  const u1 = NODES[j + 1];
  const beta = (f(u1) - f(u0)) / (u1 - u0);
  const alpha = f(u0) - beta * u0;
  ROWS.push([1, beta, alpha]); // a + βd + αc ≥ 0
}
const NROWS = ROWS.length;

/** True when (a, d, c) satisfies every inner constraint for this σ (the domain the inner optimum is taken over). */
export function innerFeasible(a: number, d: number, c: number, sigma: number, maxSlope: number, tol = 1e-12): boolean {
  for (let j = 0; j < NROWS; j++) {
    const r = ROWS[j];
    const rhs = j === 2 || j === 3 ? -maxSlope * sigma : 0;
    if (r[0] * a + r[1] * d + r[2] * c < rhs - tol) return false;
  }
  return true;
}

/**
 * Calendar floor of the inner problem: total variance ≥ wMin[j] at k[j], wing slopes ≥ sR (right), sL (left), and
 * at most capR / capL (Infinity: Lee's bound only).
 */
export interface InnerFloor {
  k: Float64Array;
  wMin: Float64Array;
  sR: number;
  sL: number;
  capR: number;
  capL: number;
}

export interface InnerResult {
  a: number;
  d: number;
  c: number;
  /** Weighted sum of squared residuals at the optimum. */
  sse: number;
}

/**
 * Reusable workspace: the normal equations H = Σ ω φφᵀ, g = Σ ω v φ with φ = (1, y, √(y²+1)).
 * Allocating once per slice keeps the outer search allocation-free.
 */
export class InnerSolver {
  private readonly h = new Float64Array(9);
  private readonly gv = new Float64Array(3);
  private vv = 0;
  private bnd: Float64Array = new Float64Array(NROWS);
  /** Row coefficients (a, d, c) of every constraint: ROWS, then the calendar floor's rows. */
  private co: Float64Array;
  private floor: InnerFloor | null = null;

  constructor(
    private readonly k: Float64Array,
    /** Market total variance per quote. */
    private readonly v: Float64Array,
    /** Weight per quote in total-variance space. */
    public weights: Float64Array,
    private readonly maxSlope: number,
  ) {
    this.co = new Float64Array(3 * NROWS);
    for (let j = 0; j < NROWS; j++) for (let i = 0; i < 3; i++) this.co[3 * j + i] = ROWS[j][i];
  }

  /**
   * Calendar floor (null: none): w(k_j) ≥ wMin_j at the given points and wing slopes b(1 ± ρ) ≥ sR / sL. For fixed
   * (m, σ) every one of these is linear in (a, d, c) — a + d·y_j + c·√(y_j² + 1) ≥ wMin_j, c ± d ≥ σ·s — so the
   * inner problem stays an exact QP: the slope rows tighten the base rows c ± d ≥ 0, the point rows are cutting planes
   * like the chord cuts.
   */
  setFloor(f: InnerFloor | null): void {
    this.floor = f;
    const total = NROWS + (f ? f.k.length : 0);
    const co = new Float64Array(3 * total);
    co.set(this.co.subarray(0, 3 * NROWS));
    for (let j = NROWS; j < total; j++) co[3 * j] = 1;
    this.co = co;
    this.bnd = new Float64Array(total);
  }

  /** Solves the inner problem for (m, σ). */
  solve(m: number, sigma: number): InnerResult {
    const { k, v, weights: wt, h, gv } = this;
    let s00 = 0,
      s01 = 0,
      s02 = 0,
      s11 = 0,
      s12 = 0,
      s22 = 0,
      g0 = 0,
      g1 = 0,
      g2 = 0,
      vv = 0;
    const inv = 1 / sigma;
    for (let i = 0; i < k.length; i++) {
      const w = wt[i];
      const y = (k[i] - m) * inv;
      const s = Math.sqrt(y * y + 1);
      const wy = w * y;
      const ws = w * s;
      s00 += w;
      s01 += wy;
      s02 += ws;
      s11 += wy * y;
      s12 += wy * s;
      s22 += ws * s;
      const wv = w * v[i];
      g0 += wv;
      g1 += wv * y;
      g2 += wv * s;
      vv += wv * v[i];
    }
    // A whisper of ridge keeps H positive definite when quotes are few or y·s nearly collinear (σ → 0).
    const ridge = 1e-12 * (s00 + s11 + s22);
    h[0] = s00 + ridge;
    h[1] = s01;
    h[2] = s02;
    h[3] = s01;
    h[4] = s11 + ridge;
    h[5] = s12;
    h[6] = s02;
    h[7] = s12;
    h[8] = s22 + ridge;
    gv[0] = g0;
    gv[1] = g1;
    gv[2] = g2;
    this.vv = vv;
    const cap = this.maxSlope * sigma;
    const bnd = this.bnd;
    const fl = this.floor;
    // Row 0 is c − d ≥ ·, the left slope b(1 − ρ) = (c − d)/σ; row 1 the right slope.
    const lowL = fl ? Math.min(fl.sL, this.maxSlope) : 0;
    const lowR = fl ? Math.min(fl.sR, this.maxSlope) : 0;
    bnd[0] = lowL * sigma;
    bnd[1] = lowR * sigma;
    // Rows 2, 3: right / left slope caps (Lee's bound, tightened by the floor's slope guides, never below the floor).
    bnd[2] = fl ? -Math.max(lowR, Math.min(this.maxSlope, fl.capR)) * sigma : -cap;
    bnd[3] = fl ? -Math.max(lowL, Math.min(this.maxSlope, fl.capL)) * sigma : -cap;
    for (let j = FIRST_CHORD; j < NROWS; j++) bnd[j] = 0;
    const co = this.co;
    if (fl) {
      for (let j = 0; j < fl.k.length; j++) {
        const y = (fl.k[j] - m) * inv;
        co[3 * (NROWS + j) + 1] = y;
        co[3 * (NROWS + j) + 2] = Math.sqrt(y * y + 1);
        bnd[NROWS + j] = fl.wMin[j];
      }
    }
    const total = bnd.length;

    const res = this.dualActiveSet(total);
    if (res && this.feasibleAll(res.a, res.d, res.c)) return res;
    if (fl) {
      // Always-feasible fallback under a floor: the floor's wing slopes, lifted onto the floor points.
      const c = 0.5 * (bnd[0] + bnd[1]);
      const d = 0.5 * (bnd[1] - bnd[0]);
      let a = 0;
      for (let j = NROWS; j < total; j++) a = Math.max(a, bnd[j] - co[3 * j + 1] * d - co[3 * j + 2] * c);
      return this.result(a * (1 + 1e-12), d, c);
    }
    // Always-feasible fallback: a flat smile at the weighted mean variance.
    return this.result(Math.max(0, g0 / s00), 0, 0);
  }

  private readonly hinv = new Float64Array(9);
  private readonly act = new Int32Array(3);
  private readonly mult = new Float64Array(3);
  private readonly gx = new Float64Array(3);
  private readonly gz = new Float64Array(3);
  private readonly gr = new Float64Array(3);
  private readonly gm = new Float64Array(9);

  /**
   * Goldfarb-Idnani dual active-set method on min xᵀHx − 2gᵀx subject to every row (co·x ≥ bnd): start at the
   * unconstrained optimum, add the most violated row, take the primal-dual step that keeps the multipliers of the
   * active rows non-negative (dropping a row whose multiplier reaches zero), until no row is violated. Each iterate
   * is the optimum over its active rows, so the end point is the exact optimum (the unique KKT point, H ≻ 0). Null
   * when the rows are infeasible (or on an iteration cap: the caller falls back).
   */
  private dualActiveSet(total: number): InnerResult | null {
    const h = this.h;
    const hi = this.hinv;
    const g = this.gv;
    const co = this.co;
    const bnd = this.bnd;
    // H⁻¹ by cofactors (symmetric).
    const c00 = h[4] * h[8] - h[5] * h[7];
    const c01 = h[5] * h[6] - h[3] * h[8];
    const c02 = h[3] * h[7] - h[4] * h[6];
    const det = h[0] * c00 + h[1] * c01 + h[2] * c02;
    if (!(Math.abs(det) > 1e-300)) return null;
    const id = 1 / det;
    hi[0] = c00 * id;
    hi[1] = c01 * id;
    hi[2] = c02 * id;
    hi[3] = hi[1];
    hi[4] = (h[0] * h[8] - h[2] * h[6]) * id;
    hi[5] = (h[2] * h[3] - h[0] * h[5]) * id;
    hi[6] = hi[2];
    hi[7] = hi[5];
    hi[8] = (h[0] * h[4] - h[1] * h[3]) * id;
    const x = this.gx;
    x[0] = hi[0] * g[0] + hi[1] * g[1] + hi[2] * g[2];
    x[1] = hi[3] * g[0] + hi[4] * g[1] + hi[5] * g[2];
    x[2] = hi[6] * g[0] + hi[7] * g[1] + hi[8] * g[2];
    if (!Number.isFinite(x[0] + x[1] + x[2])) return null;
    const act = this.act;
    const u = this.mult;
    const z = this.gz;
    const r = this.gr;
    const mm = this.gm;
    let q = 0;
    for (let iter = 0; iter < 40; iter++) {
      // The most violated row not active.
      const tol = 1e-13 * (1 + Math.abs(x[0]) + Math.abs(x[2]));
      let pRow = -1;
      let worst = -tol;
      for (let j = 0; j < total; j++) {
        const sj = co[3 * j] * x[0] + co[3 * j + 1] * x[1] + co[3 * j + 2] * x[2] - bnd[j];
        if (sj < worst) {
          if ((q > 0 && act[0] === j) || (q > 1 && act[1] === j) || (q > 2 && act[2] === j)) continue;
          worst = sj;
          pRow = j;
        }
      }
      if (pRow < 0) return this.result(x[0], x[1], x[2]);
      const n0 = co[3 * pRow];
      const n1 = co[3 * pRow + 1];
      const n2 = co[3 * pRow + 2];
      let up = 0;
      let added = false;
      for (let step = 0; step < 8 && !added; step++) {
        // hn = H⁻¹ n_p; r = (NᵀH⁻¹N)⁻¹ NᵀH⁻¹ n_p; z = H⁻¹(n_p − N r).
        const hn0 = hi[0] * n0 + hi[1] * n1 + hi[2] * n2;
        const hn1 = hi[3] * n0 + hi[4] * n1 + hi[5] * n2;
        const hn2 = hi[6] * n0 + hi[7] * n1 + hi[8] * n2;
        let e0 = n0,
          e1 = n1,
          e2 = n2;
        if (q > 0) {
          for (let i = 0; i < q; i++) {
            const ai = 3 * act[i];
            const ci0 = co[ai],
              ci1 = co[ai + 1],
              ci2 = co[ai + 2];
            // (H⁻¹ c_i)
            const hc0 = hi[0] * ci0 + hi[1] * ci1 + hi[2] * ci2;
            const hc1 = hi[3] * ci0 + hi[4] * ci1 + hi[5] * ci2;
            const hc2 = hi[6] * ci0 + hi[7] * ci1 + hi[8] * ci2;
            for (let k2 = 0; k2 < q; k2++) {
              const ak = 3 * act[k2];
              mm[i * q + k2] = co[ak] * hc0 + co[ak + 1] * hc1 + co[ak + 2] * hc2;
            }
            r[i] = ci0 * hn0 + ci1 * hn1 + ci2 * hn2;
          }
          if (!solveInPlace(mm, r, q)) return null;
          for (let i = 0; i < q; i++) {
            const ai = 3 * act[i];
            e0 -= co[ai] * r[i];
            e1 -= co[ai + 1] * r[i];
            e2 -= co[ai + 2] * r[i];
          }
        }
        z[0] = hi[0] * e0 + hi[1] * e1 + hi[2] * e2;
        z[1] = hi[3] * e0 + hi[4] * e1 + hi[5] * e2;
        z[2] = hi[6] * e0 + hi[7] * e1 + hi[8] * e2;
        const zn = z[0] * n0 + z[1] * n1 + z[2] * n2;
        const scale = n0 * hn0 + n1 * hn1 + n2 * hn2;
        const sp = n0 * x[0] + n1 * x[1] + n2 * x[2] - bnd[pRow];
        const t2 = q < 3 && zn > 1e-13 * scale ? -sp / zn : Infinity;
        let t1 = Infinity;
        let drop = -1;
        for (let i = 0; i < q; i++) {
          if (r[i] > 0) {
            const v = u[i] / r[i];
            if (v < t1) {
              t1 = v;
              drop = i;
            }
          }
        }
        if (t2 === Infinity && drop < 0) return null;
        const t = Math.min(t1, t2);
        if (t2 !== Infinity) {
          x[0] += t * z[0];
          x[1] += t * z[1];
          x[2] += t * z[2];
        }
        for (let i = 0; i < q; i++) u[i] -= t * r[i];
        up += t;
        if (t2 <= t1) {
          act[q] = pRow;
          u[q] = up;
          q++;
          added = true;
        } else {
          // Drop the row whose multiplier reached zero, keep stepping towards the same violated row.
          q--;
          act[drop] = act[q];
          u[drop] = u[q];
        }
      }
      if (!added) return null;
    }
    return null;
  }

  private feasibleAll(a: number, d: number, c: number): boolean {
    const tol = 1e-12 * (1 + Math.abs(a) + Math.abs(c));
    const co = this.co;
    for (let j = 0; j < this.bnd.length; j++) {
      if (co[3 * j] * a + co[3 * j + 1] * d + co[3 * j + 2] * c < this.bnd[j] - tol) return false;
    }
    return true;
  }

  private result(a: number, d: number, c: number): InnerResult {
    const h = this.h;
    const g = this.gv;
    const quad =
      h[0] * a * a + h[4] * d * d + h[8] * c * c + 2 * (h[1] * a * d + h[2] * a * c + h[5] * d * c);
    const sse = Math.max(0, quad - 2 * (g[0] * a + g[1] * d + g[2] * c) + this.vv);
    return { a, d, c, sse };
  }
}
