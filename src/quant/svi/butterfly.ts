/**
 * Butterfly-arbitrage checks for raw SVI slices: the minimum of Gatheral-Jacquier's g(k) on grids built to see
 * every feature of the slice (uniform in k over and far beyond the quoted range, plus sinh-spaced in y = (k−m)/σ
 * so that a very small σ, the typical short-dated shape, is resolved), and the analytic wing condition (Lee's
 * slope bound) that settles g beyond any finite grid: with slopes s < 2, g(±∞) = 1/4 − s²/16 > 0.
 */
import { MAX_WING_SLOPE, sviG, sviGAt, sviMaxWingSlope, sviMinW, type RawSvi } from './raw.js';

/** Uniform points over [lo, hi]. */
export function uniformGrid(lo: number, hi: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((hi - lo) * i) / (n - 1);
  return out;
}

const sinhCache = new Map<string, Float64Array>();

/** k = m + σ·sinh(u), u uniform: dense near the vertex of the smile, reaching |y| = yMax in the wings. */
export function sinhGrid(m: number, sigma: number, n: number, yMax = 1e5): Float64Array {
  // The y values only depend on (n, yMax): tabulated once (the verification runs this for every candidate).
  const ys = sinhYs(n, yMax);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = m + sigma * ys[i];
  return out;
}

/** The k-range a slice is checked on: the quoted range widened by max(1, 2 × its width) on both sides. */
export function checkRange(kMin: number, kMax: number): [number, number] {
  const pad = Math.max(1, 2 * (kMax - kMin));
  return [kMin - pad, kMax + pad];
}

/**
 * Minimum of g over a sorted grid, refined by golden-section search inside the bracket of every grid-local minimum
 * that comes within `refineBelow` of zero: a grid alone can step over the true minimum of a sharp dip.
 */
export function minGOn(p: RawSvi, grid: Float64Array, refineBelow = 0.05): { minG: number; at: number } {
  let minG = Infinity;
  let at = NaN;
  const n = grid.length;
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = sviG(p, grid[i]);
    vals[i] = Number.isNaN(g) ? -Infinity : g;
    if (vals[i] < minG) {
      minG = vals[i];
      at = grid[i];
    }
  }
  if (!(minG > -Infinity)) return { minG, at };
  for (let i = 1; i + 1 < n; i++) {
    if (vals[i] <= vals[i - 1] && vals[i] <= vals[i + 1] && vals[i] < refineBelow) {
      const r = goldenMin(p, grid[i - 1], grid[i + 1]);
      if (r.g < minG) {
        minG = r.g;
        at = r.k;
      }
    }
  }
  return { minG, at };
}

const GR = (Math.sqrt(5) - 1) / 2;

function goldenMin(p: RawSvi, lo: number, hi: number): { k: number; g: number } {
  let a = lo;
  let b = hi;
  let c = b - GR * (b - a);
  let d = a + GR * (b - a);
  let gc = sviG(p, c);
  let gd = sviG(p, d);
  for (let it = 0; it < 40 && b - a > 1e-13 * (1 + Math.abs(a)); it++) {
    if (gc < gd) {
      b = d;
      d = c;
      gd = gc;
      c = b - GR * (b - a);
      gc = sviG(p, c);
    } else {
      a = c;
      c = d;
      gc = gd;
      d = a + GR * (b - a);
      gd = sviG(p, d);
    }
  }
  return gc < gd ? { k: c, g: gc } : { k: d, g: gd };
}

export interface ButterflyReport {
  /** Minimum of g over the check grids (−Infinity if w ≤ 0 somewhere). */
  minG: number;
  /** Where it was found. */
  at: number;
  /** Largest wing slope b(1 + |ρ|). */
  maxSlope: number;
  /** g ≥ 0 on the grids, slopes within Lee's bound, w > 0 everywhere. */
  free: boolean;
}

/**
 * Full check of one slice. `kMin`/`kMax` are the quoted log-moneyness range; the grid goes far past it
 * (see checkRange) with `nUniform` uniform points, plus `nY` sinh-spaced points around m.
 */
export function butterflyReport(p: RawSvi, kMin: number, kMax: number, nUniform = 2001, nY = 801): ButterflyReport {
  const [lo, hi] = checkRange(kMin, kMax);
  // The same points as minGOn(p, uniformGrid(lo, hi, nUniform)) and minGOn(p, sinhGrid(p.m, p.sigma, nY)), bit for
  // bit, without building the grids (this runs for every candidate of every fit).
  const aG = minGGrid(p, lo, hi, nUniform, null);
  const aK = scratchAt;
  const bG = minGGrid(p, p.m, p.sigma, nY, sinhYs(nY, 1e5));
  const useA = aG <= bG;
  const minG = useA ? aG : bG;
  const at = useA ? aK : scratchAt;
  const maxSlope = sviMaxWingSlope(p);
  const free = minG >= 0 && maxSlope <= MAX_WING_SLOPE + 1e-12 && sviMinW(p) > 0;
  return { minG, at, maxSlope, free };
}

let scratchAt = NaN;
let gScratch = new Float64Array(0);

/** The tabulated sinh ordinates of sinhGrid (shared cache). */
function sinhYs(n: number, yMax: number): Float64Array {
  const key = `${n}:${yMax}`;
  let ys = sinhCache.get(key);
  if (!ys) {
    ys = new Float64Array(n);
    const u = Math.asinh(yMax);
    for (let i = 0; i < n; i++) ys[i] = Math.sinh(-u + (2 * u * i) / (n - 1));
    if (sinhCache.size < 64) sinhCache.set(key, ys);
  }
  return ys;
}

/**
 * minGOn on an implicit grid: uniform lo + (hi − lo)·i/(n − 1) when `ys` is null, else lo + hi·ys[i] (lo = m,
 * hi = σ: the sinh grid). Result in scratchMin / scratchAt. Same arithmetic as sviG / minGOn.
 */
function minGGrid(p: RawSvi, lo: number, hi: number, n: number, ys: Float64Array | null): number {
  if (gScratch.length < n) gScratch = new Float64Array(n);
  const vals = gScratch;
  const pa = p.a;
  const pb = p.b;
  const pr = p.rho;
  const pm = p.m;
  const s2 = p.sigma * p.sigma;
  let minG = Infinity;
  let at = NaN;
  for (let i = 0; i < n; i++) {
    const k = ys ? lo + hi * ys[i] : lo + ((hi - lo) * i) / (n - 1);
    let g = sviGAt(pa, pb, pr, pm, s2, k);
    if (Number.isNaN(g)) g = -Infinity;
    vals[i] = g;
    if (g < minG) {
      minG = g;
      at = k;
    }
  }
  if (minG > -Infinity) {
    for (let i = 1; i + 1 < n; i++) {
      const v = vals[i];
      if (v <= vals[i - 1] && v <= vals[i + 1] && v < 0.05) {
        const k0 = ys ? lo + hi * ys[i - 1] : lo + ((hi - lo) * (i - 1)) / (n - 1);
        const k1 = ys ? lo + hi * ys[i + 1] : lo + ((hi - lo) * (i + 1)) / (n - 1);
        const r = goldenMin(p, k0, k1);
        if (r.g < minG) {
          minG = r.g;
          at = r.k;
        }
      }
    }
  }
  scratchAt = at;
  return minG;
}

/**
 * True when `butterflyReport(p, kMin, kMax, nUniform, nY)` is certain to say "not free", found on every `stride`-th
 * point of its own grids (the same k values, bit for bit) and its slope / min-w conditions: a point with g < 0 there
 * is one of the report's grid points, so its minimum is negative too. False means "run the full report". Lets a
 * bisection skip most of the full checks of the candidates that fail.
 */
export function butterflyQuickReject(p: RawSvi, kMin: number, kMax: number, nUniform: number, nY: number, stride: number): boolean {
  if (!(sviMaxWingSlope(p) <= MAX_WING_SLOPE + 1e-12 && sviMinW(p) > 0)) return true;
  const [lo, hi] = checkRange(kMin, kMax);
  for (let i = 0; i < nUniform; i += stride) {
    if (!(sviG(p, lo + ((hi - lo) * i) / (nUniform - 1)) >= 0)) return true;
  }
  const ys = sinhYs(nY, 1e5);
  for (let i = 0; i < nY; i += stride) if (!(sviG(p, p.m + p.sigma * ys[i]) >= 0)) return true;
  return false;
}

/** How many dips `dipG` reports at most. */
export const MAX_DIPS = 4;

/**
 * g at the points where it can dip below zero in a band too narrow for any fixed grid: its first term
 * (1 − k w′/(2w))² has a double zero where h(k) = 2w − k w′ vanishes, and only near there can the negative terms
 * win. In the wings h is asymptotically linear (w ≈ s·k + c gives h ≈ s·k + 2c), so its last roots lie near
 * k = −2c/s: far out when a wing is nearly flat and low (s small, c < 0), the classic SVI arbitrage. The scan covers
 * [lo, hi] uniformly (`n` points) and geometrically out to 1.5× those asymptotic roots; roots are refined by
 * secant-bisection. Fills `out` (length MAX_DIPS) with g at the roots in order of k, +Infinity for unused slots.
 */
export function dipG(p: RawSvi, lo: number, hi: number, n: number, out: Float64Array): void {
  out.fill(Infinity);
  const sR = p.b * (1 + p.rho);
  const sL = p.b * (1 - p.rho);
  const rootR = sR > 0 ? (-2 * (p.a - sR * p.m)) / sR : 0;
  const rootL = sL > 0 ? (2 * (p.a + sL * p.m)) / sL : 0;
  const farHi = Math.min(1e4, Math.max(hi, 1.5 * rootR + 1));
  const farLo = Math.max(-1e4, Math.min(lo, 1.5 * rootL - 1));
  const nLo = farLo < lo ? DIP_FAR : 0;
  const nHi = farHi > hi ? DIP_FAR : 0;
  const total = nLo + n + 1 + nHi;
  let found = 0;
  let k0 = NaN;
  let h0 = NaN;
  // One pass over the scan points in increasing k (no closure: this runs inside the fitter's hot loops).
  for (let i = 0; i < total && found < MAX_DIPS; i++) {
    let k1: number;
    if (i < nLo) k1 = lo - (lo - farLo) * Math.pow((nLo - i) / nLo, 3);
    else if (i <= nLo + n) k1 = lo + ((hi - lo) * (i - nLo)) / n;
    else k1 = hi + (farHi - hi) * Math.pow((i - nLo - n) / nHi, 3);
    const h1 = hAt(p, k1);
    if (Number.isFinite(h0) && Number.isFinite(h1) && h0 > 0 !== h1 > 0) {
      let a = k0;
      let b = k1;
      let ha = h0;
      let hb = h1;
      let r = a;
      for (let it = 0; it < 14 && b - a > 1e-9 * (1 + Math.abs(a)); it++) {
        r = a + ((b - a) * ha) / (ha - hb);
        // Alternate with bisection so that huge far-wing brackets still shrink fast.
        if (!(r > a && r < b) || it % 3 === 2) r = 0.5 * (a + b);
        const hr = hAt(p, r);
        if (hr > 0 === ha > 0) {
          a = r;
          ha = hr;
        } else {
          b = r;
          hb = hr;
        }
      }
      const g = sviG(p, r);
      out[found++] = Number.isNaN(g) ? -Infinity : g;
    }
    k0 = k1;
    h0 = h1;
  }
}

/** h(k) = 2w − k w′ with one square root. */
function hAt(p: RawSvi, k: number): number {
  const x = k - p.m;
  const sq = Math.sqrt(x * x + p.sigma * p.sigma);
  return 2 * (p.a + p.b * (p.rho * x + sq)) - k * p.b * (p.rho + x / sq);
}

/** Geometric scan points per far wing in `dipG`. */
const DIP_FAR = 12;
