/** Drawing observations from a known Gaussian HMM (synthetic tests and benchmarks). */
import { cholesky } from './linalg.js';
import type { Rng } from './rng.js';
import type { GaussianHmm, Observations } from './types.js';

export function sampleHmm(model: GaussianHmm, n: number, rng: Rng): { obs: Observations; states: Int32Array } {
  const { k, d } = model;
  const dd = d * d;
  const chol = new Float64Array(k * dd);
  for (let j = 0; j < k; j++) {
    if (Number.isNaN(cholesky(model.covariances, j * dd, d, chol, j * dd))) throw new RangeError(`covariance ${j} not positive definite`);
  }
  const data = new Float64Array(n * d);
  const states = new Int32Array(n);
  const z = new Float64Array(d);
  const draw = (probs: Float64Array, off: number): number => {
    let u = rng.nextFloat();
    for (let j = 0; j < k - 1; j++) {
      u -= probs[off + j];
      if (u < 0) return j;
    }
    return k - 1;
  };
  let s = draw(model.startProb, 0);
  for (let t = 0; t < n; t++) {
    if (t > 0) s = draw(model.transition, s * k);
    states[t] = s;
    for (let m = 0; m < d; m++) z[m] = rng.nextGaussian();
    for (let r = 0; r < d; r++) {
      let v = model.means[s * d + r];
      for (let c = 0; c <= r; c++) v += chol[s * dd + r * d + c] * z[c];
      data[t * d + r] = v;
    }
  }
  return { obs: { n, d, data }, states };
}
