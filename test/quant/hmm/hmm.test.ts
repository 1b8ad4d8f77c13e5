import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Rng,
  fitHmm,
  selectByBic,
  sampleHmm,
  logLikelihood,
  filterProbabilities,
  ForwardFilter,
  smoothedPosteriorsWholeSample,
  viterbiWholeSample,
  orderStates,
  HmmInputError,
  type GaussianHmm,
} from '../../../src/quant/hmm/index.js';
import { repoRoot } from '../../support/cli.js';

/** A known 3-state, 2-D HMM: calm (low variance), normal, stressed (high variance, negative drift). */
function trueModel(): GaussianHmm {
  return {
    k: 3,
    d: 2,
    covarianceType: 'full',
    startProb: Float64Array.from([0.6, 0.3, 0.1]),
    transition: Float64Array.from([0.97, 0.025, 0.005, 0.03, 0.95, 0.02, 0.02, 0.06, 0.92]),
    means: Float64Array.from([0.5, -1.0, 0.0, 0.3, -1.5, 2.0]),
    covariances: Float64Array.from([0.2, 0.05, 0.05, 0.1, 0.6, -0.2, -0.2, 0.5, 2.5, 0.8, 0.8, 1.5]),
    stateNames: ['calm', 'normal', 'stressed'],
  };
}

describe('Gaussian HMM: synthetic recovery', () => {
  const truth = trueModel();
  const n = 4000;
  const { obs, states } = sampleHmm(truth, n, new Rng(42));
  const fit = fitHmm(obs, { states: 3, restarts: 10, seed: 7, covarianceFloor: 1e-6 });
  const m = fit.model;

  it('reaches at least the log-likelihood of the true parameters', () => {
    const llTrue = logLikelihood(truth, obs);
    // MLE ≥ truth up to the (tiny) floor regularisation.
    expect(fit.loglik).toBeGreaterThanOrEqual(llTrue - 1e-6 * n);
    expect(fit.converged).toBe(true);
    // and the reported loglik is the loglik of the returned (re-ordered) model
    expect(logLikelihood(m, obs)).toBeCloseTo(fit.loglik, 6);
  });

  it('recovers means, covariances and transitions within sampling error', () => {
    // Ordered by trace, the fitted states line up with the true calm/normal/stressed.
    const counts = [0, 0, 0];
    for (let t = 0; t < n; t++) counts[states[t]]++;
    for (let j = 0; j < 3; j++) {
      for (let c = 0; c < 2; c++) {
        const sd = Math.sqrt(truth.covariances[j * 4 + c * 3]);
        // standard error inflated ×3 for serial dependence of visits; 4 such errors is far outside chance
        const se = (3 * sd) / Math.sqrt(counts[j]);
        expect(Math.abs(m.means[j * 2 + c] - truth.means[j * 2 + c])).toBeLessThan(4 * se);
      }
      for (let e = 0; e < 4; e++) {
        const scale = Math.sqrt(truth.covariances[j * 4] * truth.covariances[j * 4 + 3]);
        expect(Math.abs(m.covariances[j * 4 + e] - truth.covariances[j * 4 + e])).toBeLessThan(0.25 * scale);
      }
      for (let i = 0; i < 3; i++) {
        const p = truth.transition[j * 3 + i];
        const se = Math.sqrt((p * (1 - p)) / counts[j]);
        expect(Math.abs(m.transition[j * 3 + i] - p)).toBeLessThan(5 * se + 0.005);
      }
    }
    expect(m.stateNames).toEqual(['calm', 'normal', 'stressed']);
  });

  it('Viterbi (whole sample) and smoothed posteriors agree with the true path', () => {
    const v = viterbiWholeSample(m, obs);
    expect(v.usesWholeSample).toBe(true);
    let hit = 0;
    for (let t = 0; t < n; t++) if (v.path[t] === states[t]) hit++;
    expect(hit / n).toBeGreaterThan(0.9);
    const s = smoothedPosteriorsWholeSample(m, obs);
    for (let t = 0; t < n; t += 97) {
      const row = s.posteriors.subarray(t * 3, t * 3 + 3);
      expect(row[0] + row[1] + row[2]).toBeCloseTo(1, 12);
    }
  });

  it('is deterministic for a seed, and restarts are reported', () => {
    const again = fitHmm(obs, { states: 3, restarts: 10, seed: 7, covarianceFloor: 1e-6 });
    expect(again.loglik).toBe(fit.loglik);
    expect(Array.from(again.model.means)).toEqual(Array.from(m.means));
    expect(fit.restartLogliks).toHaveLength(10);
    expect(Math.max(...fit.restartLogliks)).toBe(fit.loglik);
  });

  it('BIC selects 3 states among 2..5', () => {
    const sub = { n: 2000, d: 2, data: obs.data.subarray(0, 4000) };
    const sel = selectByBic(sub, { restarts: 4, seed: 3 });
    expect(sel.candidates.map((c) => c.model.k)).toEqual([2, 3, 4, 5]);
    expect(sel.best.model.k).toBe(3);
  });
});

describe('Gaussian HMM: numerics', () => {
  it('forward log-likelihood equals brute-force enumeration of every state path', () => {
    const truth = trueModel();
    const { obs } = sampleHmm(truth, 7, new Rng(5));
    const { n, d } = obs;
    const logN = (t: number, j: number): number => {
      const S = truth.covariances.subarray(j * 4, j * 4 + 4);
      const det = S[0] * S[3] - S[1] * S[2];
      const a = obs.data[t * d] - truth.means[j * 2];
      const b = obs.data[t * d + 1] - truth.means[j * 2 + 1];
      const q = (S[3] * a * a - 2 * S[1] * a * b + S[0] * b * b) / det;
      return -Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * q;
    };
    let total = 0;
    const path = new Array(n).fill(0);
    for (let code = 0; code < 3 ** n; code++) {
      let c = code;
      for (let t = 0; t < n; t++) {
        path[t] = c % 3;
        c = Math.floor(c / 3);
      }
      let lp = Math.log(truth.startProb[path[0]]) + logN(0, path[0]);
      for (let t = 1; t < n; t++) lp += Math.log(truth.transition[path[t - 1] * 3 + path[t]]) + logN(t, path[t]);
      total += Math.exp(lp);
    }
    expect(logLikelihood(truth, obs)).toBeCloseTo(Math.log(total), 10);
  });

  it('EM never decreases the log-likelihood', () => {
    const { obs } = sampleHmm(trueModel(), 800, new Rng(9));
    let prev = -Infinity;
    for (let it = 0; it <= 25; it++) {
      const r = fitHmm(obs, { states: 3, restarts: 1, seed: 2, maxIterations: it, tolerance: 0, screenIterations: Infinity });
      expect(r.loglik).toBeGreaterThanOrEqual(prev - 1e-9);
      prev = r.loglik;
    }
  });

  it('diagonal covariance keeps off-diagonal entries at zero; the floor keeps Σ positive definite', () => {
    const { obs } = sampleHmm(trueModel(), 600, new Rng(11));
    const r = fitHmm(obs, { states: 3, covarianceType: 'diag', restarts: 3 });
    for (let j = 0; j < 3; j++) {
      expect(r.model.covariances[j * 4 + 1]).toBe(0);
      expect(r.model.covariances[j * 4 + 2]).toBe(0);
    }
    // duplicated points cannot make a state collapse to a zero variance
    const data = new Float64Array(200 * 2);
    for (let t = 0; t < 200; t++) {
      data[t * 2] = t < 20 ? 1 : Math.sin(t);
      data[t * 2 + 1] = t < 20 ? 1 : Math.cos(t * 1.3);
    }
    const c = fitHmm({ n: 200, d: 2, data }, { states: 3, restarts: 5 });
    expect(Number.isFinite(c.loglik)).toBe(true);
    for (let j = 0; j < 3; j++) expect(c.model.covariances[j * 4]).toBeGreaterThan(0);
  });

  it('orders states by the requested volatility score', () => {
    const truth = trueModel();
    const perm: GaussianHmm = orderStates({ ...truth, means: Float64Array.from([-1.5, 2.0, 0.5, -1.0, 0.0, 0.3]), covariances: Float64Array.from([2.5, 0.8, 0.8, 1.5, 0.2, 0.05, 0.05, 0.1, 0.6, -0.2, -0.2, 0.5]) }, { by: 'trace' }).model;
    expect(Array.from(perm.means)).toEqual([0.5, -1.0, 0.0, 0.3, -1.5, 2.0]);
    const byMean = orderStates(truth, { by: 'mean', dim: 1 }).model;
    expect(Array.from(byMean.means.filter((_, i) => i % 2 === 1))).toEqual([-1.0, 0.3, 2.0]);
  });

  it('rejects bad input with a clear error', () => {
    const data = Float64Array.from([1, 2, NaN, 4, 5, 6]);
    expect(() => fitHmm({ n: 3, d: 2, data }, { states: 2 })).toThrow(HmmInputError);
    expect(() => fitHmm({ n: 3, d: 2, data: Float64Array.from([1, 2, 3, 4, 5, 6]) }, { states: 4 })).toThrow(/at least 4/);
    expect(() => fitHmm({ n: 3, d: 2, data: Float64Array.from([1, 2, 3, 4, 5, 6]) }, { states: 2, restarts: 0 })).toThrow(/restarts/);
  });
});

describe('Gaussian HMM: no look-ahead in the filter', () => {
  const { obs } = sampleHmm(trueModel(), 1500, new Rng(21));
  const model = fitHmm(obs, { states: 3, restarts: 3 }).model;

  it('filtered probabilities up to t are bit-identical with or without later data', () => {
    const full = filterProbabilities(model, obs);
    for (const t of [0, 1, 17, 500, 1234]) {
      const prefix = { n: t + 1, d: 2, data: obs.data.slice(0, (t + 1) * 2) };
      const part = filterProbabilities(model, prefix);
      expect(Buffer.from(part.buffer).equals(Buffer.from(full.buffer, 0, part.byteLength))).toBe(true);
    }
    // different future data: still identical up to t
    const altered = Float64Array.from(obs.data);
    for (let i = 1000 * 2; i < altered.length; i++) altered[i] = -altered[i] * 3;
    const alt = filterProbabilities(model, { n: obs.n, d: 2, data: altered });
    expect(Buffer.from(alt.buffer, 0, 1000 * 3 * 8).equals(Buffer.from(full.buffer, 0, 1000 * 3 * 8))).toBe(true);
    expect(Buffer.from(alt.buffer).equals(Buffer.from(full.buffer))).toBe(false);
  });

  it('the streaming filter equals the batch filter, and its loglik equals the forward loglik', () => {
    const full = filterProbabilities(model, obs);
    const f = new ForwardFilter(model);
    for (let t = 0; t < obs.n; t++) {
      const p = f.step(obs.data, t * 2);
      for (let j = 0; j < 3; j++) expect(p[j]).toBe(full[t * 3 + j]);
    }
    expect(f.loglik).toBeCloseTo(logLikelihood(model, obs), 6);
  });
});

const python = '/usr/bin/python3';
const hasNumpy = spawnSync(python, ['-c', 'import numpy, sklearn'], { stdio: 'ignore' }).status === 0;

describe('against the numpy/scikit-learn reference EM (bench/regime/reference_em.py)', () => {
  it.skipIf(!hasNumpy)('final log-likelihood ≥ the reference best over the same restarts', () => {
    const { obs } = sampleHmm(trueModel(), 300, new Rng(77));
    const restarts = 3;
    const ours = fitHmm(obs, { states: 3, restarts });
    const dir = mkdtempSync(join(tmpdir(), 'hmm-ref-'));
    try {
      const file = join(dir, 'obs.csv');
      const rows: string[] = [];
      for (let t = 0; t < obs.n; t++) rows.push(`${obs.data[2 * t].toPrecision(17)},${obs.data[2 * t + 1].toPrecision(17)}`);
      writeFileSync(file, rows.join('\n'));
      const r = spawnSync(python, [join(repoRoot, 'bench/regime/reference_em.py'), file, '--states', '3', '--restarts', String(restarts)], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(r.stdout.trim()) as { loglik: number };
      expect(ours.loglik).toBeGreaterThanOrEqual(ref.loglik - 1e-6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('EM kernel: the K = 3 fast paths equal the generic recursions', () => {
  it('forward, backward, posteriors and xi agree', async () => {
    const em = await import('../../../src/quant/hmm/em.js');
    const truth = trueModel();
    const { obs } = sampleHmm(truth, 300, new Rng(4));
    const run = (fast: boolean) => {
      const ws = new em.EmWorkspace(obs.n, obs.d, 3);
      em.computeLogDensities(truth, obs.data, obs.n, ws);
      em.scaleDensities(obs.n, 3, ws);
      const ll = fast ? em.forward(truth.startProb, truth.transition, obs.n, 3, ws) : em.forwardAnyK(truth.startProb, truth.transition, obs.n, 3, ws);
      const filtered = Float64Array.from(ws.alpha);
      if (fast) em.backwardAndPosteriors(truth.transition, obs.n, 3, ws);
      else em.backwardAnyK(truth.transition, obs.n, 3, ws);
      return { ll, filtered, gamma: Float64Array.from(ws.alpha), xi: Float64Array.from(ws.xi) };
    };
    const a = run(true);
    const b = run(false);
    expect(a.ll).toBe(b.ll);
    expect(Array.from(a.filtered)).toEqual(Array.from(b.filtered));
    for (let i = 0; i < a.gamma.length; i++) expect(a.gamma[i]).toBeCloseTo(b.gamma[i], 14);
    for (let i = 0; i < 9; i++) expect(a.xi[i] / b.xi[i]).toBeCloseTo(1, 12);
  });
});
