/** Input columns of the batch kernels (struct of arrays, one entry per option). */
export interface BsmInput {
  /** 0 = call, 1 = put (anything else is BAD_INPUT). */
  right: Uint8Array;
  spot: Float64Array;
  strike: Float64Array;
  /** Time to expiry in years. */
  t: Float64Array;
  /** Continuously compounded rate. */
  rate: Float64Array;
  /** Continuous dividend yield. */
  dividendYield: Float64Array;
  /** Option price (for IV); NaN = missing. */
  price?: Float64Array;
  /** Volatility (for Greeks at a given vol). */
  sigma?: Float64Array;
}

/** Output columns of the batch kernels (struct of arrays, one entry per option). */
export interface GreekColumns {
  /** Implied (or given) volatility. */
  iv: Float64Array;
  status: Uint8Array;
  /** Model price at `iv` (reproduces the input price when solving). */
  price: Float64Array;
  delta: Float64Array;
  gamma: Float64Array;
  vega: Float64Array;
  theta: Float64Array;
  rho: Float64Array;
  vanna: Float64Array;
  charm: Float64Array;
  vomma: Float64Array;
  speed: Float64Array;
  zomma: Float64Array;
  color: Float64Array;
  dualDelta: Float64Array;
  dualGamma: Float64Array;
}

export function allocGreekColumns(n: number): GreekColumns {
  const f = () => new Float64Array(n);
  return {
    iv: f(),
    status: new Uint8Array(n),
    price: f(),
    delta: f(),
    gamma: f(),
    vega: f(),
    theta: f(),
    rho: f(),
    vanna: f(),
    charm: f(),
    vomma: f(),
    speed: f(),
    zomma: f(),
    color: f(),
    dualDelta: f(),
    dualGamma: f(),
  };
}

/** Set every output of row i to NaN (iv included); the caller sets the status. */
export function writeNaNRow(out: GreekColumns, i: number): void {
  out.iv[i] = NaN;
  out.price[i] = NaN;
  out.delta[i] = NaN;
  out.gamma[i] = NaN;
  out.vega[i] = NaN;
  out.theta[i] = NaN;
  out.rho[i] = NaN;
  out.vanna[i] = NaN;
  out.charm[i] = NaN;
  out.vomma[i] = NaN;
  out.speed[i] = NaN;
  out.zomma[i] = NaN;
  out.color[i] = NaN;
  out.dualDelta[i] = NaN;
  out.dualGamma[i] = NaN;
}
