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
  const cand: number[] = [0];
  const scale = Math.max(Math.abs(A), Math.abs(B), Math.abs(C));
  if (scale > 0) {
    if (Math.abs(A) > 1e-14 * scale) {
      const disc = B * B - 4 * A * C;
      if (disc >= 0) {
        const sq = Math.sqrt(disc);
        // Numerically stable pair of roots.
        const qq = -0.5 * (B + (B >= 0 ? sq : -sq));
        if (qq !== 0) cand.push(qq / A, C / qq);
        else cand.push(0);
      }
    } else if (Math.abs(B) > 1e-14 * scale) cand.push(-C / B);
  }
  const roots = cand.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const pts: number[] = [];
  const lo = roots[0];
  const hi = roots[roots.length - 1];
  pts.push(lo - 1 - 10 * Math.abs(lo), hi + 1 + 10 * Math.abs(hi));
  for (let i = 0; i < roots.length; i++) {
    pts.push(roots[i]);
    if (i + 1 < roots.length) pts.push(0.5 * (roots[i] + roots[i + 1]));
  }
  if (scale === 0) {
    // Identical curvature data: fall back to a sweep (only reached for equal or proportional nodes).
    for (let i = -200; i <= 200; i++) pts.push(i / 20);
  }
  let gap = Infinity;
  let at = NaN;
  for (const k of pts) {
    const d = essviW(n2, k) - essviW(n1, k);
    if (d < gap) {
      gap = d;
      at = k;
    }
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
  const violation = (nd: EssviNode): number => {
    let v = essviButterflyViolation(nd);
    if (prev) {
      v += Math.max(0, prev.theta - nd.theta) / prev.theta;
      const g = calendarGap(prev, nd).gap;
      if (g < -1e-12 * Math.max(nd.theta, 1e-12)) v += -g / Math.max(nd.theta, 1e-12);
    }
    return v;
  };

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

/** A first node that satisfies the butterfly conditions: same θ and ρ, ψ shrunk inside both bounds. */
function safeFirst(n: EssviNode): EssviNode {
  const rho = Math.max(-0.99, Math.min(0.99, n.psi > 0 ? n.eta / n.psi : 0));
  const r = 1 + Math.abs(rho);
  const psi = 0.9 * Math.min(n.psi, 4 / r, Math.sqrt((4 * n.theta) / r));
  return { t: n.t, theta: n.theta, psi, eta: rho * psi };
}
