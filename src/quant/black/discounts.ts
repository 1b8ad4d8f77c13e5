/**
 * Discount factors e^{−qT}, e^{−rT} memoised on (T, r, q). An option chain has a handful of expiries and one rate
 * and yield per expiry, so most rows reuse them and skip two exponentials. Direct-mapped on the bits of T; an entry
 * is used only when T, r and q are all bit-for-bit equal, so results are identical to recomputing.
 * Usage: `const k = discountSlot(T, r, q)`, then `cacheDq[k]`, `cacheDr[k]`.
 */
const CACHE_SIZE = 64;
const cT = new Float64Array(CACHE_SIZE).fill(NaN);
const cR = new Float64Array(CACHE_SIZE);
const cQ = new Float64Array(CACHE_SIZE);
export const cacheDq = new Float64Array(CACHE_SIZE);
export const cacheDr = new Float64Array(CACHE_SIZE);
const keyF = new Float64Array(1);
const keyU = new Uint32Array(keyF.buffer);

export function discountSlot(T: number, r: number, q: number): number {
  keyF[0] = T;
  const k = (Math.imul(keyU[0] ^ keyU[1] ^ (keyU[1] >>> 11), 0x9e3779b1) >>> 26) & (CACHE_SIZE - 1);
  if (cT[k] === T && cR[k] === r && cQ[k] === q) return k;
  cT[k] = T;
  cR[k] = r;
  cQ[k] = q;
  cacheDq[k] = Math.exp(-q * T);
  cacheDr[k] = Math.exp(-r * T);
  return k;
}
