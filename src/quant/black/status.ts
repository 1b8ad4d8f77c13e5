/**
 * Per-row status codes of the implied-volatility kernels (scalar, batch and chain). Stored in Uint8Array columns.
 * Every non-OK row has NaN implied volatility and NaN Greeks; an OK row never has a NaN.
 */
export const IvStatus = {
  /** Inverted; the IV reproduces the price to the attainable precision. */
  OK: 0,
  /** Price below the intrinsic value (or, for an in-the-money option, exactly at it: no time value left). */
  BELOW_INTRINSIC: 1,
  /** Price at or above the no-arbitrage maximum (discounted forward for a call, discounted strike for a put). */
  ABOVE_MAXIMUM: 2,
  /** Price zero or missing (NaN): nothing to invert. */
  NO_PRICE: 3,
  /** Non-finite or out-of-domain input: spot/forward/strike ≤ 0, T ≤ 0, non-finite rate, negative price, ... */
  BAD_INPUT: 4,
  /**
   * The time value (price minus intrinsic) is too small to carry information: below the float64 resolution of the
   * price itself, or so small that the normalised Black value underflows. The volatility is not determined.
   */
  PRICE_TOO_SMALL: 5,
  /** Chain IV only: the row is in the money relative to the parity forward, so it is not inverted (by design). */
  NOT_OTM: 6,
  /** Chain IV only: no forward / discount factor could be implied for the row's expiry. */
  NO_FORWARD: 7,
  /** Chain IV only: crossed or otherwise unusable quote (bid > ask, negative bid). */
  BAD_QUOTE: 8,
} as const;
export type IvStatusCode = (typeof IvStatus)[keyof typeof IvStatus];

/** Human-readable names, indexed by code (for CSV/JSON output). */
export const IV_STATUS_NAMES: readonly string[] = [
  'ok',
  'below_intrinsic',
  'above_maximum',
  'no_price',
  'bad_input',
  'price_too_small',
  'not_otm',
  'no_forward',
  'bad_quote',
];

export function ivStatusName(code: number): string {
  return IV_STATUS_NAMES[code] ?? `status_${code}`;
}
