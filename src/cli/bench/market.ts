import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption, printJson } from '../output.js';

/**
 * `manifold bench market [chain-file]` → one JSON line.
 *
 * Timed on one thread after warm-up, medians over `--runs`:
 * - `parse_ms_median`: parseCboeChain on the file's text (already in memory: reading the file is not timed), i.e.
 *   CSV scan, symbol parsing, value conventions, sorting into the column-oriented chain, report and as-of.
 * - `symbols_per_s`: tryParseOptionSymbol on the chain's contracts in Massive form (`O:SPXW230421C04050000`), the
 *   per-message work of the live feed; measured over ≥ 1M parses per run.
 * - `symbols_shuffled_per_s`: the same on the symbols in a fixed random order (as a feed mixing expiries sees them).
 * - `format_per_s`: formatMassive + formatOcc of the same contracts.
 * References measured in the same run (the machine is shared, so compare ratios):
 * - `baseline_split_ms_median`: the least any CSV reader does: split the text into lines and cells and convert
 *   every cell with Number(); `parse_vs_baseline` = parse_ms_median / baseline_split_ms_median.
 * - `regex_symbols_per_s`: a one-regex Massive symbol parser (`^O:([A-Z][A-Z0-9]{0,5})(\d{6})([CP])(\d{8})$`)
 *   producing the same fields, on the shuffled list; `symbols_vs_regex` = symbols_shuffled_per_s / regex_symbols_per_s.
 */
export function register(bench: Command): void {
  bench
    .command('market')
    .description('Cboe chain parsing and option-symbol parsing speed (one JSON line)')
    .argument('[chain-file]', 'Cboe quotedata CSV (default: the shipped SPX 2023-04-14 chain)')
    .option('--runs <n>', 'timed runs (median reported)', '21')
    .action(async (fileArg: string | undefined, opts: { runs: string }) => {
      const runs = parseNumberOption('--runs', opts.runs, 1, 10_000);
      const { readFile } = await import('node:fs/promises');
      const { parseCboeChain } = await import('../../market/cboe.js');
      const { tryParseOptionSymbol, parseOptionSymbol, formatMassive, formatOcc } = await import('../../market/symbols.js');
      const { loadChainFile, shippedChainPath } = await import('../../feed/chain-file.js');
      const file = fileArg ?? shippedChainPath();
      let text: string;
      try {
        await loadChainFile(file); // same checks and errors as `manifold chain`
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new UserError((e as Error).message);
      }

      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      let sink = 0;
      for (let i = 0; i < 5; i++) sink += parseCboeChain(text, file).chain.size;
      // Parser and baseline alternate run by run, so that load changes on the shared machine hit both alike.
      const parseMs: number[] = [];
      const baselineMs: number[] = [];
      let size = 0;
      let dataRows = 0;
      for (let r = 0; r < runs; r++) {
        let t0 = performance.now();
        const { chain, report } = parseCboeChain(text, file);
        parseMs.push(performance.now() - t0);
        size = chain.size;
        dataRows = report.dataRows;
        t0 = performance.now();
        for (const line of text.split('\n')) for (const cell of line.split(',')) sink += Number(cell) > 0 ? 1 : 0;
        baselineMs.push(performance.now() - t0);
      }

      const { chain } = parseCboeChain(text, file);
      const contracts = chain.symbol.map((s) => parseOptionSymbol(s));
      const massive = contracts.map((c) => formatMassive(c));
      // The same symbols in a fixed pseudo-random order: consecutive messages of a live feed hop between expiries,
      // which defeats the parser's one-entry expiry memo that the chain's sorted order favours.
      let seed = 1;
      const shuffled = massive
        .map((m) => [(seed = (seed * 1103515245 + 12345) >>> 0), m] as const)
        .sort((a, b) => a[0] - b[0])
        .map((x) => x[1]);
      const reps = Math.max(1, Math.ceil(1_000_000 / massive.length));
      const symRates: number[] = [];
      const regexRates: number[] = [];
      const shuffledRates: number[] = [];
      const re = /^O:([A-Z][A-Z0-9]{0,5})(\d{6})([CP])(\d{8})$/;
      const fmtRates: number[] = [];
      for (let r = 0; r < Math.max(3, Math.min(runs, 9)); r++) {
        let t0 = performance.now();
        for (let k = 0; k < reps; k++) {
          for (let i = 0; i < massive.length; i++) {
            const p = tryParseOptionSymbol(massive[i]);
            if (p.ok) sink += p.value.strike;
          }
        }
        symRates.push((reps * massive.length) / ((performance.now() - t0) / 1000));
        t0 = performance.now();
        for (let k = 0; k < reps; k++) {
          for (let i = 0; i < shuffled.length; i++) {
            const p = tryParseOptionSymbol(shuffled[i]);
            if (p.ok) sink += p.value.strike;
          }
        }
        shuffledRates.push((reps * shuffled.length) / ((performance.now() - t0) / 1000));
        t0 = performance.now();
        for (let k = 0; k < reps; k++) {
          for (let i = 0; i < shuffled.length; i++) {
            const m = re.exec(shuffled[i]);
            if (m) {
              const d = m[2];
              const v = { root: m[1], expiry: '20' + d.slice(0, 2) + '-' + d.slice(2, 4) + '-' + d.slice(4, 6), right: m[3], strike: Number(m[4]) / 1000 };
              sink += v.strike;
            }
          }
        }
        regexRates.push((reps * massive.length) / ((performance.now() - t0) / 1000));
        t0 = performance.now();
        const fmtReps = Math.max(1, reps >> 2);
        for (let k = 0; k < fmtReps; k++) {
          for (let i = 0; i < contracts.length; i++) sink += formatMassive(contracts[i]).length + formatOcc(contracts[i]).length;
        }
        fmtRates.push((fmtReps * contracts.length) / ((performance.now() - t0) / 1000));
      }
      printJson(
        {
          bench: 'market',
          file,
          data_rows: dataRows,
          contracts: size,
          runs,
          parse_ms_median: Math.round(median(parseMs) * 100) / 100,
          parse_ms_min: Math.round(Math.min(...parseMs) * 100) / 100,
          parse_rows_per_s: Math.round(dataRows / (median(parseMs) / 1000)),
          baseline_split_ms_median: Math.round(median(baselineMs) * 100) / 100,
          parse_vs_baseline: Math.round((median(parseMs) / median(baselineMs)) * 100) / 100,
          symbols_per_s: Math.round(median(symRates)),
          symbols_shuffled_per_s: Math.round(median(shuffledRates)),
          regex_symbols_per_s: Math.round(median(regexRates)),
          symbols_vs_regex: Math.round((median(shuffledRates) / median(regexRates)) * 100) / 100,
          format_per_s: Math.round(median(fmtRates)),
          sink: sink > 0 ? 1 : 0,
        },
        true,
      );
    });
}
