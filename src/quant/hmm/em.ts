/**
 * The Baum-Welch kernel: scaled forward-backward and the M-step for one Gaussian HMM, on preallocated buffers.
 *
 * Why scaled rather than log-space: per observation the emission densities are shifted by their row maximum
 * before exponentiation, so each row has one `exp` per state and the recursions are plain multiply-adds with
 * one division per step (Rabiner's scaling). Log-space would need K² `exp`/`log` calls per step. Underflow cannot
 * occur because transition and start probabilities are floored at PROB_FLOOR (1e-300): every predicted
 * probability is then ≥ 1e-300 while the best state's scaled emission is exactly 1, so each scale factor c_t is
 * a positive normal number.
 */
import { cholesky, invertLower, symmetricEigen } from './linalg.js';
import type { CovarianceType } from './types.js';

export const PROB_FLOOR = 1e-300;
const LOG_2PI = Math.log(2 * Math.PI);

/** Mutable parameters of one EM run (the same layout as GaussianHmm). */
export interface HmmParams {
  k: number;
  d: number;
  covarianceType: CovarianceType;
  startProb: Float64Array;
  transition: Float64Array;
  means: Float64Array;
  covariances: Float64Array;
}

/** Every buffer one EM run needs, sized once for (n, d, k) and reused across iterations and restarts. */
export class EmWorkspace {
  readonly logB: Float64Array; // n×k log densities
  readonly b: Float64Array; // n×k densities scaled by the row maximum
  readonly rowMax: Float64Array; // n
  readonly alpha: Float64Array; // n×k scaled forward variables, then the posteriors gamma
  readonly beta: Float64Array; // n×k scaled backward variables
  readonly scale: Float64Array; // n scale factors c_t
  readonly xi: Float64Array; // k×k expected transition counts
  readonly chol: Float64Array; // k×d×d
  readonly cholInv: Float64Array; // k×d×d
  readonly normConst: Float64Array; // k: −½(d log 2π + log det Σ)
  readonly diff: Float64Array; // d
  readonly tmp: Float64Array; // k
  readonly moments: Float64Array; // k × (1 + d + d(d+1)/2) sufficient statistics
  readonly scratch: Float64Array; // d×d
  readonly scratch2: Float64Array; // d×d
  readonly eigVal: Float64Array; // d
  readonly eigVec: Float64Array; // d×d
  constructor(
    readonly n: number,
    readonly d: number,
    readonly k: number,
  ) {
    this.logB = new Float64Array(n * k);
    this.b = new Float64Array(n * k);
    this.rowMax = new Float64Array(n);
    this.alpha = new Float64Array(n * k);
    this.beta = new Float64Array(n * k);
    this.scale = new Float64Array(n);
    this.xi = new Float64Array(k * k);
    this.chol = new Float64Array(k * d * d);
    this.cholInv = new Float64Array(k * d * d);
    this.normConst = new Float64Array(k);
    this.diff = new Float64Array(d);
    this.tmp = new Float64Array(k);
    this.moments = new Float64Array(k * (1 + d + (d * (d + 1)) / 2));
    this.scratch = new Float64Array(d * d);
    this.scratch2 = new Float64Array(d * d);
    this.eigVal = new Float64Array(d);
    this.eigVec = new Float64Array(d * d);
  }
}

/**
 * Factorises every state covariance once (Cholesky, then the inverse factor W = L⁻¹) and fills ws.logB with
 * log N(x_t | μ_j, Σ_j) = c_j − ½|W (x_t − μ_j)|². Throws if a covariance is not positive definite (the M-step's
 * floor prevents that). Four features (the default regime feature set) take an unrolled path: on this kernel the
 * generic triangular loops cost about twice as much.
 */
export function computeLogDensities(p: HmmParams, x: Float64Array, n: number, ws: EmWorkspace): void {
  const { k, d } = p;
  const dd = d * d;
  const { logB, chol, cholInv: w, normConst, diff } = ws;
  const cov = p.covariances;
  for (let j = 0; j < k; j++) {
    const logDet = cholesky(cov, j * dd, d, chol, j * dd);
    if (Number.isNaN(logDet)) throw new Error(`covariance of state ${j} is not positive definite`);
    invertLower(chol, j * dd, d, w, j * dd);
    normConst[j] = -0.5 * (d * LOG_2PI + logDet);
  }
  const means = p.means;
  if (d === 4) {
    for (let j = 0; j < k; j++) {
      const o = j * 16;
      const w00 = w[o];
      const w10 = w[o + 4], w11 = w[o + 5];
      const w20 = w[o + 8], w21 = w[o + 9], w22 = w[o + 10];
      const w30 = w[o + 12], w31 = w[o + 13], w32 = w[o + 14], w33 = w[o + 15];
      const m0 = means[j * 4], m1 = means[j * 4 + 1], m2 = means[j * 4 + 2], m3 = means[j * 4 + 3];
      const c = normConst[j];
      for (let t = 0, b = 0, out = j; t < n; t++, b += 4, out += k) {
        const a0 = x[b] - m0, a1 = x[b + 1] - m1, a2 = x[b + 2] - m2, a3 = x[b + 3] - m3;
        const z0 = w00 * a0;
        const z1 = w10 * a0 + w11 * a1;
        const z2 = w20 * a0 + w21 * a1 + w22 * a2;
        const z3 = w30 * a0 + w31 * a1 + w32 * a2 + w33 * a3;
        logB[out] = c - 0.5 * (z0 * z0 + z1 * z1 + z2 * z2 + z3 * z3);
      }
    }
    return;
  }
  for (let j = 0; j < k; j++) {
    const wOff = j * dd;
    const mOff = j * d;
    const c = normConst[j];
    for (let t = 0; t < n; t++) {
      const xOff = t * d;
      for (let m = 0; m < d; m++) diff[m] = x[xOff + m] - means[mOff + m];
      let q = 0;
      for (let r = 0; r < d; r++) {
        const row = wOff + r * d;
        let z = 0;
        for (let m = 0; m <= r; m++) z += w[row + m] * diff[m];
        q += z * z;
      }
      logB[t * k + j] = c - 0.5 * q;
    }
  }
}

/**
 * Shifts each row of logB by its maximum and exponentiates into ws.b: one exp per state per observation, and
 * none for the row's best state, whose scaled density is exactly 1.
 */
export function scaleDensities(n: number, k: number, ws: EmWorkspace): void {
  const { logB, b, rowMax } = ws;
  for (let t = 0, off = 0; t < n; t++, off += k) {
    let mx = logB[off];
    let arg = 0;
    for (let j = 1; j < k; j++) {
      if (logB[off + j] > mx) {
        mx = logB[off + j];
        arg = j;
      }
    }
    rowMax[t] = mx;
    for (let j = 0; j < k; j++) b[off + j] = j === arg ? 1 : Math.exp(logB[off + j] - mx);
  }
}

/**
 * Scaled forward recursion: ws.alpha[t] = p(state_t | x_0..x_t) (the filtered probabilities), ws.scale[t] = c_t.
 * Returns the natural log-likelihood log p(x_0..x_{n−1}). Uses only rows ≤ t to produce row t.
 */
export function forward(startProb: Float64Array, transition: Float64Array, n: number, k: number, ws: EmWorkspace): number {
  return k === 3 ? forward3(startProb, transition, n, ws) : forwardAnyK(startProb, transition, n, k, ws);
}

/** The generic forward recursion (any K). */
export function forwardAnyK(startProb: Float64Array, transition: Float64Array, n: number, k: number, ws: EmWorkspace): number {
  const { b, alpha, scale, rowMax } = ws;
  // log-likelihood = Σ log c_t + Σ rowMax_t. The c_t are multiplied into `prod` and only its log is taken when it
  // nears the bottom of the double range: a few Math.log calls per fit instead of one per observation.
  let shift = 0;
  let prod = 1;
  let logs = 0;
  let s = 0;
  for (let j = 0; j < k; j++) {
    const a = startProb[j] * b[j];
    alpha[j] = a;
    s += a;
  }
  let inv = 1 / s;
  for (let j = 0; j < k; j++) alpha[j] *= inv;
  scale[0] = s;
  if (s < 1e-100) logs += Math.log(s);
  else prod *= s;
  shift += rowMax[0];
  for (let t = 1; t < n; t++) {
    const off = t * k;
    const prev = off - k;
    s = 0;
    for (let j = 0; j < k; j++) {
      let pred = 0;
      for (let i = 0; i < k; i++) pred += alpha[prev + i] * transition[i * k + j];
      const a = pred * b[off + j];
      alpha[off + j] = a;
      s += a;
    }
    inv = 1 / s;
    for (let j = 0; j < k; j++) alpha[off + j] *= inv;
    scale[t] = s;
    shift += rowMax[t];
    // prod ≥ 1e-200 and s ≥ 1e-100 keep the product a normal double; tinier factors are logged directly.
    if (s < 1e-100) logs += Math.log(s);
    else prod *= s;
    if (prod < 1e-200) {
      logs += Math.log(prod);
      prod = 1;
    }
  }
  return logs + Math.log(prod) + shift;
}

/**
 * forward() for K = 3 (the default model) with the transition matrix and the previous filtered vector in locals:
 * the same operations in the same order as the generic loop, so the results are identical, without the inner
 * loops' index arithmetic (about half the time on this machine).
 */
function forward3(startProb: Float64Array, tr: Float64Array, n: number, ws: EmWorkspace): number {
  const { b, alpha, scale, rowMax } = ws;
  const a00 = tr[0], a01 = tr[1], a02 = tr[2];
  const a10 = tr[3], a11 = tr[4], a12 = tr[5];
  const a20 = tr[6], a21 = tr[7], a22 = tr[8];
  let x0 = startProb[0] * b[0];
  let x1 = startProb[1] * b[1];
  let x2 = startProb[2] * b[2];
  let s = x0 + x1 + x2;
  let inv = 1 / s;
  let p0 = x0 * inv, p1 = x1 * inv, p2 = x2 * inv;
  alpha[0] = p0;
  alpha[1] = p1;
  alpha[2] = p2;
  scale[0] = s;
  let logs = 0;
  let prod = 1;
  let shift = rowMax[0];
  if (s < 1e-100) logs += Math.log(s);
  else prod *= s;
  for (let t = 1, off = 3; t < n; t++, off += 3) {
    x0 = (p0 * a00 + p1 * a10 + p2 * a20) * b[off];
    x1 = (p0 * a01 + p1 * a11 + p2 * a21) * b[off + 1];
    x2 = (p0 * a02 + p1 * a12 + p2 * a22) * b[off + 2];
    s = x0 + x1 + x2;
    inv = 1 / s;
    p0 = x0 * inv;
    p1 = x1 * inv;
    p2 = x2 * inv;
    alpha[off] = p0;
    alpha[off + 1] = p1;
    alpha[off + 2] = p2;
    scale[t] = s;
    shift += rowMax[t];
    if (s < 1e-100) logs += Math.log(s);
    else prod *= s;
    if (prod < 1e-200) {
      logs += Math.log(prod);
      prod = 1;
    }
  }
  return logs + Math.log(prod) + shift;
}

/**
 * Scaled backward recursion fused with the expected transition counts; afterwards ws.alpha holds the smoothed
 * posteriors gamma_t(j) = p(state_t = j | all data) and ws.xi the summed xi_t(i, j).
 */
export function backwardAndPosteriors(transition: Float64Array, n: number, k: number, ws: EmWorkspace): void {
  if (k === 3) backward3(transition, n, ws);
  else backwardAnyK(transition, n, k, ws);
}

/** The generic backward recursion and posteriors (any K). */
export function backwardAnyK(transition: Float64Array, n: number, k: number, ws: EmWorkspace): void {
  const { b, alpha, beta, scale, xi, tmp } = ws;
  xi.fill(0);
  const last = (n - 1) * k;
  for (let j = 0; j < k; j++) beta[last + j] = 1;
  for (let t = n - 2; t >= 0; t--) {
    const off = t * k;
    const next = off + k;
    const invC = 1 / scale[t + 1];
    for (let j = 0; j < k; j++) tmp[j] = b[next + j] * beta[next + j] * invC;
    for (let i = 0; i < k; i++) {
      const ai = alpha[off + i];
      const row = i * k;
      let acc = 0;
      for (let j = 0; j < k; j++) {
        const v = transition[row + j] * tmp[j];
        acc += v;
        xi[row + j] += ai * v;
      }
      beta[off + i] = acc;
    }
  }
  // gamma = alpha·beta; each row sums to 1 up to rounding, renormalised so the M-step weights are exact.
  for (let t = 0; t < n; t++) {
    const off = t * k;
    let s = 0;
    for (let j = 0; j < k; j++) {
      const g = alpha[off + j] * beta[off + j];
      alpha[off + j] = g;
      s += g;
    }
    const inv = 1 / s;
    for (let j = 0; j < k; j++) alpha[off + j] *= inv;
  }
}

/** backwardAndPosteriors() for K = 3: transition entries and the nine xi sums in locals. */
function backward3(tr: Float64Array, n: number, ws: EmWorkspace): void {
  const { b, alpha, beta, scale, xi } = ws;
  const a00 = tr[0], a01 = tr[1], a02 = tr[2];
  const a10 = tr[3], a11 = tr[4], a12 = tr[5];
  const a20 = tr[6], a21 = tr[7], a22 = tr[8];
  let x00 = 0, x01 = 0, x02 = 0, x10 = 0, x11 = 0, x12 = 0, x20 = 0, x21 = 0, x22 = 0;
  const last = (n - 1) * 3;
  let b0 = 1, b1 = 1, b2 = 1;
  beta[last] = 1;
  beta[last + 1] = 1;
  beta[last + 2] = 1;
  for (let t = n - 2, off = last - 3; t >= 0; t--, off -= 3) {
    const next = off + 3;
    const invC = 1 / scale[t + 1];
    const t0 = b[next] * b0 * invC;
    const t1 = b[next + 1] * b1 * invC;
    const t2 = b[next + 2] * b2 * invC;
    const v00 = a00 * t0, v01 = a01 * t1, v02 = a02 * t2;
    const v10 = a10 * t0, v11 = a11 * t1, v12 = a12 * t2;
    const v20 = a20 * t0, v21 = a21 * t1, v22 = a22 * t2;
    const q0 = alpha[off], q1 = alpha[off + 1], q2 = alpha[off + 2];
    x00 += q0 * v00;
    x01 += q0 * v01;
    x02 += q0 * v02;
    x10 += q1 * v10;
    x11 += q1 * v11;
    x12 += q1 * v12;
    x20 += q2 * v20;
    x21 += q2 * v21;
    x22 += q2 * v22;
    b0 = v00 + v01 + v02;
    b1 = v10 + v11 + v12;
    b2 = v20 + v21 + v22;
    beta[off] = b0;
    beta[off + 1] = b1;
    beta[off + 2] = b2;
  }
  xi[0] = x00;
  xi[1] = x01;
  xi[2] = x02;
  xi[3] = x10;
  xi[4] = x11;
  xi[5] = x12;
  xi[6] = x20;
  xi[7] = x21;
  xi[8] = x22;
  for (let off = 0; off <= last; off += 3) {
    const g0 = alpha[off] * beta[off];
    const g1 = alpha[off + 1] * beta[off + 1];
    const g2 = alpha[off + 2] * beta[off + 2];
    const inv = 1 / (g0 + g1 + g2);
    alpha[off] = g0 * inv;
    alpha[off + 1] = g1 * inv;
    alpha[off + 2] = g2 * inv;
  }
}

/**
 * M-step from the posteriors in ws.alpha and counts in ws.xi.
 *
 * Covariance floor: every Σ_j is constrained to Σ_j ⪰ D = diag(floor), which keeps it positive definite and stops
 * a state collapsing onto a few points. The M-step solves the constrained problem exactly (see floorCovariance),
 * so each iteration still maximises the EM auxiliary function and the log-likelihood never decreases, unlike
 * the common "add a constant to the diagonal" regularisation, which perturbs every update.
 *
 * One pass over the data accumulates, for every state, the weight, the weighted sum and the weighted outer
 * products; Σ_j = S_j / w_j − μ_j μ_jᵀ. The caller centres the data on its global mean first (fitHmm does), which
 * keeps the cancellation in that difference at the level of rounding for any data scale.
 */
export function mStep(p: HmmParams, x: Float64Array, n: number, floor: Float64Array, globalCov: Float64Array, ws: EmWorkspace): void {
  const { k, d } = p;
  const dd = d * d;
  const gamma = ws.alpha;
  const { xi, moments } = ws;
  const diag = p.covarianceType === 'diag';
  for (let j = 0; j < k; j++) p.startProb[j] = Math.max(gamma[j], PROB_FLOOR);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += xi[i * k + j];
    for (let j = 0; j < k; j++) {
      p.transition[i * k + j] = s > 0 ? Math.max(xi[i * k + j] / s, PROB_FLOOR) : 1 / k;
    }
  }
  // moments per state: [w, Σg·x (d), Σg·x xᵀ lower triangle (d(d+1)/2)]
  const stride = 1 + d + (d * (d + 1)) / 2;
  moments.fill(0);
  if (d === 4) {
    // One state at a time with the 15 sums in locals (registers), not read-modify-writes of a typed array.
    for (let j = 0, o = 0; j < k; j++, o += 15) {
      let w = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let c00 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c22 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let t = 0, b = 0, g = j; t < n; t++, b += 4, g += k) {
        const gt = gamma[g];
        const x0 = x[b], x1 = x[b + 1], x2 = x[b + 2], x3 = x[b + 3];
        const gx0 = gt * x0, gx1 = gt * x1, gx2 = gt * x2, gx3 = gt * x3;
        w += gt;
        s0 += gx0;
        s1 += gx1;
        s2 += gx2;
        s3 += gx3;
        c00 += gx0 * x0;
        c10 += gx1 * x0;
        c11 += gx1 * x1;
        c20 += gx2 * x0;
        c21 += gx2 * x1;
        c22 += gx2 * x2;
        c30 += gx3 * x0;
        c31 += gx3 * x1;
        c32 += gx3 * x2;
        c33 += gx3 * x3;
      }
      moments[o] = w;
      moments[o + 1] = s0;
      moments[o + 2] = s1;
      moments[o + 3] = s2;
      moments[o + 4] = s3;
      moments[o + 5] = c00;
      moments[o + 6] = c10;
      moments[o + 7] = c11;
      moments[o + 8] = c20;
      moments[o + 9] = c21;
      moments[o + 10] = c22;
      moments[o + 11] = c30;
      moments[o + 12] = c31;
      moments[o + 13] = c32;
      moments[o + 14] = c33;
    }
  } else {
    for (let t = 0; t < n; t++) {
      const b = t * d;
      for (let j = 0; j < k; j++) {
        const o = j * stride;
        const g = gamma[t * k + j];
        moments[o] += g;
        let e = o + 1 + d;
        for (let r = 0; r < d; r++) {
          const gx = g * x[b + r];
          moments[o + 1 + r] += gx;
          for (let c = 0; c <= r; c++) moments[e++] += gx * x[b + c];
        }
      }
    }
  }
  for (let j = 0; j < k; j++) {
    const o = j * stride;
    const w = moments[o];
    const mOff = j * d;
    const cOff = j * dd;
    if (!(w > 1e-10)) {
      // A state nobody visits: keep its mean, give it the global covariance so it can be revived.
      for (let e = 0; e < dd; e++) p.covariances[cOff + e] = diag && e % (d + 1) !== 0 ? 0 : globalCov[e];
      floorCovariance(p.covariances, cOff, d, floor, diag, ws);
      continue;
    }
    const invW = 1 / w;
    for (let m = 0; m < d; m++) p.means[mOff + m] = moments[o + 1 + m] * invW;
    let e = o + 1 + d;
    for (let r = 0; r < d; r++) {
      const mr = p.means[mOff + r];
      for (let c = 0; c <= r; c++) {
        let v = moments[e++] * invW - mr * p.means[mOff + c];
        if (diag && r !== c) v = 0;
        p.covariances[cOff + r * d + c] = v;
        p.covariances[cOff + c * d + r] = v;
      }
    }
    floorCovariance(p.covariances, cOff, d, floor, diag, ws);
  }
}

/**
 * Replaces the sample covariance S (at `off`) by argmax over Σ ⪰ D of the Gaussian log-likelihood
 * −½(log det Σ + tr(Σ⁻¹S)), D = diag(floor). With S' = D^{-½} S D^{-½} = V Λ Vᵀ the maximiser is
 * D^{½} V max(Λ, 1) Vᵀ D^{½} (eigenvalue clipping). Usually S − D is already positive definite (one Cholesky
 * attempt shows it) and Σ = S unchanged; only then is an eigen-decomposition needed.
 */
export function floorCovariance(cov: Float64Array, off: number, d: number, floor: Float64Array, diag: boolean, ws: EmWorkspace): void {
  if (diag) {
    for (let m = 0; m < d; m++) if (!(cov[off + m * d + m] >= floor[m])) cov[off + m * d + m] = floor[m];
    return;
  }
  const { scratch, eigVal, eigVec } = ws;
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) scratch[r * d + c] = cov[off + r * d + c] - (r === c ? floor[r] : 0);
  if (!Number.isNaN(cholesky(scratch, 0, d, ws.scratch2, 0))) return;
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) scratch[r * d + c] = cov[off + r * d + c] / Math.sqrt(floor[r] * floor[c]);
  }
  symmetricEigen(scratch, d, eigVal, eigVec);
  for (let i = 0; i < d; i++) eigVal[i] = Math.max(eigVal[i], 1);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c <= r; c++) {
      let v = 0;
      for (let i = 0; i < d; i++) v += eigVec[r * d + i] * eigVal[i] * eigVec[c * d + i];
      v *= Math.sqrt(floor[r] * floor[c]);
      cov[off + r * d + c] = v;
      cov[off + c * d + r] = v;
    }
  }
}
