/**
 * Host side of the WebAssembly IV/Greeks kernel (source ./wasm/kernel.as, bytes embedded in ./wasm/kernel-bytes.ts
 * by `npm run build:wasm`): loads it without fs or fetch (Node and the browser alike), moves rows through its column
 * buffers in chunks, and exposes batch and scalar entry points with the same contract as the pure-JS kernel.
 *
 * The batch API (./batch.ts) and the scalar solvers (./core.ts) call these whenever the module is ready, so the CLI,
 * chain IV, the worker pool and the benchmark all run the same kernel. The pure-JS kernel stays as the fallback:
 * where WebAssembly is missing, or a browser refuses a synchronous compile on its main thread (then the module is
 * compiled asynchronously and takes over once ready), and when `useWasmKernel(false)` selects it (tests compare the
 * two row by row). Pure: no Node imports.
 */
import { KERNEL_WASM_BASE64 } from './wasm/kernel-bytes.js';
import type { BsmInput, GreekColumns } from './columns.js';

/**
 * The slice of the WebAssembly JS API used here, declared locally: the build's type libraries (ES2023 + Node) do not
 * declare the WebAssembly global, which both Node and browsers provide.
 */
interface WasmInstance {
  exports: unknown;
}
interface WasmApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
  compile(bytes: Uint8Array<ArrayBuffer>): Promise<object>;
  /** Given a compiled module, resolves to its instance. */
  instantiate(module: object, imports: object): Promise<WasmInstance>;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface KernelExports {
  memory: { buffer: ArrayBuffer };
  chunkRows(): number;
  columnOffset(k: number): number;
  rightOffset(): number;
  statusOffset(): number;
  endOffset(): number;
  heapBase(): number;
  iv(n: number): void;
  ivAndGreeks(n: number): void;
  greeks(n: number): void;
  solveBsmIv(isCall: number, S: number, K: number, T: number, r: number, q: number, price: number): number;
  solveBlack76Iv(isCall: number, F: number, K: number, T: number, D: number, price: number): number;
  lastStatus(): number;
  lastIterations(): number;
  impliedNormalisedVolOtm(beta: number, x: number): number;
  normalisedBlackOtm(x: number, s: number): number;
}


/** Output column order in the module after iv (./wasm/kernel.as). */
const OUT_NAMES = ['price', 'delta', 'gamma', 'vega', 'theta', 'rho', 'vanna', 'charm', 'vomma', 'speed', 'zomma', 'color', 'dualDelta', 'dualGamma'] as const;

interface Kernel {
  ex: KernelExports;
  chunk: number;
  cS: Float64Array;
  cK: Float64Array;
  cT: Float64Array;
  cR: Float64Array;
  cQ: Float64Array;
  cP: Float64Array;
  cV: Float64Array;
  cIv: Float64Array;
  cOut: Float64Array[];
  cRight: Uint8Array;
  cStatus: Uint8Array;
}

let kernel: Kernel | null = null;
let enabled = true;
let loadError: string | null = null;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function attach(instance: WasmInstance): void {
  const ex = instance.exports as unknown as KernelExports;
  const buf = ex.memory.buffer;
  const chunk = ex.chunkRows();
  if (ex.heapBase() > ex.columnOffset(0) || ex.endOffset() > buf.byteLength) throw new Error('wasm kernel: column buffers overlap static data or exceed memory');
  const col = (k: number) => new Float64Array(buf, ex.columnOffset(k), chunk);
  kernel = {
    ex,
    chunk,
    cS: col(0),
    cK: col(1),
    cT: col(2),
    cR: col(3),
    cQ: col(4),
    cP: col(5),
    cV: col(6),
    cIv: col(7),
    cOut: OUT_NAMES.map((_, j) => col(8 + j)),
    cRight: new Uint8Array(buf, ex.rightOffset(), chunk),
    cStatus: new Uint8Array(buf, ex.statusOffset(), chunk),
  };
}

/** The host's Math functions the module imports (so that it returns the pure-JS kernel's bits; see kernel.as). */
const IMPORTS = { Math: { log: Math.log, exp: Math.exp, expm1: Math.expm1, cbrt: Math.cbrt, log1p: Math.log1p, atanh: Math.atanh, sinh: Math.sinh } };

function load(): void {
  const api = wasmApi;
  if (!api) {
    loadError = 'WebAssembly is not available';
    return;
  }
  const bytes = decodeBase64(KERNEL_WASM_BASE64);
  try {
    attach(new api.Instance(new api.Module(bytes), IMPORTS));
  } catch (e) {
    // A browser main thread may refuse synchronous compilation of a module this size: compile asynchronously and
    // switch over when ready (the pure-JS kernel serves meanwhile).
    loadError = (e as Error).message;
    api
      .compile(bytes)
      .then((m) => api.instantiate(m, IMPORTS))
      .then(
        (instance) => {
          attach(instance);
          loadError = null;
        },
        (err: unknown) => {
          loadError = (err as Error).message;
        },
      );
  }
}
load();

/** The WebAssembly kernel is loaded and selected. */
export function wasmKernelActive(): boolean {
  return enabled && kernel !== null;
}

/** Select the WebAssembly kernel (default) or the pure-JS one; returns the previous choice. */
export function useWasmKernel(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Why the module is not loaded (null when it is). */
export function wasmKernelLoadError(): string | null {
  return loadError;
}

function copyIn(k: Kernel, input: BsmInput, from: number, to: number, withPrice: boolean, withSigma: boolean): void {
  k.cRight.set(input.right.subarray(from, to));
  k.cS.set(input.spot.subarray(from, to));
  k.cK.set(input.strike.subarray(from, to));
  k.cT.set(input.t.subarray(from, to));
  k.cR.set(input.rate.subarray(from, to));
  k.cQ.set(input.dividendYield.subarray(from, to));
  if (withPrice) k.cP.set((input.price as Float64Array).subarray(from, to));
  if (withSigma) k.cV.set((input.sigma as Float64Array).subarray(from, to));
}

function copyOut(k: Kernel, out: GreekColumns, from: number, m: number, withGreeks: boolean): void {
  const full = m === k.chunk;
  out.iv.set(full ? k.cIv : k.cIv.subarray(0, m), from);
  out.status.set(full ? k.cStatus : k.cStatus.subarray(0, m), from);
  if (!withGreeks) return;
  for (let j = 0; j < OUT_NAMES.length; j++) {
    const c = k.cOut[j];
    out[OUT_NAMES[j]].set(full ? c : c.subarray(0, m), from);
  }
}

/** As ivAndGreeksBatch (./batch.ts), on the WebAssembly kernel. Call only when wasmKernelActive(). */
export function wasmIvAndGreeks(input: BsmInput, out: GreekColumns, from: number, to: number): void {
  const k = kernel as Kernel;
  for (let a = from; a < to; a += k.chunk) {
    const b = Math.min(to, a + k.chunk);
    copyIn(k, input, a, b, true, false);
    k.ex.ivAndGreeks(b - a);
    copyOut(k, out, a, b - a, true);
  }
}

/** As ivBatch (./batch.ts), on the WebAssembly kernel. */
export function wasmIv(input: BsmInput, iv: Float64Array, status: Uint8Array, from: number, to: number): void {
  const k = kernel as Kernel;
  for (let a = from; a < to; a += k.chunk) {
    const b = Math.min(to, a + k.chunk);
    const m = b - a;
    copyIn(k, input, a, b, true, false);
    k.ex.iv(m);
    iv.set(m === k.chunk ? k.cIv : k.cIv.subarray(0, m), a);
    status.set(m === k.chunk ? k.cStatus : k.cStatus.subarray(0, m), a);
  }
}

/** As greeksBatch (./batch.ts), on the WebAssembly kernel. */
export function wasmGreeks(input: BsmInput, out: GreekColumns, from: number, to: number): void {
  const k = kernel as Kernel;
  for (let a = from; a < to; a += k.chunk) {
    const b = Math.min(to, a + k.chunk);
    copyIn(k, input, a, b, false, true);
    k.ex.greeks(b - a);
    copyOut(k, out, a, b - a, true);
  }
}

/** Scalar BSM IV on the WebAssembly kernel; the status follows from wasmLastStatus(). */
export function wasmSolveBsmIv(isCall: boolean, S: number, K: number, T: number, r: number, q: number, price: number): number {
  return (kernel as Kernel).ex.solveBsmIv(isCall ? 1 : 0, S, K, T, r, q, price);
}

/** Scalar Black-76 IV on the WebAssembly kernel. */
export function wasmSolveBlack76Iv(isCall: boolean, F: number, K: number, T: number, D: number, price: number): number {
  return (kernel as Kernel).ex.solveBlack76Iv(isCall ? 1 : 0, F, K, T, D, price);
}

export function wasmLastStatus(): number {
  return (kernel as Kernel).ex.lastStatus();
}

/** Diagnostics for tests: the module's normalised solver and Black function, and its last iteration count. */
export function wasmImpliedNormalisedVolOtm(beta: number, x: number): number {
  return (kernel as Kernel).ex.impliedNormalisedVolOtm(beta, x);
}
export function wasmNormalisedBlackOtm(x: number, s: number): number {
  return (kernel as Kernel).ex.normalisedBlackOtm(x, s);
}
export function wasmLastIterations(): number {
  return (kernel as Kernel).ex.lastIterations();
}
