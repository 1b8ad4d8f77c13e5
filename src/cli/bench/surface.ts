import type { Command } from 'commander';
import type { SurfaceFit } from '../../analytics/surface.js';
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
 * - `ms_warm_per_slice_median`: the same slices refitted in full with the previous fit as warm start (`liveRefit:
 *   false`: the full fit's outer search starts there);
 * - `ms_live_refit_total_median`: the live refit of the whole chain (`fitSlices` with `previous`: local polish per
 *   slice with the full fit's checks and fallback, quality figures, calendar check, eSSVI warm-started) after a
 *   simulated tick that moved every quote (bid/mid/ask IVs within ±0.3 half-spread, a parallel vol shift of −0.1, 0 or
 *   +0.1 vol points, k shifted by ±0.0005 (a spot move of about ∓2 points on SPX), T 30 s shorter), median over
 *   `max(runs, 12)` ticks from 6 seeds (after 12 untimed ones: JIT); `live_refit` gives the paths taken and the
 *   median RMSE / in-band of the live refits against cold fits of the same perturbed chains (2 of them: cold fits
 *   take ~0.3 s each);
 *   `ms_live_refit_mids_only_median` (`live_refit_mids_only_paths`): ticks that only move the quotes within ±0.3
 *   half-spread, 30 s later; `ms_live_refit_unchanged`: the same call when no quote moved (every slice kept; median
 *   of 5 after 2);
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
      const warm = fitSlices(chain, iv.spot, inputs, { skipEssvi: true, warm: warmMap, liveRefit: false })
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
      // Live refits: a full fit, then ticks that move every quote slightly, each refitted from the previous fit.
      const { perturbSliceInputs } = await import('../../analytics/surface.js');
      const base = fitSlices(chain, iv.spot, inputs);
      const ticks = [1, 2, 3, 4, 5, 6].map((seed) =>
        perturbSliceInputs(inputs, { seed, spreadFrac: 0.3, volShift: 0.001 * ((seed % 3) - 1), kShift: seed % 2 ? 0.0005 : -0.0005, dt: 30 / (365 * 86400) }),
      );
      // Warm-up (JIT): the live path's code is not the cold fit's.
      for (let i = 0; i < 12; i++) fitSlices(chain, iv.spot, ticks[i % ticks.length], { previous: { fit: base, inputs } });
      const live: number[] = [];
      const paths = { skip: 0, local: 0, full: 0 };
      const essviPaths = { skip: 0, local: 0, full: 0 };
      let liveCalendarViolations = 0;
      let liveButterflyFree = true;
      let liveEssviFree = true;
      const liveFits: SurfaceFit[] = [];
      for (let i = 0; i < Math.max(runs, 12); i++) {
        const tick = ticks[i % ticks.length];
        const t0 = performance.now();
        const fit = fitSlices(chain, iv.spot, tick, { previous: { fit: base, inputs } });
        live.push(performance.now() - t0);
        if (i < ticks.length) liveFits.push(fit);
        for (const s of fit.slices) {
          if (s.svi && s.refit) paths[s.refit]++;
          if (s.essvi && s.essviRefit) essviPaths[s.essviRefit]++;
          if (s.quality && !s.quality.butterflyFree) liveButterflyFree = false;
        }
        liveCalendarViolations += fit.rawCalendarViolations.length;
        if (!fit.essviArbitrageFree) liveEssviFree = false;
      }
      // Mids only: every quote moved within ±0.3 half-spread, 30 s later (no vol shift, no spot move).
      const midTicks = [7, 8, 9].map((seed) => perturbSliceInputs(inputs, { seed, spreadFrac: 0.3, dt: 30 / (365 * 86400) }));
      const midsOnly: number[] = [];
      const midPaths = { skip: 0, local: 0, full: 0 };
      for (let i = 0; i < 3 + Math.max(runs, 12); i++) {
        const t0 = performance.now();
        const fit = fitSlices(chain, iv.spot, midTicks[i % midTicks.length], { previous: { fit: base, inputs } });
        if (i < 3) continue;
        midsOnly.push(performance.now() - t0);
        for (const s of fit.slices) if (s.svi && s.refit) midPaths[s.refit]++;
      }
      const unchanged: number[] = [];
      for (let i = 0; i < 7; i++) {
        const u0 = performance.now();
        fitSlices(chain, iv.spot, inputs, { previous: { fit: base, inputs } });
        if (i >= 2) unchanged.push(performance.now() - u0);
      }
      const rmse = (fits: SurfaceFit[], pick: (s: SurfaceFit['slices'][number]) => number | undefined): number =>
        median(fits.flatMap((f) => f.slices.map(pick).filter((x): x is number => x !== undefined)));
      const coldTicks = ticks.slice(0, 2).map((tk) => fitSlices(chain, iv.spot, tk));
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
          ms_live_refit_total_median: Number(median(live).toFixed(2)),
          ms_live_refit_unchanged: Number(median(unchanged).toFixed(2)),
          ms_live_refit_mids_only_median: Number(median(midsOnly).toFixed(2)),
          live_refit_mids_only_paths: midPaths,
          live_refit: {
            ticks: live.length,
            paths,
            essvi_paths: essviPaths,
            butterfly_free: liveButterflyFree,
            raw_calendar_violations: liveCalendarViolations,
            essvi_arbitrage_free: liveEssviFree,
            rmse_vol_median: Number(rmse(liveFits.slice(0, 2), (s) => s.quality?.rmseVol).toFixed(4)),
            rmse_vol_median_cold: Number(rmse(coldTicks, (s) => s.quality?.rmseVol).toFixed(4)),
            in_band_median: Number(rmse(liveFits.slice(0, 2), (s) => s.quality?.inBand).toFixed(4)),
            in_band_median_cold: Number(rmse(coldTicks, (s) => s.quality?.inBand).toFixed(4)),
            essvi_rmse_vol_median: Number(rmse(liveFits.slice(0, 2), (s) => s.essviQuality?.rmseVol).toFixed(4)),
            essvi_rmse_vol_median_cold: Number(rmse(coldTicks, (s) => s.essviQuality?.rmseVol).toFixed(4)),
          },
        },
        true,
      );
    });
}
