/**
 * Initial parameters for one EM restart: k-means++ seeding (Arthur & Vassilvitskii, 2007) refined by a few
 * Lloyd iterations, under a weighted squared distance Σ w_m (x_m − c_m)² (the caller picks the weights), then
 * per-cluster covariances and a transition matrix counted from the hard cluster sequence.
 * Starting from the clustering's own persistence (rather than a uniform transition matrix) saves EM iterations
 * on regime data, where states last weeks.
 */
import type { Rng } from './rng.js';
import { PROB_FLOOR, type HmmParams } from './em.js';

export function initParams(
  p: HmmParams,
  x: Float64Array,
  n: number,
  floor: Float64Array,
  globalCov: Float64Array,
  rng: Rng,
  lloydIterations: number,
  labels: Int32Array,
  dist: Float64Array,
  weights: Float64Array,
): void {
  const { k, d } = p;
  const dd = d * d;
  const centers = p.means;
  const sqDist = (xs: Float64Array, xOff: number, c: Float64Array, cOff: number, dim: number): number => {
    let s = 0;
    for (let m = 0; m < dim; m++) {
      const v = xs[xOff + m] - c[cOff + m];
      s += weights[m] * v * v;
    }
    return s;
  };
  // k-means++ seeding: the first centre uniformly, each next one with probability ∝ squared distance.
  const first = rng.nextInt(n);
  for (let m = 0; m < d; m++) centers[m] = x[first * d + m];
  for (let t = 0; t < n; t++) dist[t] = sqDist(x, t * d, centers, 0, d);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let t = 0; t < n; t++) total += dist[t];
    let pick = n - 1;
    if (total > 0) {
      let u = rng.nextFloat() * total;
      for (let t = 0; t < n; t++) {
        u -= dist[t];
        if (u < 0) {
          pick = t;
          break;
        }
      }
    } else {
      pick = rng.nextInt(n);
    }
    for (let m = 0; m < d; m++) centers[j * d + m] = x[pick * d + m];
    for (let t = 0; t < n; t++) {
      const v = sqDist(x, t * d, centers, j * d, d);
      if (v < dist[t]) dist[t] = v;
    }
  }
  // Lloyd refinement.
  const counts = new Float64Array(k);
  for (let it = 0; it <= lloydIterations; it++) {
    let changed = false;
    for (let t = 0; t < n; t++) {
      let best = 0;
      let bestD = Infinity;
      for (let j = 0; j < k; j++) {
        const v = sqDist(x, t * d, centers, j * d, d);
        if (v < bestD) {
          bestD = v;
          best = j;
        }
      }
      if (labels[t] !== best) changed = true;
      labels[t] = best;
    }
    if ((!changed && it > 0) || it === lloydIterations) break;
    centers.fill(0);
    counts.fill(0);
    for (let t = 0; t < n; t++) {
      const j = labels[t];
      counts[j]++;
      for (let m = 0; m < d; m++) centers[j * d + m] += x[t * d + m];
    }
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) {
        // Empty cluster: re-seed at a random observation.
        const r = rng.nextInt(n);
        for (let m = 0; m < d; m++) centers[j * d + m] = x[r * d + m];
      } else {
        for (let m = 0; m < d; m++) centers[j * d + m] /= counts[j];
      }
    }
  }
  // Covariances of the clusters (the global one for clusters too small to estimate a d×d matrix).
  counts.fill(0);
  p.covariances.fill(0);
  for (let t = 0; t < n; t++) {
    const j = labels[t];
    counts[j]++;
    const off = j * dd;
    for (let r = 0; r < d; r++) {
      const dr = x[t * d + r] - centers[j * d + r];
      for (let c = 0; c <= r; c++) p.covariances[off + r * d + c] += dr * (x[t * d + c] - centers[j * d + c]);
    }
  }
  const diag = p.covarianceType === 'diag';
  for (let j = 0; j < k; j++) {
    const off = j * dd;
    const small = counts[j] <= d;
    for (let r = 0; r < d; r++) {
      for (let c = 0; c <= r; c++) {
        let v = small ? globalCov[r * d + c] : p.covariances[off + r * d + c] / counts[j];
        if (diag && r !== c) v = 0;
        if (r === c) v += floor[r];
        p.covariances[off + r * d + c] = v;
        p.covariances[off + c * d + r] = v;
      }
    }
  }
  // Transition counts from the hard label sequence, with one pseudo-count per cell.
  const tr = p.transition;
  tr.fill(1);
  for (let t = 1; t < n; t++) tr[labels[t - 1] * k + labels[t]]++;
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += tr[i * k + j];
    for (let j = 0; j < k; j++) tr[i * k + j] = Math.max(tr[i * k + j] / s, PROB_FLOOR);
  }
  for (let j = 0; j < k; j++) p.startProb[j] = 1 / k;
}

/** Per-dimension mean and the (population) covariance of all observations. */
export function globalMoments(x: Float64Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let t = 0; t < n; t++) for (let m = 0; m < d; m++) mean[m] += x[t * d + m];
  for (let m = 0; m < d; m++) mean[m] /= n;
  const cov = new Float64Array(d * d);
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < d; r++) {
      const dr = x[t * d + r] - mean[r];
      for (let c = 0; c <= r; c++) cov[r * d + c] += dr * (x[t * d + c] - mean[c]);
    }
  }
  for (let r = 0; r < d; r++) {
    for (let c = 0; c <= r; c++) {
      cov[r * d + c] /= n;
      cov[c * d + r] = cov[r * d + c];
    }
  }
  return { mean, cov };
}
