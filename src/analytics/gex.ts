/**
 * GEX of an option chain from Manifold's own IVs (analytics/chain-iv) — never the vendor's IV or Greek columns.
 *
 * Decisions, each stated in the output:
 * - IV per contract: at each (expiry, strike) the OUT-OF-THE-MONEY side's mid IV (put below the parity forward,
 *   call at or above it) is used for BOTH the call and the put. By put-call parity the two contracts at one strike
 *   carry the same implied vol in a European model, and the OTM quote is the liquid, informative one (the ITM
 *   side's price is mostly intrinsic value, so its IV is noisy or not invertible). A contract is never priced with
 *   an IV its own side could not support: the IV source quote must have a non-zero bid.
 * - When the quote IV at a strike is unusable (zero bid on the OTM side, no invertible mid) and a fitted surface is
 *   supplied, the surface's vol at that strike fills it (`iv_source.surface`); otherwise the contracts are left out
 *   with the reason. With `ivSource: 'surface'` every contract takes the surface vol at its strike.
 * - Sticky strike for the profile: each contract keeps that IV at its strike while spot moves.
 * - T: ACT/365 from the chain's as-of instant to the exact expiry instant (chain-iv's `t`), so a 0DTE contract
 *   counts with its real remaining minutes. No floor. An expiry at or before the as-of instant is left out
 *   ('expired'), e.g. the 0DTE rows Cboe keeps listed after the close.
 * - Contracts with no open interest, no forward for their expiry, no usable IV or no dealer position (flow model
 *   without data) are counted by reason, with the open interest they hold, and left out.
 */
import type { OptionChain } from '../market/chain.js';
import { PUT } from '../market/chain.js';
import { parseDay } from '../market/calendar.js';
import { IvStatus, ivStatusName, type ChainIv } from './chain-iv-types.js';
import {
  allocBook,
  dealerPosition,
  modelDescription,
  summarizeBook,
  DTE_BUCKETS,
  type GexBook,
  type GexSummary,
  type PositioningModel,
  type ZeroCrossing,
} from '../quant/gex/index.js';

/**
 * What GEX needs of a fitted volatility surface: implied vol (decimal) at log-moneyness k = ln(K/F) and time t
 * (years); `expiryIndex` (into `chain.expiries`) lets an implementation use that expiry's own slice. NaN = unknown.
 */
export interface SurfaceVolQuery {
  volAt(k: number, t: number, expiryIndex?: number): number;
}

export interface GexOptions {
  /** Positioning model (default naive). */
  model?: PositioningModel;
  /** Profile points (default 201) and half-width as a fraction of spot (default 0.2). */
  profilePoints?: number;
  halfWidth?: number;
  /** Extra profiles with every IV shifted by these amounts (decimal vol). */
  volShifts?: number[];
  /** A fitted surface: fills IVs where the quote IV is unusable (or supplies all IVs with ivSource 'surface'). */
  surface?: SurfaceVolQuery | null;
  /** 'quote' (default): quote IV, surface as fallback. 'surface': the surface's vol for every contract. */
  ivSource?: 'quote' | 'surface';
}

export const EXCLUSION_REASONS = [
  'expired',
  'no_open_interest',
  'no_forward',
  'zero_bid',
  'no_iv',
  'no_position',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

const REASON_TEXT: Record<ExclusionReason, string> = {
  expired: 'expiry at or before the as-of instant (T ≤ 0)',
  no_open_interest: 'open interest zero or missing',
  no_forward: 'no parity forward/discount for the expiry',
  zero_bid: 'the OTM quote at the strike has a zero bid (its mid IV is not a market estimate) and no surface IV',
  no_iv: 'no invertible mid IV on the OTM side at the strike and no surface IV',
  no_position: 'flow model has no dealer position for the contract (fallback: exclude)',
};

export interface GexByExpiry {
  expiry: string;
  root: string;
  settlement: string;
  /** Whole calendar days from the as-of date. */
  dte: number;
  t: number;
  gex: number;
  call_gex: number;
  put_gex: number;
  contracts: number;
}

export interface GexResult {
  underlying: string;
  as_of: string;
  spot: number;
  model: string;
  /** $ per 1 % move of the underlying. */
  total_gex: number;
  flip: number | null;
  call_wall: number | null;
  put_wall: number | null;
  abs_gamma_strike: number | null;
  by_expiry: GexByExpiry[];
  by_strike: Array<{ strike: number; call_gex: number; put_gex: number; net_gex: number }>;
  profile: Array<{ spot: number; gex: number }>;
  // ---- beyond the fixed contract: conventions, other exposures, coverage ----
  units: Record<string, string>;
  conventions: { model: string; iv: string; time: string; t_floor: null; walls: string; flip: string; profile: string };
  totals: {
    gex: number;
    call_gex: number;
    put_gex: number;
    gex_shares_per_dollar: number;
    dex: number;
    dex_shares: number;
    vex: number;
    cex: number;
  };
  by_dte_bucket: Record<string, number>;
  next_expiry: { date: string | null; gex: number; ex_next_gex: number; ex_next_flip: number | null };
  crossings: Array<{ spot: number; direction: 'up' | 'down'; bracket: [number, number] }>;
  profile_ex_next: Array<{ spot: number; gex: number }>;
  vol_profiles: Array<{ vol_shift: number; flip: number | null; profile: Array<{ spot: number; gex: number }> }>;
  coverage: {
    contracts: number;
    contracts_used: number;
    open_interest: number;
    open_interest_used: number;
    open_interest_used_share: number;
    /** Used OI over the OI of contracts not yet expired. */
    open_interest_used_share_of_live: number;
    excluded: Record<ExclusionReason, { contracts: number; open_interest: number; why: string }>;
    iv_source: { quote: number; surface: number };
    /** Chain-IV status of the OTM quote behind 'no_iv' exclusions (name → contracts). */
    no_iv_status: Record<string, number>;
  };
  /** Things that limit what the numbers describe (low coverage, futures-priced options, no flip). */
  warnings: string[];
  /** Informational (e.g. expired contracts still listed in the file). */
  notes: string[];
}

function crossingOut(c: ZeroCrossing | null): number | null {
  return c ? c.spot : null;
}

/**
 * Per-row IV choice. Returns the IV, or an exclusion reason. `otmRow` is the OTM row at the same expiry and strike
 * (−1 if not listed).
 */
function quoteIvAt(chain: OptionChain, iv: ChainIv, otmRow: number): { iv: number } | { reason: ExclusionReason; status?: number } {
  if (otmRow < 0) return { reason: 'no_iv' };
  const bid = chain.bid[otmRow];
  if (!(bid > 0)) return { reason: 'zero_bid' };
  if (iv.status[otmRow] !== IvStatus.OK || !(iv.midIv[otmRow] > 0)) return { reason: 'no_iv', status: iv.status[otmRow] };
  return { iv: iv.midIv[otmRow] };
}

/** The book of contracts that enter GEX, with the bookkeeping of what was left out and why. */
export interface ChainGexBook {
  book: GexBook;
  model: PositioningModel;
  /** Whole calendar days from the as-of date per chain expiry, and 1 for expiries on the next expiry date. */
  groupDays: Float64Array;
  nextGroups: Uint8Array;
  nextDate: string | null;
  excluded: GexResult['coverage']['excluded'];
  noIvStatus: Record<string, number>;
  ivCount: { quote: number; surface: number };
  oiTotal: number;
  oiUsed: number;
}

/** Decide, per chain row, whether it enters GEX and with which IV and dealer position (see the module doc). */
export function buildGexBook(chain: OptionChain, chainIv: ChainIv, opts: GexOptions = {}): ChainGexBook {
  const model: PositioningModel = opts.model ?? { kind: 'naive' };
  const spot = chainIv.spot;
  if (!(spot > 0) || !Number.isFinite(spot)) throw new Error(`GEX needs a positive spot; the chain has ${spot}`);
  if (chainIv.size !== chain.size) throw new Error(`chain IV has ${chainIv.size} rows, chain has ${chain.size}`);
  const ivSource = opts.ivSource ?? 'quote';
  if (ivSource === 'surface' && !opts.surface) throw new Error(`ivSource 'surface' needs a fitted surface`);
  const surface = opts.surface ?? null;

  const excluded = Object.fromEntries(
    EXCLUSION_REASONS.map((r) => [r, { contracts: 0, open_interest: 0, why: REASON_TEXT[r] }]),
  ) as GexResult['coverage']['excluded'];
  const noIvStatus: Record<string, number> = {};
  const ivCount = { quote: 0, surface: 0 };

  // First pass decides each row; second pass fills the book (exact size, no growth).
  const n = chain.size;
  const rowIv = new Float64Array(n).fill(NaN);
  const rowPos = new Float64Array(n).fill(NaN);
  let used = 0;
  let oiTotal = 0;
  let oiUsed = 0;
  const exclude = (row: number, reason: ExclusionReason) => {
    excluded[reason].contracts++;
    const oi = chain.openInterest[row];
    if (oi > 0) excluded[reason].open_interest += oi;
  };
  const asOfDay = parseDay(chain.asOfDate);
  const groupDays = new Float64Array(chain.expiries.length);
  let nextDate: string | null = null;

  for (let e = 0; e < chain.expiries.length; e++) {
    const exp = chain.expiries[e];
    const fwd = chainIv.expiries[e];
    groupDays[e] = parseDay(exp.date) - asOfDay;
    const rows = exp.rows;
    const t = fwd.t;
    const expired = !(t > 0);
    const noForward = !(fwd.forward > 0) || !(fwd.discount > 0);
    // Rows are sorted by strike then right: walk strike blocks.
    for (let a = 0; a < rows.length; ) {
      let b = a + 1;
      while (b < rows.length && chain.strike[rows[b]] === chain.strike[rows[a]]) b++;
      let otmRow = -1;
      for (let j = a; j < b; j++) if (chainIv.otm[rows[j]] === 1) otmRow = rows[j];
      const K = chain.strike[rows[a]];
      let quote: { iv: number } | { reason: ExclusionReason; status?: number } | null = null;
      for (let j = a; j < b; j++) {
        const row = rows[j];
        const oi = chain.openInterest[row];
        if (oi > 0) oiTotal += oi;
        if (expired) {
          exclude(row, 'expired');
          continue;
        }
        if (!(oi > 0)) {
          exclude(row, 'no_open_interest');
          continue;
        }
        if (!nextDate || exp.date < nextDate) nextDate = exp.date;
        if (noForward) {
          exclude(row, 'no_forward');
          continue;
        }
        let iv = NaN;
        if (ivSource === 'quote') {
          quote ??= quoteIvAt(chain, chainIv, otmRow);
          if ('iv' in quote) {
            iv = quote.iv;
            ivCount.quote++;
          }
        }
        if (!(iv > 0) && surface) {
          const s = surface.volAt(Math.log(K / fwd.forward), t, e);
          if (s > 0 && Number.isFinite(s)) {
            iv = s;
            ivCount.surface++;
          }
        }
        if (!(iv > 0)) {
          const reason = quote && 'reason' in quote ? quote.reason : 'no_iv';
          exclude(row, reason);
          if (reason === 'no_iv' && quote && 'status' in quote && quote.status !== undefined) {
            const name = ivStatusName(quote.status);
            noIvStatus[name] = (noIvStatus[name] ?? 0) + 1;
          }
          continue;
        }
        const pos = dealerPosition(model, row, chain.right[row], oi);
        if (!Number.isFinite(pos)) {
          exclude(row, 'no_position');
          continue;
        }
        rowIv[row] = iv;
        rowPos[row] = pos;
        used++;
        oiUsed += oi;
      }
      a = b;
    }
  }

  const book = allocBook(used, spot, chain.multiplier);
  const nextGroups = new Uint8Array(chain.expiries.length);
  let k = 0;
  for (let e = 0; e < chain.expiries.length; e++) {
    const exp = chain.expiries[e];
    const fwd = chainIv.expiries[e];
    if (exp.date === nextDate) nextGroups[e] = 1;
    const lfr = Math.log(fwd.forward / spot);
    const rate = -Math.log(fwd.discount) / fwd.t;
    for (const row of exp.rows) {
      if (!(rowIv[row] > 0)) continue;
      book.strike[k] = chain.strike[row];
      book.right[k] = chain.right[row] === PUT ? 1 : 0;
      book.expiryGroup[k] = e;
      book.t[k] = fwd.t;
      book.iv[k] = rowIv[row];
      book.logFwdRatio[k] = lfr;
      book.rate[k] = rate;
      book.position[k] = rowPos[row];
      k++;
    }
  }

  return { book, model, groupDays, nextGroups, nextDate, excluded, noIvStatus, ivCount, oiTotal, oiUsed };
}

export function computeGex(chain: OptionChain, chainIv: ChainIv, opts: GexOptions = {}): GexResult {
  const { book, model, groupDays, nextGroups, nextDate, excluded, noIvStatus, ivCount, oiTotal, oiUsed } = buildGexBook(chain, chainIv, opts);
  const spot = book.spot;
  const n = chain.size;
  const used = book.n;
  const ivSource = opts.ivSource ?? 'quote';
  const surface = opts.surface ?? null;
  const s: GexSummary = summarizeBook(book, {
    groups: chain.expiries.length,
    groupDays,
    nextGroups,
    profilePoints: opts.profilePoints,
    halfWidth: opts.halfWidth,
    volShifts: opts.volShifts,
  });

  const contractsPerGroup = new Int32Array(chain.expiries.length);
  for (let i = 0; i < book.n; i++) contractsPerGroup[book.expiryGroup[i]]++;
  const byExpiry: GexByExpiry[] = [];
  for (let e = 0; e < chain.expiries.length; e++) {
    if (contractsPerGroup[e] === 0) continue;
    const exp = chain.expiries[e];
    byExpiry.push({
      expiry: exp.date,
      root: exp.root,
      settlement: exp.settlement,
      dte: groupDays[e],
      t: chainIv.expiries[e].t,
      gex: s.byGroup.gex[e],
      call_gex: s.byGroup.callGex[e],
      put_gex: s.byGroup.putGex[e],
      contracts: contractsPerGroup[e],
    });
  }

  const profile = (g: Float64Array) => Array.from(s.profile.spots, (x, j) => ({ spot: x, gex: g[j] }));
  const warnings: string[] = [];
  const share = oiTotal > 0 ? oiUsed / oiTotal : 0;
  // Expired contracts are gone from the dealers' books after the as-of instant; coverage of the rest is what matters.
  const oiLive = oiTotal - excluded.expired.open_interest;
  const liveShare = oiLive > 0 ? oiUsed / oiLive : 0;
  const notes: string[] = [];
  if (excluded.expired.contracts > 0) {
    notes.push(
      `${excluded.expired.contracts} contracts (OI ${excluded.expired.open_interest}) expired at or before the as-of instant and are not counted ` +
        `(${oiTotal > 0 ? ((100 * excluded.expired.open_interest) / oiTotal).toFixed(1) : '0'} % of the file's open interest)`,
    );
  }
  if (oiTotal === 0) warnings.push('the chain has no open interest: GEX is zero by construction');
  else if (oiLive > 0 && liveShare < 0.5) {
    const blank = chain.size > 0 && excluded.zero_bid.contracts + excluded.no_forward.contracts > 0.5 * n;
    warnings.push(
      `only ${(100 * liveShare).toFixed(1)} % of the open interest of unexpired contracts has a usable IV of ours; totals, walls and flip describe that part only` +
        (blank ? ' (bid/ask are blank for most rows of this file, so there is neither a parity forward nor an IV to compute; the vendor IV column is not used)' : ''),
    );
  }
  // Options priced off futures (VIX) or a stale spot show up as near-dated forwards far from spot.
  let worstBasis = 0;
  for (const f of chainIv.expiries) {
    if (f.t > 0 && f.t <= 0.1 && f.forward > 0) worstBasis = Math.max(worstBasis, Math.abs(Math.log(f.forward / spot)));
  }
  if (worstBasis > 0.02) {
    warnings.push(
      `near-dated parity forwards differ from spot by up to ${(100 * worstBasis).toFixed(1)} % (options on futures such as VIX, or a stale spot): ` +
        'gamma is taken per move of spot with every forward moving in proportion',
    );
  }
  if (used > 0 && s.flip === null) warnings.push('the GEX profile does not change sign within the profile range: no flip');

  return {
    underlying: chain.underlying,
    as_of: new Date(chain.asOfMs).toISOString(),
    spot,
    model: model.kind,
    total_gex: s.totals.gex,
    flip: crossingOut(s.flip),
    call_wall: s.levels.callWall,
    put_wall: s.levels.putWall,
    abs_gamma_strike: s.levels.absGammaStrike,
    by_expiry: byExpiry,
    by_strike: Array.from(s.byStrike.strike, (strike, j) => ({
      strike,
      call_gex: s.byStrike.call[j],
      put_gex: s.byStrike.put[j],
      net_gex: s.byStrike.net[j],
    })),
    profile: profile(s.profile.gex),
    units: {
      gex: '$ change of dealer dollar delta per 1 % move of the underlying: Γ·position·multiplier·S²·0.01',
      gex_shares_per_dollar: 'underlying units of dealer delta change per $1 move: Γ·position·multiplier',
      dex: 'dealer dollar delta, $: Δ·position·multiplier·S',
      vex: '$ change of dealer dollar delta per +1 vol point in every IV: vanna·position·multiplier·S·0.01',
      cex: '$ change of dealer dollar delta per calendar day: charm/365·position·multiplier·S',
    },
    conventions: {
      model: modelDescription(model),
      iv:
        ivSource === 'surface'
          ? 'surface vol at each contract strike (sticky strike)'
          : 'OTM-side mid IV at each strike, used for both call and put (put-call parity)' +
            (surface ? '; surface vol where the quote IV is unusable' : '; no surface: contracts without a usable quote IV are left out'),
      time: 'T = ACT/365 from the as-of instant to the exact expiry instant (0DTE counts its remaining minutes)',
      t_floor: null,
      walls: 'call wall = strike with the largest |call GEX|, put wall = largest |put GEX|, abs gamma strike = largest |call|+|put| (all expiries and roots summed per strike)',
      flip: 'zero of the total GEX profile nearest to spot, refined by Brent between the bracketing profile points; null when no sign change within the profile range',
      profile:
        `total GEX at ${s.profile.spots.length} spots evenly spaced in ln S from ${s.profile.spots[0].toFixed(2)} to ` +
        `${s.profile.spots[s.profile.spots.length - 1].toFixed(2)} (spot itself included), sticky strike: each contract keeps its IV, T and carry`,
    },
    totals: {
      gex: s.totals.gex,
      call_gex: s.totals.callGex,
      put_gex: s.totals.putGex,
      gex_shares_per_dollar: s.totals.gexShares,
      dex: s.totals.dex,
      dex_shares: s.totals.dexShares,
      vex: s.totals.vex,
      cex: s.totals.cex,
    },
    by_dte_bucket: Object.fromEntries(DTE_BUCKETS.map((b) => [b, s.byBucket[b]])),
    next_expiry: { date: nextDate, gex: s.nextGex, ex_next_gex: s.exNextGex, ex_next_flip: crossingOut(s.exNextFlip) },
    crossings: s.crossings.map((c) => ({ spot: c.spot, direction: c.direction, bracket: [c.lower, c.upper] as [number, number] })),
    profile_ex_next: profile(s.profile.exNext),
    vol_profiles: s.volProfiles.map((v) => ({ vol_shift: v.volShift, flip: crossingOut(v.flip), profile: profile(v.gex) })),
    coverage: {
      contracts: n,
      contracts_used: used,
      open_interest: oiTotal,
      open_interest_used: oiUsed,
      open_interest_used_share: share,
      open_interest_used_share_of_live: liveShare,
      excluded,
      iv_source: ivCount,
      no_iv_status: noIvStatus,
    },
    warnings,
    notes,
  };
}
