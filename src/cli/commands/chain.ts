// `manifold chain <file> [--json] [--as-of YYYY-MM-DD]`: load a Cboe quotedata CSV and print what was read.
import type { Command } from 'commander';

interface ChainOptions {
  json?: boolean;
  asOf?: string;
}

export function register(program: Command): void {
  program
    .command('chain')
    .description('load a Cboe option chain file (quotedata CSV) and print a summary')
    .argument('<file>', 'Cboe quotedata CSV')
    .option('--json', 'print the summary as JSON (with one entry per expiry)')
    .option('--as-of <date>', 'trading date the quotes belong to (YYYY-MM-DD), instead of inferring it from the Date line')
    .action(async (file: string, opts: ChainOptions) => {
      const { loadChainForCli } = await import('../chain-input.js');
      const loaded = await loadChainForCli(file, { asOf: opts.asOf });
      const { chain, report } = loaded;
      const expiries = chain.expiries.map((e) => {
        let quoted = 0;
        for (const r of e.rows) if (chain.bid[r] > 0 && chain.ask[r] > 0) quoted++;
        return {
          date: e.date,
          root: e.root,
          settlement: e.settlement,
          exercise: e.exercise,
          expiry: new Date(e.expiryMs).toISOString(),
          contracts: e.rows.length,
          quoted,
        };
      });
      if (opts.json) {
        const { printJson } = await import('../output.js');
        printJson({ ...report, asOf: new Date(report.asOfMs).toISOString(), download: report.downloadMs === null ? null : new Date(report.downloadMs).toISOString(), expiryList: expiries });
        return;
      }
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      const kv: Array<[string, string]> = [
        ['file', report.source],
        ['underlying', `${report.underlying} (${report.underlyingName})`],
        ['spot (Last:)', String(report.spot)],
        ['as-of', `${report.asOfDate} ${new Date(report.asOfMs).toISOString()} (${report.asOfBasis})`],
        ['Date line', report.dateText ?? '(none)'],
        ['layout', `${report.columns} columns, header on line ${report.headerLine}`],
        ['data rows', `${report.dataRows} (${report.badRows} bad, skipped)`],
        ['contracts', String(report.contracts)],
        ['expiries', `${report.expiries} (date, root); ${report.expiryDates} dates ${report.firstExpiry} → ${report.lastExpiry}; roots ${report.roots.join(', ')}`],
        ['strikes', `${report.strikes}: ${report.minStrike} – ${report.maxStrike}`],
        ['quoted (bid>0, ask>0)', `${report.quoted} (${pct(report.quotedShare)})`],
        ['bid = 0', `${report.bidZero} (${pct(report.bidZero / report.contracts)})`],
        ['zero quotes (bid = ask = 0)', String(report.zeroQuotes)],
        ['crossed / locked', `${report.crossed} / ${report.locked}`],
      ];
      const w = Math.max(...kv.map(([k]) => k.length));
      const out: string[] = kv.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
      for (const b of report.badRowSamples) out.push(`${'bad row'.padEnd(w)}  line ${b.line}: ${b.reason}`);
      if (report.badRows > report.badRowSamples.length) out.push(`${''.padEnd(w)}  … and ${report.badRows - report.badRowSamples.length} more`);
      for (const note of report.notes) out.push(`${'note'.padEnd(w)}  ${note}`);
      out.push('');
      const header = ['expiry', 'root', 'settle', 'exercise', 'expires (UTC)', 'contracts', 'quoted'];
      const rows = expiries.map((e) => [e.date, e.root, e.settlement, e.exercise, e.expiry.replace('.000Z', 'Z'), String(e.contracts), String(e.quoted)]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const fmt = (r: string[]) => r.map((c, i) => (i >= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
      out.push(fmt(header));
      for (const r of rows) out.push(fmt(r));
      process.stdout.write(out.join('\n') + '\n');
    });
}
