/**
 * Vectorised IV and Greeks: struct-of-arrays in and out (Float64Array columns, Uint8Array status), one monomorphic
 * loop per call, nothing allocated per option. Each row gets a status code (./status.ts); non-OK rows have NaN IV
 * and NaN Greeks, OK rows never contain a NaN. Spots and strikes outside [1e−300, 1e300] are BAD_INPUT (subnormal or
 * overflowing products). Rows may be processed in slices [from, to) (worker threads split a
 * batch that way).
 */
import { lastStatus, solveBsmIvPrepared } from './core.js';
import { cacheDq, cacheDr, discountSlot } from './discounts.js';
import { greeksLoop } from './greeks-kernel.js';
import { allocGreekColumns, writeNaNRow, type BsmInput, type GreekColumns } from './columns.js';
import { IvStatus } from './status.js';
import { wasmGreeks, wasmIv, wasmIvAndGreeks, wasmKernelActive } from './wasm-kernel.js';

export { allocGreekColumns, type BsmInput, type GreekColumns };

/** Right codes of `BsmInput.right` (the same values as CALL/PUT of src/market/chain.ts). */
export const RIGHT_CALL = 0;
export const RIGHT_PUT = 1;

export function allocBsmInput(n: number): Required<BsmInput> {
  return {
    right: new Uint8Array(n),
    spot: new Float64Array(n),
    strike: new Float64Array(n),
    t: new Float64Array(n),
    rate: new Float64Array(n),
    dividendYield: new Float64Array(n),
    price: new Float64Array(n),
    sigma: new Float64Array(n),
  };
}

/**
 * Implied volatility, then every Greek at it, for rows [from, to). Requires `input.price`. Two passes over the
 * slice (IV, then the Greeks loop over the OK rows), each a tight monomorphic loop. Runs on the WebAssembly kernel
 * (./wasm-kernel.ts) when it is loaded, else on the pure-JS one (ivAndGreeksBatchJs); the two are bit-identical.
 */
export function ivAndGreeksBatch(input: BsmInput, out: GreekColumns, from = 0, to = input.spot.length): void {
  if (!input.price) throw new Error('ivAndGreeksBatch: input.price is required');
  if (wasmKernelActive()) wasmIvAndGreeks(input, out, from, to);
  else ivAndGreeksBatchJs(input, out, from, to);
}

/** ivAndGreeksBatch on the pure-JS kernel. */
export function ivAndGreeksBatchJs(input: BsmInput, out: GreekColumns, from = 0, to = input.spot.length): void {
  ivBatchJs(input, out.iv, out.status, from, to);
  const st = out.status;
  for (let i = from; i < to; i++) if (st[i] !== IvStatus.OK) writeNaNRow(out, i);
  greeksLoop(input, out.iv, out, from, to, true);
}

/** Implied volatility only (no Greeks) for rows [from, to) (WebAssembly kernel when loaded, else pure JS). */
export function ivBatch(input: BsmInput, iv: Float64Array, status: Uint8Array, from = 0, to = input.spot.length): void {
  if (!input.price) throw new Error('ivBatch: input.price is required');
  if (wasmKernelActive()) wasmIv(input, iv, status, from, to);
  else ivBatchJs(input, iv, status, from, to);
}

/** ivBatch on the pure-JS kernel. */
export function ivBatchJs(input: BsmInput, iv: Float64Array, status: Uint8Array, from = 0, to = input.spot.length): void {
  const right = input.right;
  const S = input.spot;
  const K = input.strike;
  const T = input.t;
  const r = input.rate;
  const q = input.dividendYield;
  const P = input.price;
  if (!P) throw new Error('ivBatch: input.price is required');
  for (let i = from; i < to; i++) {
    const rt = right[i];
    const Si = S[i];
    const Ki = K[i];
    const Ti = T[i];
    const ri = r[i];
    const qi = q[i];
    if (!(rt <= 1 && Si >= 1e-300 && Si <= 1e300 && Ki >= 1e-300 && Ki <= 1e300 && Ti > 0 && Ti < Infinity && ri - ri === 0 && qi - qi === 0)) {
      status[i] = IvStatus.BAD_INPUT;
      iv[i] = NaN;
      continue;
    }
    const x = Math.log(Si / Ki) + (ri - qi) * Ti;
    const k = discountSlot(Ti, ri, qi);
    iv[i] = solveBsmIvPrepared(rt === 0, Si, Ki, Ti, ri, qi, P[i], x, cacheDq[k], cacheDr[k]);
    status[i] = lastStatus();
  }
}

/**
 * Greeks (and price) at the given volatility `input.sigma`, for rows [from, to). `out.iv` receives sigma. WebAssembly
 * kernel (two f64x2 pairs per iteration) when loaded, else pure JS; bit-identical.
 */
export function greeksBatch(input: BsmInput, out: GreekColumns, from = 0, to = input.spot.length): void {
  const V = input.sigma;
  if (!V) throw new Error('greeksBatch: input.sigma is required');
  if (wasmKernelActive()) wasmGreeks(input, out, from, to);
  else greeksLoop(input, V, out, from, to, false);
}

/** greeksBatch on the pure-JS kernel. */
export function greeksBatchJs(input: BsmInput, out: GreekColumns, from = 0, to = input.spot.length): void {
  const V = input.sigma;
  if (!V) throw new Error('greeksBatch: input.sigma is required');
  greeksLoop(input, V, out, from, to, false);
}
