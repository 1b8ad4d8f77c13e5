// The normalised Black function in every region, and its inversion (Let's Be Rational) to the attainable bound.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalisedBlackOtm, normalisedBlackOtmComplement, normalisedVega } from '../../../src/quant/black/normalised.js';
import { impliedNormalisedVolOtm, lastIterations } from '../../../src/quant/black/lets-be-rational.js';

const rows: Array<[number, number, number]> = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'normalised-black.json'), 'utf8'));
const EPS = 2.220446049250313e-16;

describe('normalised Black b(x, s)', () => {
  it('fixtures span the asymptotic, small-t, erfcx and Φ regions', () => {
    const region = (x: number, s: number) => (x / s + s / 2 < -10 ? 'asym' : s / 2 < 0.21 ? 'small' : x / s + s / 2 > 0.85 ? 'phi' : 'erfcx');
    const seen = new Set(rows.filter(([x]) => x < 0).map(([x, s]) => region(x, s)));
    expect([...seen].sort()).toEqual(['asym', 'erfcx', 'phi', 'small']);
  });
  it('matches 50-digit values: relative error ≤ ~ (h²+t²)·ε (the conditioning of e^{−(h²+t²)/2})', () => {
    for (const [x, s, v] of rows) {
      if (v < 1e-300) continue;
      const h = x / s;
      const t = s / 2;
      const bound = 16 * EPS * (1 + 0.5 * (h * h + t * t));
      const got = normalisedBlackOtm(x, s);
      expect(Math.abs(got - v) / v, `x=${x} s=${s}`).toBeLessThanOrEqual(bound);
    }
  });
  it('the complement b_max − b is consistent and positive', () => {
    for (const [x, s] of [[-1, 0.5], [-0.1, 3], [-5, 40], [-20, 1]]) {
      const c = normalisedBlackOtmComplement(x, s);
      expect(c).toBeGreaterThan(0);
      expect(Math.abs(c - (Math.exp(x / 2) - normalisedBlackOtm(x, s)))).toBeLessThan(1e-15);
    }
  });
  it('vega is ∂b/∂s', () => {
    for (const [x, s] of [[-1, 0.5], [-0.01, 0.01], [-3, 2]]) {
      const h = 1e-6 * s;
      const fd = (normalisedBlackOtm(x, s + h) - normalisedBlackOtm(x, s - h)) / (2 * h);
      expect(Math.abs(fd / normalisedVega(x, s) - 1)).toBeLessThan(1e-7);
    }
  });
});

describe("Let's Be Rational inversion", () => {
  it('recovers s to within a few times the attainable bound ε·b/(s·b′) on every fixture, in ≤ 3 iterations', () => {
    let worst = 0;
    for (const [x, s, v] of rows) {
      if (v < 1e-300 || v >= Math.exp(x / 2) * (1 - 1e-15)) continue;
      const got = impliedNormalisedVolOtm(v, x);
      expect(lastIterations()).toBeLessThanOrEqual(3);
      const attainable = Math.max((EPS * v) / (normalisedVega(x, s) * s), EPS);
      const ratio = Math.abs(got - s) / s / attainable;
      worst = Math.max(worst, ratio);
    }
    expect(worst).toBeLessThan(8);
  });
  it('rejects out-of-domain input with NaN (the callers check bounds first)', () => {
    expect(Number.isNaN(impliedNormalisedVolOtm(0, -1))).toBe(true);
    expect(Number.isNaN(impliedNormalisedVolOtm(Math.exp(-0.5), -1))).toBe(true);
    expect(Number.isNaN(impliedNormalisedVolOtm(0.1, 1))).toBe(true);
  });
  it('x = 0 (at the money) over the whole range', () => {
    for (const s of [1e-8, 1e-3, 0.2, 1, 5, 10]) {
      const b = normalisedBlackOtm(0, s);
      const attainable = Math.max((EPS * b) / (normalisedVega(0, s) * s), EPS);
      expect(Math.abs(impliedNormalisedVolOtm(b, 0) / s - 1)).toBeLessThan(8 * attainable);
    }
    // b(0, 20) = erf(7.07) rounds to 1 = b_max: no finite volatility.
    expect(Number.isNaN(impliedNormalisedVolOtm(normalisedBlackOtm(0, 20), 0))).toBe(true);
  });
});
