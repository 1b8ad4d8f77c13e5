// Random and adversarial option inputs shared by the kernel fuzz test and the WebAssembly-vs-JS comparison: the same
// draws in the same order, so each test's seeded stream is what it always was.
import { bsmPrice } from '../../../src/quant/black/price.js';

/** Values no input should break the kernel with: signed zeros, negatives, NaN, infinities, denormals, extremes. */
export const NASTY = [0, -0, -1, NaN, Infinity, -Infinity, 5e-324, 2.2250738585072014e-308, 1e-300, 1e300, Number.MAX_VALUE, 1e-12];

export interface DrawnOption {
  /** 0 call, 1 put, or (one in 500) an invalid right code. */
  right: number;
  S: number;
  K: number;
  T: number;
  r: number;
  q: number;
  sigma: number;
  /** The BSM price at sigma (before any adversarial replacement by the caller). */
  price: number;
}

/** One NASTY value, drawn from `rnd`. */
export const pickNasty = (rnd: () => number): number => NASTY[Math.floor(rnd() * NASTY.length)];

/**
 * One option: log-uniform spot, T (one in twenty between 1e-8 and 1e-4 years) and sigma, moneyness mostly within
 * ±4 standard deviations and one in ten out to ±40 (prices down to underflow); a few per cent of S, K, T, r, q
 * replaced by NASTY values; the price at sigma.
 */
export function drawOption(rnd: () => number): DrawnOption {
  const logU = (lo: number, hi: number) => Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * rnd());
  const right = rnd() < 0.002 ? 2 + Math.floor(rnd() * 250) : rnd() < 0.5 ? 0 : 1;
  let S = logU(1e-3, 1e6);
  let T = rnd() < 0.05 ? logU(1e-8, 1e-4) : logU(1e-4, 30);
  let r = (rnd() - 0.3) * 0.3;
  let q = (rnd() - 0.3) * 0.2;
  const sigma = logU(0.001, 8);
  const z = (rnd() - 0.5) * (rnd() < 0.1 ? 80 : 8);
  let K = S * Math.exp((r - q) * T - z * sigma * Math.sqrt(T));
  if (rnd() < 0.02) S = pickNasty(rnd);
  if (rnd() < 0.02) K = pickNasty(rnd);
  if (rnd() < 0.02) T = pickNasty(rnd);
  if (rnd() < 0.01) r = pickNasty(rnd);
  if (rnd() < 0.01) q = pickNasty(rnd);
  return { right, S, K, T, r, q, sigma, price: bsmPrice(right === 0, S, K, T, r, q, sigma) };
}
