// The WebAssembly kernel (src/quant/black/wasm/kernel.as) against the pure-JS kernel it ports, row by row, on random
// and adversarial inputs: the port performs the same floating-point operations in the same order (and takes log,
// cbrt, expm1, … from the host's Math), so every status and every output must be bit-identical, the two-rows-at-a-time
// (f64x2) Greeks loop included. Also: the embedded bytes against a fresh compile of the source; the fallback switch.
import { describe, expect, it } from 'vitest';
import { allocBsmInput, allocGreekColumns, greeksBatch, greeksBatchJs, ivAndGreeksBatch, ivAndGreeksBatchJs } from '../../../src/quant/black/batch.js';
import { lastStatus, solveBlack76Iv, solveBlack76IvJs, solveBsmIv, solveBsmIvJs } from '../../../src/quant/black/core.js';
import { useWasmKernel, wasmKernelActive, wasmKernelLoadError } from '../../../src/quant/black/wasm-kernel.js';
import { KERNEL_WASM_BASE64 } from '../../../src/quant/black/wasm/kernel-bytes.js';
import { bsmPrice } from '../../../src/quant/black/price.js';
import { IvStatus } from '../../../src/quant/black/status.js';
import { mulberry32 } from '../../support/random.js';
import { drawOption, pickNasty } from './adversarial.js';
const OUT = ['price', 'delta', 'gamma', 'vega', 'theta', 'rho', 'vanna', 'charm', 'vomma', 'speed', 'zomma', 'color', 'dualDelta', 'dualGamma'] as const;

/** Random and adversarial rows as in fuzz.test.ts (a different seed), with both a price and a sigma. */
function rows(n: number, seed: number) {
  const rnd = mulberry32(seed);
  const inp = allocBsmInput(n);
  for (let i = 0; i < n; i++) {
    const o = drawOption(rnd);
    const { right, S, K, T, r, q } = o;
    let { price, sigma } = o;
    if (rnd() < 0.03) price = pickNasty(rnd);
    if (rnd() < 0.01) sigma = pickNasty(rnd);
    inp.right[i] = right;
    inp.spot[i] = S;
    inp.strike[i] = K;
    inp.t[i] = T;
    inp.rate[i] = r;
    inp.dividendYield[i] = q;
    inp.price[i] = price;
    inp.sigma[i] = sigma;
  }
  return inp;
}

/** |a − b| relative to the larger magnitude; 0 when both are NaN or equal. */
function relDiff(a: number, b: number): number {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

describe('WebAssembly kernel', () => {
  it('loads in Node and is the default', () => {
    expect(wasmKernelLoadError()).toBeNull();
    expect(wasmKernelActive()).toBe(true);
  });

  /** Rows where the two kernels' columns differ (NaN = NaN, and −0 ≠ +0). */
  function differing(a: ReturnType<typeof allocGreekColumns>, b: ReturnType<typeof allocGreekColumns>, n: number): string[] {
    const bad: string[] = [];
    for (const g of ['iv', 'status', ...OUT] as const) {
      for (let i = 0; i < n && bad.length < 5; i++) {
        const x = a[g][i];
        const y = b[g][i];
        if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) bad.push(`row ${i} ${g}: ${x} (wasm) vs ${y} (js)`);
      }
    }
    return bad;
  }

  it('IV + Greeks: bit-identical to the pure-JS kernel on 400,000 random and adversarial rows', () => {
    const n = 400_000;
    const inp = rows(n, 20261125);
    const a = allocGreekColumns(n);
    const b = allocGreekColumns(n);
    ivAndGreeksBatch(inp, a);
    ivAndGreeksBatchJs(inp, b);
    let ok = 0;
    for (let i = 0; i < n; i++) if (a.status[i] === IvStatus.OK) ok++;
    expect(ok).toBeGreaterThan(n * 0.6);
    expect(differing(a, b, n)).toEqual([]);
  });

  it('IV + Greeks on SPX-like OTM rows (the two-rows-in-lock-step solver: all branch mixes), odd slices: bit-identical', () => {
    // As ../shared/bench/workload.py: OTM options on a smile, tenors from 1 day to 2 years, so that consecutive rows
    // pair the lowest and lower-middle branches in every combination, with some upper-half and degenerate rows mixed in.
    const n = 60_000;
    const rnd = mulberry32(4242);
    const inp = allocBsmInput(n);
    const tenors = [1, 2, 3, 7, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365, 540, 730];
    for (let i = 0; i < n; i++) {
      const S = 5000 * (0.98 + 0.04 * rnd());
      const T = tenors[Math.floor(rnd() * tenors.length)] / 365;
      const r = 0.045;
      const q = 0.013;
      const F = S * Math.exp((r - q) * T);
      const k0 = (-0.35 + 0.5 * rnd()) * Math.sqrt(Math.max(T, 0.02) / 0.25);
      const K = Math.round((F * Math.exp(k0)) / 5) * 5;
      const k = Math.log(K / F);
      const atm = 0.16 + 0.02 * Math.exp(-T * 4);
      let sigma = Math.sqrt(Math.max(atm * atm + 0.6 * atm * ((-0.7 * k) / Math.sqrt(T + 0.05)) + (k / Math.sqrt(T + 0.05)) ** 2 * 0.08, 0.0025));
      if (rnd() < 0.03) sigma *= 1 + 20 * rnd(); // upper half of the β axis
      const right = rnd() < 0.05 ? (K >= F ? 1 : 0) : K >= F ? 0 : 1; // a few in the money
      inp.right[i] = right;
      inp.spot[i] = S;
      inp.strike[i] = K;
      inp.t[i] = T;
      inp.rate[i] = r;
      inp.dividendYield[i] = q;
      inp.price[i] = rnd() < 0.01 ? pickNasty(rnd) : bsmPrice(right === 0, S, K, T, r, q, sigma);
      inp.sigma[i] = sigma;
    }
    for (const [from, to] of [[0, n], [1, 2], [3, 2052], [2047, 6150], [1, 4097]]) {
      const a = allocGreekColumns(n);
      const b = allocGreekColumns(n);
      ivAndGreeksBatch(inp, a, from, to);
      ivAndGreeksBatchJs(inp, b, from, to);
      expect(differing(a, b, n), `[${from}, ${to})`).toEqual([]);
      if (to - from === n) expect(a.status.filter((s) => s === IvStatus.OK).length).toBeGreaterThan(0.95 * n);
    }
  });

  it('Greeks at a given σ (the f64x2 loop and its scalar fallback): bit-identical to the pure-JS kernel', () => {
    const n = 400_000;
    const inp = rows(n, 7);
    const a = allocGreekColumns(n);
    const b = allocGreekColumns(n);
    greeksBatch(inp, a);
    greeksBatchJs(inp, b);
    expect(differing(a, b, n)).toEqual([]);
    // Odd lengths and offsets (the pair loop's tail row, slices that start mid-chunk) and chunk boundaries.
    for (const [from, to] of [[1, 2], [3, 2052], [2047, 6150], [0, 4097]]) {
      const c = allocGreekColumns(n);
      const d = allocGreekColumns(n);
      greeksBatch(inp, c, from, to);
      greeksBatchJs(inp, d, from, to);
      expect(differing(c, d, n), `[${from}, ${to})`).toEqual([]);
    }
  });

  it('scalar solvers: the same status and the same IV bits as the pure-JS ones', () => {
    const inp = rows(20_000, 99);
    let worst = 0;
    for (let i = 0; i < inp.spot.length; i++) {
      const c = inp.right[i] === 0;
      const v1 = solveBsmIv(c, inp.spot[i], inp.strike[i], inp.t[i], inp.rate[i], inp.dividendYield[i], inp.price[i]);
      const s1 = lastStatus();
      const v2 = solveBsmIvJs(c, inp.spot[i], inp.strike[i], inp.t[i], inp.rate[i], inp.dividendYield[i], inp.price[i]);
      expect(s1, `row ${i}`).toBe(lastStatus());
      worst = Math.max(worst, relDiff(v1, v2));
      const D = Math.exp(-inp.rate[i] * inp.t[i]);
      const F = inp.spot[i] * Math.exp((inp.rate[i] - inp.dividendYield[i]) * inp.t[i]);
      const w1 = solveBlack76Iv(c, F, inp.strike[i], inp.t[i], D, inp.price[i]);
      const t1 = lastStatus();
      const w2 = solveBlack76IvJs(c, F, inp.strike[i], inp.t[i], D, inp.price[i]);
      expect(t1, `row ${i} (Black-76)`).toBe(lastStatus());
      worst = Math.max(worst, relDiff(w1, w2));
    }
    expect(worst).toBe(0);
  });

  it('useWasmKernel(false) selects the pure-JS kernel (bit-identical to ivAndGreeksBatchJs)', () => {
    const inp = rows(5_000, 3);
    const a = allocGreekColumns(5_000);
    const b = allocGreekColumns(5_000);
    const prev = useWasmKernel(false);
    try {
      expect(wasmKernelActive()).toBe(false);
      ivAndGreeksBatch(inp, a);
    } finally {
      useWasmKernel(prev);
    }
    ivAndGreeksBatchJs(inp, b);
    expect(Array.from(a.iv)).toEqual(Array.from(b.iv));
    expect(Array.from(a.vomma)).toEqual(Array.from(b.vomma));
  });

  it('the embedded module is a fresh compile of kernel.as (npm run build:wasm)', async () => {
    // @ts-expect-error -- plain ESM build script without type declarations
    const { compileKernel } = await import('../../../bench/black/build-wasm.mjs');
    const bytes = (await compileKernel()) as Uint8Array;
    expect(Buffer.from(bytes).toString('base64')).toBe(KERNEL_WASM_BASE64);
  }, 120_000);
});
