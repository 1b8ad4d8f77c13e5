/** Shapes shared by the Gaussian HMM modules. All matrices are row-major Float64Arrays. */

export type CovarianceType = 'full' | 'diag';

/** n observations of dimension d, row-major: observation t is data[t*d .. t*d+d). */
export interface Observations {
  readonly n: number;
  readonly d: number;
  readonly data: Float64Array;
}

/** A Gaussian hidden Markov model with K states in d dimensions. */
export interface GaussianHmm {
  readonly k: number;
  readonly d: number;
  readonly covarianceType: CovarianceType;
  /** p(state_0 = j), length K. */
  readonly startProb: Float64Array;
  /** p(state_{t+1} = j | state_t = i) at [i*K + j]. */
  readonly transition: Float64Array;
  /** State means at [j*d + m]. */
  readonly means: Float64Array;
  /** State covariances at [j*d*d + r*d + c]; diagonal models store zero off-diagonal entries. */
  readonly covariances: Float64Array;
  /** Names in state order (calm → stressed once ordered). */
  readonly stateNames: readonly string[];
}

/** How states are ordered calm → stressed after a fit (so labels do not flip between refits). */
export type StateOrder =
  /** Total variance (trace of the covariance): the generic notion of "volatility" of a state. */
  | { by: 'trace' }
  /** Variance of one feature (e.g. the return column). */
  | { by: 'variance'; dim: number }
  /** Mean of one feature (e.g. realised volatility or log VIX). */
  | { by: 'mean'; dim: number };

export class HmmInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HmmInputError';
  }
}

/** Checks shape and finiteness; the EM kernel assumes both. */
export function validateObservations(obs: Observations, minRows = 1): void {
  const { n, d, data } = obs;
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1) throw new HmmInputError(`bad shape n=${n} d=${d}`);
  if (data.length < n * d) throw new HmmInputError(`data has ${data.length} values, expected ${n}×${d}`);
  if (n < minRows) throw new HmmInputError(`need at least ${minRows} observations, got ${n}`);
  for (let i = 0; i < n * d; i++) {
    if (!Number.isFinite(data[i])) throw new HmmInputError(`observation ${Math.floor(i / d)} column ${i % d} is not finite`);
  }
}
