// Acceptance against the mpmath truth tables of ../shared/data/greeks (40 digits, every Greek by differentiation).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedRoot } from '../../support/cli.js';
import { allocBsmInput, allocGreekColumns, ivAndGreeksBatch } from '../../../src/quant/black/batch.js';
import { bsmGreeks, GREEK_NAMES } from '../../../src/quant/black/greeks.js';
import { impliedVolBsm } from '../../../src/quant/black/implied.js';
import { IvStatus } from '../../../src/quant/black/status.js';

interface Row {
  [k: string]: number | string;
}
function load(name: string): Row[] {
  const lines = readFileSync(join(sharedRoot, 'data', 'greeks', name), 'utf8').trim().split('\n');
  const header = lines[0].split(',').map((h) => h.trim());
  return lines.slice(1).map((l) => {
    const c = l.split(',');
    const r: Row = {};
    header.forEach((h, i) => (r[h] = h === 'right' ? c[i] : Number(c[i])));
    return r;
  });
}
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const n = (r: Row, k: string) => r[k] as number;

describe('bsm-truth.csv (1,000 ordinary cases)', () => {
  const rows = load('bsm-truth.csv');
  it('has 1,000 rows', () => expect(rows.length).toBe(1000));

  it('implied volatility: relative error ≤ 1e−12 on every row (scalar API)', () => {
    let worst = 0;
    for (const r of rows) {
      const { iv, status } = impliedVolBsm(r.right === 'C', n(r, 'spot'), n(r, 'strike'), n(r, 'expiry_years'), n(r, 'rate'), n(r, 'dividend_yield'), n(r, 'price'));
      expect(status).toBe(IvStatus.OK);
      worst = Math.max(worst, rel(iv, n(r, 'sigma')));
    }
    expect(worst).toBeLessThanOrEqual(1e-12);
  });

  it('every Greek: relative error ≤ 1e−10 on every row (at the true σ)', () => {
    const worst: Record<string, number> = {};
    for (const r of rows) {
      const g = bsmGreeks(r.right === 'C', n(r, 'spot'), n(r, 'strike'), n(r, 'expiry_years'), n(r, 'rate'), n(r, 'dividend_yield'), n(r, 'sigma'));
      for (const k of ['price', ...GREEK_NAMES] as const) worst[k] = Math.max(worst[k] ?? 0, rel(g[k], n(r, k)));
    }
    for (const k of ['price', ...GREEK_NAMES]) expect(worst[k], k).toBeLessThanOrEqual(1e-10);
  });

  it('batch API: IV then Greeks at the solved IV, same tolerances', () => {
    const inp = allocBsmInput(rows.length);
    rows.forEach((r, i) => {
      inp.right[i] = r.right === 'C' ? 0 : 1;
      inp.spot[i] = n(r, 'spot');
      inp.strike[i] = n(r, 'strike');
      inp.t[i] = n(r, 'expiry_years');
      inp.rate[i] = n(r, 'rate');
      inp.dividendYield[i] = n(r, 'dividend_yield');
      inp.price[i] = n(r, 'price');
    });
    const out = allocGreekColumns(rows.length);
    ivAndGreeksBatch(inp, out);
    rows.forEach((r, i) => {
      expect(out.status[i]).toBe(IvStatus.OK);
      expect(rel(out.iv[i], n(r, 'sigma'))).toBeLessThanOrEqual(1e-12);
      for (const k of GREEK_NAMES) expect(rel(out[k][i], n(r, k)), `${k} row ${i}`).toBeLessThanOrEqual(1e-10);
    });
  });

  it('dual delta and dual gamma satisfy the homogeneity identities V = S·Δ + K·∂V/∂K and S²Γ = K²·∂²V/∂K²', () => {
    for (const r of rows) {
      const g = bsmGreeks(r.right === 'C', n(r, 'spot'), n(r, 'strike'), n(r, 'expiry_years'), n(r, 'rate'), n(r, 'dividend_yield'), n(r, 'sigma'));
      const S = n(r, 'spot');
      const K = n(r, 'strike');
      const scale = Math.abs(S * n(r, 'delta')) + Math.abs(n(r, 'price'));
      expect(Math.abs(S * n(r, 'delta') + K * g.dualDelta - n(r, 'price')) / scale).toBeLessThan(1e-12);
      expect(rel(K * K * g.dualGamma, S * S * n(r, 'gamma'))).toBeLessThan(1e-12);
    }
  });
});

describe('bsm-truth-edge.csv (200 hard cases)', () => {
  const rows = load('bsm-truth-edge.csv');
  const ulpHalf = (v: number) => {
    const f = new Float64Array([Math.abs(v)]);
    const u = new BigInt64Array(f.buffer);
    u[0] += 1n;
    return (f[0] - Math.abs(v)) / 2;
  };

  it('rows with price ≥ 1e−12·spot: ok ⇒ IV relative error ≤ 1e−9; not ok only where the float64 price cannot determine σ', () => {
    let ok = 0;
    let flagged = 0;
    for (const r of rows) {
      const S = n(r, 'spot');
      const price = n(r, 'price');
      if (price < 1e-12 * S) continue;
      const { iv, status } = impliedVolBsm(r.right === 'C', S, n(r, 'strike'), n(r, 'expiry_years'), n(r, 'rate'), n(r, 'dividend_yield'), price);
      // How far σ can move for a half-ulp change of the price (the price column is exact to 20 digits; its
      // float64 rounding is the input's own uncertainty).
      const attainable = ulpHalf(price) / (n(r, 'vega') * n(r, 'sigma'));
      if (status === IvStatus.OK) {
        ok++;
        expect(rel(iv, n(r, 'sigma')), `row ${JSON.stringify(r).slice(0, 120)}`).toBeLessThanOrEqual(1e-9);
      } else {
        flagged++;
        expect(Number.isNaN(iv)).toBe(true);
        expect([IvStatus.PRICE_TOO_SMALL, IvStatus.ABOVE_MAXIMUM, IvStatus.BELOW_INTRINSIC]).toContain(status);
        // Only rows whose attainable precision is worse than ~1e−10 may be refused.
        expect(attainable, `refused a determinable row ${JSON.stringify(r).slice(0, 120)}`).toBeGreaterThan(1e-10);
      }
    }
    expect(ok).toBeGreaterThan(150);
    expect(flagged).toBeLessThan(40);
  });

  it('rows with price < 1e−12·spot get a status or a right number (never a wrong one)', () => {
    let seen = 0;
    for (const r of rows) {
      const S = n(r, 'spot');
      const price = n(r, 'price');
      if (!(price < 1e-12 * S)) continue;
      seen++;
      const { iv, status } = impliedVolBsm(r.right === 'C', S, n(r, 'strike'), n(r, 'expiry_years'), n(r, 'rate'), n(r, 'dividend_yield'), price);
      if (status === IvStatus.OK) expect(rel(iv, n(r, 'sigma'))).toBeLessThanOrEqual(1e-9);
      else expect(Number.isNaN(iv)).toBe(true);
    }
    expect(seen).toBeGreaterThan(0);
  });
});
