/**
 * Aggregates of per-contract exposures: by strike (call / put / net), by expiry group, by DTE bucket, and the levels
 * traders read off the by-strike table (absolute gamma strike, call wall, put wall).
 *
 * Sums are plain left-to-right float sums over contracts sorted by strike; with ~10^4 terms of mixed sign the
 * rounding error is ~1e-12 relative, far below the information content of day-old open interest.
 */
import { RIGHT_CALL } from './positioning.js';

export interface StrikeTable {
  /** Distinct strikes, ascending. */
  strike: Float64Array;
  /** Sum over calls / puts / both at that strike (all expiries, all roots). */
  call: Float64Array;
  put: Float64Array;
  net: Float64Array;
}

/**
 * Sum `value` by distinct strike, calls and puts separately. Contracts with a NaN value are skipped. Each strike's
 * terms are summed in contract order. The distinct strikes come from a native numeric sort of a copy (no comparator
 * callback) and each contract finds its strike by binary search: a few times faster than sorting an index with a
 * comparator, and this runs on every live GEX cycle.
 */
export function aggregateByStrike(strike: ArrayLike<number>, right: ArrayLike<number>, value: ArrayLike<number>, n: number): StrikeTable {
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = strike[i];
  sorted.sort();
  let distinct = 0;
  for (let j = 0; j < n; j++) if (j === 0 || sorted[j] !== sorted[j - 1]) sorted[distinct++] = sorted[j];
  const out: StrikeTable = {
    strike: sorted.slice(0, distinct),
    call: new Float64Array(distinct),
    put: new Float64Array(distinct),
    net: new Float64Array(distinct),
  };
  const keys = out.strike;
  for (let i = 0; i < n; i++) {
    const v = value[i];
    if (Number.isNaN(v)) continue;
    const x = strike[i];
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    if (right[i] === RIGHT_CALL) out.call[lo] += v;
    else out.put[lo] += v;
  }
  for (let s = 0; s < distinct; s++) out.net[s] = out.call[s] + out.put[s];
  return out;
}

/** Sum `value` by an integer group index in [0, groups). NaN values are skipped. */
export function aggregateByGroup(group: ArrayLike<number>, value: ArrayLike<number>, n: number, groups: number): Float64Array {
  const out = new Float64Array(groups);
  for (let i = 0; i < n; i++) {
    const v = value[i];
    if (!Number.isNaN(v)) out[group[i]] += v;
  }
  return out;
}

/** Plain sum skipping NaN. */
export function sum(value: ArrayLike<number>, n = value.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(value[i])) s += value[i];
  return s;
}

export const DTE_BUCKETS = ['0dte', '1-7d', '8-30d', '>30d'] as const;
export type DteBucket = (typeof DTE_BUCKETS)[number];

/**
 * DTE bucket of an expiry from its whole calendar days after the as-of trading date: 0 = expires that day (0DTE),
 * 1–7, 8–30, > 30. Negative days (an expired expiry still listed) have no bucket.
 */
export function dteBucket(calendarDays: number): DteBucket | null {
  if (!(calendarDays >= 0)) return null;
  if (calendarDays === 0) return '0dte';
  if (calendarDays <= 7) return '1-7d';
  if (calendarDays <= 30) return '8-30d';
  return '>30d';
}

export interface StrikeLevels {
  /** Strike with the largest |call GEX| + |put GEX| (gamma not netted). null for an empty table. */
  absGammaStrike: number | null;
  /**
   * Call wall: the strike with the largest call gamma exposure; put wall: the strike with the largest put gamma
   * exposure in absolute value (SpotGamma's definitions). Magnitudes are compared, so the walls do not depend on the
   * sign a positioning model gives calls or puts.
   */
  callWall: number | null;
  putWall: number | null;
}

/** Levels from a by-strike GEX table. Ties go to the lower strike (first in ascending order). */
export function strikeLevels(t: StrikeTable): StrikeLevels {
  let absK: number | null = null;
  let absV = -1;
  let callK: number | null = null;
  let callV = -1;
  let putK: number | null = null;
  let putV = -1;
  for (let s = 0; s < t.strike.length; s++) {
    const c = Math.abs(t.call[s]);
    const p = Math.abs(t.put[s]);
    if (c + p > absV) {
      absV = c + p;
      absK = t.strike[s];
    }
    if (c > callV) {
      callV = c;
      callK = t.strike[s];
    }
    if (p > putV) {
      putV = p;
      putK = t.strike[s];
    }
  }
  return { absGammaStrike: absV > 0 ? absK : null, callWall: callV > 0 ? callK : null, putWall: putV > 0 ? putK : null };
}
