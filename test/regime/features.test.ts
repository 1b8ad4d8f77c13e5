import { describe, it, expect } from 'vitest';
import { computeRegimeFeatures, fitScaler, applyScaler, FeatureInputError, type AlignedHistory } from '../../src/analytics/regime-features.js';

function synthetic(n: number): AlignedHistory {
  const dates: string[] = [];
  const spy = new Float64Array(n);
  const vix = new Float64Array(n);
  let p = 100;
  for (let i = 0; i < n; i++) {
    dates.push(new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
    p *= Math.exp(0.01 * Math.sin(i * 1.7));
    spy[i] = p;
    vix[i] = 15 + 5 * Math.cos(i / 7);
  }
  return { dates, spy, vix };
}

describe('regime features', () => {
  it('computes the documented columns by hand', () => {
    const h = synthetic(30);
    const f = computeRegimeFeatures(h, { realizedVolWindow: 5 });
    expect(f.columns).toEqual(['spy_return', 'realized_vol', 'log_vix', 'vix_change']);
    expect(f.n).toBe(25);
    expect(f.dates[0]).toBe(h.dates[5]);
    const t = 12; // absolute index
    const row = t - 5;
    const r = (i: number): number => Math.log(h.spy[i] / h.spy[i - 1]);
    let ss = 0;
    for (let i = t - 4; i <= t; i++) ss += r(i) ** 2;
    expect(f.data[row * 4]).toBeCloseTo(r(t), 15);
    expect(f.data[row * 4 + 1]).toBeCloseTo(Math.sqrt((252 * ss) / 5), 14);
    expect(f.data[row * 4 + 2]).toBeCloseTo(Math.log(h.vix[t]), 15);
    expect(f.data[row * 4 + 3]).toBeCloseTo(Math.log(h.vix[t] / h.vix[t - 1]), 15);
  });

  it('is configurable (subset, order, point VIX change)', () => {
    const h = synthetic(40);
    const f = computeRegimeFeatures(h, { features: ['vix_change', 'log_vix'], vixChange: 'diff' });
    expect(f.d).toBe(2);
    expect(f.data[0]).toBeCloseTo(h.vix[21] - h.vix[20], 12);
    expect(() => computeRegimeFeatures(h, { features: [] })).toThrow(FeatureInputError);
    expect(() => computeRegimeFeatures(h, { realizedVolWindow: 1 })).toThrow(/realizedVolWindow/);
  });

  it('uses data ≤ t only: rows are bit-identical on a truncated history', () => {
    const h = synthetic(300);
    const full = computeRegimeFeatures(h);
    const cut = 200;
    const part = computeRegimeFeatures({ dates: h.dates.slice(0, cut), spy: h.spy.slice(0, cut), vix: h.vix.slice(0, cut) });
    expect(Buffer.from(part.data.buffer).equals(Buffer.from(full.data.buffer, 0, part.data.byteLength))).toBe(true);
  });

  it('scaling is fitted on the training window only', () => {
    const h = synthetic(300);
    const f = computeRegimeFeatures(h);
    const s = fitScaler(f.data, f.d, 100, 200);
    const z = applyScaler(f.data, f.d, 100, 200, s);
    for (let c = 0; c < f.d; c++) {
      let m = 0;
      for (let t = 0; t < 100; t++) m += z[t * f.d + c];
      expect(Math.abs(m / 100)).toBeLessThan(1e-12);
    }
    // changing rows outside [100, 200) does not change the scaler
    const g = Float64Array.from(f.data);
    for (let i = 200 * f.d; i < g.length; i++) g[i] = 1e6;
    const s2 = fitScaler(g, f.d, 100, 200);
    expect(Array.from(s2.mean)).toEqual(Array.from(s.mean));
    expect(Array.from(s2.std)).toEqual(Array.from(s.std));
  });

  it('rejects non-positive closes and unsorted dates', () => {
    const h = synthetic(40);
    h.spy[10] = 0;
    expect(() => computeRegimeFeatures(h)).toThrow(/SPY close on/);
    const h2 = synthetic(40);
    (h2.dates as string[])[5] = h2.dates[3];
    expect(() => computeRegimeFeatures(h2)).toThrow(/ascending/);
  });
});
