/**
 * The quasi-explicit inner problem (De Marco-Martini / Zeliade): for fixed (m, σ), total variance
 * w = a + d·y + c·√(y² + 1), y = (k − m)/σ, is linear in x = (a, d, c), so the weighted least-squares fit is a
 * 3-variable convex quadratic programme on a polyhedron. It is solved EXACTLY by active-set enumeration: with a
 * positive-definite Hessian the optimum is the unique KKT point, found among the subsets of at most 3 active
 * constraints (each a ≤ 6×6 linear system).
 *
 * Constraints (all linear, all implied by the true SVI domain or sufficient for it):
 *   |d| ≤ c                 (|ρ| ≤ 1, b ≥ 0)
 *   c ± d ≤ S·σ             (Lee: wing slopes b(1 ± ρ) ≤ S, S < 2)
 *   a + αⱼ c + βⱼ d ≥ 0     (min w = a + c·√(1 − u²) ≥ 0 with u = d/c: √(1 − u²) is concave, so its chords
 *                            αⱼ + βⱼ u lie below it and these cuts are sufficient; nodes crowd near |u| = 1, where
 *                            strongly skewed smiles live, so the cut-off part of the true domain is tiny there)
 * The chord cuts are added lazily, only when the solution violates one (cutting planes), which keeps the
 * enumeration at the 14 subsets of the 4 base constraints for almost every (m, σ).
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
/** Most constraints ever enumerated together (4 base + up to 6 cuts). */
const MAX_SET = 10;

/** True when (a, d, c) satisfies every inner constraint for this σ (the domain the inner optimum is taken over). */
export function innerFeasible(a: number, d: number, c: number, sigma: number, maxSlope: number, tol = 1e-12): boolean {
  for (let j = 0; j < NROWS; j++) {
    const r = ROWS[j];
    const rhs = j === 2 || j === 3 ? -maxSlope * sigma : 0;
    if (r[0] * a + r[1] * d + r[2] * c < rhs - tol) return false;
  }
  return true;
}

function bitCount(mask: number): number {
  let bits = 0;
  for (let x = mask; x !== 0; x &= x - 1) bits++;
  return bits;
}

/** SUBSETS[L]: every subset of {0..L−1} of size 1..3, as bit masks, small subsets first. */
const SUBSETS: number[][] = Array.from({ length: MAX_SET + 1 }, (_, L) => {
  const out: number[] = [];
  for (let size = 1; size <= 3; size++) {
    for (let mask = 1; mask < 1 << L; mask++) {
      let bits = 0;
      for (let j = 0; j < L; j++) if (mask & (1 << j)) bits++;
      if (bits === size) out.push(mask);
    }
  }
  return out;
});

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
  private readonly kkt = new Float64Array(36);
  private readonly rhs = new Float64Array(6);
  private bnd: Float64Array = new Float64Array(NROWS);
  /** Row coefficients (a, d, c) of every constraint: ROWS, then the calendar floor's rows. */
  private co: Float64Array;
  /** Rows currently enforced (indices into co / bnd). */
  private readonly set: number[] = [];
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
    this.lastActive.length = 0;
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

    const set = this.set;
    set.length = 0;
    set.push(0, 1, 2, 3);
    let res = this.solveSet();
    // Cutting planes: add the chord cuts the solution violates (most violated first) and re-solve.
    for (let round = 0; round < 16; round++) {
      let worst = -1;
      let worstV = -1e-12 * (1 + Math.abs(res.a) + Math.abs(res.c));
      for (let j = FIRST_CHORD; j < total; j++) {
        const v = co[3 * j] * res.a + co[3 * j + 1] * res.d + co[3 * j + 2] * res.c - bnd[j];
        if (v < worstV && !set.includes(j)) {
          worstV = v;
          worst = j;
        }
      }
      if (worst < 0) return res;
      if (set.length >= MAX_SET) {
        // Full: drop the cut with the most slack at the current optimum (inactive there; it can come back).
        let drop = -1;
        let slack = 1e-12 * (1 + Math.abs(res.a) + Math.abs(res.c));
        for (let i = 4; i < set.length; i++) {
          const q = 3 * set[i];
          const v = co[q] * res.a + co[q + 1] * res.d + co[q + 2] * res.c - bnd[set[i]];
          if (v > slack) {
            slack = v;
            drop = i;
          }
        }
        if (drop < 0) break;
        set.splice(drop, 1);
      }
      set.push(worst);
      res = this.solveSet();
    }
    if (this.feasibleAll(res.a, res.d, res.c)) return res;
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

  /** Exact optimum over the rows in `set`. */
  private solveSet(): InnerResult {
    const set = this.set;
    // Unconstrained optimum H x = g by Cramer's rule (the common case; no pivoting machinery needed).
    const h = this.h;
    const g = this.gv;
    const c00 = h[4] * h[8] - h[5] * h[7];
    const c01 = h[5] * h[6] - h[3] * h[8];
    const c02 = h[3] * h[7] - h[4] * h[6];
    const det = h[0] * c00 + h[1] * c01 + h[2] * c02;
    if (Math.abs(det) > 1e-300) {
      const inv = 1 / det;
      const a = (g[0] * c00 + g[1] * (h[2] * h[7] - h[1] * h[8]) + g[2] * (h[1] * h[5] - h[2] * h[4])) * inv;
      const d = (g[0] * c01 + g[1] * (h[0] * h[8] - h[2] * h[6]) + g[2] * (h[2] * h[3] - h[0] * h[5])) * inv;
      const c = (g[0] * c02 + g[1] * (h[1] * h[6] - h[0] * h[7]) + g[2] * (h[0] * h[4] - h[1] * h[3])) * inv;
      if (Number.isFinite(a + d + c) && this.feasible(a, d, c)) return this.result(a, d, c);
      // Most often the optimum has exactly the most violated constraint active: try that first.
      let worst = -1;
      let worstV = 0;
      for (let j = 0; j < set.length; j++) {
        const q = 3 * set[j];
        const v = this.co[q] * a + this.co[q + 1] * d + this.co[q + 2] * c - this.bnd[set[j]];
        if (v < worstV) {
          worstV = v;
          worst = j;
        }
      }
      // Warm active set: the rows active at the previous optimum (the outer search moves (m, σ) a little at a time,
      // and a cutting-plane round usually adds one row to them). A KKT point is THE optimum, so a hit is exact.
      const warm = this.warmMask();
      if (warm !== 0) {
        const newest = 1 << (set.length - 1);
        if ((warm & newest) === 0 && bitCount(warm) < 3) {
          const r = this.tryMask(warm | newest);
          if (r) return r;
        }
        const r = this.tryMask(warm);
        if (r) return r;
      }
      if (worst >= 0) {
        const r = this.tryMask(1 << worst);
        if (r) return r;
      }
    }
    let best: InnerResult | null = null;
    for (const mask of SUBSETS[set.length]) {
      const sol = this.solveActive(mask);
      if (!sol) continue;
      const a = sol[0],
        d = sol[1],
        c = sol[2];
      if (!this.feasible(a, d, c)) continue;
      // KKT multipliers (λ ≥ 0) identify the optimum; with H ≻ 0 it is unique, so stop at the first.
      let dualOk = true;
      let idx = 3;
      for (let j = 0; j < set.length; j++) {
        if (mask & (1 << j)) {
          if (sol[idx] < -1e-9 * (1 + Math.abs(this.gv[0]))) dualOk = false;
          idx++;
        }
      }
      const r = this.result(a, d, c);
      if (dualOk) {
        this.rememberMask(mask);
        return r;
      }
      if (!best || r.sse < best.sse) best = r;
    }
    return best ?? this.result(Math.max(0, this.gv[0] / this.h[0]), 0, 0);
  }

  /** The KKT point of one active set if it is feasible with non-negative multipliers (then it is THE optimum). */
  private tryMask(mask: number): InnerResult | null {
    const sol = this.solveActive(mask);
    if (!sol) return null;
    const a = sol[0],
      d = sol[1],
      c = sol[2];
    if (!this.feasible(a, d, c)) return null;
    let idx = 3;
    for (let j = 0; j < this.set.length; j++) {
      if (mask & (1 << j)) {
        if (sol[idx] < -1e-9 * (1 + Math.abs(this.gv[0]))) return null;
        idx++;
      }
    }
    this.rememberMask(mask);
    return this.result(a, d, c);
  }

  /** Row ids (indices into co / bnd) active at the last optimum found with constraints active. */
  private lastActive: number[] = [];

  private rememberMask(mask: number): void {
    const set = this.set;
    this.lastActive.length = 0;
    for (let j = 0; j < set.length; j++) if (mask & (1 << j)) this.lastActive.push(set[j]);
  }

  /** `lastActive` as a mask over the current `set` (rows no longer in it dropped). */
  private warmMask(): number {
    const set = this.set;
    let mask = 0;
    for (const r of this.lastActive) {
      const j = set.indexOf(r);
      if (j >= 0) mask |= 1 << j;
    }
    return mask;
  }

  private feasibleAll(a: number, d: number, c: number): boolean {
    const tol = 1e-12 * (1 + Math.abs(a) + Math.abs(c));
    const co = this.co;
    for (let j = 0; j < this.bnd.length; j++) {
      if (co[3 * j] * a + co[3 * j + 1] * d + co[3 * j + 2] * c < this.bnd[j] - tol) return false;
    }
    return true;
  }

  private feasible(a: number, d: number, c: number): boolean {
    const tol = 1e-12 * (1 + Math.abs(a) + Math.abs(c));
    const co = this.co;
    for (const j of this.set) {
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

  /** KKT system for the active subset `mask` of `set`: [2H −Aᵀ; A 0][x; λ] = [2g; b]. Returns x then λ, or null. */
  private solveActive(mask: number): Float64Array | null {
    const set = this.set;
    let r = 0;
    for (let j = 0; j < set.length; j++) if (mask & (1 << j)) r++;
    const n = 3 + r;
    const m = this.kkt;
    const rhs = this.rhs;
    m.fill(0, 0, n * n);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) m[i * n + j] = 2 * this.h[i * 3 + j];
      rhs[i] = 2 * this.gv[i];
    }
    let row = 3;
    for (let j = 0; j < set.length; j++) {
      if (!(mask & (1 << j))) continue;
      const q = 3 * set[j];
      for (let i = 0; i < 3; i++) {
        m[i * n + row] = -this.co[q + i];
        m[row * n + i] = this.co[q + i];
      }
      rhs[row] = this.bnd[set[j]];
      row++;
    }
    return solveInPlace(m, rhs, n) ? rhs : null;
  }
}
