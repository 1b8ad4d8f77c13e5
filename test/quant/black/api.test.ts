// Scalar and batch APIs agree; status codes for each failure mode; desk units; Black-76 = BSM on the forward.
import { describe, expect, it } from 'vitest';
import { allocBsmInput, allocGreekColumns, greeksBatch, ivAndGreeksBatch, ivBatch } from '../../../src/quant/black/batch.js';
import { bsmGreeks, DESK_FACTORS, toDeskUnits } from '../../../src/quant/black/greeks.js';
import { impliedVolBlack76, impliedVolBsm } from '../../../src/quant/black/implied.js';
import { black76Price, bsmPrice } from '../../../src/quant/black/price.js';
import { IvStatus, ivStatusName } from '../../../src/quant/black/status.js';

describe('status codes', () => {
  const S = 100;
  const K = 90;
  const T = 0.5;
  const r = 0.03;
  const q = 0.01;
  const call = bsmPrice(true, S, K, T, r, q, 0.25);
  const intrinsic = S * Math.exp(-q * T) - K * Math.exp(-r * T);
  it('ok', () => {
    const res = impliedVolBsm(true, S, K, T, r, q, call);
    expect(res.status).toBe(IvStatus.OK);
    expect(res.iv).toBeCloseTo(0.25, 14);
  });
  it('below intrinsic / at intrinsic', () => {
    expect(impliedVolBsm(true, S, K, T, r, q, intrinsic * 0.99).status).toBe(IvStatus.BELOW_INTRINSIC);
    const at = impliedVolBsm(true, S, K, T, r, q, intrinsic);
    expect([IvStatus.BELOW_INTRINSIC, IvStatus.PRICE_TOO_SMALL]).toContain(at.status);
    expect(Number.isNaN(at.iv)).toBe(true);
  });
  it('above maximum', () => {
    expect(impliedVolBsm(true, S, K, T, r, q, S * Math.exp(-q * T)).status).toBe(IvStatus.ABOVE_MAXIMUM);
    expect(impliedVolBsm(false, S, K, T, r, q, K).status).toBe(IvStatus.ABOVE_MAXIMUM);
  });
  it('zero or missing price', () => {
    expect(impliedVolBsm(true, S, K, T, r, q, 0).status).toBe(IvStatus.NO_PRICE);
    expect(impliedVolBsm(true, S, K, T, r, q, NaN).status).toBe(IvStatus.NO_PRICE);
  });
  it('bad input', () => {
    const cases: Array<[number, number, number, number, number, number]> = [
      [-1, K, T, r, q, call],
      [S, 0, T, r, q, call],
      [S, K, 0, r, q, call],
      [S, K, -1, r, q, call],
      [S, K, T, NaN, q, call],
      [S, K, T, r, Infinity, call],
      [S, K, T, r, q, -1],
      [S, K, T, r, q, Infinity],
      [5e-324, K, T, r, q, call],
    ];
    for (const args of cases) {
      const res = impliedVolBsm(true, args[0], args[1], args[2], args[3], args[4], args[5]);
      expect(res.status, JSON.stringify(args)).toBe(IvStatus.BAD_INPUT);
      expect(Number.isNaN(res.iv)).toBe(true);
    }
  });
  it('price too small: a deep in-the-money time value lost in the price rounding, or a subnormal price', () => {
    // ~6 standard deviations in the money: time value 2e−10 of a price of 10, so the price's last bit moves σ by
    // more than 1e−9 relative: refused rather than returned with false precision.
    const deep = bsmPrice(false, 100, 110, 0.1, 0, 0, 0.05);
    expect(deep - 10).toBeGreaterThan(0);
    expect(impliedVolBsm(false, 100, 110, 0.1, 0, 0, deep).status).toBe(IvStatus.PRICE_TOO_SMALL);
    // Less deep: inverted, to the precision the price allows.
    const ok = impliedVolBsm(false, 100, 110, 0.1, 0, 0, bsmPrice(false, 100, 110, 0.1, 0, 0, 0.1));
    expect(ok.status).toBe(IvStatus.OK);
    expect(Math.abs(ok.iv - 0.1)).toBeLessThan(1e-11);
    expect(impliedVolBsm(true, 100, 200, 0.1, 0, 0, 1e-310).status).toBe(IvStatus.PRICE_TOO_SMALL);
  });
  it('names', () => {
    expect(ivStatusName(IvStatus.OK)).toBe('ok');
    expect(ivStatusName(IvStatus.PRICE_TOO_SMALL)).toBe('price_too_small');
  });
});

describe('Black-76 and BSM share one code path', () => {
  it('BSM with q = r on spot F equals Black-76 on forward F', () => {
    for (const [K, T, s] of [[90, 0.1, 0.2], [120, 2, 0.6], [100, 1e-4, 0.1]]) {
      const D = Math.exp(-0.04 * T);
      const b76 = black76Price(true, 100, K, T, D, s);
      const bsm = bsmPrice(true, 100, K, T, 0.04, 0.04, s);
      expect(Math.abs(b76 - bsm) / bsm).toBeLessThan(1e-13);
      const iv = impliedVolBlack76(true, 100, K, T, D, b76);
      expect(iv.status).toBe(IvStatus.OK);
      expect(Math.abs(iv.iv - s) / s).toBeLessThan(1e-13);
    }
  });
  it('put-call parity holds to rounding', () => {
    const c = bsmPrice(true, 100, 105, 0.7, 0.05, 0.02, 0.3);
    const p = bsmPrice(false, 100, 105, 0.7, 0.05, 0.02, 0.3);
    expect(Math.abs(c - p - (100 * Math.exp(-0.02 * 0.7) - 105 * Math.exp(-0.05 * 0.7)))).toBeLessThan(1e-12);
  });
});

describe('batch API', () => {
  const n = 7;
  const inp = allocBsmInput(n);
  const rows: Array<[number, number, number, number, number, number, number]> = [
    [0, 100, 110, 0.25, 0.05, 0.01, 0.2],
    [1, 100, 90, 0.25, 0.05, 0.01, 0.3],
    [0, 4000, 4000, 1 / 365 / 24, 0.05, 0.0, 0.15],
    [1, 50, 80, 3, 0.01, 0.02, 0.9],
    [0, 100, 100, 0.5, 0, 0, 0.2],
    [3, 100, 100, 0.5, 0, 0, 0.2], // bad right
    [0, NaN, 100, 0.5, 0, 0, 0.2],
  ];
  rows.forEach(([rt, S, K, T, r, q, s], i) => {
    inp.right[i] = rt;
    inp.spot[i] = S;
    inp.strike[i] = K;
    inp.t[i] = T;
    inp.rate[i] = r;
    inp.dividendYield[i] = q;
    inp.sigma[i] = s;
    inp.price[i] = bsmPrice(rt === 0, S, K, T, r, q, s);
  });
  it('matches the scalar API row by row, and flags bad rows', () => {
    const out = allocGreekColumns(n);
    ivAndGreeksBatch(inp, out);
    rows.forEach(([rt, S, K, T, r, q, s], i) => {
      if (i >= 5) {
        expect(out.status[i]).toBe(IvStatus.BAD_INPUT);
        expect(Number.isNaN(out.iv[i]) && Number.isNaN(out.delta[i])).toBe(true);
        return;
      }
      const sc = impliedVolBsm(rt === 0, S, K, T, r, q, inp.price[i]);
      expect(out.status[i]).toBe(sc.status);
      expect(out.iv[i]).toBe(sc.iv);
      expect(Math.abs(out.iv[i] - s) / s).toBeLessThan(1e-12);
      const g = bsmGreeks(rt === 0, S, K, T, r, q, out.iv[i]);
      expect(out.delta[i]).toBe(g.delta);
      expect(out.color[i]).toBe(g.color);
      expect(out.dualGamma[i]).toBe(g.dualGamma);
    });
  });
  it('ivBatch and greeksBatch agree with ivAndGreeksBatch; slices only touch their rows', () => {
    const a = allocGreekColumns(n);
    ivAndGreeksBatch(inp, a);
    const iv = new Float64Array(n);
    const st = new Uint8Array(n);
    ivBatch(inp, iv, st);
    expect([...st]).toEqual([...a.status]);
    const g = allocGreekColumns(n);
    g.delta.fill(-7);
    greeksBatch(inp, g, 1, 3);
    expect(g.delta[0]).toBe(-7);
    expect(g.delta[3]).toBe(-7);
    expect(Math.abs(g.delta[1] - a.delta[1])).toBeLessThan(1e-12);
  });
  it('desk units are documented factors of raw', () => {
    const g = bsmGreeks(true, 100, 105, 0.3, 0.04, 0.01, 0.25);
    const d = toDeskUnits(g);
    expect(d.theta).toBeCloseTo(g.theta / 365, 15);
    expect(d.vega).toBeCloseTo(g.vega / 100, 15);
    expect(d.rho).toBeCloseTo(g.rho / 100, 15);
    expect(d.gamma).toBe(g.gamma);
    expect(DESK_FACTORS.vomma).toBe(1e-4);
    // vega per vol point ≈ price change for +1 vol point
    const up = bsmPrice(true, 100, 105, 0.3, 0.04, 0.01, 0.26) - g.price;
    expect(Math.abs(up - d.vega) / d.vega).toBeLessThan(0.02);
  });
});
