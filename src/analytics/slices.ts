/**
 * Slice inputs for the volatility surface: per expiry (an AM- and a PM-settled expiry on one date are two slices)
 * the parity forward and discount from the chain IV, and the out-of-the-money quotes a practitioner would fit,
 * with every filtered quote counted by reason.
 *
 * Filters, walking each side outward from the forward (puts below, calls above):
 * - zero_bid: no bid (nothing to say about the vol but "at most the ask");
 * - beyond_zero_bids: everything past two consecutive zero bids (Cboe's VIX-methodology cut-off: past that point
 *   the strip is stale far-wing quotes);
 * - no_ask: no offer; crossed: bid > ask;
 * - cabinet: a bid of one minimum tick (the "cabinet" price), which carries no information about the smile;
 * - iv_failed: the bid, mid or ask could not be inverted (below intrinsic, above the no-arbitrage maximum, ...);
 * - far_otm: forward delta (at the quote's mid IV) below `minDelta`: lottery tickets many standard deviations out,
 *   whose vol says more about the tick size than about the smile, and which no single-slice SVI can follow together
 *   with the at-the-money shape (kept out of the fit, counted). Set minDelta to 0 to keep them.
 *
 * Weights: 1 / h², h = the quote's half-spread in vol = (ask IV − bid IV) / 2 (to first order the price half-spread
 * over vega; exact far out, where vega is tiny and the first-order figure would be meaningless), floored at
 * `minHalfSpreadVol` so that a handful of very tight at-the-money quotes cannot take over the fit.
 */
import { CALL, type OptionChain, type Settlement } from '../market/chain.js';
import type { SliceQuotes } from '../quant/svi/calibrate.js';
import { normCdf } from '../quant/special/normal.js';
import { IvStatus, type ChainIv } from './chain-iv-types.js';

export type SliceStatus = 'ok' | 'expired' | 'no_forward' | 'degenerate_forward' | 'no_bids' | 'too_few_quotes';

export interface FilterCounts {
  zero_bid: number;
  beyond_zero_bids: number;
  no_ask: number;
  crossed: number;
  cabinet: number;
  iv_failed: number;
  far_otm: number;
}

export interface SliceInput {
  expiryIndex: number;
  /** Expiry date YYYY-MM-DD. */
  expiry: string;
  root: string;
  settlement: Settlement;
  t: number;
  forward: number;
  discount: number;
  status: SliceStatus;
  message?: string;
  quotes: SliceQuotes;
  /** Chain row and strike of each kept quote (aligned with `quotes`). */
  rows: Int32Array;
  strikes: Float64Array;
  filtered: FilterCounts;
}

export interface SliceOptions {
  /** Minimum usable quotes per slice (default 5). */
  minQuotes?: number;
  /** Bids at or below this are "cabinet" quotes. Default: 0.05 for index-level underlyings (> 1000), else 0.01. */
  cabinetBid?: number;
  /** Floor on the half-spread in vol used for weights (default 0.0005 = 0.05 vol points). */
  minHalfSpreadVol?: number;
  /** Out-of-the-money forward delta below which a quote is not fitted (default DEFAULT_MIN_DELTA). */
  minDelta?: number;
}

/** Default delta floor: 2-delta options and beyond are left out of the fit. */
export const DEFAULT_MIN_DELTA = 0.02;

/** Forward delta of the out-of-the-money option at log-moneyness k (put for k < 0, call otherwise), in (0, 0.5]. */
export function otmForwardDelta(k: number, vol: number, t: number): number {
  const s = vol * Math.sqrt(t);
  const d1 = -k / s + s / 2;
  return k < 0 ? normCdf(-d1) : normCdf(d1);
}

function emptyCounts(): FilterCounts {
  return { zero_bid: 0, beyond_zero_bids: 0, no_ask: 0, crossed: 0, cabinet: 0, iv_failed: 0, far_otm: 0 };
}

function emptyQuotes(t: number): SliceQuotes {
  const z = new Float64Array(0);
  return { t, k: z, mid: z, bid: z, ask: z, weight: z };
}

export function buildSlices(chain: OptionChain, iv: ChainIv, opts: SliceOptions = {}): SliceInput[] {
  const minQuotes = opts.minQuotes ?? 5;
  const level = chain.quote.last;
  const cabinet = opts.cabinetBid ?? (level > 1000 ? 0.05 : 0.01);
  const hsFloor = opts.minHalfSpreadVol ?? 0.0005;
  const minDelta = opts.minDelta ?? DEFAULT_MIN_DELTA;
  const out: SliceInput[] = [];
  for (let e = 0; e < chain.expiries.length; e++) {
    const ex = chain.expiries[e];
    const fw = iv.expiries[e];
    const t = fw ? fw.t : NaN;
    const forward = fw ? fw.forward : NaN;
    const discount = fw ? fw.discount : NaN;
    const base = {
      expiryIndex: e,
      expiry: ex.date,
      root: ex.root,
      settlement: ex.settlement,
      t,
      forward,
      discount,
      rows: new Int32Array(0),
      strikes: new Float64Array(0),
      filtered: emptyCounts(),
    };
    if (!(t > 0)) {
      out.push({ ...base, status: 'expired', message: `time to expiry ${t} ≤ 0`, quotes: emptyQuotes(t) });
      continue;
    }
    if (!fw || fw.method === 'none' || Number.isNaN(forward)) {
      out.push({ ...base, status: 'no_forward', message: 'no parity forward for this expiry', quotes: emptyQuotes(t) });
      continue;
    }
    if (!(forward > 0) || !Number.isFinite(forward) || !(discount > 0) || !(discount <= 1.5)) {
      out.push({
        ...base,
        status: 'degenerate_forward',
        message: `forward ${forward} / discount ${discount} unusable`,
        quotes: emptyQuotes(t),
      });
      continue;
    }
    // OTM rows: puts below the forward walked downward, calls at/above walked upward (rows are sorted by strike).
    const puts: number[] = [];
    const calls: number[] = [];
    for (const r of ex.rows) {
      const K = chain.strike[r];
      if (chain.right[r] === CALL) {
        if (K >= forward) calls.push(r);
      } else if (K < forward) puts.push(r);
    }
    puts.reverse();
    const counts = emptyCounts();
    const kept: number[] = [];
    let anyBid = false;
    for (const r of puts) if (chain.bid[r] > 0) anyBid = true;
    for (const r of calls) if (chain.bid[r] > 0) anyBid = true;
    for (const side of [puts, calls]) {
      let zeros = 0;
      let stopped = false;
      for (const r of side) {
        if (stopped) {
          counts.beyond_zero_bids++;
          continue;
        }
        const bid = chain.bid[r];
        const ask = chain.ask[r];
        if (!(bid > 0)) {
          counts.zero_bid++;
          if (++zeros >= 2) stopped = true;
          continue;
        }
        zeros = 0;
        if (!(ask > 0)) counts.no_ask++;
        else if (bid > ask) counts.crossed++;
        else if (bid <= cabinet + 1e-9) counts.cabinet++;
        else if (
          iv.status[r] !== IvStatus.OK ||
          iv.bidStatus[r] !== IvStatus.OK ||
          iv.askStatus[r] !== IvStatus.OK ||
          !(iv.bidIv[r] > 0) ||
          !(iv.askIv[r] >= iv.bidIv[r]) ||
          !(iv.midIv[r] > 0)
        )
          counts.iv_failed++;
        else if (minDelta > 0 && otmForwardDelta(Math.log(chain.strike[r] / forward), iv.midIv[r], t) < minDelta) counts.far_otm++;
        else kept.push(r);
      }
    }
    kept.sort((a, b) => chain.strike[a] - chain.strike[b]);
    const n = kept.length;
    const q: SliceQuotes = {
      t,
      k: new Float64Array(n),
      mid: new Float64Array(n),
      bid: new Float64Array(n),
      ask: new Float64Array(n),
      weight: new Float64Array(n),
    };
    const rows = new Int32Array(n);
    const strikes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = kept[i];
      rows[i] = r;
      strikes[i] = chain.strike[r];
      q.k[i] = Math.log(chain.strike[r] / forward);
      q.mid[i] = iv.midIv[r];
      q.bid[i] = iv.bidIv[r];
      q.ask[i] = iv.askIv[r];
      const hs = Math.max((iv.askIv[r] - iv.bidIv[r]) / 2, hsFloor);
      q.weight[i] = 1 / (hs * hs);
    }
    let status: SliceStatus = 'ok';
    let message: string | undefined;
    if (!anyBid) {
      status = 'no_bids';
      message = 'every out-of-the-money quote has a zero bid';
    } else if (n < minQuotes) {
      status = 'too_few_quotes';
      message = `${n} usable quotes, need at least ${minQuotes}`;
    }
    out.push({ ...base, status, message, quotes: q, rows, strikes, filtered: counts });
  }
  return out;
}
