// `manifold surface <chain-file> [--json] [--model svi|ssvi]`: fit the chain's volatility surface and print it.
import type { Command } from 'commander';
import { UserError } from '../errors.js';

interface SurfaceCliOptions {
  json?: boolean;
  model: string;
  minDelta?: string;
}

export function register(program: Command): void {
  program
    .command('surface')
    .description('fit an arbitrage-free volatility surface (raw SVI per expiry, eSSVI across expiries) to a chain file')
    .argument('<chain-file>', 'Cboe quotedata CSV')
    .option('--json', 'print JSON: {underlying, as_of, spot, slices: [...], calendar_free}')
    .option('--model <model>', 'svi: raw SVI per slice, butterfly-free, fitted in increasing T under the previous slice (calendar-free); ssvi: the eSSVI surface', 'svi')
    .option('--min-delta <x>', 'leave out quotes whose out-of-the-money forward delta is below x (0 keeps all)')
    .action(async (file: string, opts: SurfaceCliOptions) => {
      if (opts.model !== 'svi' && opts.model !== 'ssvi') throw new UserError(`--model must be 'svi' or 'ssvi', got '${opts.model}'`);
      const model = opts.model;
      let minDelta: number | undefined;
      if (opts.minDelta !== undefined) {
        minDelta = Number(opts.minDelta);
        if (!Number.isFinite(minDelta) || minDelta < 0 || minDelta >= 0.5) throw new UserError(`--min-delta must be a number in [0, 0.5), got '${opts.minDelta}'`);
      }
      const { loadChainOrUserError } = await import('../gex-inputs.js');
      const chain = await loadChainOrUserError(file);
      if (chain.size === 0) throw new UserError(`${file}: the chain has no contracts`);
      const { computeChainIv } = await import('../../analytics/chain-iv.js');
      const { fitSurface, surfaceJson } = await import('../../analytics/surface.js');
      const fit = fitSurface(chain, computeChainIv(chain), { minDelta, skipEssvi: false });
      const doc = surfaceJson(fit, model);
      if (opts.json) {
        const { printJson } = await import('../output.js');
        printJson(doc);
        return;
      }
      const f = (x: unknown, d: number): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');
      const rows = (doc.slices as Array<Record<string, unknown>>).map((s) => [
        String(s.expiry),
        String(s.root),
        String(s.settlement),
        f(s.t, 4),
        f(s.forward, 2),
        String(s.quotes),
        f(s.atm_vol, 2),
        f(s.rmse_vol, 3),
        f(s.in_band, 2),
        f(s.max_abs_z, 1),
        typeof s.min_g === 'number' ? s.min_g.toExponential(1) : '-',
        s.butterfly_free === null ? '-' : s.butterfly_free ? 'yes' : 'NO',
        String(s.status),
      ]);
      const head = ['expiry', 'root', 'set', 't', 'forward', 'quotes', 'atm_vol', 'rmse_vol', 'in_band', 'max|z|', 'min_g', 'bfly_free', 'status'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]): string => r.map((c, i) => (i < 3 || i === r.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
      const out: string[] = [];
      out.push(`${fit.underlying} as of ${doc.as_of}  spot ${fit.spot}  model ${model}`);
      out.push(line(head));
      for (const r of rows) out.push(line(r));
      const viol = doc.calendar_violations as unknown[];
      out.push(
        model === 'ssvi'
          ? `calendar-free: ${doc.calendar_free ? 'yes' : 'NO'} (eSSVI, exact pairwise check)`
          : `calendar-free: ${doc.calendar_free ? 'yes' : `NO (${viol.length} violating pairs of raw slices)`} (raw slices, dense check to |k| = 1e6 and wing slopes)`,
      );
      process.stdout.write(out.join('\n') + '\n');
    });
}
