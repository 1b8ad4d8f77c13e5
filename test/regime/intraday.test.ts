// Intraday regime: the partial-observation filter step is exact (all columns observed = the ordinary forward step;
// observed columns of a diagonal model = the product of their densities), and the live update uses only closes
// before the session date.
import { describe, expect, it } from 'vitest';
import { ForwardFilter, partialFilterStep } from '../../src/quant/hmm/inference.js';
import type { GaussianHmm } from '../../src/quant/hmm/types.js';
import { loadHistory } from '../../src/regime/history.js';
import { regimeNowFit, resolveModelConfig } from '../../src/regime/model.js';
import { IntradayRegimeModel } from '../../src/regime/intraday.js';
import type { AlignedHistory } from '../../src/analytics/regime-features.js';
import { computeRegimeWithModel } from '../../src/api/analytics-adapters.js';

const model: GaussianHmm = {
  k: 2,
  d: 3,
  covarianceType: 'full',
  startProb: Float64Array.from([0.6, 0.4]),
  transition: Float64Array.from([0.9, 0.1, 0.2, 0.8]),
  means: Float64Array.from([0, 0, 0, 1, 2, -1]),
  covariances: Float64Array.from([1, 0.3, 0.1, 0.3, 2, 0.2, 0.1, 0.2, 0.5, 2, -0.4, 0, -0.4, 1, 0.3, 0, 0.3, 1.5]),
  stateNames: ['calm', 'stressed'],
};

describe('partial filter step', () => {
  it('equals the forward filter when every column is observed', () => {
    const f = new ForwardFilter(model);
    const x0 = [0.2, -0.5, 0.4];
    const x1 = [1.1, 1.7, -0.2];
    const p0 = Float64Array.from(f.step(x0));
    const p1 = Float64Array.from(f.step(x1));
    const q0 = partialFilterStep(model, null, x0, [1, 1, 1]);
    const q1 = partialFilterStep(model, q0, x1, [1, 1, 1]);
    for (let j = 0; j < 2; j++) {
      expect(q0[j]).toBeCloseTo(p0[j], 14);
      expect(q1[j]).toBeCloseTo(p1[j], 14);
    }
  });

  it('marginalises unobserved columns (diagonal model: product of the observed densities)', () => {
    const diag: GaussianHmm = { ...model, covariances: Float64Array.from([1, 0, 0, 0, 2, 0, 0, 0, 0.5, 2, 0, 0, 0, 1, 0, 0, 0, 1.5]) };
    const x = [0.7, 123456, -0.3]; // column 1 unobserved: its value must not matter
    const q = partialFilterStep(diag, [0.5, 0.5], x, [1, 0, 1]);
    const dens = (v: number, m: number, s2: number) => Math.exp(-((v - m) ** 2) / (2 * s2)) / Math.sqrt(2 * Math.PI * s2);
    const prior = [0.5 * 0.9 + 0.5 * 0.2, 0.5 * 0.1 + 0.5 * 0.8];
    const a = prior[0] * dens(0.7, 0, 1) * dens(-0.3, 0, 0.5);
    const b = prior[1] * dens(0.7, 1, 2) * dens(-0.3, -1, 1.5);
    expect(q[0]).toBeCloseTo(a / (a + b), 14);
    expect(q[1]).toBeCloseTo(b / (a + b), 14);
    expect(() => partialFilterStep(diag, null, x, [0, 0, 0])).toThrow(/no observed column/);
    expect(() => partialFilterStep(diag, null, [NaN, 0, 0], [1, 0, 0])).toThrow(/not finite/);
  });
});

describe('intraday regime model', () => {
  it('steps one day past the last close with the live VIX; a higher VIX moves probability to stress', async () => {
    const { history } = await loadHistory();
    const end = history.dates.indexOf('2020-02-21') + 1;
    const h: AlignedHistory = { dates: history.dates.slice(0, end), spy: history.spy.slice(0, end), vix: history.vix.slice(0, end) };
    const cfg = resolveModelConfig({ restarts: 2 });
    const fit = regimeNowFit(h, cfg);
    const m = new IntradayRegimeModel(fit, h, cfg.features);
    expect(m.lastDate).toBe('2020-02-21');
    const calm = m.update('2020-02-24', { vix: 17, vixSource: 'chain', atMs: Date.UTC(2020, 1, 24, 15) });
    const panic = m.update('2020-02-24', { vix: 40, vixSource: 'chain', atMs: Date.UTC(2020, 1, 24, 15) });
    expect(calm.observed).toEqual(['log_vix', 'vix_change']);
    const stressed = calm.labels.length - 1;
    expect(panic.probabilities[stressed]).toBeGreaterThan(calm.probabilities[stressed]);
    const withSpy = m.update('2020-02-24', { vix: 25, vixSource: 'feed', spy: h.spy[end - 1] * 0.97, atMs: 0 });
    expect(withSpy.observed).toEqual(['spy_return', 'realized_vol', 'log_vix', 'vix_change']);
    expect(withSpy.features.spy_return).toBeCloseTo(Math.log(0.97), 12);
    expect(() => m.update('2020-02-21', { vix: 17, vixSource: 'chain', atMs: 0 })).toThrow(/not after the last close/);
    expect(() => m.update('2020-02-24', { vix: NaN, vixSource: 'chain', atMs: 0 })).toThrow(/positive number/);
  }, 60_000);

  it('the live regime section uses closes before the session date only', async () => {
    const { state, intraday } = await computeRegimeWithModel({ before: '2023-04-14', historyYears: 1 });
    expect(state.now.as_of).toBe('2023-04-13');
    expect(state.history[state.history.length - 1].date).toBe('2023-04-13');
    expect(intraday.lastDate).toBe('2023-04-13');
  }, 120_000);
});
