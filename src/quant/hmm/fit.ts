/**
 * Fitting a Gaussian HMM: Baum-Welch EM from several k-means++ starts (the best log-likelihood is kept), states
 * ordered calm → stressed, and model selection by BIC.
 *
 * Deterministic: restart r draws from Rng(seed, r), so the same data, options and seed always give the same model.
 */
import { Rng } from './rng.js';
import { EmWorkspace, computeLogDensities, scaleDensities, forward, backwardAndPosteriors, mStep, type HmmParams } from './em.js';
import { initParams, globalMoments } from './init.js';
import { orderStates } from './order.js';
import { validateObservations, HmmInputError, type CovarianceType, type GaussianHmm, type Observations, type StateOrder } from './types.js';

export interface FitOptions {
  /** Number of states K (≥ 1). */
  states: number;
  covarianceType?: CovarianceType;
  /** EM restarts from independent k-means++ starts; the best final log-likelihood wins. Default 10. */
  restarts?: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Cap on EM iterations per restart. Default 1000. */
  maxIterations?: number;
  /**
   * Convergence: stop when one EM iteration improves the total log-likelihood by less than
   * `tolerance × n` (per-observation tolerance). Default 1e-11, i.e. ~1.3e-8 nats on 1,260 observations
   * (hmmlearn's default stops at an absolute 1e-2). Only the finalists of the screening run that long; on the
   * default regime window this costs two or three iterations more than 1e-9.
   */
  tolerance?: number;
  /**
   * Covariance floor, relative: every state covariance is constrained to Σ_j ⪰ diag(covarianceFloor × var(column m))
   * (a constant column uses 1 instead of its variance), solved exactly in the M-step (eigenvalue clipping), so EM
   * stays monotone. Default 1e-3.
   */
  covarianceFloor?: number;
  /** Lloyd iterations after k-means++ seeding (EM refines the rest). Default 3. */
  kmeansIterations?: number;
  /** Ordering rule for the states (calm → stressed). Default: trace of the covariance. */
  order?: StateOrder;
  /**
   * Short-run screening ("short runs of EM", Biernacki, Celeux & Govaert 2003): every restart first runs at most
   * `screenIterations` EM iterations; then the `finalists` best of them continue to convergence. Restarts that
   * converge during screening keep their result. Default 10 and 3; `screenIterations: Infinity` runs every
   * restart to convergence.
   */
  screenIterations?: number;
  finalists?: number;
}

export interface FitResult {
  model: GaussianHmm;
  /** Natural log-likelihood of the observations under `model`. */
  loglik: number;
  bic: number;
  /** Free parameters counted by the BIC. */
  parameters: number;
  /** EM iterations of the winning restart, and whether it met the tolerance before maxIterations. */
  iterations: number;
  converged: boolean;
  restarts: number;
  /** Final log-likelihood of every restart, in restart order. */
  restartLogliks: number[];
  /** Index of the winning restart. */
  bestRestart: number;
}

/** Free parameters of a K-state, d-dimensional Gaussian HMM (start, transition, means, covariances). */
export function parameterCount(k: number, d: number, covarianceType: CovarianceType): number {
  const cov = covarianceType === 'full' ? (d * (d + 1)) / 2 : d;
  return k - 1 + k * (k - 1) + k * d + k * cov;
}

export function bic(loglik: number, k: number, d: number, n: number, covarianceType: CovarianceType): number {
  return -2 * loglik + parameterCount(k, d, covarianceType) * Math.log(n);
}

function newParams(k: number, d: number, covarianceType: CovarianceType): HmmParams {
  return {
    k,
    d,
    covarianceType,
    startProb: new Float64Array(k),
    transition: new Float64Array(k * k),
    means: new Float64Array(k * d),
    covariances: new Float64Array(k * d * d),
  };
}

interface RunState {
  ll: number;
  prev: number;
  iterations: number;
  converged: boolean;
}

/**
 * Runs EM on `p` until convergence or until `state.iterations` reaches `untilIterations` (M-steps). Loop
 * invariant on exit: `state.ll` is the log-likelihood of the parameters in `p` (no M-step after the last E-step),
 * so a kept model and its reported log-likelihood always agree.
 */
function runEm(
  p: HmmParams,
  x: Float64Array,
  n: number,
  floor: Float64Array,
  globalCov: Float64Array,
  ws: EmWorkspace,
  tol: number,
  untilIterations: number,
  state: RunState,
): void {
  const k = p.k;
  for (;;) {
    computeLogDensities(p, x, n, ws);
    scaleDensities(n, k, ws);
    state.ll = forward(p.startProb, p.transition, n, k, ws);
    if (state.ll - state.prev < tol) {
      state.converged = true;
      return;
    }
    if (state.iterations >= untilIterations) return;
    state.prev = state.ll;
    backwardAndPosteriors(p.transition, n, k, ws);
    mStep(p, x, n, floor, globalCov, ws);
    state.iterations++;
  }
}

export function fitHmm(obs: Observations, options: FitOptions): FitResult {
  const k = options.states;
  const covarianceType = options.covarianceType ?? 'full';
  const restarts = options.restarts ?? 10;
  const seed = options.seed ?? 1;
  const maxIterations = options.maxIterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-11;
  const floorRel = options.covarianceFloor ?? 1e-3;
  const lloyd = options.kmeansIterations ?? 3;
  const screen = Math.min(options.screenIterations ?? 10, maxIterations);
  const finalists = options.finalists ?? 3;
  if (!Number.isInteger(k) || k < 1) throw new HmmInputError(`states must be an integer ≥ 1, got ${k}`);
  if (!Number.isInteger(restarts) || restarts < 1) throw new HmmInputError(`restarts must be an integer ≥ 1, got ${restarts}`);
  if (!(floorRel > 0)) throw new HmmInputError(`covarianceFloor must be > 0, got ${floorRel}`);
  if (!(tolerance >= 0)) throw new HmmInputError(`tolerance must be ≥ 0, got ${tolerance}`);
  if (!(screen >= 0) || !Number.isInteger(finalists) || finalists < 1) throw new HmmInputError('bad screening options');
  if (covarianceType !== 'full' && covarianceType !== 'diag') throw new HmmInputError(`covarianceType must be 'full' or 'diag'`);
  validateObservations(obs, Math.max(2, k));
  const { n, d } = obs;

  // Centre the data on its global mean (the likelihood is translation invariant); the M-step's one-pass
  // moments rely on it. Means are shifted back at the end.
  const { mean: globalMean, cov: globalCov } = globalMoments(obs.data, n, d);
  const x = new Float64Array(n * d);
  for (let t = 0; t < n; t++) for (let m = 0; m < d; m++) x[t * d + m] = obs.data[t * d + m] - globalMean[m];
  const floor = new Float64Array(d);
  for (let m = 0; m < d; m++) {
    const v = globalCov[m * d + m];
    floor[m] = floorRel * (v > 0 ? v : 1);
  }

  const ws = new EmWorkspace(n, d, k);
  const labels = new Int32Array(n);
  const tol = tolerance * n;
  const params: HmmParams[] = [];
  const states: RunState[] = [];
  // Phase 1: every restart from its own k-means++ start, for at most `screen` iterations.
  for (let r = 0; r < restarts; r++) {
    const p = newParams(k, d, covarianceType);
    const rng = new Rng(seed, r);
    // Clustering metric: each column divided by its variance (so no column dominates by its units); restarts
    // after the first also draw a random weight u² per column, so they cluster on different mixes of the
    // features and start EM in different basins. On the 75 monthly refits 2020-2026 this halved the p90 and cut
    // the maximum shortfall against a 40-restart search from 292 to 75 nats (see docs/BENCHMARKS.md).
    const weights = new Float64Array(d);
    for (let m = 0; m < d; m++) {
      const inv = globalCov[m * d + m] > 0 ? 1 / globalCov[m * d + m] : 1;
      weights[m] = r > 0 ? inv * rng.nextFloat() ** 2 : inv;
    }
    initParams(p, x, n, floor, globalCov, rng, lloyd, labels, ws.logB /* scratch, length ≥ n */, weights);
    const st: RunState = { ll: -Infinity, prev: -Infinity, iterations: 0, converged: false };
    runEm(p, x, n, floor, globalCov, ws, tol, screen, st);
    params.push(p);
    states.push(st);
  }
  // Phase 2: the best unconverged restarts continue to convergence (ties broken by restart index).
  const order = states.map((_, r) => r).sort((a, b) => states[b].ll - states[a].ll || a - b);
  for (const r of order.slice(0, finalists)) {
    if (!states[r].converged) runEm(params[r], x, n, floor, globalCov, ws, tol, maxIterations, states[r]);
  }
  let bestRestart = 0;
  for (let r = 1; r < restarts; r++) if (states[r].ll > states[bestRestart].ll) bestRestart = r;
  const best = params[bestRestart];
  const bestState = states[bestRestart];
  for (let j = 0; j < k; j++) for (let m = 0; m < d; m++) best.means[j * d + m] += globalMean[m];

  const raw: GaussianHmm = { ...best, stateNames: [] };
  const { model } = orderStates(raw, options.order ?? { by: 'trace' });
  return {
    model,
    loglik: bestState.ll,
    bic: bic(bestState.ll, k, d, n, covarianceType),
    parameters: parameterCount(k, d, covarianceType),
    iterations: bestState.iterations,
    converged: bestState.converged,
    restarts,
    restartLogliks: states.map((s) => s.ll),
    bestRestart,
  };
}

export interface SelectionResult {
  best: FitResult;
  /** Every candidate fit, by K ascending. */
  candidates: FitResult[];
}

/** Fits K = minStates..maxStates (default 2..5) and keeps the lowest BIC. */
export function selectByBic(obs: Observations, options: Omit<FitOptions, 'states'> & { minStates?: number; maxStates?: number }): SelectionResult {
  const lo = options.minStates ?? 2;
  const hi = options.maxStates ?? 5;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) throw new HmmInputError(`bad state range ${lo}..${hi}`);
  const candidates: FitResult[] = [];
  for (let k = lo; k <= hi; k++) candidates.push(fitHmm(obs, { ...options, states: k }));
  let best = candidates[0];
  for (const c of candidates) if (c.bic < best.bic) best = c;
  return { best, candidates };
}
