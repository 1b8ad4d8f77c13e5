/**
 * Volatility surface of a chain: an arbitrage-free raw SVI fit per slice (butterfly-free, verified), a calendar
 * check between those raw slices, an eSSVI surface across expiries that is calendar- and butterfly-free by
 * construction, fit quality per slice for both, and a query object on the eSSVI surface for GEX and the dashboard.
 */
import type { OptionChain, Settlement } from '../market/chain.js';
import { rawCalendarViolations, type CalendarViolation, type RawSliceRef } from '../quant/svi/calendar.js';
import { fitSviSlice } from '../quant/svi/calibrate.js';
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
  const slices: SurfaceSlice[] = [];
  const t0 = now();
  for (const inp of inputs) {
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
      fitMs: 0,
      essvi: null,
      essviSvi: null,
      essviQuality: null,
    };
    if (inp.status === 'ok') {
      const f0 = now();
      const r = fitSviSlice(inp.quotes, { warm: opts.warm?.get(key) ?? null, minQuotes: opts.minQuotes });
      s.fitMs = now() - f0;
      if (r.status === 'ok' && r.params) {
        s.svi = r.params;
        s.repaired = r.repaired;
        s.quality = sliceQuality(r.params, inp.quotes);
      } else {
        s.status = r.status === 'too_few_quotes' ? 'too_few_quotes' : 'bad_input';
        s.message = r.message;
      }
    }
    slices.push(s);
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
