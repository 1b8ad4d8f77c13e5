// erf/erfc/erfcx, Φ and Φ⁻¹ against 50-digit mpmath values (fixtures from bench/black/gen_fixtures.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { erf, erfc, erfcx } from '../../../src/quant/special/erf.js';
import { invNormCdf, normCdf, normPdf } from '../../../src/quant/special/normal.js';

const fixtures = join(__dirname, 'fixtures');
const load = (f: string) => JSON.parse(readFileSync(join(fixtures, f), 'utf8'));
const rel = (a: number, b: number) => (b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b));

describe('Cody error functions', () => {
  const rows: Array<[number, number, number, number | null]> = load('erf.json');
  it('has fixtures covering all branches and both signs', () => {
    expect(rows.length).toBeGreaterThan(400);
    expect(rows.some(([x]) => x < -4)).toBe(true);
    expect(rows.some(([x]) => x > 26)).toBe(true);
  });
  it('erf, erfc, erfcx are within a few ulps everywhere', () => {
    let me = 0;
    let mc = 0;
    let mx = 0;
    for (const [x, e, c, cx] of rows) {
      me = Math.max(me, rel(erf(x), e));
      if (c > 1e-300) mc = Math.max(mc, rel(erfc(x), c));
      if (cx !== null) mx = Math.max(mx, rel(erfcx(x), cx));
    }
    expect(me).toBeLessThan(1e-15);
    expect(mc).toBeLessThan(2e-15);
    expect(mx).toBeLessThan(2e-15);
  });
  it('handles non-finite and extreme arguments', () => {
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfcx(Infinity)).toBe(0);
    expect(erfcx(-30)).toBe(Infinity);
    expect(erfcx(1e10)).toBeCloseTo(0.5641895835477563 / 1e10, 25);
    expect(Number.isNaN(erf(NaN)) && Number.isNaN(erfc(NaN)) && Number.isNaN(erfcx(NaN))).toBe(true);
    expect(erf(5e-324)).toBeGreaterThan(0);
  });
});

describe('normal distribution', () => {
  const { cdf, inv }: { cdf: Array<[number, number]>; inv: Array<[number, number]> } = load('normal.json');
  it('Φ keeps relative precision down to Φ(−37.5)', () => {
    let m = 0;
    for (const [z, p] of cdf) if (p > 1e-300) m = Math.max(m, rel(normCdf(z), p));
    expect(m).toBeLessThan(3e-15);
    expect(normCdf(-37.5)).toBeGreaterThan(0);
  });
  it('Φ⁻¹ (AS 241) is accurate from 1e−300 to 1 − 1e−16', () => {
    let m = 0;
    for (const [p, z] of inv) m = Math.max(m, rel(invNormCdf(p), z));
    expect(m).toBeLessThan(2e-15);
    expect(invNormCdf(0)).toBe(-Infinity);
    expect(invNormCdf(1)).toBe(Infinity);
    expect(invNormCdf(0.5)).toBe(0);
    expect(Number.isNaN(invNormCdf(NaN))).toBe(true);
  });
  it('φ is the density', () => {
    expect(normPdf(0)).toBeCloseTo(0.3989422804014327, 16);
    expect(rel(normPdf(3), Math.exp(-4.5) / Math.sqrt(2 * Math.PI))).toBeLessThan(1e-15);
  });
});
