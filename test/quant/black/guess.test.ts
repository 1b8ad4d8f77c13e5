// The solver's cheap intermediate evaluation of b(x, s) (its final iterate always uses the accurate one).
import { describe, expect, it } from 'vitest';
import { normalisedBlackOtm, normalisedBlackOtmGuessWithVega, blackOfLast, vegaOfLastBlack, normalisedVega } from '../../../src/quant/black/normalised.js';
import { wasmImpliedNormalisedVolOtm } from '../../../src/quant/black/wasm-kernel.js';
import { impliedNormalisedVolOtm, lastIterations, lowerGuessRatios, lowestTableGuess } from '../../../src/quant/black/lets-be-rational.js';
import { mulberry32 } from '../../support/random.js';


describe('normalisedBlackOtmGuessWithVega', () => {
  it('agrees with the accurate b to ~2e−11 (erfcx difference where the accurate code uses the small-t series)', () => {
    const rnd = mulberry32(11);
    let worst = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = -Math.exp(Math.log(1e-6) + rnd() * Math.log(1e7)); // −1e−6 … −10
      const s = Math.exp(Math.log(2e-4) + rnd() * Math.log(5e4)); // 2e−4 … 10 (t = s/2 spans the series region)
      const ref = normalisedBlackOtm(x, s);
      if (!(ref > 1e-300)) continue;
      normalisedBlackOtmGuessWithVega(x, s);
      const h = x / s;
      const t = s / 2;
      // The accurate evaluation itself carries ~(h² + t²)ε from e^{−(h²+t²)/2}; the guess adds its cancellation.
      const tol = 2e-11 + 16 * 2.220446049250313e-16 * (1 + 0.5 * (h * h + t * t));
      const err = Math.abs(blackOfLast() / ref - 1);
      worst = Math.max(worst, err / tol);
      expect(vegaOfLastBlack()).toBe(normalisedVega(x, s));
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(worst).toBeGreaterThan(1e-3); // the cancellation is real (the bound is not vacuous)
  });
});

describe('guess table', () => {
  it('interpolates the x-only guess nodes (1 − erfcx(√−x), b_l/b_c, b′_l/b′_c, f_l/b_l, df/dβ, b_l·d²f/dβ²) to ≲1e−7', () => {
    const rnd = mulberry32(12);
    const a = new Float64Array(6);
    const b = new Float64Array(6);
    const worst = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 50_000; i++) {
      const y = 1 / 64 + rnd() * (2.98 - 1 / 64);
      expect(lowerGuessRatios(y, a, false)).toBe(true);
      lowerGuessRatios(y, b, true);
      for (let j = 0; j < 5; j++) worst[j] = Math.max(worst[j], Math.abs(a[j] / b[j] - 1));
      worst[5] = Math.max(worst[5], Math.abs(a[5] - b[5])); // crosses zero: absolute
    }
    // b_c decides which half brackets the root: its interpolation must be far inside the solver's 1e−5 margin.
    expect(worst[0]).toBeLessThan(2e-7);
    for (let j = 1; j < 5; j++) expect(worst[j], `value ${j}`).toBeLessThan(2e-7);
    expect(worst[5]).toBeLessThan(1e-5);
    // Outside the table (|x| < 2.4e−4 or > 8.9) the solver computes the nodes per option.
    expect(lowerGuessRatios(0.01, a, false)).toBe(false);
    expect(lowerGuessRatios(3.5, a, false)).toBe(false);
  });

  it('β at and around b_c (where the interpolated b_c picks the half that brackets the root): attainable bound, both kernels', () => {
    const rnd = mulberry32(13);
    let worst = 0;
    for (let i = 0; i < 50_000; i++) {
      const y = 0.01 + 3 * rnd();
      const x = -y * y;
      const sc = Math.sqrt(-2 * x);
      const s = sc * (1 + (rnd() - 0.5) * Math.pow(10, -1 - 9 * rnd())); // s_c·(1 ± 5e−2 … 5e−11)
      const b = normalisedBlackOtm(x, s);
      const v = impliedNormalisedVolOtm(b, x);
      expect(Object.is(wasmImpliedNormalisedVolOtm(b, x), v)).toBe(true);
      const cond = Math.max((2.220446049250313e-16 * b) / (normalisedVega(x, s) * s), 2.220446049250313e-16);
      worst = Math.max(worst, Math.abs(v / s - 1) / cond);
    }
    expect(worst).toBeLessThan(8);
  });

  it('lowest branch from the 2-D table of s(y, w): guess ≲1e−5 off (so one accurate step), result at the attainable bound, both kernels', () => {
    const rnd = mulberry32(14);
    const r = new Float64Array(6);
    const errs: number[] = [];
    let oneStep = 0;
    let worst = 0;
    for (let i = 0; i < 40_000; i++) {
      // The table's range (y = √−x ∈ [1/64, 1.265], w = ln b_l / ln β ∈ [1/64, 1]), a little beyond it on every side.
      const y = 0.01 + rnd() * 1.3;
      const x = -y * y;
      lowerGuessRatios(Math.min(Math.max(y, 1 / 64), 2.98), r, true);
      const bl = r[1] * 0.5 * Math.exp(0.5 * x) * r[0];
      const w = 0.005 + rnd() * 1.0;
      const beta = Math.exp(Math.log(bl) / w);
      if (!(beta > 1e-300)) continue;
      const v = impliedNormalisedVolOtm(beta, x);
      const its = lastIterations();
      expect(Object.is(wasmImpliedNormalisedVolOtm(beta, x), v)).toBe(true);
      const g = lowestTableGuess(beta, x);
      if (g > 0) {
        errs.push(Math.abs(g / v - 1));
        if (its === 1) oneStep++;
      }
      const b = normalisedBlackOtm(x, v);
      const cond = Math.max((2.220446049250313e-16 * b) / (normalisedVega(x, v) * v), 2.220446049250313e-16);
      // β is exact by construction here, so compare b(v) with β through the conditioning: |Δs/s| ≈ |Δb|/(b′·s).
      worst = Math.max(worst, Math.abs(b - beta) / (normalisedVega(x, v) * v) / cond);
    }
    errs.sort((a, b) => a - b);
    expect(errs.length).toBeGreaterThan(25_000);
    expect(errs[errs.length >> 1]).toBeLessThan(1e-7);
    expect(errs[Math.floor(errs.length * 0.95)]).toBeLessThan(1e-5);
    expect(errs[errs.length - 1]).toBeLessThan(5e-4);
    expect(oneStep / errs.length).toBeGreaterThan(0.95);
    expect(worst).toBeLessThan(8);
  });
});
