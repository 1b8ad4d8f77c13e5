import { describe, expect, it } from 'vitest';
import { InnerSolver, innerFeasible } from '../../../src/quant/svi/inner.js';
import {
  densityFromW,
  rawFromZeliade,
  sviG,
  sviMinW,
  sviW,
  sviW1,
  sviW2,
  zeliadeFromRaw,
  type RawSvi,
} from '../../../src/quant/svi/raw.js';

const p: RawSvi = { a: 0.02, b: 0.15, rho: -0.55, m: 0.03, sigma: 0.12 };

describe('raw SVI', () => {
  it('derivatives agree with central differences', () => {
    for (const k of [-1, -0.3, 0, 0.03, 0.4, 1.2]) {
      const h = 1e-5;
      expect(sviW1(p, k)).toBeCloseTo((sviW(p, k + h) - sviW(p, k - h)) / (2 * h), 7);
      expect(sviW2(p, k)).toBeCloseTo((sviW1(p, k + h) - sviW1(p, k - h)) / (2 * h), 6);
    }
  });

  it('minimum total variance is a + bσ√(1−ρ²)', () => {
    let m = Infinity;
    for (let k = -3; k <= 3; k += 1e-4) m = Math.min(m, sviW(p, k));
    expect(sviMinW(p)).toBeCloseTo(m, 9);
  });

  it('Zeliade coordinates round-trip', () => {
    const q = rawFromZeliade(zeliadeFromRaw(p));
    for (const key of ['a', 'b', 'rho', 'm', 'sigma'] as const) expect(q[key]).toBeCloseTo(p[key], 14);
  });

  it("density from g integrates to 1 and g < 0 is detected on Gatheral-Jacquier's arbitrageable slice", () => {
    let mass = 0;
    const dk = 1e-3;
    for (let k = -8; k <= 8; k += dk) mass += densityFromW(k, sviW(p, k), sviW1(p, k), sviW2(p, k)) * dk;
    expect(mass).toBeCloseTo(1, 3);
    // Gatheral & Jacquier (2014), section 5.1: a raw SVI slice with butterfly arbitrage.
    const bad: RawSvi = { a: -0.041, b: 0.1331, rho: 0.306, m: 0.3586, sigma: 0.4153 };
    let ming = Infinity;
    for (let k = -1.5; k <= 1.5; k += 1e-3) ming = Math.min(ming, sviG(bad, k));
    expect(ming).toBeLessThan(0);
  });
});

describe('quasi-explicit inner problem', () => {
  // Brute force: projected coordinate descent on the same QP from many starts must not beat the exact solution.
  it('matches a brute-force search on random constrained problems', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 40; trial++) {
      const n = 12;
      const k = new Float64Array(n);
      const v = new Float64Array(n);
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        k[i] = -0.6 + 1.0 * (i / (n - 1));
        // Targets deliberately not SVI-shaped (random, sometimes decreasing) so constraints bind.
        v[i] = Math.max(0.001, 0.05 + 0.2 * (rnd() - 0.5) + (trial % 3 === 0 ? -0.3 * k[i] : 0.4 * k[i] * k[i]));
        w[i] = 0.5 + rnd();
      }
      const m = rnd() * 0.4 - 0.2;
      const sigma = 0.02 + rnd() * 0.5;
      const solver = new InnerSolver(k, v, w, 1.98);
      const best = solver.solve(m, sigma);
      const sse = (a: number, d: number, c: number): number => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const y = (k[i] - m) / sigma;
          const r = a + d * y + c * Math.sqrt(y * y + 1) - v[i];
          s += w[i] * r * r;
        }
        return s;
      };
      const feasible = (a: number, d: number, c: number): boolean => innerFeasible(a, d, c, sigma, 1.98, 1e-12);
      expect(feasible(best.a, best.d, best.c)).toBe(true);
      // The domain is sufficient for a non-negative total variance.
      expect(best.a + Math.sqrt(Math.max(0, best.c * best.c - best.d * best.d))).toBeGreaterThanOrEqual(-1e-12);
      expect(best.sse).toBeCloseTo(sse(best.a, best.d, best.c), 8);
      // Random feasible points never beat it.
      for (let j = 0; j < 800; j++) {
        const c = rnd() * 1.98 * sigma * 0.5 + (rnd() < 0.2 ? 0.99 * sigma : 0);
        const dmax = Math.min(c, 1.98 * sigma - c);
        const d = (rnd() * 2 - 1) * Math.max(0, dmax);
        const a = (rnd() - 0.5) * 0.6;
        if (!feasible(a, d, c)) continue;
        expect(sse(a, d, c)).toBeGreaterThanOrEqual(best.sse - 1e-10);
      }
    }
  });
});
