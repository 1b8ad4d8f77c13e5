/**
 * Scalar implied-volatility API (one option). For many options use the batch API in ./batch.ts.
 * Never throws: a non-OK status comes with iv = NaN, an OK status never does.
 */
import { lastStatus, solveBlack76Iv, solveBsmIv } from './core.js';
import { type IvStatusCode } from './status.js';

export interface IvResult {
  iv: number;
  status: IvStatusCode;
}

/** BSM implied volatility: spot, strike, T in years, continuous rate r and dividend yield q, option price. */
export function impliedVolBsm(isCall: boolean, spot: number, strike: number, t: number, rate: number, dividendYield: number, price: number): IvResult {
  const iv = solveBsmIv(isCall, spot, strike, t, rate, dividendYield, price);
  return { iv, status: lastStatus() as IvStatusCode };
}

/** Black-76 implied volatility on a forward and a discount factor. */
export function impliedVolBlack76(isCall: boolean, forward: number, strike: number, t: number, discount: number, price: number): IvResult {
  const iv = solveBlack76Iv(isCall, forward, strike, t, discount, price);
  return { iv, status: lastStatus() as IvStatusCode };
}
