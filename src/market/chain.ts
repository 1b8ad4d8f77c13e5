/**
 * The column-oriented option chain shared by every part of Manifold (loader, IV, surface, GEX, feed state, API).
 *
 * One row per contract (a call and a put at the same strike are two rows). Columns are typed arrays of length
 * `size`; a missing number is NaN, never 0 (0 is a real bid). Pure data: no I/O, usable in the browser.
 */

/** Right of a contract, stored in `OptionChain.right`. */
export const CALL = 0;
export const PUT = 1;
export type RightCode = typeof CALL | typeof PUT;

/** How an expiry settles: PM on the close (SPXW, SPY, QQQ) or AM on the opening print (SPX monthlies, VIX). */
export type Settlement = 'AM' | 'PM';

/** Exercise style of the contracts of a root. */
export type ExerciseStyle = 'european' | 'american';

/** One expiry of one root: the unit a volatility slice is fitted on (SPX AM and SPXW PM on one date are two). */
export interface ChainExpiry {
  /** Calendar expiry date as printed on the contract, `YYYY-MM-DD`. */
  date: string;
  /** Option root, e.g. `SPXW`, `SPX`, `SPY`. */
  root: string;
  settlement: Settlement;
  exercise: ExerciseStyle;
  /** Exact instant the option stops trading / settles, epoch ms UTC (from the exchange calendar). */
  expiryMs: number;
  /** Row indices of this expiry's contracts, sorted by strike then right (call first). */
  rows: Int32Array;
}

export interface UnderlyingQuote {
  /** Last price (for Cboe files: the header `Last:`). */
  last: number;
  /** Bid/ask of the underlying; NaN when absent or meaningless (indices). */
  bid: number;
  ask: number;
}

export interface OptionChain {
  /** Underlying symbol, e.g. `SPX`, `SPY`. */
  underlying: string;
  /** Instant the quotes refer to, epoch ms UTC. */
  asOfMs: number;
  /** Trading date the quotes belong to, `YYYY-MM-DD` (may differ from the download date). */
  asOfDate: string;
  quote: UnderlyingQuote;
  /** Contract multiplier (100 for every listed equity/index option here). */
  multiplier: number;

  /** Number of contracts (rows). */
  size: number;
  /** Canonical OCC symbol per row (e.g. `SPXW  230421C04050000`). */
  symbol: string[];
  /** Index into `expiries` per row. */
  expiryIndex: Uint16Array;
  right: Uint8Array;
  strike: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  last: Float64Array;
  volume: Float64Array;
  openInterest: Float64Array;
  /** Vendor-computed IV / delta / gamma when the source has them; NaN otherwise. Never used for our own analytics. */
  vendorIv: Float64Array;
  vendorDelta: Float64Array;
  vendorGamma: Float64Array;

  /** Expiries sorted by `expiryMs`, then root. */
  expiries: ChainExpiry[];
}
