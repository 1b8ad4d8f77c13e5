/**
 * Calendar-spread check between independently fitted raw SVI slices: total variance must not decrease with T at
 * fixed forward moneyness. Raw slices are fitted one by one and may violate this; the eSSVI surface may not.
 */
import { sviW, type RawSvi } from './raw.js';

export interface RawSliceRef {
  /** Label reported with a violation (e.g. '2023-05-19 PM'). */
  label: string;
  t: number;
  params: RawSvi;
  /** Quoted log-moneyness range of the slice. */
  kMin: number;
  kMax: number;
}

export interface CalendarViolation {
  earlier: string;
  later: string;
  /** Log-moneyness of the worst point. */
  k: number;
  /** w_later(k) − w_earlier(k) there (negative). */
  dw: number;
}

/**
 * Checks each pair of consecutive slices (by t) on `n` points across the union of their quoted ranges, the
 * region where both curves are backed by quotes. Returns the worst violation of each failing pair.
 */
export function rawCalendarViolations(slices: readonly RawSliceRef[], n = 401): CalendarViolation[] {
  const s = [...slices].filter((x) => x.t > 0).sort((a, b) => a.t - b.t);
  const out: CalendarViolation[] = [];
  for (let i = 0; i + 1 < s.length; i++) {
    const a = s[i];
    const b = s[i + 1];
    const lo = Math.min(a.kMin, b.kMin);
    const hi = Math.max(a.kMax, b.kMax);
    let worst = Infinity;
    let at = NaN;
    for (let j = 0; j < n; j++) {
      const k = lo + ((hi - lo) * j) / (n - 1);
      const d = sviW(b.params, k) - sviW(a.params, k);
      if (d < worst) {
        worst = d;
        at = k;
      }
    }
    const tol = 1e-10 * Math.max(sviW(b.params, 0), 1e-12);
    if (worst < -tol) out.push({ earlier: a.label, later: b.label, k: at, dw: worst });
  }
  return out;
}
