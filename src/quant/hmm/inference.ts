/**
 * Inference with a fitted model.
 *
 * Live classification uses ONLY the forward filter p(state_t | x_0..x_t): each step reads one new observation and
 * the previous filtered vector, so a filtered value can never depend on later data. The smoothed posteriors and
 * the Viterbi path use the whole sample (future observations included); their names say so, and they are for
 * after-the-fact analysis only, never for a backtest signal.
 */
import { cholesky, invertLower } from './linalg.js';
import { EmWorkspace, PROB_FLOOR, computeLogDensities, scaleDensities, forward, backwardAndPosteriors } from './em.js';
import { validateObservations, HmmInputError, type GaussianHmm, type Observations } from './types.js';

const LOG_2PI = Math.log(2 * Math.PI);

function flooredCopy(a: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.max(a[i], PROB_FLOOR);
  return out;
}

function checkShape(model: GaussianHmm, obs: Observations): void {
  if (obs.d !== model.d) throw new HmmInputError(`observations have ${obs.d} columns, the model expects ${model.d}`);
  validateObservations(obs, 1);
}

/**
 * Streaming forward filter: feed observations one at a time, read p(state_t | x_0..x_t) after each step.
 * The batch `filterProbabilities` is this same loop, so streaming and batch results are bit-identical.
 */
export class ForwardFilter {
  readonly k: number;
  readonly d: number;
  private readonly start: Float64Array;
  private readonly trans: Float64Array;
  private readonly means: Float64Array;
  private readonly cholInv: Float64Array;
  private readonly normConst: Float64Array;
  private readonly logB: Float64Array;
  private readonly diff: Float64Array;
  private readonly prob: Float64Array;
  private readonly next: Float64Array;
  private steps = 0;
  private ll = 0;

  constructor(model: GaussianHmm) {
    const { k, d } = model;
    this.k = k;
    this.d = d;
    this.start = flooredCopy(model.startProb);
    this.trans = flooredCopy(model.transition);
    this.means = Float64Array.from(model.means);
    const dd = d * d;
    const chol = new Float64Array(k * dd);
    this.cholInv = new Float64Array(k * dd);
    this.normConst = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      const logDet = cholesky(model.covariances, j * dd, d, chol, j * dd);
      if (Number.isNaN(logDet)) throw new HmmInputError(`covariance of state ${j} is not positive definite`);
      invertLower(chol, j * dd, d, this.cholInv, j * dd);
      this.normConst[j] = -0.5 * (d * LOG_2PI + logDet);
    }
    this.logB = new Float64Array(k);
    this.diff = new Float64Array(d);
    this.prob = new Float64Array(k);
    this.next = new Float64Array(k);
  }

  /** Number of observations consumed. */
  get count(): number {
    return this.steps;
  }

  /** log p(x_0..x_t) of everything consumed so far. */
  get loglik(): number {
    return this.ll;
  }

  /** Consumes observation x[off .. off+d) and returns the filtered probabilities (a view, overwritten next step). */
  step(x: ArrayLike<number>, off = 0): Float64Array {
    const { k, d, diff, logB, cholInv, means } = this;
    const dd = d * d;
    for (let m = 0; m < d; m++) {
      const v = x[off + m];
      if (!Number.isFinite(v)) throw new HmmInputError(`observation ${this.steps} column ${m} is not finite`);
    }
    let mx = -Infinity;
    for (let j = 0; j < k; j++) {
      for (let m = 0; m < d; m++) diff[m] = x[off + m] - means[j * d + m];
      let q = 0;
      for (let r = 0; r < d; r++) {
        const row = j * dd + r * d;
        let z = 0;
        for (let m = 0; m <= r; m++) z += cholInv[row + m] * diff[m];
        q += z * z;
      }
      const v = this.normConst[j] - 0.5 * q;
      logB[j] = v;
      if (v > mx) mx = v;
    }
    const { prob, next, trans } = this;
    let s = 0;
    for (let j = 0; j < k; j++) {
      let pred: number;
      if (this.steps === 0) pred = this.start[j];
      else {
        pred = 0;
        for (let i = 0; i < k; i++) pred += prob[i] * trans[i * k + j];
      }
      const a = pred * Math.exp(logB[j] - mx);
      next[j] = a;
      s += a;
    }
    const inv = 1 / s;
    for (let j = 0; j < k; j++) prob[j] = next[j] * inv;
    this.ll += Math.log(s) + mx;
    this.steps++;
    return prob;
  }
}

/** Filtered probabilities p(state_t | x_0..x_t) for every t, n×K row-major. Causal: row t uses rows ≤ t only. */
export function filterProbabilities(model: GaussianHmm, obs: Observations): Float64Array {
  checkShape(model, obs);
  const f = new ForwardFilter(model);
  const out = new Float64Array(obs.n * model.k);
  for (let t = 0; t < obs.n; t++) out.set(f.step(obs.data, t * obs.d), t * model.k);
  return out;
}

/** Natural log-likelihood log p(x_0..x_{n−1}) under the model. */
export function logLikelihood(model: GaussianHmm, obs: Observations): number {
  checkShape(model, obs);
  const ws = new EmWorkspace(obs.n, obs.d, model.k);
  const p = { ...model, startProb: flooredCopy(model.startProb), transition: flooredCopy(model.transition) };
  computeLogDensities(p, obs.data, obs.n, ws);
  scaleDensities(obs.n, model.k, ws);
  return forward(p.startProb, p.transition, obs.n, model.k, ws);
}

/**
 * WHOLE-SAMPLE smoothed posteriors p(state_t | x_0..x_{n−1}), n×K. Uses future data: analysis only.
 */
export function smoothedPosteriorsWholeSample(model: GaussianHmm, obs: Observations): { usesWholeSample: true; posteriors: Float64Array } {
  checkShape(model, obs);
  const { n, d } = obs;
  const k = model.k;
  const ws = new EmWorkspace(n, d, k);
  const p = { ...model, startProb: flooredCopy(model.startProb), transition: flooredCopy(model.transition) };
  computeLogDensities(p, obs.data, n, ws);
  scaleDensities(n, k, ws);
  forward(p.startProb, p.transition, n, k, ws);
  backwardAndPosteriors(p.transition, n, k, ws);
  return { usesWholeSample: true, posteriors: Float64Array.from(ws.alpha) };
}

/** WHOLE-SAMPLE most likely state path (Viterbi, log-space). Uses future data: analysis only. */
export function viterbiWholeSample(model: GaussianHmm, obs: Observations): { usesWholeSample: true; path: Int32Array; logProb: number } {
  checkShape(model, obs);
  const { n, d } = obs;
  const k = model.k;
  const ws = new EmWorkspace(n, d, k);
  computeLogDensities(model, obs.data, n, ws);
  const logA = new Float64Array(k * k);
  for (let i = 0; i < k * k; i++) logA[i] = Math.log(Math.max(model.transition[i], PROB_FLOOR));
  const delta = new Float64Array(n * k);
  const back = new Int32Array(n * k);
  for (let j = 0; j < k; j++) delta[j] = Math.log(Math.max(model.startProb[j], PROB_FLOOR)) + ws.logB[j];
  for (let t = 1; t < n; t++) {
    for (let j = 0; j < k; j++) {
      let best = -Infinity;
      let arg = 0;
      for (let i = 0; i < k; i++) {
        const v = delta[(t - 1) * k + i] + logA[i * k + j];
        if (v > best) {
          best = v;
          arg = i;
        }
      }
      delta[t * k + j] = best + ws.logB[t * k + j];
      back[t * k + j] = arg;
    }
  }
  const path = new Int32Array(n);
  let arg = 0;
  for (let j = 1; j < k; j++) if (delta[(n - 1) * k + j] > delta[(n - 1) * k + arg]) arg = j;
  const logProb = delta[(n - 1) * k + arg];
  path[n - 1] = arg;
  for (let t = n - 1; t > 0; t--) path[t - 1] = back[t * k + path[t]];
  return { usesWholeSample: true, path, logProb };
}

/**
 * One forward step with only some columns of the observation known (`observed[m]` = 1): the Gaussian emission is
 * marginalised over the unknown columns, which for a Gaussian is the density of the observed sub-vector under the
 * sub-mean and sub-covariance. Used for a provisional intraday observation (today's VIX is known, today's return
 * and realised volatility are not yet). `prev` = filtered probabilities of the previous step (null: the start
 * distribution). Returns p(state_t | x_0..x_{t−1}, x_t[observed]). Throws when no column is observed or a
 * sub-covariance is not positive definite.
 */
export function partialFilterStep(model: GaussianHmm, prev: ArrayLike<number> | null, x: ArrayLike<number>, observed: ArrayLike<number>): Float64Array {
  const { k, d } = model;
  const idx: number[] = [];
  for (let m = 0; m < d; m++) {
    if (observed[m]) {
      if (!Number.isFinite(x[m])) throw new HmmInputError(`observed column ${m} is not finite`);
      idx.push(m);
    }
  }
  const o = idx.length;
  if (o === 0) throw new HmmInputError('no observed column');
  const sub = new Float64Array(o * o);
  const chol = new Float64Array(o * o);
  const inv = new Float64Array(o * o);
  const diff = new Float64Array(o);
  const logB = new Float64Array(k);
  let mx = -Infinity;
  for (let j = 0; j < k; j++) {
    for (let r = 0; r < o; r++) for (let c = 0; c < o; c++) sub[r * o + c] = model.covariances[j * d * d + idx[r] * d + idx[c]];
    const logDet = cholesky(sub, 0, o, chol, 0);
    if (Number.isNaN(logDet)) throw new HmmInputError(`sub-covariance of state ${j} is not positive definite`);
    invertLower(chol, 0, o, inv, 0);
    for (let r = 0; r < o; r++) diff[r] = x[idx[r]] - model.means[j * d + idx[r]];
    let q = 0;
    for (let r = 0; r < o; r++) {
      let z = 0;
      for (let c = 0; c <= r; c++) z += inv[r * o + c] * diff[c];
      q += z * z;
    }
    logB[j] = -0.5 * (o * LOG_2PI + logDet) - 0.5 * q;
    if (logB[j] > mx) mx = logB[j];
  }
  const start = flooredCopy(model.startProb);
  const trans = flooredCopy(model.transition);
  const out = new Float64Array(k);
  let s = 0;
  for (let j = 0; j < k; j++) {
    let pred = 0;
    if (prev === null) pred = start[j];
    else for (let i = 0; i < k; i++) pred += prev[i] * trans[i * k + j];
    out[j] = pred * Math.exp(logB[j] - mx);
    s += out[j];
  }
  for (let j = 0; j < k; j++) out[j] /= s;
  return out;
}
