/**
 * Queries on a calendar-free eSSVI surface at any (k, T): total variance, implied vol, risk-neutral density,
 * local smile slope, and grids for the dashboard.
 *
 * Interpolation in T (Hendriks-Martini / Corbetta et al.): θ is linear in T between nodes (θ increases, so w at
 * k = 0 does too); ψ and η are linear in θ between the two nodes' values. Before the first node every parameter
 * is scaled by T/T₁ (w is homogeneous of degree 1 in (θ, ψ, η), so w(k, T) = (T/T₁) w₁(k): increasing in T and
 * still within the butterfly conditions); after the last node θ grows at the last node's ATM variance rate with
 * ψ and η frozen (∂w/∂θ ≥ 0, and the butterfly bound on ψ only loosens as θ grows).
 */
import { essviToRaw, essviW, type EssviNode } from './essvi.js';
import { densityFromW, sviW, sviW1, sviW2 } from './raw.js';

export interface SurfaceQuery {
  /** Nodes the surface interpolates, sorted by t. */
  readonly nodes: readonly EssviNode[];
  /** The interpolated node at time T (years). */
  nodeAt(t: number): EssviNode | null;
  totalVariance(k: number, t: number): number;
  /** Implied volatility (decimal). */
  vol(k: number, t: number): number;
  /** Risk-neutral density of ln(K/F) at T. */
  density(k: number, t: number): number;
  /** Local slope of the smile ∂σ/∂k. */
  slope(k: number, t: number): number;
  /** Vol grid [t][k] (decimal), for the 3D surface. */
  volGrid(ks: ArrayLike<number>, ts: ArrayLike<number>): Float64Array[];
}

export function createSurfaceQuery(input: readonly EssviNode[]): SurfaceQuery {
  const nodes = [...input].filter((n) => n.t > 0 && n.theta > 0).sort((a, b) => a.t - b.t);
  const nodeAt = (t: number): EssviNode | null => {
    if (!(t > 0) || nodes.length === 0) return null;
    const first = nodes[0];
    if (t <= first.t) {
      const s = t / first.t;
      return { t, theta: first.theta * s, psi: first.psi * s, eta: first.eta * s };
    }
    const last = nodes[nodes.length - 1];
    if (t >= last.t) return { t, theta: (last.theta * t) / last.t, psi: last.psi, eta: last.eta };
    let lo = 0;
    let hi = nodes.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (nodes[mid].t <= t) lo = mid;
      else hi = mid;
    }
    const a = nodes[lo];
    const b = nodes[hi];
    const u = b.t > a.t ? (t - a.t) / (b.t - a.t) : 1;
    const theta = a.theta + u * (b.theta - a.theta);
    const l = b.theta > a.theta ? (theta - a.theta) / (b.theta - a.theta) : u;
    return { t, theta, psi: a.psi + l * (b.psi - a.psi), eta: a.eta + l * (b.eta - a.eta) };
  };
  const totalVariance = (k: number, t: number): number => {
    const n = nodeAt(t);
    return n ? essviW(n, k) : NaN;
  };
  return {
    nodes,
    nodeAt,
    totalVariance,
    vol: (k, t) => {
      const w = totalVariance(k, t);
      return w >= 0 ? Math.sqrt(w / t) : NaN;
    },
    density: (k, t) => {
      const n = nodeAt(t);
      if (!n) return NaN;
      const p = essviToRaw(n);
      return densityFromW(k, sviW(p, k), sviW1(p, k), sviW2(p, k));
    },
    slope: (k, t) => {
      const n = nodeAt(t);
      if (!n) return NaN;
      const p = essviToRaw(n);
      const w = sviW(p, k);
      return w > 0 ? sviW1(p, k) / (2 * Math.sqrt(w * t)) : NaN;
    },
    volGrid: (ks, ts) => {
      const out: Float64Array[] = [];
      for (let j = 0; j < ts.length; j++) {
        const n = nodeAt(ts[j]);
        const row = new Float64Array(ks.length);
        for (let i = 0; i < ks.length; i++) row[i] = n ? Math.sqrt(Math.max(essviW(n, ks[i]), 0) / ts[j]) : NaN;
        out.push(row);
      }
      return out;
    },
  };
}
