// `manifold greeks <in.csv> [-o out.csv] [--units raw|desk]`: implied volatility and Greeks for each CSV row.
import type { Command } from 'commander';
import { UserError } from '../errors.js';

interface GreeksOptions {
  output?: string;
  units: string;
}

/** Shortest round-trip decimal for a float64; empty for NaN (a non-OK row). */
function fmt(v: number): string {
  return Number.isFinite(v) ? String(v) : v !== v ? '' : String(v);
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function register(program: Command): void {
  program
    .command('greeks')
    .description('implied volatility and the 11 Greeks (BSM, continuous dividend yield) for every row of a CSV')
    .argument('<in.csv>', 'columns right,spot,strike,expiry_years,rate,dividend_yield,price (or sigma); extra columns are passed through')
    .option('-o, --output <out.csv>', 'write the CSV here instead of stdout')
    .option('--units <units>', "'desk' (theta/charm/color per calendar day; vega, rho, vanna, zomma per 1 vol/rate point; vomma per point²) or 'raw' (as the truth tables)", 'desk')
    .addHelpText(
      'after',
      '\nOutput: the input columns, then iv, delta, gamma, vega, theta, rho, vanna, charm, vomma, speed, zomma, color\n' +
        '(computed at the solved IV; at sigma when price is missing and sigma is given) and status\n' +
        '(ok, below_intrinsic, above_maximum, no_price, bad_input, price_too_small). Non-ok rows have empty values.',
    )
    .action(async (file: string, opts: GreeksOptions) => {
      // A closed pipe (`| head`) ends the output quietly instead of crashing with EPIPE.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
      });
      if (opts.units !== 'raw' && opts.units !== 'desk') throw new UserError(`--units must be 'raw' or 'desk', got '${opts.units}'`);
      const { readFile, writeFile } = await import('node:fs/promises');
      const { parseGreeksCsv } = await import('../greeks-csv.js');
      const { allocGreekColumns, ivAndGreeksBatch, greeksBatch } = await import('../../quant/black/batch.js');
      const { GREEK_NAMES, DESK_FACTORS } = await import('../../quant/black/greeks.js');
      const { ivStatusName } = await import('../../quant/black/status.js');
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const csv = parseGreeksCsv(text, file);
      const n = csv.rows.length;
      const out = allocGreekColumns(n);
      const { input } = csv;
      if (csv.hasPrice) {
        ivAndGreeksBatch(input, out);
        // Rows without a price but with a sigma: price first, then Greeks at that sigma.
        if (csv.hasSigma) {
          for (let i = 0; i < n; i++) {
            if (Number.isNaN(input.price[i]) && Number.isFinite(input.sigma[i])) greeksBatch(input, out, i, i + 1);
          }
        }
      } else {
        greeksBatch(input, out);
      }
      const factor = (g: (typeof GREEK_NAMES)[number]) => (opts.units === 'desk' ? DESK_FACTORS[g] : 1);
      const lines: string[] = [[...csv.header, 'iv', ...GREEK_NAMES, 'status'].map(csvCell).join(',')];
      for (let i = 0; i < n; i++) {
        const cells = csv.rows[i].slice(0, csv.header.length);
        while (cells.length < csv.header.length) cells.push('');
        const vals = [fmt(out.iv[i]), ...GREEK_NAMES.map((g) => fmt(out[g][i] * factor(g))), ivStatusName(out.status[i])];
        lines.push([...cells.map(csvCell), ...vals].join(','));
      }
      const body = lines.join('\n') + '\n';
      if (opts.output) await writeFile(opts.output, body);
      else process.stdout.write(body);
    });
}
