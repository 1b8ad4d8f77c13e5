import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption, printJson } from '../output.js';

/**
 * `manifold bench gex <chain-file>` → {contracts, profile_points, ms_median, ...} (one JSON line).
 *
 * Timed, on one thread, after warm-up:
 * - `ms_median`: the GEX profile of the chain's book (the contracts `manifold gex` uses): per-contract constants
 *   (planProfile) + total GEX at every profile point (profileInto). Loading, chain IV and surface are not timed.
 * - `ms_median_direct_exp`: the same profile on a grid linear in S (no recurrence: one exp per contract per point),
 *   for comparison with the log-grid recurrence that `ms_median` uses.
 * - `ms_median_full`: everything `manifold gex` computes from the book: Greeks and exposures of every contract,
 *   aggregates, profile, ex-next-expiry profile, flip refinement.
 * - `all_rows`: a stress book of EVERY contract row with T > 0 (open interest or not, position 1 each), IV = our
 *   quote IV at the strike where there is one, else the nearest strike's IV of the same expiry.
 */
export function register(bench: Command): void {
  bench
    .command('gex')
    .description('GEX profile speed on a chain file (one JSON line)')
    .argument('<chain-file>', 'Cboe quotedata CSV')
    .option('--points <n>', 'profile points', '201')
    .option('--runs <n>', 'timed runs (median reported)', '31')
    .option('--no-surface', 'do not fit a surface (quote IVs only)')
    .action(async (file: string, opts: { points: string; runs: string; surface: boolean }) => {
      let points: number;
      let runs: number;
      try {
        points = parseNumberOption('--points', opts.points, 3, 100_000);
        runs = parseNumberOption('--runs', opts.runs, 1, 10_000);
        if (!Number.isInteger(points) || !Number.isInteger(runs)) throw new Error('--points and --runs must be integers');
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const { prepareGexInputs } = await import('../gex-inputs.js');
      const { buildGexBook } = await import('../../analytics/gex.js');
      const gex = await import('../../quant/gex/index.js');
      const inputs = await prepareGexInputs(file, { surface: opts.surface });
      const built = buildGexBook(inputs.chain, inputs.chainIv, { surface: inputs.surface });
      const book = built.book;
      const spots = gex.spotGrid(book.spot, 0.2, points);
      const out = new Float64Array(points);
      const work = gex.profileWork(points);

      const time = (fn: () => void): { median: number; min: number } => {
        for (let i = 0; i < Math.min(5, runs); i++) fn();
        const ts: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          fn();
          ts.push(performance.now() - t0);
        }
        ts.sort((a, b) => a - b);
        return { median: ts[ts.length >> 1], min: ts[0] };
      };
      let sink = 0;
      const profile = time(() => {
        gex.profileInto(gex.planProfile(book), spots, out, undefined, work);
        sink += out[0];
      });
      // The same kernel on a grid NOT even in ln S (linear in S, same range) takes the one-exp-per-term path.
      const linear = Float64Array.from({ length: points }, (_, j) => spots[0] + ((spots[points - 1] - spots[0]) * j) / (points - 1));
      const direct = time(() => {
        gex.profileInto(gex.planProfile(book), linear, out, undefined, work);
        sink += out[0];
      });
      const full = time(() => {
        const s = gex.summarizeBook(book, {
          groups: inputs.chain.expiries.length,
          groupDays: built.groupDays,
          nextGroups: built.nextGroups,
          profilePoints: points,
        });
        sink += s.totals.gex;
      });
      const stress = allRowsBook(inputs, gex);
      const stressOut = new Float64Array(points);
      const stressTime = time(() => {
        gex.profileInto(gex.planProfile(stress), spots, stressOut, undefined, work);
        sink += stressOut[0];
      });
      printJson(
        {
          contracts: book.n,
          profile_points: points,
          ms_median: round3(profile.median),
          ms_min: round3(profile.min),
          runs,
          ms_median_direct_exp: round3(direct.median),
          ms_median_full: round3(full.median),
          all_rows: { contracts: stress.n, ms_median: round3(stressTime.median) },
          chain_rows: inputs.chain.size,
          file,
          checksum_finite: Number.isFinite(sink),
        },
        true,
      );
    });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

type GexModule = typeof import('../../quant/gex/index.js');
type Inputs = Awaited<ReturnType<typeof import('../gex-inputs.js').prepareGexInputs>>;

/** Every row with T > 0 and a parity forward; IV = quote IV at the strike or the nearest strike's of the expiry. */
function allRowsBook(inputs: Inputs, gex: GexModule) {
  const { chain, chainIv } = inputs;
  const rows: Array<{ row: number; e: number; iv: number }> = [];
  for (let e = 0; e < chain.expiries.length; e++) {
    const f = chainIv.expiries[e];
    if (!(f.t > 0) || !(f.forward > 0) || !(f.discount > 0)) continue;
    const exp = chain.expiries[e];
    // IVs known in this expiry: OTM rows with an OK mid IV, by strike.
    const known: Array<[number, number]> = [];
    for (const r of exp.rows) if (chainIv.otm[r] === 1 && chainIv.midIv[r] > 0) known.push([chain.strike[r], chainIv.midIv[r]]);
    if (known.length === 0) continue;
    for (const r of exp.rows) {
      let best = known[0];
      for (const k of known) if (Math.abs(k[0] - chain.strike[r]) < Math.abs(best[0] - chain.strike[r])) best = k;
      rows.push({ row: r, e, iv: best[1] });
    }
  }
  const book = gex.allocBook(rows.length, chainIv.spot, chain.multiplier);
  rows.forEach((x, i) => {
    const f = chainIv.expiries[x.e];
    book.strike[i] = chain.strike[x.row];
    book.right[i] = chain.right[x.row];
    book.expiryGroup[i] = x.e;
    book.t[i] = f.t;
    book.iv[i] = x.iv;
    book.logFwdRatio[i] = Math.log(f.forward / chainIv.spot);
    book.rate[i] = -Math.log(f.discount) / f.t;
    book.position[i] = chain.right[x.row] === 0 ? 1 : -1;
  });
  return book;
}
