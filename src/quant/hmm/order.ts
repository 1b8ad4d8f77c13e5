/**
 * Stable state labels. EM returns states in an arbitrary order that changes between fits (and between restarts),
 * so after every fit the states are sorted calm → stressed by a volatility score and given fixed names. A refit
 * on slightly different data then keeps "stressed" on the high-volatility state.
 */
import type { GaussianHmm, StateOrder } from './types.js';

const NAMES: Record<number, readonly string[]> = {
  1: ['all'],
  2: ['calm', 'stressed'],
  3: ['calm', 'normal', 'stressed'],
  4: ['calm', 'normal', 'elevated', 'stressed'],
  5: ['calm', 'normal', 'elevated', 'turbulent', 'stressed'],
};

/** Names for K ordered states; K > 5 gets `state-0` … with the last one `stressed`. */
export function stateNames(k: number): string[] {
  const fixed = NAMES[k];
  if (fixed) return [...fixed];
  return Array.from({ length: k }, (_, j) => (j === k - 1 ? 'stressed' : j === 0 ? 'calm' : `state-${j}`));
}

/** Volatility score of state j under the given ordering rule. */
export function volatilityScore(model: Pick<GaussianHmm, 'd' | 'means' | 'covariances'>, j: number, order: StateOrder): number {
  const { d } = model;
  const off = j * d * d;
  switch (order.by) {
    case 'trace': {
      let s = 0;
      for (let m = 0; m < d; m++) s += model.covariances[off + m * d + m];
      return s;
    }
    case 'variance':
      return model.covariances[off + order.dim * d + order.dim];
    case 'mean':
      return model.means[j * d + order.dim];
  }
}

/** Returns the model with states permuted calm → stressed (ties broken by the first mean, then index). */
export function orderStates(model: GaussianHmm, order: StateOrder): { model: GaussianHmm; permutation: number[] } {
  const { k, d } = model;
  if (order.by !== 'trace' && !(order.dim >= 0 && order.dim < d)) throw new RangeError(`order dimension ${order.dim} out of range 0..${d - 1}`);
  const perm = Array.from({ length: k }, (_, j) => j);
  const score = perm.map((j) => volatilityScore(model, j, order));
  perm.sort((a, b) => score[a] - score[b] || model.means[a * d] - model.means[b * d] || a - b);
  const dd = d * d;
  const startProb = new Float64Array(k);
  const transition = new Float64Array(k * k);
  const means = new Float64Array(k * d);
  const covariances = new Float64Array(k * dd);
  for (let a = 0; a < k; a++) {
    const src = perm[a];
    startProb[a] = model.startProb[src];
    for (let b = 0; b < k; b++) transition[a * k + b] = model.transition[src * k + perm[b]];
    means.set(model.means.subarray(src * d, src * d + d), a * d);
    covariances.set(model.covariances.subarray(src * dd, src * dd + dd), a * dd);
  }
  return {
    model: { k, d, covarianceType: model.covarianceType, startProb, transition, means, covariances, stateNames: stateNames(k) },
    permutation: perm,
  };
}
