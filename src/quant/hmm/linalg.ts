/**
 * Small dense linear algebra on row-major Float64Arrays with offsets, for d×d covariance matrices (d is small:
 * a handful of features). Everything writes into caller-provided buffers so the EM loop never allocates.
 */

/**
 * Cholesky factor L (lower triangular, row-major, upper part zeroed) of the symmetric matrix `a` at `aOff` into
 * `l` at `lOff`. Returns log det(a) = 2 Σ log L_ii, or NaN if `a` is not numerically positive definite.
 */
export function cholesky(a: Float64Array, aOff: number, d: number, l: Float64Array, lOff: number): number {
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    const ri = lOff + i * d;
    for (let j = 0; j <= i; j++) {
      const rj = lOff + j * d;
      let s = a[aOff + i * d + j];
      for (let k = 0; k < j; k++) s -= l[ri + k] * l[rj + k];
      if (i === j) {
        if (!(s > 0)) return NaN;
        const r = Math.sqrt(s);
        l[ri + i] = r;
        logDet += Math.log(r);
      } else {
        l[ri + j] = s / l[rj + j];
      }
    }
    for (let j = i + 1; j < d; j++) l[ri + j] = 0;
  }
  return 2 * logDet;
}

/**
 * Inverse of the Cholesky factor, W = L⁻¹ (lower triangular), so that the Mahalanobis form is |W (x − μ)|².
 * Precomputing W once per state per EM iteration turns each of the n·K density evaluations into a
 * triangular matrix-vector product with no divisions.
 */
export function invertLower(l: Float64Array, lOff: number, d: number, w: Float64Array, wOff: number): void {
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    w[wOff + ri + i] = 1 / l[lOff + ri + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[lOff + ri + k] * w[wOff + k * d + j];
      w[wOff + ri + j] = s / l[lOff + ri + i];
    }
    for (let j = i + 1; j < d; j++) w[wOff + ri + j] = 0;
  }
}

/**
 * Eigen-decomposition of the symmetric d×d matrix `a` (row-major, overwritten) by cyclic Jacobi rotations:
 * eigenvalues into `values`, eigenvectors as the COLUMNS of `vectors`. For the few-by-few matrices here Jacobi
 * is simple, accurate to rounding, and fast.
 */
export function symmetricEigen(a: Float64Array, d: number, values: Float64Array, vectors: Float64Array): void {
  vectors.fill(0, 0, d * d);
  for (let i = 0; i < d; i++) vectors[i * d + i] = 1;
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < d; p++) {
      diag += a[p * d + p] * a[p * d + p];
      for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        const app = a[p * d + p];
        const aqq = a[q * d + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = vectors[k * d + p];
          const vkq = vectors[k * d + q];
          vectors[k * d + p] = c * vkp - s * vkq;
          vectors[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
}
