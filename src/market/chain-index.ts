/**
 * Per-strike indexes of an OptionChain: for each expiry, its distinct strikes with the row of the call and of the
 * put at each (−1 when one side is missing). The chain's own `expiries[e].rows` is the per-expiry index; this adds
 * the call/put pairing that parity, IV inversion and GEX walk over.
 *
 * Built lazily and cached per chain object in a WeakMap, so the cache lives exactly as long as the chain. Chains
 * are treated as immutable once built: code that edits a chain's strike/right/expiry columns in place must call
 * `invalidateStrikeIndex(chain)`.
 */
import { CALL, type OptionChain } from './chain.js';

export interface StrikeIndex {
  /** Distinct strikes of the expiry, ascending. */
  strikes: Float64Array;
  /** Row of the call at strikes[i], or −1. */
  call: Int32Array;
  /** Row of the put at strikes[i], or −1. */
  put: Int32Array;
}

const cache = new WeakMap<OptionChain, StrikeIndex[]>();

function build(chain: OptionChain, e: number): StrikeIndex {
  const rows = Array.from(chain.expiries[e].rows);
  // Rows are sorted by strike then right by contract, but sort again so hand-built chains work too.
  rows.sort((a, b) => chain.strike[a] - chain.strike[b] || chain.right[a] - chain.right[b]);
  const strikes: number[] = [];
  const call: number[] = [];
  const put: number[] = [];
  for (const r of rows) {
    const k = chain.strike[r];
    if (strikes.length === 0 || strikes[strikes.length - 1] !== k) {
      strikes.push(k);
      call.push(-1);
      put.push(-1);
    }
    const i = strikes.length - 1;
    // Keep the first row of a side when a chain (wrongly) has two: the loaders drop duplicates before this.
    if (chain.right[r] === CALL) {
      if (call[i] < 0) call[i] = r;
    } else if (put[i] < 0) put[i] = r;
  }
  return { strikes: Float64Array.from(strikes), call: Int32Array.from(call), put: Int32Array.from(put) };
}

/** The strike index of expiry `e` (index into `chain.expiries`). */
export function strikeIndex(chain: OptionChain, e: number): StrikeIndex {
  if (!Number.isInteger(e) || e < 0 || e >= chain.expiries.length) throw new RangeError(`expiry index ${e} out of range 0..${chain.expiries.length - 1}`);
  let all = cache.get(chain);
  if (!all) {
    all = new Array<StrikeIndex>(chain.expiries.length);
    cache.set(chain, all);
  }
  return (all[e] ??= build(chain, e));
}

/** Forget the cached indexes of a chain whose strike/right/expiry columns were edited in place. */
export function invalidateStrikeIndex(chain: OptionChain): void {
  cache.delete(chain);
}

/** Position of `strike` in an ascending strike array, or −1 (exact match; strikes carry 3 decimals). */
export function strikePosition(strikes: Float64Array, strike: number): number {
  let lo = 0;
  let hi = strikes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = strikes[mid];
    if (Math.abs(k - strike) < 5e-7) return mid;
    if (k < strike) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Row of the contract (expiry e, strike, right), or −1. */
export function findRow(chain: OptionChain, e: number, strike: number, right: number): number {
  const idx = strikeIndex(chain, e);
  const i = strikePosition(idx.strikes, strike);
  if (i < 0) return -1;
  return right === CALL ? idx.call[i] : idx.put[i];
}
