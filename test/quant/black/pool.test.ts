// The worker-thread pool computes exactly what the single-threaded kernel computes.
import { afterAll, describe, expect, it } from 'vitest';
import { allocGreekColumns, ivAndGreeksBatch, greeksBatch } from '../../../src/quant/black/batch.js';
import { bsmPrice } from '../../../src/quant/black/price.js';
import { GreeksPool, allocSharedBsmInput, allocSharedGreekColumns } from '../../../src/util/greeks-pool.js';

const N = 5000;
const input = allocSharedBsmInput(N);
for (let i = 0; i < N; i++) {
  input.right[i] = i % 2;
  input.spot[i] = 100;
  input.strike[i] = 60 + (i % 81);
  input.t[i] = 0.01 + (i % 17) / 10;
  input.rate[i] = 0.03;
  input.dividendYield[i] = 0.01;
  input.sigma[i] = 0.1 + (i % 13) / 20;
  input.price[i] = bsmPrice(input.right[i] === 0, 100, input.strike[i], input.t[i], 0.03, 0.01, input.sigma[i]);
}
input.spot[7] = NaN; // a bad row travels through the pool too
const out = allocSharedGreekColumns(N);
let pool: GreeksPool | null = null;
afterAll(async () => {
  await pool?.close();
});

describe('GreeksPool', () => {
  it('two workers reproduce the single-threaded kernel bit for bit', async () => {
    pool = await GreeksPool.create(2, input, out);
    expect(pool.threads).toBe(2);
    const ref = allocGreekColumns(N);
    await pool.run('iv-and-greeks');
    ivAndGreeksBatch(input, ref);
    expect(Array.from(out.status)).toEqual(Array.from(ref.status));
    expect(out.status[7]).not.toBe(0);
    for (const k of ['iv', 'delta', 'gamma', 'color'] as const) expect(Array.from(out[k])).toEqual(Array.from(ref[k]));
    await pool.run('greeks');
    greeksBatch(input, ref);
    expect(Array.from(out.vega)).toEqual(Array.from(ref.vega));
  });
  it('refuses columns that are not shared', async () => {
    await expect(GreeksPool.create(1, { ...input, spot: new Float64Array(N) }, out)).rejects.toThrow(/SharedArrayBuffer/);
  });
});
