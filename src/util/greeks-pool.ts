/**
 * Worker-thread pool for large IV/Greeks batches: the rows are split into one contiguous slice per worker, each
 * worker runs the single-threaded kernel (src/quant/black/batch.ts) on its slice of shared memory. Input and output
 * columns must live in SharedArrayBuffers (`allocSharedBsmInput`, `allocSharedGreekColumns`), handed to the workers
 * once at creation; a run then only posts slice bounds. I/O (threads), so it lives outside src/quant.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from './module-worker.js';
import type { BsmInput, GreekColumns } from '../quant/black/batch.js';

const GREEK_KEYS = ['iv', 'price', 'delta', 'gamma', 'vega', 'theta', 'rho', 'vanna', 'charm', 'vomma', 'speed', 'zomma', 'color', 'dualDelta', 'dualGamma'] as const;
const INPUT_KEYS = ['spot', 'strike', 't', 'rate', 'dividendYield', 'price', 'sigma'] as const;

const f64 = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));

export function allocSharedBsmInput(n: number): Required<BsmInput> {
  return {
    right: new Uint8Array(new SharedArrayBuffer(n)),
    spot: f64(n),
    strike: f64(n),
    t: f64(n),
    rate: f64(n),
    dividendYield: f64(n),
    price: f64(n),
    sigma: f64(n),
  };
}

export function allocSharedGreekColumns(n: number): GreekColumns {
  const out = { status: new Uint8Array(new SharedArrayBuffer(n)) } as GreekColumns;
  for (const k of GREEK_KEYS) out[k] = f64(n);
  return out;
}

/** What a run computes: implied volatility then Greeks (needs `price`), or Greeks at `sigma`. */
export type PoolMode = 'iv-and-greeks' | 'greeks';

export class GreeksPool {
  private constructor(
    private readonly workers: Worker[],
    private readonly n: number,
  ) {}

  /** Start `threads` workers sharing `input` and `out` (both from the allocShared* functions). */
  static async create(threads: number, input: Required<BsmInput>, out: GreekColumns): Promise<GreeksPool> {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`threads must be a positive integer, got ${threads}`);
    const buffers = {
      right: input.right.buffer,
      ...Object.fromEntries(INPUT_KEYS.map((k) => [k, input[k].buffer])),
      status: out.status.buffer,
      ...Object.fromEntries(GREEK_KEYS.map((k) => ['out_' + k, out[k].buffer])),
    };
    for (const b of Object.values(buffers)) if (!(b instanceof SharedArrayBuffer)) throw new Error('GreeksPool needs SharedArrayBuffer-backed columns');
    const make = (): Worker => startModuleWorker(import.meta.url, 'greeks-worker', { workerData: buffers });
    const workers = Array.from({ length: threads }, make);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
    return new GreeksPool(workers, input.spot.length);
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Compute all rows, split evenly across the workers. */
  run(mode: PoolMode): Promise<void> {
    const per = Math.ceil(this.n / this.workers.length);
    return Promise.all(
      this.workers.map(
        (w, k) =>
          new Promise<void>((resolve, reject) => {
            const onError = (e: Error) => reject(e);
            w.once('error', onError);
            w.once('message', (m: { error?: string }) => {
              w.off('error', onError);
              if (m && m.error) reject(new Error(m.error));
              else resolve();
            });
            w.postMessage({ mode, from: Math.min(this.n, k * per), to: Math.min(this.n, (k + 1) * per) });
          }),
      ),
    ).then(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
