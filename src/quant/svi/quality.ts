/**
 * Fit quality of one slice against its quotes: the figures the live monitor shows as "SVI RMSE".
 */
import { butterflyReport, type ButterflyReport } from './butterfly.js';
import type { SliceQuotes } from './calibrate.js';
import { sviW, type RawSvi } from './raw.js';

export interface SliceQuality {
  /** Root-mean-square of (model IV − mid IV), unweighted, in vol points (1.0 = 1 %). */
  rmseVol: number;
  /** Share of quotes whose model IV lies inside [bid IV, ask IV]. */
  inBand: number;
  /** Largest |model IV − mid IV| in half-spreads. */
  maxAbsZ: number;
  /** Minimum of g(k) on the dense check grid (far past the quoted strikes). */
  minG: number;
  butterflyFree: boolean;
  /** Model ATM (k = 0) implied vol, vol points. */
  atmVol: number;
  quotes: number;
}

/** Fit quality of `p` on the quotes, with the dense butterfly check over the quoted range. */
export function sliceQuality(p: RawSvi, q: SliceQuotes): SliceQuality {
  let kMin = Infinity;
  let kMax = -Infinity;
  for (let i = 0; i < q.k.length; i++) {
    kMin = Math.min(kMin, q.k[i]);
    kMax = Math.max(kMax, q.k[i]);
  }
  return qualityFromReport(p, q, butterflyReport(p, kMin, kMax));
}

/**
 * Fit quality from an already computed butterfly report over the quoted range (a live refit has one from its
 * verification): RMSE, in-band share, max |z| and ATM vol from the quotes, min g and the verdict from the report.
 */
export function qualityFromReport(p: RawSvi, q: SliceQuotes, rep: ButterflyReport): SliceQuality {
  const n = q.k.length;
  let se = 0;
  let inside = 0;
  let maxZ = 0;
  for (let i = 0; i < n; i++) {
    const vol = Math.sqrt(Math.max(sviW(p, q.k[i]), 0) / q.t);
    const r = vol - q.mid[i];
    se += r * r;
    if (vol >= q.bid[i] && vol <= q.ask[i]) inside++;
    const hs = (q.ask[i] - q.bid[i]) / 2;
    if (hs > 0) maxZ = Math.max(maxZ, Math.abs(r) / hs);
  }
  return {
    rmseVol: n > 0 ? 100 * Math.sqrt(se / n) : NaN,
    inBand: n > 0 ? inside / n : NaN,
    maxAbsZ: maxZ,
    minG: rep.minG,
    butterflyFree: rep.free,
    atmVol: 100 * Math.sqrt(Math.max(sviW(p, 0), 0) / q.t),
    quotes: n,
  };
}
