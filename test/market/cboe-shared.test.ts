// Every real chain under ../shared/data/options loads, with counts and values checked against an independent
// reading of the same file and against the numbers recorded in shared/data/PROVENANCE.md.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { CALL } from '../../src/market/chain.js';
import { formatCboe, formatMassive, formatOcc, parseOptionSymbol } from '../../src/market/symbols.js';
import { sharedRoot } from '../support/cli.js';

const optionsDir = join(sharedRoot, 'data', 'options', 'cboe_quotedata');
const files = readdirSync(optionsDir)
  .flatMap((d) => readdirSync(join(optionsDir, d)).map((f) => join(optionsDir, d, f)))
  .filter((f) => f.endsWith('.csv'))
  .sort();

interface ProvenanceRow {
  rows: number;
  expiryDates: number;
  first: string;
  last: string;
  strikes: number;
  minStrike: number;
  maxStrike: number;
  bidZeroPct: number;
  asOf: string;
}

/** The per-file table of shared/data/PROVENANCE.md, keyed by file name. */
function provenanceTable(): Map<string, ProvenanceRow> {
  const text = readFileSync(join(sharedRoot, 'data', 'PROVENANCE.md'), 'utf8');
  const out = new Map<string, ProvenanceRow>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `options/cboe_quotedata/')) continue;
    const c = line.split('|').map((x) => x.trim());
    if (!c[1].endsWith('.csv`')) continue; // the summary table lists folders
    const file = basename(c[1].replace(/`/g, ''));
    const em = /^(\d+): (\S+) → (\S+)$/.exec(c[6]);
    const sm = /^(\d+): ([\d.]+)–([\d.]+)$/.exec(c[7]);
    if (!em || !sm) throw new Error(`cannot read PROVENANCE row for ${file}`);
    out.set(file, {
      rows: Number(c[5].replace(/,/g, '')),
      expiryDates: Number(em[1]),
      first: em[2],
      last: em[3],
      strikes: Number(sm[1]),
      minStrike: Number(sm[2]),
      maxStrike: Number(sm[3]),
      bidZeroPct: Number(c[8].replace('%', '')),
      asOf: c[3],
    });
  }
  return out;
}

/** A deliberately simple, separate reading of a quotedata file (no code shared with the parser). */
function readIndependently(text: string) {
  const lines = text.split(/\r?\n/);
  const h = lines.findIndex((l) => l.startsWith('Expiration Date'));
  const header = lines[h].split(',');
  const calls = header.indexOf('Calls');
  const puts = header.indexOf('Puts');
  const strike = header.indexOf('Strike');
  const sideCols = (from: number, to: number) => {
    const names = header.slice(from + 1, to);
    const at = (n: string) => (names.indexOf(n) < 0 ? -1 : from + 1 + names.indexOf(n));
    return { last: at('Last Sale'), bid: at('Bid'), ask: at('Ask'), volume: at('Volume'), iv: at('IV'), delta: at('Delta'), gamma: at('Gamma'), oi: at('Open Interest') };
  };
  const call = sideCols(calls, strike);
  const put = sideCols(puts, header.length);
  const rows = lines.slice(h + 1).filter((l) => l.trim() !== '').map((l) => l.split(','));
  const expiries = new Set<string>();
  const dates = new Set<string>();
  const strikes = new Set<number>();
  for (const f of rows) {
    const d = new Date(Date.parse(`${f[0]} 12:00 UTC`)).toISOString().slice(0, 10);
    dates.add(d);
    expiries.add(`${d}|${f[calls].slice(0, -15)}`);
    strikes.add(Number(f[strike]));
  }
  const lastLine = lines.slice(0, h).find((l) => l.includes('Last:'))!;
  const spot = Number(/Last: ([\d.]+)/.exec(lastLine)![1]);
  return { header, rows, calls, puts, strike, call, put, expiries, dates, strikes, spot };
}

const provenance = provenanceTable();

describe('every shared Cboe chain', () => {
  it('finds all 47 files and a PROVENANCE row for each', () => {
    expect(files.length).toBe(47);
    for (const f of files) expect(provenance.has(basename(f)), basename(f)).toBe(true);
  });

  for (const file of files) {
    const name = basename(file);
    it(`loads ${name} with counts, values, as-of and symbols that match the file`, async () => {
      const { chain, report } = await loadChainFile(file);
      const text = readFileSync(file, 'utf8');
      const ind = readIndependently(text);
      const prov = provenance.get(name)!;
      const [under, asOfFromName, kind] = name.replace('.csv', '').split('_');

      // Counts against the independent reading.
      expect(report.badRows).toBe(0);
      expect(report.dataRows).toBe(ind.rows.length);
      expect(report.contracts).toBe(2 * ind.rows.length);
      expect(chain.size).toBe(report.contracts);
      expect(report.expiries).toBe(ind.expiries.size);
      expect(chain.expiries.length).toBe(ind.expiries.size);
      expect(report.expiryDates).toBe(ind.dates.size);
      expect(report.strikes).toBe(ind.strikes.size);
      expect(report.columns).toBe(ind.header.length);
      expect(report.spot).toBe(ind.spot);
      expect(chain.quote.last).toBe(ind.spot);
      expect(report.underlying).toBe(under);
      expect(chain.underlying).toBe(under);

      // Counts against PROVENANCE (which counts distinct expiration dates).
      expect(report.dataRows).toBe(prov.rows);
      expect(report.expiryDates).toBe(prov.expiryDates);
      expect(report.firstExpiry).toBe(prov.first);
      expect(report.lastExpiry).toBe(prov.last);
      expect(report.strikes).toBe(prov.strikes);
      expect(report.minStrike).toBe(prov.minStrike);
      expect(report.maxStrike).toBe(prov.maxStrike);
      expect(Math.abs((100 * report.bidZero) / report.contracts - prov.bidZeroPct)).toBeLessThanOrEqual(0.051);
      expect(report.crossed).toBe(0); // PROVENANCE: no file has a crossed quote
      expect(report.quotesBlanked).toBe(kind === 'eod-noquotes');

      // As-of: the file name carries the true as-of trading date.
      expect(prov.asOf).toBe(asOfFromName);
      expect(report.asOfDate).toBe(asOfFromName);
      expect(chain.asOfDate).toBe(asOfFromName);
      if (name === 'SPY_2025-05-02_intraday.csv') {
        // The only kind we cannot recover: its Date line says 6:47 PM although the snapshot was taken in the
        // morning session (PROVENANCE). The date is right; the instant is the close rather than the morning.
        expect(report.asOfBasis).toBe('close');
      } else if (kind === 'intraday') {
        expect(report.asOfBasis).toBe('intraday');
        expect(report.asOfMs).toBe(report.downloadMs);
      } else {
        expect(['close', 'previous-close']).toContain(report.asOfBasis);
      }

      // Chain structure: expiries sorted by instant then root, rows contiguous and sorted by strike then right.
      let next = 0;
      const structure: string[] = [];
      for (let e = 0; e < chain.expiries.length; e++) {
        const ex = chain.expiries[e];
        if (e > 0) {
          const p = chain.expiries[e - 1];
          if (!(p.expiryMs < ex.expiryMs || (p.expiryMs === ex.expiryMs && p.root < ex.root))) structure.push(`expiry ${e} out of order`);
        }
        if (ex.expiryMs < Date.parse(ex.date)) structure.push(`expiry ${e} instant before its date`);
        for (let q = 0; q < ex.rows.length; q++) {
          const r = ex.rows[q];
          if (r !== next++) structure.push(`row ${r} not contiguous`);
          if (chain.expiryIndex[r] !== e) structure.push(`row ${r} expiryIndex ${chain.expiryIndex[r]} != ${e}`);
          if (q > 0) {
            const a = ex.rows[q - 1];
            if (!(chain.strike[a] < chain.strike[r] || (chain.strike[a] === chain.strike[r] && chain.right[a] < chain.right[r]))) {
              structure.push(`rows ${a}, ${r} not sorted by strike then right`);
            }
          }
        }
      }
      expect(structure.slice(0, 5)).toEqual([]);
      expect(next).toBe(chain.size);

      // Values, row by row, against the independent reading.
      const index = new Map<string, number>();
      for (let i = 0; i < chain.size; i++) index.set(chain.symbol[i], i);
      const mismatches: string[] = [];
      const num = (s: string) => (s === '' ? NaN : Number(s));
      for (const f of ind.rows) {
        for (const [symCol, cols, isCall] of [
          [ind.calls, ind.call, true],
          [ind.puts, ind.put, false],
        ] as const) {
          const raw = f[symCol];
          const root = raw.slice(0, -15);
          const occ = root.padEnd(6, ' ') + raw.slice(-15);
          const i = index.get(occ);
          if (i === undefined) {
            mismatches.push(`${raw} missing`);
            continue;
          }
          const iv = cols.iv >= 0 ? num(f[cols.iv]) : NaN;
          const ask = num(f[cols.ask]);
          const last = num(f[cols.last]);
          const check = (what: string, got: number, exp: number) => {
            if (!Object.is(got, exp)) mismatches.push(`${raw} ${what}: ${got} vs ${exp}`);
          };
          check('bid', chain.bid[i], num(f[cols.bid]));
          check('ask', chain.ask[i], ask > 0 ? ask : NaN);
          check('last', chain.last[i], last > 0 ? last : NaN);
          check('volume', chain.volume[i], num(f[cols.volume]));
          check('oi', chain.openInterest[i], num(f[cols.oi]));
          check('iv', chain.vendorIv[i], iv > 0 ? iv : NaN);
          check('delta', chain.vendorDelta[i], iv > 0 ? num(f[cols.delta]) : NaN);
          check('gamma', chain.vendorGamma[i], iv > 0 ? num(f[cols.gamma]) : NaN);
          check('strike', chain.strike[i], Number(f[ind.strike]));
          check('right', chain.right[i], isCall ? CALL : 1);
          const ex = chain.expiries[chain.expiryIndex[i]];
          if (ex.root !== root) mismatches.push(`${raw} root ${ex.root}`);
        }
        if (mismatches.length > 10) break;
      }
      expect(mismatches).toEqual([]);

      // Symbol round trips Massive ⇄ OCC ⇄ Cboe on every contract, back to the symbol printed in the file.
      const printed = new Set<string>();
      for (const f of ind.rows) {
        printed.add(f[ind.calls]);
        printed.add(f[ind.puts]);
      }
      const bad: string[] = [];
      for (let i = 0; i < chain.size; i++) {
        const occ = chain.symbol[i];
        const c1 = parseOptionSymbol(occ);
        const massive = formatMassive(c1);
        const c2 = parseOptionSymbol(massive);
        const cboe = formatCboe(c2);
        const c3 = parseOptionSymbol(cboe);
        if (formatOcc(c3) !== occ || !printed.has(cboe) || massive !== 'O:' + cboe) bad.push(occ);
        if (c3.strike !== chain.strike[i] || (c3.right === 'C' ? CALL : 1) !== chain.right[i] || c3.expiry !== chain.expiries[chain.expiryIndex[i]].date) bad.push(`${occ} fields`);
      }
      expect(bad).toEqual([]);
      expect(printed.size).toBe(chain.size);
    });
  }
});
