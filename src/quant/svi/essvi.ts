/**
 * Extended SSVI (Hendriks-Martini 2019): per expiry node (θ, ψ, η) with ψ = θφ and η = ρψ,
 *
 *   w(k) = ½ (θ + ηk + √(ψ²k² + 2θηk + θ²))      (= θ/2 (1 + ρφk + √((φk + ρ)² + 1 − ρ²)))
 *
 * Butterfly: Gatheral-Jacquier's sufficient conditions per node, ψ(1 + |ρ|) < 4 and ψφ(1 + |ρ|) ≤ 4, i.e.
 * ψ + |η| < 4 and ψ(ψ + |η|) ≤ 4θ. Calendar between consecutive nodes: decided EXACTLY by `calendarGap`:
 * the two slices can only meet where a quadratic in k vanishes (eliminating w from both equations), so the sign of
 * w₂ − w₁ is constant between its real roots and one evaluation per interval decides the whole real line.
 *
 * Calibration is sequential in expiry (Corbetta, Cohort, Laachir, Martini 2019): each node is fitted to its quotes
 * with Nelder-Mead under the node's butterfly conditions and the calendar condition against the previous node;
 * if the penalised optimum is not exactly feasible it is moved towards a point that is feasible by construction
 * (the previous node's ψ and η with θ ≥ θ_prev: w increases with θ), keeping the closest verified point.
 */
import type { SliceQuotes } from './calibrate.js';
import { solveInPlace } from './linalg.js';
import { nelderMead } from './nelder-mead.js';
import { sviW, sviW1, sviW2, type RawSvi } from './raw.js';

export interface EssviNode {
  t: number;
  theta: number;
  psi: number;
  eta: number;
}

/** Safety factor on the strict butterfly inequalities. */
const BF_MARGIN = 1 - 1e-6;

export function essviW(n: EssviNode, k: number): number {
  return 0.5 * (n.theta + n.eta * k + Math.sqrt(n.psi * n.psi * k * k + 2 * n.theta * n.eta * k + n.theta * n.theta));
}

/** The node as raw SVI (a = θ(1−ρ²)/2, b = ψ/2, m = −ρθ/ψ, σ = θ√(1−ρ²)/ψ). */
export function essviToRaw(n: EssviNode): RawSvi {
  const rho = n.psi > 0 ? n.eta / n.psi : 0;
  const phi = n.psi / n.theta;
  return {
    a: (n.theta / 2) * (1 - rho * rho),
    b: n.psi / 2,
    rho,
    m: -rho / phi,
    sigma: Math.sqrt(Math.max(0, 1 - rho * rho)) / phi,
  };
}

/** Amount by which the node violates Gatheral-Jacquier's butterfly conditions (0 when it satisfies them). */
export function essviButterflyViolation(n: EssviNode): number {
  if (!(n.theta > 0) || !(n.psi > 0)) return 1;
  const s = n.psi + Math.abs(n.eta);
  return (
    Math.max(0, Math.abs(n.eta) - n.psi * 0.999999) +
    Math.max(0, s - 4 * BF_MARGIN) +
    Math.max(0, (n.psi * s) / (4 * n.theta) - BF_MARGIN)
  );
}

/**
 * Minimum over all k of w₂(k) − w₁(k) (≥ 0 means no calendar arbitrage between the two nodes), computed exactly on
 * the candidate points described above. Returns a negative number when slice 2 dips below slice 1 somewhere.
 */
const CAND = new Float64Array(3);

export function calendarGap(n1: EssviNode, n2: EssviNode): { gap: number; at: number } {
  const dT = n2.theta - n1.theta;
  const dE = n2.eta - n1.eta;
  const q1 = n1.psi * n1.psi - n1.eta * n1.eta;
  const q2 = n2.psi * n2.psi - n2.eta * n2.eta;
  const dQ = q2 - q1;
  // ΔQ²k² + 4ΔQ(θ₁ + η₁k)(Δθ + Δηk) − 4Q₁(Δθ + Δηk)² = 0
  const A = dQ * dQ + 4 * dQ * n1.eta * dE - 4 * q1 * dE * dE;
  const B = 4 * dQ * (n1.theta * dE + n1.eta * dT) - 8 * q1 * dT * dE;
  const C = 4 * dQ * n1.theta * dT - 4 * q1 * dT * dT;
  // Candidates: 0 and the real roots (at most 3 values), sorted; no arrays (this runs in every step of the fits).
  const c0 = 0;
  let c1 = NaN;
  let c2 = NaN;
  const scale = Math.max(Math.abs(A), Math.abs(B), Math.abs(C));
  if (scale > 0) {
    if (Math.abs(A) > 1e-14 * scale) {
      const disc = B * B - 4 * A * C;
      if (disc >= 0) {
        const sq = Math.sqrt(disc);
        // Numerically stable pair of roots.
        const qq = -0.5 * (B + (B >= 0 ? sq : -sq));
        if (qq !== 0) {
          c1 = qq / A;
          c2 = C / qq;
        } else c1 = 0;
      }
    } else if (Math.abs(B) > 1e-14 * scale) c1 = -C / B;
  }
  const roots = CAND;
  let nr = 0;
  roots[nr++] = c0;
  if (Number.isFinite(c1)) roots[nr++] = c1;
  if (Number.isFinite(c2)) roots[nr++] = c2;
  // Insertion sort of at most 3 values (ascending, as Array.prototype.sort would order them).
  for (let i = 1; i < nr; i++) {
    const v = roots[i];
    let j = i - 1;
    while (j >= 0 && roots[j] > v) {
      roots[j + 1] = roots[j];
      j--;
    }
    roots[j + 1] = v;
  }
  const lo = roots[0];
  const hi = roots[nr - 1];
  let gap = Infinity;
  let at = NaN;
  const visit = (k: number): void => {
    const d = essviW(n2, k) - essviW(n1, k);
    if (d < gap) {
      gap = d;
      at = k;
    }
  };
  visit(lo - 1 - 10 * Math.abs(lo));
  visit(hi + 1 + 10 * Math.abs(hi));
  for (let i = 0; i < nr; i++) {
    visit(roots[i]);
    if (i + 1 < nr) visit(0.5 * (roots[i] + roots[i + 1]));
  }
  if (scale === 0) {
    // Identical curvature data: fall back to a sweep (only reached for equal or proportional nodes).
    for (let i = -200; i <= 200; i++) visit(i / 20);
  }
  return { gap, at };
}

/** Calendar condition with a rounding tolerance relative to the level of total variance. */
export function calendarOk(n1: EssviNode, n2: EssviNode): boolean {
  return calendarGap(n1, n2).gap >= -1e-12 * Math.max(n2.theta, 1e-12);
}

export interface EssviSliceInput {
  quotes: SliceQuotes;
  /** A raw SVI fit of the same slice: the starting point (ATM variance, skew and curvature). */
  start: RawSvi | null;
}

export interface EssviFitNode extends EssviNode {
  /** Index of the input slice this node was fitted to. */
  index: number;
  /** Weighted sum of squared vol residuals (same weights as the raw fit). */
  objective: number;
  repaired: boolean;
}

/**
 * Fits eSSVI nodes to slices sorted by increasing t (slices with fewer than 3 quotes or t ≤ 0 are skipped).
 * The returned nodes satisfy the butterfly conditions and the exact calendar condition pairwise in order.
 */
export function fitEssvi(slices: EssviSliceInput[]): EssviFitNode[] {
  const out: EssviFitNode[] = [];
  let prev: EssviNode | null = null;
  for (let i = 0; i < slices.length; i++) {
    const s = slices[i];
    const q = s.quotes;
    if (!(q.t > 0) || q.k.length < 3) continue;
    if (prev && !(q.t >= prev.t)) continue;
    const node = fitNode(q, s.start, prev);
    out.push({ ...node, index: i });
    prev = node;
  }
  return out;
}

function fitNode(q: SliceQuotes, start: RawSvi | null, prev: EssviNode | null): EssviFitNode {
  const n = q.k.length;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += q.weight[i];
  const omega = new Float64Array(n);
  for (let i = 0; i < n; i++) omega[i] = (q.weight[i] * n) / wsum;
  const obj = (nd: EssviNode): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.sqrt(Math.max(essviW(nd, q.k[i]), 1e-16) / q.t) - q.mid[i];
      s += omega[i] * r * r;
    }
    return s;
  };
  const violation = (nd: EssviNode): number => nodeViolation(nd, prev);

  // Starting point from the raw fit: θ = w(0), η = w'(0), ψ² = η² + 2θ w''(0) (eSSVI's ATM level, skew, curvature).
  let theta0: number;
  let eta0: number;
  let psi0: number;
  if (start) {
    theta0 = Math.max(sviW(start, 0), 1e-8);
    eta0 = sviW1(start, 0);
    psi0 = Math.sqrt(eta0 * eta0 + 2 * theta0 * Math.max(sviW2(start, 0), 0));
  } else {
    let m = 0;
    for (let i = 0; i < n; i++) m += q.mid[i] * q.mid[i] * q.t;
    theta0 = m / n;
    eta0 = 0;
    psi0 = Math.sqrt(theta0);
  }
  if (prev) theta0 = Math.max(theta0, prev.theta);
  psi0 = Math.max(psi0, Math.abs(eta0) * 1.01, 1e-6);
  const toNode = (x: Float64Array): EssviNode => {
    const psi = Math.exp(x[1]);
    return { t: q.t, theta: Math.exp(x[0]), psi, eta: psi * Math.tanh(x[2]) };
  };
  const f = (x: Float64Array): number => {
    const nd = toNode(x);
    const v = violation(nd);
    const o = obj(nd);
    return o + (v > 0 ? 1e3 * (1 + o) * (v + v * v * 1e2) + 1e-3 * n : 0);
  };
  const x0 = Float64Array.of(Math.log(theta0), Math.log(psi0), Math.atanh(Math.max(-0.99, Math.min(0.99, eta0 / psi0))));
  const nmo = { lo: [-30, -20, -4], hi: [5, Math.log(4), 4], step: [0.1, 0.2, 0.2], maxEvals: 300, fTol: 1e-10, xTol: 1e-6 };
  let r = nelderMead(f, x0, nmo);
  // Restart once from the result: Nelder-Mead stalls on the penalty's kinks.
  r = nelderMead(f, r.x, { ...nmo, step: [0.02, 0.05, 0.05], maxEvals: 150 });
  let node = toNode(r.x);
  let repaired = false;
  if (violation(node) > 0) {
    // Move towards a node that is feasible by construction and keep the closest feasible point.
    const safe: EssviNode = prev
      ? { t: q.t, theta: Math.max(node.theta, prev.theta), psi: prev.psi, eta: prev.eta }
      : safeFirst(node);
    let lo = 0;
    let hi = 1;
    let best = safe;
    for (let it = 0; it < 40; it++) {
      const mid = 0.5 * (lo + hi);
      const c: EssviNode = {
        t: q.t,
        theta: node.theta + mid * (safe.theta - node.theta),
        psi: node.psi + mid * (safe.psi - node.psi),
        eta: node.eta + mid * (safe.eta - node.eta),
      };
      if (violation(c) === 0) {
        hi = mid;
        best = c;
      } else lo = mid;
    }
    node = best;
    repaired = true;
  }
  return { ...node, index: -1, objective: obj(node), repaired };
}

/**
 * How far a node is from admissible (0 when it is): Gatheral-Jacquier's butterfly bounds, θ not below the previous
 * node's, and the exact calendar condition against the previous node.
 */
function nodeViolation(nd: EssviNode, prev: EssviNode | null): number {
  let v = essviButterflyViolation(nd);
  if (prev) {
    v += Math.max(0, prev.theta - nd.theta) / prev.theta;
    const g = calendarGap(prev, nd).gap;
    if (g < -1e-12 * Math.max(nd.theta, 1e-12)) v += -g / Math.max(nd.theta, 1e-12);
  }
  return v;
}

/** A first node that satisfies the butterfly conditions: same θ and ρ, ψ shrunk inside both bounds. */
function safeFirst(n: EssviNode): EssviNode {
  const rho = Math.max(-0.99, Math.min(0.99, n.psi > 0 ? n.eta / n.psi : 0));
  const r = 1 + Math.abs(rho);
  const psi = 0.9 * Math.min(n.psi, 4 / r, Math.sqrt((4 * n.theta) / r));
  return { t: n.t, theta: n.theta, psi, eta: rho * psi };
}

export interface EssviRefitInput extends EssviSliceInput {
  /** This slice's node in the previous surface fit (null: none, the node is fitted in full). */
  prev: EssviNode | null;
  /** The slice's quotes (and T) are exactly those of the previous fit. */
  unchanged: boolean;
}

export type EssviRefitPath = 'skip' | 'local' | 'full';

/**
 * Live refit of the eSSVI nodes (same inputs, order and skipping rules as `fitEssvi`), each warm-started from its
 * previous node: a node whose quotes did not change and whose predecessor node did not either is kept; otherwise
 * Levenberg-Marquardt on (ln θ, ln ψ, atanh(η/ψ)) from the previous node (scaled to the new T: w is homogeneous of
 * degree 1 in (θ, ψ, η), so the vol smile is unchanged), moved first onto the admissible set if needed (bisection
 * towards a node admissible by construction, as `fitEssvi` repairs), accepting only steps that stay admissible
 * (butterfly bounds and the exact calendar condition against the new predecessor: the same checks as the full fit).
 * A node without a previous node, or whose polish ends above 2 × its start's objective + n·10⁻⁸, is fitted in full.
 */
export function refitEssvi(slices: EssviRefitInput[]): Array<EssviFitNode & { path: EssviRefitPath }> {
  const out: Array<EssviFitNode & { path: EssviRefitPath }> = [];
  let prev: EssviNode | null = null;
  let prevKept = true;
  for (let i = 0; i < slices.length; i++) {
    const s = slices[i];
    const q = s.quotes;
    if (!(q.t > 0) || q.k.length < 3) continue;
    if (prev && !(q.t >= prev.t)) continue;
    let node: (EssviFitNode & { path: EssviRefitPath }) | null = null;
    if (s.prev && s.unchanged && prevKept && s.prev.t === q.t && nodeViolation(s.prev, prev) === 0) {
      node = { ...s.prev, index: i, objective: nodeObjective(q, s.prev), repaired: false, path: 'skip' };
    } else if (s.prev) {
      const r = refitNodeLocal(q, s.prev, prev);
      if (r) node = { ...r, index: i, path: 'local' };
    }
    if (!node) node = { ...fitNode(q, s.start, prev), index: i, path: 'full' };
    prevKept = node.path === 'skip';
    out.push(node);
    prev = node;
  }
  return out;
}

function omegaOf(q: SliceQuotes): Float64Array {
  const n = q.k.length;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += q.weight[i];
  const omega = new Float64Array(n);
  for (let i = 0; i < n; i++) omega[i] = (q.weight[i] * n) / wsum;
  return omega;
}

/** The node's weighted sum of squared vol residuals (fitEssvi's objective). */
function nodeObjective(q: SliceQuotes, nd: EssviNode, omega: Float64Array = omegaOf(q)): number {
  let s = 0;
  for (let i = 0; i < q.k.length; i++) {
    const r = Math.sqrt(Math.max(essviW(nd, q.k[i]), 1e-16) / q.t) - q.mid[i];
    s += omega[i] * r * r;
  }
  return s;
}

function refitNodeLocal(q: SliceQuotes, prevNode: EssviNode, before: EssviNode | null): { t: number; theta: number; psi: number; eta: number; objective: number; repaired: boolean } | null {
  const n = q.k.length;
  const omega = omegaOf(q);
  const c = prevNode.t > 0 ? q.t / prevNode.t : 1;
  let start: EssviNode = { t: q.t, theta: prevNode.theta * c, psi: prevNode.psi * c, eta: prevNode.eta * c };
  // Level: Gauss-Newton on θ alone (two steps), as the raw refit re-fits a.
  for (let it = 0; it < 2; it++) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const k = q.k[i];
      const R = Math.sqrt(start.psi * start.psi * k * k + 2 * start.theta * start.eta * k + start.theta * start.theta);
      const w = Math.max(0.5 * (start.theta + start.eta * k + R), 1e-16);
      const dw = 0.5 * (1 + (start.eta * k + start.theta) / R);
      const f = dw / (2 * Math.sqrt(w * q.t));
      num += omega[i] * f * (Math.sqrt(w / q.t) - q.mid[i]);
      den += omega[i] * f * f;
    }
    const th = start.theta - num / den;
    if (den > 0 && th > 0 && Number.isFinite(th)) start = { ...start, theta: th };
  }
  let repaired = false;
  if (nodeViolation(start, before) > 0) {
    const safe: EssviNode = before ? { t: q.t, theta: Math.max(start.theta, before.theta), psi: before.psi, eta: before.eta } : safeFirst(start);
    if (nodeViolation(safe, before) > 0) return null;
    let lo = 0;
    let hi = 1;
    let best = safe;
    for (let it = 0; it < 30; it++) {
      const mid = 0.5 * (lo + hi);
      const cand: EssviNode = {
        t: q.t,
        theta: start.theta + mid * (safe.theta - start.theta),
        psi: start.psi + mid * (safe.psi - start.psi),
        eta: start.eta + mid * (safe.eta - start.eta),
      };
      if (nodeViolation(cand, before) === 0) {
        hi = mid;
        best = cand;
      } else lo = mid;
    }
    start = best;
    repaired = true;
  }
  // LM on x = (ln θ, ln ψ, atanh(η/ψ)); quote rows with analytic Jacobians; only admissible steps are accepted.
  const x = Float64Array.of(Math.log(start.theta), Math.log(start.psi), Math.atanh(Math.max(-0.999999, Math.min(0.999999, start.eta / start.psi))));
  const toNode = (v: Float64Array): EssviNode => {
    const psi = Math.exp(v[1]);
    return { t: q.t, theta: Math.exp(v[0]), psi, eta: psi * Math.tanh(v[2]) };
  };
  let nd = toNode(x);
  if (nodeViolation(nd, before) > 0) nd = start;
  const obj0 = nodeObjective(q, nd, omega);
  let obj = obj0;
  let lambda = 1e-3;
  const jtj = new Float64Array(9);
  const jtr = new Float64Array(3);
  const A = new Float64Array(9);
  const rhs = new Float64Array(3);
  const xn = new Float64Array(3);
  // Five steps of five tries at most: ten of ten took 55 % longer for the same median RMSE (SPX 2023-04-14).
  for (let iter = 0; iter < 5; iter++) {
    jtj.fill(0);
    jtr.fill(0);
    const th = nd.theta;
    const ps = nd.psi;
    const et = nd.eta;
    const tr = et / ps;
    for (let i = 0; i < n; i++) {
      const k = q.k[i];
      const R = Math.sqrt(ps * ps * k * k + 2 * th * et * k + th * th);
      const w = Math.max(0.5 * (th + et * k + R), 1e-16);
      const dTh = 0.5 * (1 + (et * k + th) / R);
      const dPs = (0.5 * ps * k * k) / R;
      const dEt = 0.5 * (k + (th * k) / R);
      const so = Math.sqrt(omega[i]);
      const f = so / (2 * Math.sqrt(w * q.t));
      const j0 = f * th * dTh;
      const j1 = f * ps * (dPs + tr * dEt);
      const j2 = f * ps * (1 - tr * tr) * dEt;
      const r = so * (Math.sqrt(w / q.t) - q.mid[i]);
      jtr[0] += j0 * r;
      jtr[1] += j1 * r;
      jtr[2] += j2 * r;
      jtj[0] += j0 * j0;
      jtj[1] += j0 * j1;
      jtj[2] += j0 * j2;
      jtj[4] += j1 * j1;
      jtj[5] += j1 * j2;
      jtj[8] += j2 * j2;
    }
    jtj[3] = jtj[1];
    jtj[6] = jtj[2];
    jtj[7] = jtj[5];
    let improved = false;
    let rel = 0;
    for (let tries = 0; tries < 5; tries++) {
      A.set(jtj);
      for (let d = 0; d < 3; d++) {
        A[d * 3 + d] += lambda * (jtj[d * 3 + d] + 1e-12);
        rhs[d] = -jtr[d];
      }
      if (!solveInPlace(A, rhs, 3)) {
        lambda *= 10;
        continue;
      }
      for (let d = 0; d < 3; d++) xn[d] = x[d] + rhs[d];
      xn[2] = Math.max(-8, Math.min(8, xn[2]));
      const cand = toNode(xn);
      const co = nodeObjective(q, cand, omega);
      if (co < obj && nodeViolation(cand, before) === 0) {
        rel = (obj - co) / Math.max(obj, 1e-300);
        x.set(xn);
        nd = cand;
        obj = co;
        lambda = Math.max(lambda / 3, 1e-9);
        improved = true;
        break;
      }
      lambda *= 4;
    }
    if (!improved || rel < 1e-4) break;
  }
  if (nodeViolation(nd, before) !== 0) return null;
  return { t: q.t, theta: nd.theta, psi: nd.psi, eta: nd.eta, objective: obj, repaired };
}
