import type { Command } from 'commander';
import { UserError } from '../errors.js';

/**
 * `manifold bench surface <chain-file>` → one JSON line {slices, quotes, ms_per_slice_median, ms_total, ...}.
 *
 * One thread. Loading and chain IV are not timed. After one warm-up pass (JIT):
 * - `ms_per_slice_median`: median over slices of the time of one cold raw SVI fit (no warm start), including its
 *   butterfly verification;
 * - `ms_total`: one full `fitSurface` of the chain (slice inputs, every raw SVI fit with its quality figures, the
 *   calendar check, the eSSVI surface), median of `--runs` runs;
 * - `ms_warm_per_slice_median`: the same slices refitted with the previous fit as warm start (live refits).
 */
export function register(bench: Command): void {
  bench
    .command('surface')
    .description('volatility surface fit speed on a chain file (one JSON line)')
    .argument('<chain-file>', 'Cboe quotedata CSV')
    .option('--runs <n>', 'timed full-surface runs (median reported)', '5')
    .action(async (file: string, opts: { runs: string }) => {
      const runs = Number(opts.runs);
      if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new UserError(`--runs must be an integer in [1, 1000], got '${opts.runs}'`);
      const { loadChainOrUserError } = await import('../gex-inputs.js');
      const chain = await loadChainOrUserError(file);
      const { computeChainIv } = await import('../../analytics/chain-iv.js');
      const { buildSlices } = await import('../../analytics/slices.js');
      const { fitSurface } = await import('../../analytics/surface.js');
      const { fitSviSlice } = await import('../../quant/svi/calibrate.js');
      const iv = computeChainIv(chain);
      const slices = buildSlices(chain, iv).filter((s) => s.status === 'ok');
      if (slices.length === 0) throw new UserError(`${file}: no expiry has enough usable quotes to fit (no bids?)`);
      const median = (a: number[]): number => {
        const b = [...a].sort((x, y) => x - y);
        return b.length % 2 ? b[(b.length - 1) / 2] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2;
      };
      for (const s of slices) fitSviSlice(s.quotes);
      const cold: number[] = [];
      const fits = slices.map((s) => {
        const t0 = performance.now();
        const r = fitSviSlice(s.quotes);
        cold.push(performance.now() - t0);
        return r.params;
      });
      const warm = slices.map((s, i) => {
        const t0 = performance.now();
        fitSviSlice(s.quotes, { warm: fits[i] });
        return performance.now() - t0;
      });
      fitSurface(chain, iv);
      const totals: number[] = [];
      let calendarFree = false;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const fit = fitSurface(chain, iv);
        totals.push(performance.now() - t0);
        calendarFree = fit.essviArbitrageFree;
      }
      const quotes = slices.reduce((a, s) => a + s.quotes.k.length, 0);
      const { printJson } = await import('../output.js');
      printJson(
        {
          slices: slices.length,
          quotes,
          ms_per_slice_median: Number(median(cold).toFixed(4)),
          ms_total: Number(median(totals).toFixed(2)),
          ms_warm_per_slice_median: Number(median(warm).toFixed(4)),
          ms_per_slice_max: Number(Math.max(...cold).toFixed(3)),
          essvi_calendar_free: calendarFree,
        },
        true,
      );
    });
}
