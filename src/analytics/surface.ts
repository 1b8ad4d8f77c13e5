/**
 * Volatility surface of a chain: an arbitrage-free raw SVI fit per slice — butterfly-free (verified) and
 * calendar-free (slices fitted in increasing T, each under the previous fitted slice's total variance, verified by
 * the dense calendar check, which is also reported) — an eSSVI surface across expiries that is calendar- and
 * butterfly-free by construction, fit quality per slice for both, and a query object on the eSSVI surface for GEX
 * and the dashboard.
 */
import type { OptionChain, Settlement } from '../market/chain.js';
import { isotonicIncreasing, rawCalendarViolations, type CalendarViolation, type RawSliceRef } from '../quant/svi/calendar.js';
import { fitSviSlice, type CalendarFloor, type CalendarOutcome, type SviFitResult } from '../quant/svi/calibrate.js';
import { calendarOk, essviButterflyViolation, essviToRaw, fitEssvi, type EssviNode } from '../quant/svi/essvi.js';
import { sliceQuality, type SliceQuality } from '../quant/svi/quality.js';
import { createSurfaceQuery, type SurfaceQuery } from '../quant/svi/query.js';
import type { RawSvi } from '../quant/svi/raw.js';
import type { ChainIv } from './chain-iv-types.js';
import { buildSlices, type FilterCounts, type SliceInput, type SliceOptions, type SliceStatus } from './slices.js';

export type SurfaceModel = 'svi' | 'ssvi';

export interface SurfaceOptions extends SliceOptions {
  /** Previous fits by slice key (see `sliceKey`), to warm-start live refits. */
  warm?: ReadonlyMap<string, RawSvi>;
  /** Skip the eSSVI surface (raw slices only). Default false. */
  skipEssvi?: boolean;
  /**
   * Fit each raw slice on its own, without the calendar floor (default false). Only for measuring what the floor
   * costs: the raw slices may then cross, which `rawCalendarViolations` reports.
   */
  independentSlices?: boolean;
}

export interface SurfaceSlice {
  key: string;
  expiryIndex: number;
  expiry: string;
  root: string;
  settlement: Settlement;
  t: number;
  forward: number;
  discount: number;
  /** 'ok' when fitted; otherwise why there are no parameters. */
  status: SliceStatus | 'bad_input';
  message?: string;
  /** Usable quotes after filtering. */
  quotes: number;
  filtered: FilterCounts;
  /** Raw SVI fit (null unless status is 'ok'). */
  svi: RawSvi | null;
  quality: SliceQuality | null;
  /** True when the butterfly repair step moved the raw fit. */
  repaired: boolean;
  /** What the calendar floor (the previous fitted slice) did to the raw fit (see CalendarOutcome). */
  calendar: CalendarOutcome;
  /** Raw SVI fit time, ms. */
  fitMs: number;
  /** The eSSVI node of this slice and its quality (null when not part of the surface). */
  essvi: EssviNode | null;
  essviSvi: RawSvi | null;
  essviQuality: SliceQuality | null;
}

export interface SurfaceFit {
  underlying: string;
  asOfMs: number;
  asOfDate: string;
  spot: number;
  slices: SurfaceSlice[];
  /** Calendar violations between consecutive raw SVI slices (empty when the raw slices are calendar-free). */
  rawCalendarViolations: CalendarViolation[];
  /** Every pair of consecutive eSSVI nodes passes the exact calendar check and every node its butterfly bounds. */
  essviArbitrageFree: boolean;
  /** Query object on the eSSVI surface (calendar-free interpolation in T). */
  query: SurfaceQuery;
  sviMs: number;
  essviMs: number;
}

/**
 * The floor of the first slice: w ≡ 0 (no calendar constraint; total variance is positive anyway), so that the
 * first slice gets the same wing-slope guides as the others.
 */
const ZERO_FLOOR: CalendarFloor = { params: { a: 0, b: 0, rho: 0, m: 0, sigma: 1 }, kMin: 0, kMax: 0 };

export function sliceKey(s: { expiry: string; root: string; settlement: Settlement }): string {
  return `${s.expiry}|${s.root}|${s.settlement}`;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export function fitSurface(chain: OptionChain, iv: ChainIv, opts: SurfaceOptions = {}): SurfaceFit {
  const inputs = buildSlices(chain, iv, opts);
  return fitSlices(chain, iv.spot, inputs, opts);
}

/** Fits already-built slice inputs (exposed for benchmarks that time the fit alone). */
export function fitSlices(chain: OptionChain, spot: number, inputs: SliceInput[], opts: SurfaceOptions = {}): SurfaceFit {
  const slices: SurfaceSlice[] = new Array<SurfaceSlice>(inputs.length);
  const t0 = now();
  // Calendar: slices are fitted in increasing expiry time (t from each slice's exact expiry instant, so an AM- and a
  // PM-settled expiry on one date are ordered; ties keep the chain order, as the calendar check does), each with the
  // previous fitted slice's total variance as a floor. A slice without a fit is skipped in the chain of floors.
  const order = inputs.map((_, i) => i).sort((i, j) => inputs[i].t - inputs[j].t || i - j);
  // Pass 1: every slice on its own (butterfly-free). Its wing slopes give the slope guides of pass 2: the isotonic
  // (non-decreasing in T) least-squares fit to the own slopes (wing slopes can only ratchet up along the floors, and
  // past the quotes they are extrapolation; see CalendarFloor).
  const own: Array<SviFitResult | null> = inputs.map(() => null);
  const ownMs = new Float64Array(inputs.length);
  for (const idx of order) {
    const inp = inputs[idx];
    if (inp.status !== 'ok') continue;
    const f0 = now();
    own[idx] = fitSviSlice(inp.quotes, { warm: opts.warm?.get(sliceKey(inp)) ?? null, minQuotes: opts.minQuotes });
    ownMs[idx] = now() - f0;
  }
  const capR = new Float64Array(inputs.length).fill(Infinity);
  const capL = new Float64Array(inputs.length).fill(Infinity);
  {
    const fitted = order.filter((idx) => own[idx]?.params);
    const isoR = isotonicIncreasing(fitted.map((idx) => own[idx]!.params!.b * (1 + own[idx]!.params!.rho)));
    const isoL = isotonicIncreasing(fitted.map((idx) => own[idx]!.params!.b * (1 - own[idx]!.params!.rho)));
    fitted.forEach((idx, j) => {
      capR[idx] = isoR[j];
      capL[idx] = isoL[j];
    });
  }
  let floor: CalendarFloor | null = null;
  for (const idx of order) {
    const inp = inputs[idx];
    const key = sliceKey(inp);
    const s: SurfaceSlice = {
      key,
      expiryIndex: inp.expiryIndex,
      expiry: inp.expiry,
      root: inp.root,
      settlement: inp.settlement,
      t: inp.t,
      forward: inp.forward,
      discount: inp.discount,
      status: inp.status,
      message: inp.message,
      quotes: inp.quotes.k.length,
      filtered: inp.filtered,
      svi: null,
      quality: null,
      repaired: false,
      calendar: 'none',
      fitMs: 0,
      essvi: null,
      essviSvi: null,
      essviQuality: null,
    };
    if (inp.status === 'ok') {
      const f0 = now();
      const r: SviFitResult =
        opts.independentSlices || !own[idx]
          ? own[idx] ?? fitSviSlice(inp.quotes, { minQuotes: opts.minQuotes })
          : fitSviSlice(inp.quotes, {
              warm: opts.warm?.get(key) ?? null,
              minQuotes: opts.minQuotes,
              floor: { ...(floor ?? ZERO_FLOOR), capR: capR[idx], capL: capL[idx] },
              own: own[idx],
            });
      s.fitMs = now() - f0 + ownMs[idx];
      if (r.status === 'ok' && r.params) {
        s.svi = r.params;
        s.repaired = r.repaired;
        s.calendar = r.calendar;
        s.quality = sliceQuality(r.params, inp.quotes);
        const k = inp.quotes.k;
        floor = { params: r.params, kMin: k[0], kMax: k[k.length - 1] };
      } else {
        s.status = r.status === 'too_few_quotes' ? 'too_few_quotes' : 'bad_input';
        s.message = r.message;
      }
    }
    slices[idx] = s;
  }
  const sviMs = now() - t0;

  const refs: RawSliceRef[] = [];
  for (let i = 0; i < slices.length; i++) {
    const s = slices[i];
    if (!s.svi) continue;
    const k = inputs[i].quotes.k;
    refs.push({ label: `${s.expiry} ${s.root} ${s.settlement}`, t: s.t, params: s.svi, kMin: k[0], kMax: k[k.length - 1] });
  }
  const violations = rawCalendarViolations(refs);

  const t1 = now();
  const fitted = slices.map((s, i) => ({ s, inp: inputs[i] })).filter((x) => x.s.svi !== null);
  let nodes: EssviNode[] = [];
  if (!opts.skipEssvi) {
    const res = fitEssvi(fitted.map((x) => ({ quotes: x.inp.quotes, start: x.s.svi })));
    for (const nd of res) {
      const { s, inp } = fitted[nd.index];
      const node: EssviNode = { t: nd.t, theta: nd.theta, psi: nd.psi, eta: nd.eta };
      s.essvi = node;
      s.essviSvi = essviToRaw(node);
      s.essviQuality = sliceQuality(s.essviSvi, inp.quotes);
      nodes.push(node);
    }
  }
  nodes = nodes.sort((a, b) => a.t - b.t);
  let free = true;
  for (let i = 0; i < nodes.length; i++) {
    if (essviButterflyViolation(nodes[i]) > 0) free = false;
    if (i > 0 && !calendarOk(nodes[i - 1], nodes[i])) free = false;
  }
  const essviMs = now() - t1;
  return {
    underlying: chain.underlying,
    asOfMs: chain.asOfMs,
    asOfDate: chain.asOfDate,
    spot,
    slices,
    rawCalendarViolations: violations,
    essviArbitrageFree: free,
    query: createSurfaceQuery(nodes),
    sviMs,
    essviMs,
  };
}

/** The `manifold surface --json` document (contract: see docs / issue 5). */
export function surfaceJson(fit: SurfaceFit, model: SurfaceModel): Record<string, unknown> {
  const r6 = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(10)) : null);
  return {
    underlying: fit.underlying,
    as_of: new Date(fit.asOfMs).toISOString(),
    spot: fit.spot,
    model,
    slices: fit.slices.map((s) => {
      const p = model === 'ssvi' ? s.essviSvi : s.svi;
      const q = model === 'ssvi' ? s.essviQuality : s.quality;
      return {
        expiry: s.expiry,
        root: s.root,
        settlement: s.settlement,
        status: p ? 'ok' : s.status === 'ok' ? 'not_in_surface' : s.status,
        ...(s.message ? { message: s.message } : {}),
        t: r6(s.t),
        forward: r6(s.forward),
        discount: r6(s.discount),
        quotes: s.quotes,
        filtered: s.filtered,
        svi: p ? { a: r6(p.a), b: r6(p.b), rho: r6(p.rho), m: r6(p.m), sigma: r6(p.sigma) } : null,
        rmse_vol: q ? r6(q.rmseVol) : null,
        in_band: q ? r6(q.inBand) : null,
        max_abs_z: q ? r6(q.maxAbsZ) : null,
        min_g: q ? r6(q.minG) : null,
        butterfly_free: q ? q.butterflyFree : null,
        atm_vol: q ? r6(q.atmVol) : null,
      };
    }),
    calendar_free: model === 'ssvi' ? fit.essviArbitrageFree : fit.rawCalendarViolations.length === 0,
    calendar_violations: model === 'ssvi' ? [] : fit.rawCalendarViolations,
  };
}
