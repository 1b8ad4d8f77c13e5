/**
 * What an option root tells about its contracts: the underlying, the settlement (AM on the opening prints or PM on
 * the close) and the exercise style.
 *
 * Sources: Cboe product specifications. SPX (third-Friday monthlies) are AM-settled, European, cash-settled; SPXW
 * (weeklies, end-of-month, dailies) are PM-settled European. VIX options, monthly `VIX` and weekly `VIXW` alike,
 * expire on Wednesday mornings and settle on the Special Opening Quotation (SOQ) of VIX computed from that
 * morning's opening SPX prints, so both are AM-settled European; they are priced off the VIX future of the same
 * expiry, not spot VIX. NDX/RUT (AM) and NDXP/RUTW (PM) follow the SPX/SPXW pattern; XSP is PM European; OEX is
 * PM American. Every other root (equities, ETFs such as SPY and QQQ, and their adjusted roots like `SPY1`) is PM
 * American with physical delivery.
 */
import type { ExerciseStyle, Settlement } from './chain.js';

export interface RootInfo {
  root: string;
  /** Underlying symbol (SPXW → SPX, VIXW → VIX, SPY1 → SPY). */
  underlying: string;
  settlement: Settlement;
  exercise: ExerciseStyle;
  /** Cash-settled index option (as opposed to equity/ETF physical delivery). */
  index: boolean;
  /** True for VIX-style options whose pricing underlying is the future of the same expiry. */
  futuresUnderlying: boolean;
}

const INDEX_ROOTS: Record<string, Omit<RootInfo, 'root' | 'index'>> = {
  SPX: { underlying: 'SPX', settlement: 'AM', exercise: 'european', futuresUnderlying: false },
  SPXW: { underlying: 'SPX', settlement: 'PM', exercise: 'european', futuresUnderlying: false },
  XSP: { underlying: 'XSP', settlement: 'PM', exercise: 'european', futuresUnderlying: false },
  VIX: { underlying: 'VIX', settlement: 'AM', exercise: 'european', futuresUnderlying: true },
  VIXW: { underlying: 'VIX', settlement: 'AM', exercise: 'european', futuresUnderlying: true },
  NDX: { underlying: 'NDX', settlement: 'AM', exercise: 'european', futuresUnderlying: false },
  NDXP: { underlying: 'NDX', settlement: 'PM', exercise: 'european', futuresUnderlying: false },
  RUT: { underlying: 'RUT', settlement: 'AM', exercise: 'european', futuresUnderlying: false },
  RUTW: { underlying: 'RUT', settlement: 'PM', exercise: 'european', futuresUnderlying: false },
  DJX: { underlying: 'DJX', settlement: 'AM', exercise: 'european', futuresUnderlying: false },
  OEX: { underlying: 'OEX', settlement: 'PM', exercise: 'american', futuresUnderlying: false },
  XEO: { underlying: 'OEX', settlement: 'PM', exercise: 'european', futuresUnderlying: false },
};

/** Underlyings that are indices (their quoted bid/ask is not a tradable market). */
export const INDEX_UNDERLYINGS: ReadonlySet<string> = new Set(Object.values(INDEX_ROOTS).map((r) => r.underlying));

/** Settlement, exercise style and underlying of a root. Unknown roots are equity/ETF: PM, American. */
export function rootInfo(root: string): RootInfo {
  const known = INDEX_ROOTS[root];
  if (known) return { root, index: true, ...known };
  // Adjusted equity roots append a digit to the original root (SPY1, AAPL7): strip trailing digits.
  let end = root.length;
  while (end > 1 && root.charCodeAt(end - 1) >= 48 && root.charCodeAt(end - 1) <= 57) end--;
  return { root, underlying: root.slice(0, end), settlement: 'PM', exercise: 'american', index: false, futuresUnderlying: false };
}
