import type { Command } from 'commander';
import { UserError } from '../errors.js';

/**
 * `manifold bench surface <chain-file>` → one JSON line {slices, quotes, ms_per_slice_median, ms_total, ...}.
 *
 * One thread. Loading and chain IV are not timed. After one warm-up pass (JIT):
 * - `ms_per_slice_median`: median over slices of the time of one cold raw SVI fit (no warm start) on the product
 *   path: the slice's own fit with its butterfly verification plus, when the previous slice's calendar floor binds,
 *   its refit under that floor with the calendar verification;
 * - `ms_total`: one full `fitSurface` of the chain (slice inputs, every raw SVI fit with its quality figures, the
 *   calendar check, the eSSVI surface), median of `--runs` runs;
 * - `ms_warm_per_slice_median`: the same slices refitted with the previous fit as warm start (live refits);
 * - `raw_calendar_violations`: pairs of consecutive raw SVI slices that cross (0: the raw surface is calendar-free).
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
      const { fitSlices, fitSurface } = await import('../../analytics/surface.js');
      const iv = computeChainIv(chain);
      const inputs = buildSlices(chain, iv);
      const slices = inputs.filter((s) => s.status === 'ok');
      if (slices.length === 0) throw new UserError(`${file}: no expiry has enough usable quotes to fit (no bids?)`);
      const median = (a: number[]): number => {
        const b = [...a].sort((x, y) => x - y);
        return b.length % 2 ? b[(b.length - 1) / 2] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2;
      };
      // Warm-up (JIT), then the product path once: slices in increasing T, each its own fit plus, when the previous
      // slice's calendar floor binds, the refit under it (SurfaceSlice.fitMs).
      fitSlices(chain, iv.spot, inputs, { skipEssvi: true });
      const once = fitSlices(chain, iv.spot, inputs, { skipEssvi: true });
      const fitted = once.slices.filter((s) => s.svi);
      const cold = fitted.map((s) => s.fitMs);
      const warmMap = new Map(fitted.map((s) => [s.key, s.svi!]));
      const warm = fitSlices(chain, iv.spot, inputs, { skipEssvi: true, warm: warmMap })
        .slices.filter((s) => s.svi)
        .map((s) => s.fitMs);
      fitSurface(chain, iv);
      const totals: number[] = [];
      let calendarFree = false;
      let rawViolations = -1;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const fit = fitSurface(chain, iv);
        totals.push(performance.now() - t0);
        calendarFree = fit.essviArbitrageFree;
        rawViolations = fit.rawCalendarViolations.length;
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
          raw_calendar_violations: rawViolations,
        },
        true,
      );
    });
}
