import { describe, expect, it } from 'vitest';
import type { SliceQuotes } from '../../../src/quant/svi/calibrate.js';
import { fitSviSlice } from '../../../src/quant/svi/calibrate.js';
import {
  calendarGap,
  calendarOk,
  essviButterflyViolation,
  essviToRaw,
  essviW,
  fitEssvi,
  type EssviNode,
} from '../../../src/quant/svi/essvi.js';
import { createSurfaceQuery } from '../../../src/quant/svi/query.js';
import { rawCalendarViolations } from '../../../src/quant/svi/calendar.js';
import { sviG, sviW } from '../../../src/quant/svi/raw.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

function sweepGap(a: EssviNode, b: EssviNode): number {
  let m = Infinity;
  for (let i = -20_000; i <= 20_000; i++) {
    const k = i / 1000;
    m = Math.min(m, essviW(b, k) - essviW(a, k));
  }
  return m;
}

describe('eSSVI', () => {
  it('is raw SVI under the documented mapping', () => {
    const n: EssviNode = { t: 0.5, theta: 0.02, psi: 0.15, eta: -0.09 };
    const p = essviToRaw(n);
    for (const k of [-1, -0.2, 0, 0.3, 1]) expect(sviW(p, k)).toBeCloseTo(essviW(n, k), 14);
  });

  it('exact calendar check agrees with a dense sweep on random node pairs', () => {
    const rnd = lcg(3);
    let crossings = 0;
    for (let trial = 0; trial < 150; trial++) {
      const t1 = 0.01 + rnd();
      const a: EssviNode = { t: t1, theta: 0.005 + rnd() * 0.05, psi: 0.02 + rnd() * 0.3, eta: 0 };
      a.eta = (2 * rnd() - 1) * 0.95 * a.psi;
      const b: EssviNode = { t: t1 + rnd(), theta: a.theta * (0.9 + rnd() * 0.5), psi: a.psi * (0.8 + rnd() * 0.6), eta: 0 };
      b.eta = (2 * rnd() - 1) * 0.95 * b.psi;
      const exact = calendarGap(a, b);
      const sweep = sweepGap(a, b);
      // Same verdict as a dense sweep over |k| ≤ 20; the exact check may also catch crossings beyond the sweep.
      if (sweep < -1e-9) expect(calendarOk(a, b)).toBe(false);
      if (exact.gap >= 0) expect(sweep).toBeGreaterThanOrEqual(-1e-12);
      if (exact.gap < -1e-9 && sweep >= 0) expect(Math.abs(exact.at)).toBeGreaterThan(20);
      if (sweep < 0) crossings++;
    }
    expect(crossings).toBeGreaterThan(15);
  });

  it('fits a calendar- and butterfly-free surface to inconsistent raw slices, and interpolates without arbitrage', () => {
    // Slices whose raw fits cross: the middle one is too low in the wings.
    const rnd = lcg(11);
    const specs = [
      { t: 0.05, a: 0.001, b: 0.03, rho: -0.7, m: 0.01, sigma: 0.04 },
      { t: 0.15, a: 0.004, b: 0.05, rho: -0.6, m: 0.02, sigma: 0.06 },
      { t: 0.3, a: 0.01, b: 0.03, rho: -0.5, m: 0.0, sigma: 0.2 },
      { t: 1.0, a: 0.03, b: 0.12, rho: -0.6, m: 0.05, sigma: 0.2 },
    ];
    const slices = specs.map((s) => {
      const n = 40;
      const width = 0.15 + 0.6 * Math.sqrt(s.t);
      const q: SliceQuotes = {
        t: s.t,
        k: new Float64Array(n),
        mid: new Float64Array(n),
        bid: new Float64Array(n),
        ask: new Float64Array(n),
        weight: new Float64Array(n),
      };
      for (let i = 0; i < n; i++) {
        q.k[i] = -width + (1.4 * width * i) / (n - 1);
        const h = 0.003;
        q.mid[i] = Math.sqrt(sviW(s, q.k[i]) / s.t) + (rnd() - 0.5) * h;
        q.bid[i] = q.mid[i] - h;
        q.ask[i] = q.mid[i] + h;
        q.weight[i] = 1 / (h * h);
      }
      return q;
    });
    const raw = slices.map((q) => fitSviSlice(q).params!);
    const viol = rawCalendarViolations(
      raw.map((p, i) => ({ label: String(i), t: slices[i].t, params: p, kMin: slices[i].k[0], kMax: slices[i].k[39] })),
    );
    expect(viol.length).toBeGreaterThan(0);
    const nodes = fitEssvi(slices.map((q, i) => ({ quotes: q, start: raw[i] })));
    expect(nodes.length).toBe(4);
    for (let i = 0; i < nodes.length; i++) {
      expect(essviButterflyViolation(nodes[i])).toBe(0);
      if (i > 0) expect(sweepGap(nodes[i - 1], nodes[i])).toBeGreaterThanOrEqual(-1e-12);
    }
    const query = createSurfaceQuery(nodes);
    // Interpolated and extrapolated nodes: calendar-monotone in T and butterfly-free.
    let prev: EssviNode | null = null;
    for (let j = 1; j <= 150; j++) {
      const t = j * 0.01;
      const nd = query.nodeAt(t)!;
      expect(essviButterflyViolation(nd)).toBe(0);
      if (prev) expect(calendarOk(prev, nd)).toBe(true);
      const p = essviToRaw(nd);
      for (let k = -2; k <= 2; k += 0.01) expect(sviG(p, k)).toBeGreaterThanOrEqual(0);
      prev = nd;
    }
    expect(query.vol(0, 0.3)).toBeGreaterThan(0);
    // Density integrates to one at an interpolated maturity.
    let mass = 0;
    for (let k = -6; k <= 6; k += 1e-3) mass += query.density(k, 0.5) * 1e-3;
    expect(mass).toBeCloseTo(1, 3);
    expect(query.slope(0, 0.5)).toBeLessThan(0);
  });
});
