/**
 * Fit quality of one slice against its quotes: the figures the live monitor shows as "SVI RMSE".
 */
import { butterflyReport } from './butterfly.js';
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

export function sliceQuality(p: RawSvi, q: SliceQuotes): SliceQuality {
  const n = q.k.length;
  let se = 0;
  let inside = 0;
  let maxZ = 0;
  let kMin = Infinity;
  let kMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const k = q.k[i];
    kMin = Math.min(kMin, k);
    kMax = Math.max(kMax, k);
    const vol = Math.sqrt(Math.max(sviW(p, k), 0) / q.t);
    const r = vol - q.mid[i];
    se += r * r;
    if (vol >= q.bid[i] && vol <= q.ask[i]) inside++;
    const hs = (q.ask[i] - q.bid[i]) / 2;
    if (hs > 0) maxZ = Math.max(maxZ, Math.abs(r) / hs);
  }
  const rep = butterflyReport(p, kMin, kMax);
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
