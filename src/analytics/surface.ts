/**
 * Volatility surface of a chain: an arbitrage-free raw SVI fit per slice — butterfly-free (verified) and
 * calendar-free (slices fitted in increasing T, each under the previous fitted slice's total variance, verified by
 * the dense calendar check, which is also reported) — an eSSVI surface across expiries that is calendar- and
 * butterfly-free by construction, fit quality per slice for both, and a query object on the eSSVI surface for GEX
 * and the dashboard.
 */
import type { OptionChain, Settlement } from '../market/chain.js';
import { isotonicIncreasing, rawCalendarGap, rawCalendarViolations, type CalendarViolation, type RawSliceRef } from '../quant/svi/calendar.js';
import { fitSviOwnUnverified, fitSviSlice, type CalendarFloor, type CalendarOutcome, type SliceQuotes, type SviFitResult, type UnverifiedFit } from '../quant/svi/calibrate.js';
import { calendarOk, essviButterflyViolation, essviToRaw, fitEssvi, refitEssvi, type EssviNode } from '../quant/svi/essvi.js';
import { liveStart, meanSquaredZ, quotedRange, refitSliceLocal } from '../quant/svi/refit.js';
import { sliceQuality, type SliceQuality } from '../quant/svi/quality.js';
import { createSurfaceQuery, type SurfaceQuery } from '../quant/svi/query.js';
import type { RawSvi } from '../quant/svi/raw.js';
import type { ChainIv } from './chain-iv-types.js';
import { buildSlices, type FilterCounts, type SliceInput, type SliceOptions, type SliceStatus } from './slices.js';

export type SurfaceModel = 'svi' | 'ssvi';

export interface SurfaceOptions extends SliceOptions {
  /**
   * Previous fits by slice key (see `sliceKey`), to warm-start live refits: with it (or `previous`) the slices go
   * through the fast live path (see `liveRefit`).
   */
  warm?: ReadonlyMap<string, RawSvi>;
  /**
   * The previous fit of the same chain and the slice inputs it was fitted to (the live pipeline's last fit). Enables,
   * on top of `warm`: keeping slices whose inputs did not change at all (and their eSSVI nodes), the residual-jump
   * test against each slice's previous fit, and the eSSVI warm start. Its parameters take precedence over `warm`.
   */
  previous?: PreviousSurface | null;
  /**
   * Live refits (default true; only when `warm` or `previous` is given): each slice is polished locally from its
   * previous fit (src/quant/svi/refit.ts) and verified with the full fit's checks, falling back to the full fit per
   * slice when a check fails or the residual jumps; the eSSVI nodes likewise (refitEssvi). false: the full fit for
   * every slice, its outer search warm-started.
   */
  liveRefit?: boolean;
  /** Skip the eSSVI surface (raw slices only). Default false. */
  skipEssvi?: boolean;
  /**
   * Fit each raw slice on its own, without the calendar floor (default false). Only for measuring what the floor
   * costs: the raw slices may then cross, which `rawCalendarViolations` reports.
   */
  independentSlices?: boolean;
}

/** What `fitSlices` needs of a previous fit for a live refit. */
export interface PreviousSurface {
  fit: Pick<SurfaceFit, 'slices' | 'rawCalendarViolations'>;
  inputs: readonly SliceInput[];
}

/** How a slice was fitted: the full fit, the local live refit, or kept as is (inputs and floor unchanged). */
export type RefitPath = 'full' | 'local' | 'skip';

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
  /** How the raw fit was obtained (live refits; 'full' otherwise). */
  refit?: RefitPath;
  /** How the eSSVI node was obtained (live refits; 'full' otherwise). */
  essviRefit?: RefitPath;
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

/**
 * Fits already-built slice inputs (the live pipeline's entry point; also used by benchmarks that time the fit
 * alone). With `warm` or `previous` (and `liveRefit` not false) the fast live path runs (see fitSlicesLive).
 */
export function fitSlices(chain: OptionChain, spot: number, inputs: SliceInput[], opts: SurfaceOptions = {}): SurfaceFit {
  if ((opts.warm?.size || opts.previous) && opts.liveRefit !== false && !opts.independentSlices) {
    const live = fitSlicesLive(chain, spot, inputs, opts);
    if (live) return live;
  }
  const slices: SurfaceSlice[] = new Array<SurfaceSlice>(inputs.length);
  const t0 = now();
  // Calendar: slices are fitted in increasing expiry time (t from each slice's exact expiry instant, so an AM- and a
  // PM-settled expiry on one date are ordered; ties keep the chain order, as the calendar check does), each with the
  // previous fitted slice's total variance as a floor. A slice without a fit is skipped in the chain of floors.
  const order = inputs.map((_, i) => i).sort((i, j) => inputs[i].t - inputs[j].t || i - j);
  // Pass 1: every slice on its own (butterfly-free). Its wing slopes give the slope guides of pass 2: the isotonic
  // (non-decreasing in T) least-squares fit to the own slopes (wing slopes can only ratchet up along the floors, and
  // past the quotes they are extrapolation; see CalendarFloor). Under floors an own fit is left unverified until pass
  // 2 knows whether it can be the answer (it clears its floor); most are only the start of the refit under the floor.
  const own: Array<SviFitResult | UnverifiedFit | null> = inputs.map(() => null);
  const ownMs = new Float64Array(inputs.length);
  for (const idx of order) {
    const inp = inputs[idx];
    if (inp.status !== 'ok') continue;
    const f0 = now();
    const o = { warm: opts.warm?.get(sliceKey(inp)) ?? null, minQuotes: opts.minQuotes };
    own[idx] = opts.independentSlices ? fitSviSlice(inp.quotes, o) : fitSviOwnUnverified(inp.quotes, o);
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
    const s = emptySlice(inp, key);
    if (inp.status === 'ok') {
      const f0 = now();
      const r: SviFitResult =
        opts.independentSlices || !own[idx]
          ? (own[idx] as SviFitResult | null) ?? fitSviSlice(inp.quotes, { minQuotes: opts.minQuotes })
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
  const nodes: EssviNode[] = [];
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
  return assembleFit(chain, spot, slices, violations, nodes, sviMs, now() - t1);
}

function sameQuotes(a: SliceQuotes, b: SliceQuotes): boolean {
  if (a === b) return true;
  if (a.t !== b.t || a.k.length !== b.k.length) return false;
  for (let i = 0; i < a.k.length; i++) {
    if (a.k[i] !== b.k[i] || a.mid[i] !== b.mid[i] || a.bid[i] !== b.bid[i] || a.ask[i] !== b.ask[i] || a.weight[i] !== b.weight[i]) return false;
  }
  return true;
}

/**
 * The live refit (fitSlices with `warm` or `previous`); null when no slice has a previous fit (then the full fit runs). Slices in increasing T, each under the previous fitted
 * slice's total variance (the calendar floor), as the full fit:
 * - inputs exactly as in `previous` and floor unchanged (or the kept fit still above the new floor: rawCalendarGap)
 *   → the previous fit and quality are kept ('skip');
 * - a previous fit (from `previous` or `warm`) → the local polish (refitSliceLocal: LM from it, under the floor, the
 *   next slice's start as a soft ceiling, slope guides from the later slices' starts; verified with butterflyReport
 *   and rawCalendarGap, quality from the same report) ('local');
 * - no previous fit, a failed check or a residual jump → the full fit (fitSviSlice), warm-started ('full').
 * Every consecutive pair of fitted slices is calendar-checked once (rawCalendarGap, the check rawCalendarViolations
 * runs) or unchanged since the previous fit; eSSVI nodes through refitEssvi.
 */
function fitSlicesLive(chain: OptionChain, spot: number, inputs: SliceInput[], opts: SurfaceOptions): SurfaceFit | null {
  const slices: SurfaceSlice[] = new Array<SurfaceSlice>(inputs.length);
  const t0 = now();
  const order = inputs.map((_, i) => i).sort((i, j) => inputs[i].t - inputs[j].t || i - j);
  const prevSlices = new Map<string, { slice: SurfaceSlice; input: SliceInput | null }>();
  if (opts.previous) {
    const pf = opts.previous.fit.slices;
    for (let i = 0; i < pf.length; i++) {
      const inp = opts.previous.inputs[i];
      prevSlices.set(pf[i].key, { slice: pf[i], input: inp && sliceKey(inp) === pf[i].key ? inp : null });
    }
  }
  const prevViolations = new Set((opts.previous?.fit.rawCalendarViolations ?? []).map((v) => `${v.earlier}\n${v.later}`));
  // Per slice: its previous parameters and T, whether its inputs are unchanged, and its live start (the ceiling of
  // the slice before it and the source of the slope guides).
  const prevP: Array<RawSvi | null> = inputs.map(() => null);
  const prevT = new Float64Array(inputs.length);
  const unchanged = new Uint8Array(inputs.length);
  const starts: Array<RawSvi | null> = inputs.map(() => null);
  for (const idx of order) {
    const inp = inputs[idx];
    if (inp.status !== 'ok') continue;
    const key = sliceKey(inp);
    const ps = prevSlices.get(key);
    const p = ps?.slice.svi ?? opts.warm?.get(key) ?? null;
    if (!p) continue;
    prevP[idx] = p;
    prevT[idx] = ps?.slice.svi ? ps.slice.t : inp.t;
    unchanged[idx] = ps?.slice.svi && ps.input && ps.slice.quality && sameQuotes(ps.input.quotes, inp.quotes) ? 1 : 0;
    starts[idx] = unchanged[idx] ? p : liveStart(inp.quotes, p, prevT[idx]);
  }
  // Nothing to start from (a first fit, or a new chain): the full fit, with its own-fit slope guides.
  if (!prevP.some((p) => p)) return null;
  // Slope guides: the smallest start slope of the later slices (wing slopes must not decrease in T).
  const capR = new Float64Array(inputs.length).fill(Infinity);
  const capL = new Float64Array(inputs.length).fill(Infinity);
  {
    let mR = Infinity;
    let mL = Infinity;
    for (let o = order.length - 1; o >= 0; o--) {
      const idx = order[o];
      capR[idx] = mR;
      capL[idx] = mL;
      const st = starts[idx];
      if (st) {
        mR = Math.min(mR, st.b * (1 + st.rho));
        mL = Math.min(mL, st.b * (1 - st.rho));
      }
    }
  }
  const violations: CalendarViolation[] = [];
  let floor: CalendarFloor | null = null;
  let floorKey: string | null = null;
  let floorLabel = '';
  let floorSkipped = true;
  for (let o = 0; o < order.length; o++) {
    const idx = order[o];
    const inp = inputs[idx];
    const key = sliceKey(inp);
    const s: SurfaceSlice = { ...emptySlice(inp, key), refit: 'full' };
    slices[idx] = s;
    if (inp.status !== 'ok') continue;
    const f0 = now();
    const q = inp.quotes;
    const [kMin, kMax] = quotedRange(q.k);
    const label = `${inp.expiry} ${inp.root} ${inp.settlement}`;
    const p = prevP[idx];
    const ps = prevSlices.get(key);
    // Calendar state of the pair (floor, this slice): true/false when known, null when it must be checked.
    let pairFree: boolean | null = floor ? null : true;
    if (p && unchanged[idx] && ps) {
      // Same inputs: kept if its floor is the same slice, itself kept, or if it still clears the new floor.
      const sameFloor = floorSkipped && floorKey === prevFloorKey(opts.previous!, ps.slice);
      let keep = sameFloor || !floor;
      if (sameFloor && floor) pairFree = !prevViolations.has(`${floorLabel}\n${label}`);
      if (!keep && floor) {
        keep = rawCalendarGap(floor.params, p, Math.min(kMin, floor.kMin), Math.max(kMax, floor.kMax)).free;
        if (keep) pairFree = true;
      }
      if (keep) {
        s.svi = p;
        s.quality = ps.slice.quality;
        s.repaired = ps.slice.repaired;
        s.calendar = ps.slice.calendar;
        s.refit = 'skip';
      }
    }
    if (!s.svi && p) {
      let ceiling: RawSvi | null = null;
      for (let o2 = o + 1; o2 < order.length; o2++) {
        if (inputs[order[o2]].status !== 'ok') continue;
        ceiling = starts[order[o2]];
        break;
      }
      const r = refitSliceLocal(q, p, {
        prevT: prevT[idx],
        levelledStart: starts[idx],
        floor,
        ceiling,
        capR: capR[idx],
        capL: capL[idx],
        baselineZ: ps?.slice.svi && ps.input ? meanSquaredZ(ps.slice.svi, ps.input.quotes) : null,
        minQuotes: opts.minQuotes,
      });
      if (r.status === 'ok' && r.params && r.quality) {
        s.svi = r.params;
        s.quality = r.quality;
        s.calendar = r.calendar;
        s.refit = 'local';
        if (floor) pairFree = r.gap?.free ?? null;
      }
    }
    if (!s.svi) {
      const r = fitSviSlice(q, {
        warm: p,
        minQuotes: opts.minQuotes,
        floor: { ...(floor ?? ZERO_FLOOR), capR: capR[idx], capL: capL[idx] },
      });
      if (r.status === 'ok' && r.params) {
        s.svi = r.params;
        s.repaired = r.repaired;
        s.calendar = r.calendar;
        s.quality = sliceQuality(r.params, q);
        s.refit = 'full';
      } else {
        s.status = r.status === 'too_few_quotes' ? 'too_few_quotes' : 'bad_input';
        s.message = r.message;
      }
    }
    if (s.svi && floor && pairFree !== true) {
      const gap = rawCalendarGap(floor.params, s.svi, Math.min(kMin, floor.kMin), Math.max(kMax, floor.kMax));
      if (!gap.free) violations.push({ earlier: floorLabel, later: label, k: gap.at, dw: gap.dw });
    }
    s.fitMs = now() - f0;
    if (s.svi) {
      floorSkipped = s.refit === 'skip';
      floor = { params: s.svi, kMin, kMax };
      floorKey = key;
      floorLabel = label;
    }
  }
  const sviMs = now() - t0;

  const t1 = now();
  const fitted = slices.map((s, i) => ({ s, inp: inputs[i] })).filter((x) => x.s.svi !== null);
  const nodes: EssviNode[] = [];
  if (!opts.skipEssvi) {
    const res = refitEssvi(
      fitted.map((x) => {
        const ps = prevSlices.get(x.s.key);
        const node = ps?.slice.essvi ?? null;
        return { quotes: x.inp.quotes, start: x.s.svi, prev: node, unchanged: x.s.refit === 'skip' && node !== null && unchanged[x.inp.expiryIndex] === 1 };
      }),
    );
    for (const nd of res) {
      const { s, inp } = fitted[nd.index];
      const node: EssviNode = { t: nd.t, theta: nd.theta, psi: nd.psi, eta: nd.eta };
      s.essvi = node;
      s.essviSvi = essviToRaw(node);
      const ps = nd.path === 'skip' ? prevSlices.get(s.key) : undefined;
      s.essviQuality = ps?.slice.essviQuality ?? sliceQuality(s.essviSvi, inp.quotes);
      s.essviRefit = nd.path;
      nodes.push(node);
    }
  }
  return assembleFit(chain, spot, slices, violations, nodes, sviMs, now() - t1);
}

/** Key of the slice that was the calendar floor of `s` in the previous fit (the previous fitted slice by T). */
function prevFloorKey(prev: PreviousSurface, s: SurfaceSlice): string | null {
  let best: SurfaceSlice | null = null;
  for (const x of prev.fit.slices) {
    if (!x.svi || x === s) continue;
    if (x.t < s.t || (x.t === s.t && x.expiryIndex < s.expiryIndex)) {
      if (!best || x.t > best.t || (x.t === best.t && x.expiryIndex > best.expiryIndex)) best = x;
    }
  }
  return best ? best.key : null;
}

/** How `perturbSliceInputs` moves the quotes (a simulated live tick of the whole chain). */
export interface QuotePerturbation {
  /** PRNG seed (mulberry32). */
  seed: number;
  /** Each quote's bid/mid/ask IV move by u × this × its half-spread, u uniform in [−1, 1] (default 0.3). */
  spreadFrac?: number;
  /** Parallel vol shift added to every quote (decimal, default 0). */
  volShift?: number;
  /** Spot/forward move as a shift of every quote's k = ln(K/F) (default 0; −ln(1 + dS/S) for a spot move dS). */
  kShift?: number;
  /** Time passed, years (T of every slice decreases by it; default 0). */
  dt?: number;
}

/**
 * Copies of the slice inputs with their quotes moved slightly (benchmarks and tests of live refits): bid, mid and ask
 * IVs of each quote shifted together within its spread plus a parallel shift, k shifted, T decreased. Weights kept.
 */
export function perturbSliceInputs(inputs: readonly SliceInput[], o: QuotePerturbation): SliceInput[] {
  let st = o.seed >>> 0;
  const rnd = (): number => {
    st = (st + 0x6d2b79f5) >>> 0;
    let x = st;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const frac = o.spreadFrac ?? 0.3;
  const dt = o.dt ?? 0;
  return inputs.map((s) => {
    const q = s.quotes;
    const n = q.k.length;
    const k = new Float64Array(n);
    const mid = new Float64Array(n);
    const bid = new Float64Array(n);
    const ask = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const d = (o.volShift ?? 0) + (2 * rnd() - 1) * frac * ((q.ask[i] - q.bid[i]) / 2);
      k[i] = q.k[i] + (o.kShift ?? 0);
      mid[i] = q.mid[i] + d;
      bid[i] = q.bid[i] + d;
      ask[i] = q.ask[i] + d;
    }
    return { ...s, t: s.t - dt, quotes: { t: q.t - dt, k, mid, bid, ask, weight: q.weight } };
  });
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

/** The fit result from its slices and eSSVI nodes; the nodes are checked pairwise (calendar) and one by one (butterfly). */
function assembleFit(
  chain: OptionChain,
  spot: number,
  slices: SurfaceSlice[],
  violations: CalendarViolation[],
  nodes: EssviNode[],
  sviMs: number,
  essviMs: number,
): SurfaceFit {
  const sorted = nodes.slice().sort((a, b) => a.t - b.t);
  let free = true;
  for (let i = 0; i < sorted.length; i++) {
    if (essviButterflyViolation(sorted[i]) > 0) free = false;
    if (i > 0 && !calendarOk(sorted[i - 1], sorted[i])) free = false;
  }
  return {
    underlying: chain.underlying,
    asOfMs: chain.asOfMs,
    asOfDate: chain.asOfDate,
    spot,
    slices,
    rawCalendarViolations: violations,
    essviArbitrageFree: free,
    query: createSurfaceQuery(sorted),
    sviMs,
    essviMs,
  };
}

/** A slice with its input's identity and no fit yet (both fit paths fill it in). */
function emptySlice(inp: SliceInput, key: string): SurfaceSlice {
  return {
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
}
