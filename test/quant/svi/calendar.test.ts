import { describe, expect, it } from 'vitest';
import { butterflyReport } from '../../../src/quant/svi/butterfly.js';
import { isotonicIncreasing, rawCalendarGap, rawCalendarViolations } from '../../../src/quant/svi/calendar.js';
import { fitSviSlice, type SliceQuotes } from '../../../src/quant/svi/calibrate.js';
import { sviG, sviW, type RawSvi } from '../../../src/quant/svi/raw.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

const HS = 0.004;

/** Quotes from known parameters on [lo, hi]: mid = truth + uniform noise within ±0.5 half-spread, band ± HS. */
function quotes(p: RawSvi, t: number, lo: number, hi: number, n: number, seed: number): { q: SliceQuotes; truth: Float64Array } {
  const rnd = lcg(seed);
  const q: SliceQuotes = { t, k: new Float64Array(n), mid: new Float64Array(n), bid: new Float64Array(n), ask: new Float64Array(n), weight: new Float64Array(n) };
  const truth = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = lo + ((hi - lo) * i) / (n - 1);
    q.k[i] = k;
    truth[i] = Math.sqrt(sviW(p, k) / t);
    q.mid[i] = truth[i] + (2 * rnd() - 1) * 0.5 * HS;
    q.bid[i] = q.mid[i] - HS;
    q.ask[i] = q.mid[i] + HS;
    q.weight[i] = 1 / (HS * HS);
  }
  return { q, truth };
}

/** Independent of calendar.ts: 60,001 points over [−30, 30], then |k| up to 10⁶, and the wing slopes. */
function denseCalendarGap(early: RawSvi, late: RawSvi): number {
  let worst = Infinity;
  const at = (k: number): void => {
    const we = sviW(early, k);
    worst = Math.min(worst, (sviW(late, k) - we) / we);
  };
  for (let i = 0; i <= 60_000; i++) at(-30 + i / 1000);
  for (let e = 1.5; e <= 6; e += 0.05) {
    at(Math.pow(10, e));
    at(-Math.pow(10, e));
  }
  worst = Math.min(worst, late.b * (1 + late.rho) - early.b * (1 + early.rho), late.b * (1 - late.rho) - early.b * (1 - early.rho));
  return worst;
}

describe('calendar floor in the raw SVI fit', () => {
  // Slice 2's true smile lies above slice 1 over slice 2's quotes but crosses it at k ≈ −0.2 (inside slice 1's
  // quotes, just past slice 2's), with a flatter left wing: fitted on their own, the two slices cross.
  const p1: RawSvi = { a: 0.002, b: 0.04, rho: -0.6, m: 0, sigma: 0.1 };
  const p2: RawSvi = { a: 0.0045, b: 0.034, rho: -0.35, m: 0.02, sigma: 0.12 };
  const s1 = quotes(p1, 0.1, -0.5, 0.3, 33, 7);
  const s2 = quotes(p2, 0.15, -0.15, 0.3, 25, 11);

  it('two synthetic slices that cross are made calendar-free by the constrained fit, within the quotes noise', () => {
    const f1 = fitSviSlice(s1.q);
    expect(f1.status).toBe('ok');
    const own = fitSviSlice(s2.q);
    expect(own.status).toBe('ok');
    const lo = -0.5;
    const hi = 0.3;
    // Fitted on their own: they cross (both checks agree).
    expect(rawCalendarGap(f1.params!, own.params!, lo, hi).free).toBe(false);
    expect(denseCalendarGap(f1.params!, own.params!)).toBeLessThan(-1e-6);

    const con = fitSviSlice(s2.q, { floor: { params: f1.params!, kMin: lo, kMax: hi } });
    expect(con.status).toBe('ok');
    expect(con.calendar).not.toBe('none');
    expect(con.calendar).not.toBe('free');
    expect(con.calendar).not.toBe('floor');
    const p = con.params!;
    // Calendar-free by the module's check and by the independent sweep, tolerance 1e-12 relative.
    expect(rawCalendarGap(f1.params!, p, lo, hi).free).toBe(true);
    expect(denseCalendarGap(f1.params!, p)).toBeGreaterThanOrEqual(-1e-12);
    expect(rawCalendarViolations([
      { label: 'later', t: 0.15, params: p, kMin: -0.15, kMax: 0.3 },
      { label: 'earlier', t: 0.1, params: f1.params!, kMin: lo, kMax: hi },
    ])).toEqual([]);
    // Still butterfly-free.
    expect(butterflyReport(p, -0.15, 0.3).free).toBe(true);
    for (let k = -4; k <= 4; k += 1e-3) expect(sviG(p, k)).toBeGreaterThanOrEqual(0);
    // Within the noise: every model vol within one half-spread of the truth, and most inside the quoted band.
    let inside = 0;
    for (let i = 0; i < s2.q.k.length; i++) {
      const v = Math.sqrt(sviW(p, s2.q.k[i]) / 0.15);
      expect(Math.abs(v - s2.truth[i])).toBeLessThan(HS);
      if (v >= s2.q.bid[i] && v <= s2.q.ask[i]) inside++;
    }
    expect(inside / s2.q.k.length).toBeGreaterThanOrEqual(0.95);
  });

  it('a fit already above its floor is returned unchanged', () => {
    const f1 = fitSviSlice(s1.q);
    const lowFloor: RawSvi = { ...f1.params!, a: f1.params!.a - 0.01, b: f1.params!.b * 0.2 };
    const own = fitSviSlice(s1.q);
    const r = fitSviSlice(s1.q, { floor: { params: lowFloor, kMin: -0.5, kMax: 0.3 } });
    expect(r.calendar).toBe('free');
    expect(r.params).toEqual(own.params);
  });

  it('rawCalendarGap sees a wing crossing past any grid (slopes) and passes identical slices', () => {
    const e: RawSvi = { a: 0.01, b: 0.1, rho: 0, m: 0, sigma: 0.1 };
    // Higher everywhere on [−10⁴, 10⁴] but a smaller right slope: crosses only near k ≈ 10⁶.
    const l: RawSvi = { a: 0.01 + 0.1, b: 0.1 * (1 - 1e-6), rho: 0, m: 0, sigma: 0.1 };
    const g = rawCalendarGap(e, l, -0.5, 0.5);
    expect(g.free).toBe(false);
    expect(rawCalendarGap(e, e, -0.5, 0.5).free).toBe(true);
    expect(rawCalendarGap(e, { ...e, a: e.a + 1e-9 }, -0.5, 0.5).free).toBe(true);
    expect(rawCalendarGap(e, { ...e, a: e.a - 1e-9 }, -0.5, 0.5).free).toBe(false);
  });

  it('isotonicIncreasing pools violators', () => {
    expect(Array.from(isotonicIncreasing([1, 3, 2, 4]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(isotonicIncreasing([5, 1, 1, 1]))).toEqual([2, 2, 2, 2]);
    expect(Array.from(isotonicIncreasing([]))).toEqual([]);
  });
});
