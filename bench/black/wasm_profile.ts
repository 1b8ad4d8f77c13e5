// Where the WebAssembly kernel's time goes: CPU time per option of its entry points on chunks already in its memory
// (compute only), and of copying a chunk's inputs in. `manifold bench greeks` = compute + copies in and out.
// Usage: npx tsx bench/black/wasm_profile.ts [/tmp/workload.csv]   (prints one JSON line, ns per option, best of 5)
import { readFileSync } from 'node:fs';
import { parseGreeksCsv } from '../../src/cli/greeks-csv.js';
import { KERNEL_WASM_BASE64 } from '../../src/quant/black/wasm/kernel-bytes.js';

interface Ex {
  memory: WebAssembly.Memory;
  chunkRows(): number;
  columnOffset(k: number): number;
  rightOffset(): number;
  iv(n: number): void;
  ivAndGreeks(n: number): void;
  greeks(n: number): void;
}
const imports = { Math: { log: Math.log, exp: Math.exp, expm1: Math.expm1, cbrt: Math.cbrt, log1p: Math.log1p, atanh: Math.atanh, sinh: Math.sinh } };
const ex = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64')), imports).exports as unknown as Ex;
const inp = parseGreeksCsv(readFileSync(process.argv[2] ?? '/tmp/workload.csv', 'utf8'), 'workload').input;
const CH = ex.chunkRows();
const buf = ex.memory.buffer;
const col = (k: number) => new Float64Array(buf, ex.columnOffset(k), CH);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function fill(c: number): void {
  const a = c * CH;
  const b = a + CH;
  new Uint8Array(buf, ex.rightOffset(), CH).set(inp.right.subarray(a, b));
  const cols = [inp.spot, inp.strike, inp.t, inp.rate, inp.dividendYield, inp.price, inp.sigma];
  cols.forEach((c, k) => col(k).set(c.subarray(a, b)));
}
const chunks = Math.floor(inp.spot.length / CH);
const best = { iv: Infinity, iv_and_greeks: Infinity, greeks: Infinity, copy_in: Infinity };
for (let rep = 0; rep < 5; rep++) {
  const t = { iv: 0, iv_and_greeks: 0, greeks: 0, copy_in: 0 };
  for (let c = 0; c < chunks; c++) {
    let t0 = cpu();
    fill(c);
    t.copy_in += cpu() - t0;
    t0 = cpu();
    ex.iv(CH);
    t.iv += cpu() - t0;
    t0 = cpu();
    ex.ivAndGreeks(CH);
    t.iv_and_greeks += cpu() - t0;
    t0 = cpu();
    ex.greeks(CH);
    t.greeks += cpu() - t0;
  }
  for (const k of Object.keys(best) as (keyof typeof best)[]) best[k] = Math.min(best[k], (t[k] * 1e6) / (chunks * CH));
}
process.stdout.write(JSON.stringify({ ns_per_option: best, rows: chunks * CH }) + '\n');
