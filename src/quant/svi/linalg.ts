/**
 * Tiny dense linear algebra for the SVI calibration: systems of at most ~8 unknowns, solved in place with partial
 * pivoting. Kept separate so the inner problems stay allocation-free.
 */

/**
 * Solves M x = rhs for an n×n row-major matrix. Overwrites `m` and `rhs`; the solution is left in `rhs`.
 * Returns false when the matrix is (numerically) singular.
 */
export function solveInPlace(m: Float64Array, rhs: Float64Array, n: number): boolean {
  for (let col = 0; col < n; col++) {
    let piv = col;
    let best = Math.abs(m[col * n + col]);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(m[r * n + col]);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (!(best > 1e-300)) return false;
    if (piv !== col) {
      for (let c = 0; c < n; c++) {
        const t = m[col * n + c];
        m[col * n + c] = m[piv * n + c];
        m[piv * n + c] = t;
      }
      const t = rhs[col];
      rhs[col] = rhs[piv];
      rhs[piv] = t;
    }
    const d = m[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / d;
      if (f === 0) continue;
      for (let c = col; c < n; c++) m[r * n + c] -= f * m[col * n + c];
      rhs[r] -= f * rhs[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = rhs[r];
    for (let c = r + 1; c < n; c++) s -= m[r * n + c] * rhs[c];
    rhs[r] = s / m[r * n + r];
  }
  for (let r = 0; r < n; r++) if (!Number.isFinite(rhs[r])) return false;
  return true;
}
