/**
 * The GEX "book": the contracts that enter the exposure sums, as columns of equal length.
 *
 * Everything here is already decided by the caller (which contracts, which IV, which dealer position), so the
 * arithmetic in this folder has no opinions left: it is Black-Scholes-Merton Greeks with respect to SPOT, written
 * through the forward so that an index's dividend yield and any parity basis are carried by `ln(F/S)`.
 *
 *   F  = forward of the contract's expiry (from put-call parity), D = e^{-rT} its discount factor
 *   e^{-qT} = D·F/S                          (the carry that makes spot Greeks consistent with the forward)
 *   v  = σ√T,  d1 = ln(F/K)/v + v/2,  d2 = d1 − v
 *
 * Under a hypothetical spot S' the forward moves with it (F' = F·S'/S: the carry is a rate, not a level), T and σ
 * stay fixed (sticky strike). That is what makes the profile kernel a one-exp-per-contract loop.
 */

export interface GexBook {
  /** Number of contracts in the book. */
  n: number;
  /** Spot the book was built at (the chain's underlying price). */
  spot: number;
  /** Contract multiplier (shares or index units per contract). */
  multiplier: number;
  strike: Float64Array;
  /** 0 = call, 1 = put (same codes as `market/chain.ts`). */
  right: Uint8Array;
  /** Caller's expiry index per contract (used for by-expiry sums and the next-expiry split). */
  expiryGroup: Int32Array;
  /** Time to expiry in years (ACT/365 from the exact expiry instant); must be > 0. */
  t: Float64Array;
  /** Volatility used for the contract, decimal; must be > 0. Held fixed at the strike as spot moves. */
  iv: Float64Array;
  /** ln(F/S) of the contract's expiry at the book's spot. */
  logFwdRatio: Float64Array;
  /** Continuously compounded rate r = −ln(D)/T of the contract's expiry. */
  rate: Float64Array;
  /**
   * Dealer position in contracts, signed: + = dealers long, − = dealers short. A positioning model fills it
   * (naive: +OI for calls, −OI for puts; all-short: −OI; flow: whatever the trade feed inferred).
   */
  position: Float64Array;
}

/** Allocate an empty book of `n` contracts (columns zero-filled; the caller fills every one). */
export function allocBook(n: number, spot: number, multiplier: number): GexBook {
  return {
    n,
    spot,
    multiplier,
    strike: new Float64Array(n),
    right: new Uint8Array(n),
    expiryGroup: new Int32Array(n),
    t: new Float64Array(n),
    iv: new Float64Array(n),
    logFwdRatio: new Float64Array(n),
    rate: new Float64Array(n),
    position: new Float64Array(n),
  };
}

/**
 * Check a book for values that would silently poison the sums (NaN, T ≤ 0, σ ≤ 0). Returns the first problem as a
 * message, or null. The analytics layer only builds valid books; this guards hand-built ones (tests, other callers).
 */
export function validateBook(book: GexBook): string | null {
  if (!(book.spot > 0) || !Number.isFinite(book.spot)) return `spot must be a positive number, got ${book.spot}`;
  if (!(book.multiplier > 0)) return `multiplier must be positive, got ${book.multiplier}`;
  const cols = ['strike', 'right', 'expiryGroup', 't', 'iv', 'logFwdRatio', 'rate', 'position'] as const;
  for (const c of cols) if (book[c].length < book.n) return `column ${c} has ${book[c].length} entries, need ${book.n}`;
  for (let i = 0; i < book.n; i++) {
    if (!(book.strike[i] > 0)) return `contract ${i}: strike must be > 0, got ${book.strike[i]}`;
    if (!(book.t[i] > 0) || !Number.isFinite(book.t[i])) return `contract ${i}: T must be > 0, got ${book.t[i]}`;
    if (!(book.iv[i] > 0) || !Number.isFinite(book.iv[i])) return `contract ${i}: IV must be > 0, got ${book.iv[i]}`;
    if (!Number.isFinite(book.logFwdRatio[i])) return `contract ${i}: ln(F/S) is not finite`;
    if (!Number.isFinite(book.rate[i])) return `contract ${i}: rate is not finite`;
    if (!Number.isFinite(book.position[i])) return `contract ${i}: position is not finite`;
    if (book.right[i] > 1) return `contract ${i}: right must be 0 (call) or 1 (put)`;
  }
  return null;
}
