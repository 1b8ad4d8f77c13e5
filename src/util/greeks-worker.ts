// Worker body of GreeksPool (./greeks-pool.ts): rebuilds the shared columns, then runs the kernel on the slices
// it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { greeksBatch, ivAndGreeksBatch, type BsmInput, type GreekColumns } from '../quant/black/batch.js';

const b = workerData as Record<string, SharedArrayBuffer>;
const input: Required<BsmInput> = {
  right: new Uint8Array(b.right),
  spot: new Float64Array(b.spot),
  strike: new Float64Array(b.strike),
  t: new Float64Array(b.t),
  rate: new Float64Array(b.rate),
  dividendYield: new Float64Array(b.dividendYield),
  price: new Float64Array(b.price),
  sigma: new Float64Array(b.sigma),
};
const out = { status: new Uint8Array(b.status) } as GreekColumns;
for (const [k, v] of Object.entries(b)) if (k.startsWith('out_')) (out as unknown as Record<string, Float64Array>)[k.slice(4)] = new Float64Array(v);

parentPort!.on('message', (m: { mode: string; from: number; to: number }) => {
  try {
    if (m.mode === 'greeks') greeksBatch(input, out, m.from, m.to);
    else ivAndGreeksBatch(input, out, m.from, m.to);
    parentPort!.postMessage({});
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
parentPort!.postMessage({ ready: true });
