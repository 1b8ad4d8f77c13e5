import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { GexResult } from '../../analytics/gex.js';

/** Models selectable on the command line (the flow model needs a trade feed, so it is not offered here). */
const CLI_MODELS = ['naive', 'all-short'] as const;

export interface GexCliOptions {
  json?: boolean;
  model: string;
  points: string;
  range: string;
  volShift?: string;
  surface: boolean;
  ivSource: string;
  strikes: string;
}

export function register(program: Command): void {
  program
    .command('gex')
    .description('dealer gamma exposure of a Cboe chain file: total, by strike/expiry, walls, profile and zero-gamma flip')
    .argument('<chain-file>', 'Cboe quotedata CSV')
    .option('--json', 'print the full result as JSON')
    .option('--model <model>', `positioning model: ${CLI_MODELS.join(' | ')}`, 'naive')
    .option('--points <n>', 'profile points (≥ 200)', '201')
    .option('--range <fraction>', 'profile half-width as a fraction of spot', '0.2')
    .option('--vol-shift <list>', 'extra profiles with every IV shifted, comma-separated vol points (e.g. -5,5)')
    .option('--no-surface', 'do not fit a surface to fill IVs the quotes cannot give (contracts are left out instead)')
    .option('--iv-source <src>', 'quote (OTM mid IV, surface as fallback) | surface (surface vol for every contract)', 'quote')
    .option('--strikes <n>', 'strikes in the text bar chart (nearest to spot)', '31')
    .addHelpText(
      'after',
      '\nGEX is in $ per 1 % move of the underlying (Γ·OI·multiplier·S²·0.01), signed by the positioning model:\n' +
        '  naive      dealers long calls, short puts (SqueezeMetrics convention; default)\n' +
        '  all-short  dealers short every contract\n' +
        'IVs are Manifold\'s own (OTM-side mid IV at each strike, for both call and put), never the file\'s IV column.',
    )
    .action(async (file: string, opts: GexCliOptions) => {
      if (!(CLI_MODELS as readonly string[]).includes(opts.model)) {
        throw new UserError(`--model must be one of ${CLI_MODELS.join(', ')}, got '${opts.model}'`);
      }
      if (opts.ivSource !== 'quote' && opts.ivSource !== 'surface') throw new UserError(`--iv-source must be quote or surface, got '${opts.ivSource}'`);
      if (opts.ivSource === 'surface' && !opts.surface) throw new UserError('--iv-source surface needs a surface (drop --no-surface)');
      const points = Number(opts.points);
      if (!Number.isInteger(points) || points < 200 || points > 100_000) throw new UserError(`--points must be an integer in [200, 100000], got '${opts.points}'`);
      const range = Number(opts.range);
      if (!(range > 0 && range < 1)) throw new UserError(`--range must be a fraction in (0, 1), got '${opts.range}'`);
      const strikes = Number(opts.strikes);
      if (!Number.isInteger(strikes) || strikes < 1 || strikes > 1000) throw new UserError(`--strikes must be an integer in [1, 1000], got '${opts.strikes}'`);
      let volShifts: number[] | undefined;
      if (opts.volShift !== undefined) {
        volShifts = opts.volShift.split(',').map((s) => {
          const v = Number(s.trim());
          if (!Number.isFinite(v) || Math.abs(v) >= 100 || s.trim() === '') throw new UserError(`--vol-shift takes vol points like -5,5; got '${s}'`);
          return v / 100;
        });
      }
      const { prepareGexInputs } = await import('../gex-inputs.js');
      const { computeGex } = await import('../../analytics/gex.js');
      const inputs = await prepareGexInputs(file, { surface: opts.surface });
      const result = computeGex(inputs.chain, inputs.chainIv, {
        model: { kind: opts.model as (typeof CLI_MODELS)[number] },
        profilePoints: points,
        halfWidth: range,
        volShifts,
        surface: inputs.surface,
        ivSource: opts.ivSource as 'quote' | 'surface',
      });
      if (inputs.surfaceNote) result.warnings.push(inputs.surfaceNote);
      const { printJson } = await import('../output.js');
      if (opts.json) printJson(result);
      else process.stdout.write(formatGexText(result, strikes));
    });
}

/** $ amounts as $1.23bn / $456.7m / $12.3k with sign. */
export function money(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  const sign = v < 0 ? '−' : '+';
  if (a >= 1e9) return `${sign}$${(a / 1e9).toFixed(2)}bn`;
  if (a >= 1e6) return `${sign}$${(a / 1e6).toFixed(1)}m`;
  if (a >= 1e3) return `${sign}$${(a / 1e3).toFixed(1)}k`;
  return `${sign}$${a.toFixed(0)}`;
}

function level(v: number | null, spot: number): string {
  if (v === null) return 'none';
  const pct = (100 * (v - spot)) / spot;
  return `${v.toFixed(2)} (${pct >= 0 ? '+' : ''}${pct.toFixed(2)} % from spot)`;
}

/** The readable summary: headline numbers, coverage, and a bar chart of net GEX by strike near spot. */
export function formatGexText(r: GexResult, strikeRows: number): string {
  const L: string[] = [];
  L.push(`${r.underlying}  as of ${r.as_of}  spot ${r.spot.toFixed(2)}`);
  L.push(`model: ${r.conventions.model}`);
  L.push(`IV: ${r.conventions.iv}`);
  for (const w of r.warnings) L.push(`WARNING: ${w}`);
  for (const w of r.notes) L.push(`note: ${w}`);
  L.push('');
  L.push(`total GEX        ${money(r.total_gex)} per 1 % move   (calls ${money(r.totals.call_gex)}, puts ${money(r.totals.put_gex)})`);
  L.push(`                 ${r.totals.gex_shares_per_dollar.toFixed(0)} shares (underlying units) of dealer delta per $1`);
  L.push(`zero-gamma flip  ${level(r.flip, r.spot)}${r.crossings.length > 1 ? `   [${r.crossings.length} crossings in range]` : ''}`);
  L.push(`call wall        ${level(r.call_wall, r.spot)}`);
  L.push(`put wall         ${level(r.put_wall, r.spot)}`);
  L.push(`abs gamma strike ${level(r.abs_gamma_strike, r.spot)}`);
  const ne = r.next_expiry;
  L.push(`next expiry      ${ne.date ?? 'none'}: ${money(ne.gex)} rolls off; ex-next total ${money(ne.ex_next_gex)}, ex-next flip ${level(ne.ex_next_flip, r.spot)}`);
  for (const v of r.vol_profiles) {
    const at = v.profile.find((p) => p.spot === r.spot) ?? { gex: NaN };
    L.push(`vol shift ${(100 * v.vol_shift >= 0 ? '+' : '') + (100 * v.vol_shift).toFixed(1)} pts  GEX at spot ${money(at.gex)}, flip ${level(v.flip, r.spot)}`);
  }
  L.push(`by DTE           ${Object.entries(r.by_dte_bucket).map(([k, v]) => `${k} ${money(v)}`).join('  ')}`);
  L.push(`other exposures  DEX ${money(r.totals.dex)} dollar delta   VEX ${money(r.totals.vex)} per vol pt   CEX ${money(r.totals.cex)} per day`);
  const c = r.coverage;
  L.push(
    `coverage         ${c.contracts_used} of ${c.contracts} contracts, ${(100 * c.open_interest_used_share).toFixed(1)} % of open interest ` +
      `(${(100 * c.open_interest_used_share_of_live).toFixed(1)} % of unexpired) ` +
      `(IV from quotes ${c.iv_source.quote}, from surface ${c.iv_source.surface})`,
  );
  for (const [reason, x] of Object.entries(c.excluded)) {
    if (x.contracts > 0) L.push(`  left out: ${reason.padEnd(16)} ${String(x.contracts).padStart(6)} contracts, OI ${x.open_interest.toFixed(0)}`);
  }
  L.push('');
  L.push(...strikeChart(r, strikeRows));
  return L.join('\n') + '\n';
}

function strikeChart(r: GexResult, rows: number): string[] {
  const withGex = r.by_strike.filter((s) => s.call_gex !== 0 || s.put_gex !== 0);
  if (withGex.length === 0) return ['(no strikes with exposure)'];
  const nearest = [...withGex].sort((a, b) => Math.abs(a.strike - r.spot) - Math.abs(b.strike - r.spot)).slice(0, rows);
  nearest.sort((a, b) => b.strike - a.strike);
  const maxAbs = Math.max(...nearest.map((s) => Math.abs(s.net_gex)), 1e-300);
  const half = 30;
  const out = [`net GEX by strike (${nearest.length} strikes nearest spot; ◀ negative | positive ▶; bar = ${money(maxAbs).slice(1)})`];
  let spotMarked = false;
  for (const s of nearest) {
    if (!spotMarked && s.strike < r.spot) {
      out.push(`${'─'.repeat(10)} spot ${r.spot.toFixed(2)} ${'─'.repeat(half * 2 - 8)}`);
      spotMarked = true;
    }
    const len = Math.round((Math.abs(s.net_gex) / maxAbs) * half);
    const left = s.net_gex < 0 ? ' '.repeat(half - len) + '█'.repeat(len) : ' '.repeat(half);
    const right = s.net_gex > 0 ? '█'.repeat(len) : '';
    const tags = [
      s.strike === r.call_wall ? 'call wall' : '',
      s.strike === r.put_wall ? 'put wall' : '',
      s.strike === r.abs_gamma_strike ? 'abs γ' : '',
    ].filter(Boolean);
    out.push(`${s.strike.toFixed(2).padStart(10)} ${money(s.net_gex).padStart(10)} ${left}|${right.padEnd(half)} ${tags.join(', ')}`.trimEnd());
  }
  if (!spotMarked) out.push(`${'─'.repeat(10)} spot ${r.spot.toFixed(2)} ${'─'.repeat(half * 2 - 8)}`);
  if (r.flip !== null) out.push(`flip ${r.flip.toFixed(2)}`);
  return out;
}
