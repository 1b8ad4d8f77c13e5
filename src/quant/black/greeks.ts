/**
 * Greeks of a BSM option with a continuous dividend yield (Black-76 Greeks with respect to the forward are the
 * case S = F, q = r). Raw units are the library's native form and match ../shared/data/greeks/README.md:
 *
 *   delta dV/dS · gamma d²V/dS² · vega dV/dσ (per 1.00 of vol) · theta −dV/dT (per year) · rho dV/dr (per 1.00 of
 *   rate) · vanna d²V/dSdσ · charm −d²V/dSdT · vomma d²V/dσ² · speed d³V/dS³ · zomma d³V/dS²dσ ·
 *   color −d³V/dS²dT · dualDelta dV/dK · dualGamma d²V/dK².
 *
 * Desk units (what a trader's screen shows; `toDeskUnits`): theta, charm and color per calendar day (÷365);
 * vega, rho, vanna and zomma per 1 vol/rate point (÷100); vomma per (1 vol point)² (÷10⁴); delta, gamma, speed and
 * the dual Greeks unchanged (gamma is already the change of delta for a 1-point move of the underlying).
 */
import { allocGreekColumns } from './columns.js';
import { allocBsmInput, greeksBatch } from './batch.js';

export interface Greeks {
  price: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  rho: number;
  vanna: number;
  charm: number;
  vomma: number;
  speed: number;
  zomma: number;
  color: number;
  dualDelta: number;
  dualGamma: number;
}

/** The 11 Greeks named by the CLI contract, in output order (dual Greeks follow them). */
export const GREEK_NAMES = ['delta', 'gamma', 'vega', 'theta', 'rho', 'vanna', 'charm', 'vomma', 'speed', 'zomma', 'color'] as const;
export const DUAL_GREEK_NAMES = ['dualDelta', 'dualGamma'] as const;
export type GreekName = (typeof GREEK_NAMES)[number] | (typeof DUAL_GREEK_NAMES)[number];

/** Raw → desk multipliers (see the module comment). */
export const DESK_FACTORS: Readonly<Record<GreekName, number>> = {
  delta: 1,
  gamma: 1,
  vega: 0.01,
  theta: 1 / 365,
  rho: 0.01,
  vanna: 0.01,
  charm: 1 / 365,
  vomma: 1e-4,
  speed: 1,
  zomma: 0.01,
  color: 1 / 365,
  dualDelta: 1,
  dualGamma: 1,
};

export type GreekUnits = 'raw' | 'desk';

function nanGreeks(): Greeks {
  return { price: NaN, delta: NaN, gamma: NaN, vega: NaN, theta: NaN, rho: NaN, vanna: NaN, charm: NaN, vomma: NaN, speed: NaN, zomma: NaN, color: NaN, dualDelta: NaN, dualGamma: NaN };
}

/** BSM Greeks (raw units) at volatility sigma. All NaN on invalid input (S, K, T, σ ≤ 0 or non-finite). */
export function bsmGreeks(isCall: boolean, S: number, K: number, T: number, r: number, q: number, sigma: number): Greeks {
  if (!(S > 0 && S < Infinity && K > 0 && K < Infinity && T > 0 && T < Infinity && sigma > 0 && sigma < Infinity && Number.isFinite(r) && Number.isFinite(q))) return nanGreeks();
  const inp = allocBsmInput(1);
  inp.right[0] = isCall ? 0 : 1;
  inp.spot[0] = S;
  inp.strike[0] = K;
  inp.t[0] = T;
  inp.rate[0] = r;
  inp.dividendYield[0] = q;
  inp.sigma[0] = sigma;
  const o = allocGreekColumns(1);
  greeksBatch(inp, o);
  if (o.status[0] !== 0) return nanGreeks();
  return {
    price: o.price[0],
    delta: o.delta[0],
    gamma: o.gamma[0],
    vega: o.vega[0],
    theta: o.theta[0],
    rho: o.rho[0],
    vanna: o.vanna[0],
    charm: o.charm[0],
    vomma: o.vomma[0],
    speed: o.speed[0],
    zomma: o.zomma[0],
    color: o.color[0],
    dualDelta: o.dualDelta[0],
    dualGamma: o.dualGamma[0],
  };
}

/** A copy of `g` in desk units (price unchanged). */
export function toDeskUnits(g: Greeks): Greeks {
  const out = { ...g };
  for (const k of Object.keys(DESK_FACTORS) as GreekName[]) out[k] = g[k] * DESK_FACTORS[k];
  return out;
}
