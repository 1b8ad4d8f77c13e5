/**
 * Brent's method (R. P. Brent, "Algorithms for Minimization without Derivatives", 1973, ch. 4): a bracketing root
 * finder that mixes inverse quadratic interpolation, secant and bisection, so it converges superlinearly on a smooth
 * function and never worse than bisection. Used to refine the zero-gamma flip between two profile points whose GEX
 * has opposite signs: each evaluation is a full pass over the book, so few evaluations matter.
 */

export interface RootResult {
  root: number;
  /** f(root) as last evaluated. */
  value: number;
  evaluations: number;
}

/**
 * Root of `f` in [a, b], where f(a) and f(b) must have opposite signs (or one be zero); throws otherwise.
 * Stops when the bracket is narrower than `xtol` + 4ε|x| or f hits exactly 0.
 */
export function brentRoot(f: (x: number) => number, a: number, b: number, xtol = 1e-9, maxIter = 100, fa = f(a), fb = f(b)): RootResult {
  let evaluations = 2;
  if (fa === 0) return { root: a, value: 0, evaluations };
  if (fb === 0) return { root: b, value: 0, evaluations };
  if (Math.sign(fa) === Math.sign(fb) || Number.isNaN(fa) || Number.isNaN(fb)) {
    throw new Error(`brentRoot: f(a)=${fa} and f(b)=${fb} do not bracket a root`);
  }
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iter = 0; iter < maxIter; iter++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      // Keep the root between b and c.
      c = a;
      fc = fa;
      d = e = b - a;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      // b is always the best estimate so far.
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 0.5 * xtol;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return { root: b, value: fb, evaluations };
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      // Interpolation step: secant when only two distinct points, inverse quadratic otherwise.
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      // Accept the step only if it stays well inside the bracket and shrinks faster than bisection would.
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
    evaluations++;
  }
  return { root: b, value: fb, evaluations };
}
