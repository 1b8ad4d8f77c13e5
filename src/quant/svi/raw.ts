/**
 * Raw SVI (Gatheral 2004) in total implied variance and its derivatives in log-forward-moneyness k = ln(K/F):
 *
 *   w(k) = a + b (ρ (k − m) + √((k − m)² + σ²))
 *
 * plus the Gatheral-Jacquier butterfly function g(k) and the risk-neutral density it implies. Pure numerics.
 */

export interface RawSvi {
  a: number;
  b: number;
  rho: number;
  m: number;
  sigma: number;
}

/**
 * Lee's moment formula bounds the wing slope of TOTAL variance by 2 (limsup w(k)/|k| ≤ 2); a slope of exactly 2
 * also makes g(±∞) = 1/4 − s²/16 vanish, so every fit keeps its slopes b(1 ± ρ) at or below this cap, strictly
 * below 2 so that g stays bounded away from 0 in the far wings (where no finite grid can check it).
 */
export const MAX_WING_SLOPE = 1.98;

/** Total variance w(k). */
export function sviW(p: RawSvi, k: number): number {
  const x = k - p.m;
  return p.a + p.b * (p.rho * x + Math.sqrt(x * x + p.sigma * p.sigma));
}

/** dw/dk. */
export function sviW1(p: RawSvi, k: number): number {
  const x = k - p.m;
  return p.b * (p.rho + x / Math.sqrt(x * x + p.sigma * p.sigma));
}

/** d²w/dk². */
export function sviW2(p: RawSvi, k: number): number {
  const x = k - p.m;
  const r = x * x + p.sigma * p.sigma;
  return (p.b * p.sigma * p.sigma) / (r * Math.sqrt(r));
}

/** Durrleman / Gatheral-Jacquier g(k) from w and its first two derivatives; g ≥ 0 everywhere ⇔ no butterfly. */
export function gFromW(k: number, w: number, w1: number, w2: number): number {
  if (!(w > 0)) return -Infinity;
  const t = 1 - (k * w1) / (2 * w);
  return t * t - ((w1 * w1) / 4) * (1 / w + 0.25) + w2 / 2;
}

/** g(k) of a raw SVI slice (one pass, shared subexpressions). */
export function sviG(p: RawSvi, k: number): number {
  return sviGAt(p.a, p.b, p.rho, p.m, p.sigma * p.sigma, k);
}

/**
 * g(k) from the raw parameters passed as numbers (s2 = σ²): the hot loops (dense checks, penalty grids) hoist the
 * parameters once and call this per point. −Infinity where w ≤ 0; NaN passes through (callers decide).
 */
export function sviGAt(a: number, b: number, rho: number, m: number, s2: number, k: number): number {
  const x = k - m;
  const r = x * x + s2;
  const sq = Math.sqrt(r);
  const w = a + b * (rho * x + sq);
  if (!(w > 0)) return -Infinity;
  const w1 = b * (rho + x / sq);
  const w2 = (b * s2) / (r * sq);
  const t = 1 - (k * w1) / (2 * w);
  return t * t - ((w1 * w1) / 4) * (1 / w + 0.25) + w2 / 2;
}

/** Minimum of w over all k: a + bσ√(1 − ρ²) (attained at k = m − ρσ/√(1−ρ²)). */
export function sviMinW(p: RawSvi): number {
  return p.a + p.b * p.sigma * Math.sqrt(Math.max(0, 1 - p.rho * p.rho));
}

/**
 * Risk-neutral density of ln(K/F) implied by the slice: p(k) = g(k) / √(2π w) · exp(−d₂²/2), d₂ = −k/√w − √w/2
 * (Gatheral-Jacquier 2014, eq. 2.1). Non-negative exactly when g is.
 */
export function densityFromW(k: number, w: number, w1: number, w2: number): number {
  if (!(w > 0)) return NaN;
  const sw = Math.sqrt(w);
  const d2 = -k / sw - sw / 2;
  return (gFromW(k, w, w1, w2) / Math.sqrt(2 * Math.PI * w)) * Math.exp(-0.5 * d2 * d2);
}

/** True when every number is finite and the basic parameter domain holds (b ≥ 0, |ρ| < 1, σ > 0, w ≥ 0). */
export function isValidRawSvi(p: RawSvi): boolean {
  return (
    Number.isFinite(p.a) &&
    Number.isFinite(p.b) &&
    Number.isFinite(p.rho) &&
    Number.isFinite(p.m) &&
    Number.isFinite(p.sigma) &&
    p.b >= 0 &&
    Math.abs(p.rho) < 1 &&
    p.sigma > 0 &&
    sviMinW(p) >= 0
  );
}

/** Largest wing slope of total variance, b(1 + |ρ|) (Lee: must be ≤ 2). */
export function sviMaxWingSlope(p: RawSvi): number {
  return p.b * (1 + Math.abs(p.rho));
}

/**
 * Zeliade / quasi-explicit coordinates: y = (k − m)/σ, w = a + d·y + c·√(y² + 1) with c = bσ, d = ρbσ.
 * For fixed (m, σ), w is linear in (a, d, c).
 */
export interface ZeliadeSvi {
  a: number;
  d: number;
  c: number;
  m: number;
  sigma: number;
}

export function rawFromZeliade(z: ZeliadeSvi): RawSvi {
  const b = z.c / z.sigma;
  const rho = z.c > 0 ? z.d / z.c : 0;
  return { a: z.a, b, rho, m: z.m, sigma: z.sigma };
}

export function zeliadeFromRaw(p: RawSvi): ZeliadeSvi {
  return { a: p.a, d: p.rho * p.b * p.sigma, c: p.b * p.sigma, m: p.m, sigma: p.sigma };
}
