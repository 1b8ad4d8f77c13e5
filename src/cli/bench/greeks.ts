import type { Command } from 'commander';
import { UserError } from '../errors.js';

/**
 * `manifold bench greeks <workload.csv>`: the same measurement as ../shared/bench/greeks_numba.py, one JSON line
 * with its keys. Kernel time only (CSV parsing and allocation excluded), one thread, best of N repeats, after a
 * warm-up on the first rows (as numba's JIT warm-up): implied volatility + all Greeks, and Greeks at the given σ.
 */
export function register(bench: Command): void {
  bench
    .command('greeks')
    .description('IV+Greeks and Greeks throughput on a workload.py CSV (compare with greeks_numba.py)')
    .argument('<workload>', 'CSV written by ../shared/bench/workload.py')
    .option('--repeats <n>', 'repeats (best is reported)', '5')
    .option('--threads <n>', 'also time a worker-thread pool of n threads (keys threads, pool_*; scaling vs one thread)', '1')
    .option('--kernel <k>', 'wasm (default: the WebAssembly kernel every command uses) or js (the pure-JS fallback; the --threads pool keeps the default)', 'wasm')
    .action(async (file: string, opts: { repeats: string; threads: string; kernel: string }) => {
      const { readFile } = await import('node:fs/promises');
      const { parseGreeksCsv } = await import('../greeks-csv.js');
      const { allocGreekColumns, ivAndGreeksBatch, greeksBatch } = await import('../../quant/black/batch.js');
      const { useWasmKernel, wasmKernelActive, wasmKernelLoadError } = await import('../../quant/black/wasm-kernel.js');
      if (opts.kernel !== 'wasm' && opts.kernel !== 'js') throw new UserError(`--kernel must be wasm or js, got '${opts.kernel}'`);
      if (opts.kernel === 'js') useWasmKernel(false);
      else if (!wasmKernelActive()) throw new UserError(`the WebAssembly kernel is not loaded: ${wasmKernelLoadError() ?? 'unknown reason'}`);
      const repeats = Number(opts.repeats);
      if (!Number.isInteger(repeats) || repeats < 1) throw new UserError(`--repeats must be a positive integer, got '${opts.repeats}'`);
      const threads = Number(opts.threads);
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UserError(`--threads must be an integer in [1, 64], got '${opts.threads}'`);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const csv = parseGreeksCsv(text, file);
      if (!csv.hasPrice || !csv.hasSigma) throw new UserError(`${file}: a workload needs both 'price' and 'sigma' columns`);
      const n = csv.input.spot.length;
      const out = allocGreekColumns(n);
      const out2 = allocGreekColumns(n);
      const warm = Math.min(n, 2000);
      for (let k = 0; k < 3; k++) {
        ivAndGreeksBatch(csv.input, out, 0, warm);
        greeksBatch(csv.input, out2, 0, warm);
      }
      // Wall time as numba's script (the contract keys), and this process's CPU time beside it (cpu_* keys): on the
      // shared machine a run can be descheduled mid-kernel, which inflates wall time but not CPU time.
      let bestAll = Infinity;
      let bestG = Infinity;
      let cpuAll = Infinity;
      let cpuG = Infinity;
      for (let k = 0; k < repeats; k++) {
        let c0 = process.cpuUsage();
        let t0 = performance.now();
        ivAndGreeksBatch(csv.input, out);
        bestAll = Math.min(bestAll, performance.now() - t0);
        let c = process.cpuUsage(c0);
        cpuAll = Math.min(cpuAll, (c.user + c.system) / 1000);
        c0 = process.cpuUsage();
        t0 = performance.now();
        greeksBatch(csv.input, out2);
        bestG = Math.min(bestG, performance.now() - t0);
        c = process.cpuUsage(c0);
        cpuG = Math.min(cpuG, (c.user + c.system) / 1000);
      }
      let err = 0;
      let notOk = 0;
      for (let i = 0; i < n; i++) {
        if (out.status[i] !== 0) {
          notOk++;
          continue;
        }
        err = Math.max(err, Math.abs(out.iv[i] - csv.input.sigma[i]));
      }
      const result: Record<string, number> = {
        n,
        iv_and_greeks_per_sec: n / (bestAll / 1000),
        greeks_per_sec: n / (bestG / 1000),
        max_abs_iv_error: err,
        not_ok_rows: notOk,
        cpu_iv_and_greeks_per_sec: n / (Math.max(cpuAll, 0.001) / 1000),
        cpu_greeks_per_sec: n / (Math.max(cpuG, 0.001) / 1000),
      };
      if (threads > 1) {
        const { GreeksPool, allocSharedBsmInput, allocSharedGreekColumns } = await import('../../util/greeks-pool.js');
        const sin = allocSharedBsmInput(n);
        for (const k of ['right', 'spot', 'strike', 't', 'rate', 'dividendYield', 'price', 'sigma'] as const) sin[k].set(csv.input[k]);
        const sout = allocSharedGreekColumns(n);
        const pool = await GreeksPool.create(threads, sin, sout);
        try {
          await pool.run('iv-and-greeks');
          await pool.run('greeks');
          let pAll = Infinity;
          let pG = Infinity;
          for (let k = 0; k < repeats; k++) {
            let t0 = performance.now();
            await pool.run('iv-and-greeks');
            pAll = Math.min(pAll, performance.now() - t0);
            t0 = performance.now();
            await pool.run('greeks');
            pG = Math.min(pG, performance.now() - t0);
          }
          // Same numbers as the single-threaded kernel, bit for bit (out holds its last IV+Greeks run's results).
          await pool.run('iv-and-greeks');
          for (let i = 0; i < n; i++) {
            if (sout.iv[i] !== out.iv[i] && !(Number.isNaN(sout.iv[i]) && Number.isNaN(out.iv[i]))) throw new Error(`pool result differs from the single-thread kernel at row ${i}`);
          }
          result.threads = threads;
          result.pool_iv_and_greeks_per_sec = n / (pAll / 1000);
          result.pool_greeks_per_sec = n / (pG / 1000);
          result.pool_scaling_iv_and_greeks = result.pool_iv_and_greeks_per_sec / result.iv_and_greeks_per_sec;
          result.pool_scaling_greeks = result.pool_greeks_per_sec / result.greeks_per_sec;
        } finally {
          await pool.close();
        }
      }
      process.stdout.write(JSON.stringify({ ...result, kernel: opts.kernel }) + '\n');
    });
}
