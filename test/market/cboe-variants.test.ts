// Variants, bad rows and malformed files for the Cboe chain loader, built from the shipped sample chain.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChainFileError, ChainFormatError, loadChainFile, shippedChainPath } from '../../src/feed/chain-file.js';
import { CalendarError } from '../../src/market/calendar.js';
import { parseCboeChain, parseDownloadTime, splitCsvLine } from '../../src/market/cboe.js';
import { repoRoot, runCli } from '../support/cli.js';

const samplePath = join(repoRoot, 'data', 'chains', 'SPX_2023-04-14_eod.csv');
const sample = readFileSync(samplePath, 'utf8');
const sampleLines = sample.split('\n');
const base = parseCboeChain(sample, 'sample');
const tmp = mkdtempSync(join(tmpdir(), 'manifold-chain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sameChain(text: string) {
  const { chain, report } = parseCboeChain(text, 'variant');
  expect(report.badRows).toBe(0);
  expect(chain.size).toBe(base.chain.size);
  expect(chain.symbol).toEqual(base.chain.symbol);
  expect(chain.bid).toEqual(base.chain.bid);
  expect(chain.ask).toEqual(base.chain.ask);
  expect(chain.vendorIv).toEqual(base.chain.vendorIv);
  expect(chain.openInterest).toEqual(base.chain.openInterest);
  expect(chain.asOfMs).toBe(base.chain.asOfMs);
  expect(chain.quote.last).toBe(base.chain.quote.last);
  return report;
}

function withDateLine(date: string): string {
  return sampleLines.map((l, i) => (i === 2 ? `${date},Bid: 4124.9502,Ask: 4164.2998,Size: 1*1,Volume: 0` : l)).join('\n');
}

function writeTmp(name: string, content: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

async function formatError(path: string): Promise<ChainFormatError> {
  try {
    await loadChainFile(path);
  } catch (e) {
    expect(e).toBeInstanceOf(ChainFormatError);
    return e as ChainFormatError;
  }
  throw new Error(`${path} loaded without error`);
}

describe('layout variants give the same chain', () => {
  it('sample basics', () => {
    expect(base.report).toMatchObject({ underlying: 'SPX', asOfDate: '2023-04-14', asOfBasis: 'close', dataRows: 9048, contracts: 18096, expiries: 55, expiryDates: 50 });
    expect(new Date(base.chain.asOfMs).toISOString()).toBe('2023-04-14T20:00:00.000Z');
    expect(base.chain.quote.bid).toBeNaN(); // index: the header bid/ask is not a market
    const am = base.chain.expiries.find((e) => e.root === 'SPX' && e.date === '2023-04-21')!;
    expect(am).toMatchObject({ settlement: 'AM', exercise: 'european' });
    expect(new Date(am.expiryMs).toISOString()).toBe('2023-04-21T13:30:00.000Z');
  });

  it('CRLF line ends and a UTF-8 BOM', () => {
    sameChain('\ufeff' + sample.replace(/\n/g, '\r\n'));
  });

  it('every field quoted', () => {
    const quoted = sampleLines.map((l, i) => (i >= 4 && l ? l.split(',').map((f) => `"${f}"`).join(',') : l)).join('\n');
    sameChain(quoted);
  });

  it('spreadsheet re-save: no blank first line, trailing commas, strikes without decimals, trailing empty cells', () => {
    const resaved = sampleLines
      .slice(1)
      .map((l, i) => (i < 2 ? l + ',,,,,,,,,,,,,,,,,,,' : i >= 3 && l ? l.replace(/,(\d+)\.00,/, ',$1,') + ',,' : l))
      .join('\n');
    const r = sameChain(resaved);
    expect(r.headerLine).toBe(3);
  });

  it('blank lines between rows and at the end are ignored, not counted as data', () => {
    const withBlanks = sampleLines.map((l, i) => (i === 100 ? l + '\n\n' : l)).join('\n') + '\n\n';
    const r = sameChain(withBlanks);
    expect(r.blankLines).toBe(4);
    expect(r.dataRows).toBe(9048);
  });

  it('a last row without a line break is read, with a note', () => {
    const r = sameChain(sample.replace(/\n$/, ''));
    expect(r.notes.join(' ')).toMatch(/does not end with a line break/);
  });

  it('rows in any order (reversed, shuffled)', () => {
    const head = sampleLines.slice(0, 4);
    const rows = sampleLines.slice(4).filter((l) => l !== '');
    sameChain([...head, ...[...rows].reverse()].join('\n') + '\n');
    let seed = 3;
    const shuffled = rows.map((l) => [((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32), l] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    sameChain([...head, ...shuffled].join('\n') + '\n');
  });

  it('columns located by name (reordered columns)', () => {
    // Move the call Bid/Ask to the end of the call block (after Open Interest).
    const reorder = (f: string[]) => [f[0], f[1], f[2], f[3], f[6], f[7], f[8], f[9], f[10], f[4], f[5], ...f.slice(11)];
    const text = sampleLines.map((l, i) => (i >= 3 && l ? reorder(splitCsvLine(l)).join(',') : l)).join('\n');
    sameChain(text);
  });
});

describe('the Date line and the as-of time', () => {
  const cases: Array<[string, string, string, string]> = [
    // [Date line, as-of date, basis, as-of instant]
    ['"Date: April 14, 2023 at 7:12 PM EDT"', '2023-04-14', 'close', '2023-04-14T20:00:00.000Z'],
    ['Date: 14 April 2023, 19:12 UTC\u22124', '2023-04-14', 'close', '2023-04-14T20:00:00.000Z'],
    ['"Date: 14 de abril de 2023, 12:05 GMT-4"', '2023-04-14', 'intraday', '2023-04-14T16:05:00.000Z'],
    ['Date: 14 avril, 2023 \u00e0 10:00 UTC\u22124', '2023-04-14', 'intraday', '2023-04-14T14:00:00.000Z'],
    ['Date: 14 April 2023, 9:29 AM EDT"', '2023-04-13', 'previous-close', '2023-04-13T20:00:00.000Z'],
    ['Date: 14 April 2023, 4:00 PM EDT', '2023-04-14', 'close', '2023-04-14T20:00:00.000Z'],
    ['Date: 15 April 2023, 11:00 AM EDT', '2023-04-14', 'previous-close', '2023-04-14T20:00:00.000Z'],
    ['Date: 17 April 2023, 6:00 AM EDT', '2023-04-14', 'previous-close', '2023-04-14T20:00:00.000Z'],
    ['Date: 14 April 2023', '2023-04-14', 'close', '2023-04-14T20:00:00.000Z'],
    // Hand-edited year missing: taken from the earliest expiry (2023-04-14).
    ['Date: 14 April 14, 7:00 PM EDT', '2023-04-14', 'close', '2023-04-14T20:00:00.000Z'],
  ];
  for (const [line, date, basis, instant] of cases) {
    it(`${line} → ${date} ${basis}`, () => {
      const { report, chain } = parseCboeChain(withDateLine(line), 'x');
      expect(report.asOfDate).toBe(date);
      expect(report.asOfBasis).toBe(basis);
      expect(new Date(chain.asOfMs).toISOString()).toBe(instant);
    });
  }

  it('notes an as-of date after the earliest listed expiry', () => {
    const { report } = parseCboeChain(withDateLine('Date: 17 April 2023, 8:00 PM EDT'), 'x');
    expect(report.asOfDate).toBe('2023-04-17');
    expect(report.notes.join(' ')).toMatch(/earliest listed expiry 2023-04-14 is before/);
  });

  it('falls back on the earliest listed expiry when the Date line is unreadable or absent, and says so', () => {
    const { report } = parseCboeChain(withDateLine('Date: ???'), 'x');
    expect(report.asOfBasis).toBe('earliest-expiry');
    expect(report.asOfDate).toBe('2023-04-14');
    expect(report.notes.join(' ')).toMatch(/could not be read.*earliest listed expiry/);
    const noDate = sampleLines.filter((_, i) => i !== 2).join('\n');
    const r2 = parseCboeChain(noDate, 'x').report;
    expect(r2.asOfBasis).toBe('earliest-expiry');
    expect(r2.notes.join(' ')).toMatch(/no 'Date:' line/);
  });

  it('takes an explicit as-of date over the Date line', () => {
    const { report, chain } = parseCboeChain(sample, 'x', { asOfDate: '2023-04-13' });
    expect(report.asOfBasis).toBe('override');
    expect(chain.asOfDate).toBe('2023-04-13');
    expect(new Date(chain.asOfMs).toISOString()).toBe('2023-04-13T20:00:00.000Z');
    expect(() => parseCboeChain(sample, 'x', { asOfDate: '2023-04-15' })).toThrow(CalendarError);
    expect(() => parseCboeChain(sample, 'x', { asOfDate: '14/04/2023' })).toThrow(CalendarError);
  });

  it('parses the locale variants found in the shared files', () => {
    expect(parseDownloadTime('23 de marzo de 2022, 10:11 GMT-4')).toEqual({ year: 2022, month: 3, day: 23, minutes: 611, offsetMin: -240 });
    expect(parseDownloadTime('11 April, 2023 \u00e0 22:23 UTC\u22124')).toEqual({ year: 2023, month: 4, day: 11, minutes: 1343, offsetMin: -240 });
    expect(parseDownloadTime('February 5 2022, 8:09 PM EST')).toEqual({ year: 2022, month: 2, day: 5, minutes: 1209, offsetMin: -300 });
    expect(parseDownloadTime('24 September 2023,1:46 PM EDT')).toEqual({ year: 2023, month: 9, day: 24, minutes: 826, offsetMin: -240 });
    expect(parseDownloadTime('4 June 4, 3:15 PM EDT')).toEqual({ year: null, month: 6, day: 4, minutes: 915, offsetMin: -240 });
    expect(parseDownloadTime('January 7, 2024 at 12:52 AM EST')).toMatchObject({ minutes: 52 });
    expect(parseDownloadTime('nonsense')).toBeNull();
    // Numeric forms: ISO, US M/D/Y, and D/M/Y when the first number cannot be a month.
    expect(parseDownloadTime('2023-05-26 17:21')).toEqual({ year: 2023, month: 5, day: 26, minutes: 1041, offsetMin: null });
    expect(parseDownloadTime('5/26/2023, 5:21 PM EDT')).toEqual({ year: 2023, month: 5, day: 26, minutes: 1041, offsetMin: -240 });
    expect(parseDownloadTime('26/5/23 17:21')).toEqual({ year: 2023, month: 5, day: 26, minutes: 1041, offsetMin: null });
  });
});

describe('bad rows are counted with their line, never silently dropped', () => {
  it('skips and reports each kind of bad row', () => {
    const lines = [...sampleLines];
    const L = (n: number) => n - 1; // 1-based line numbers in the report
    lines[L(10)] = lines[L(10)].split(',').slice(0, 12).join(','); // too few fields
    lines[L(20)] = lines[L(20)].replace('SPXW230414C', 'SPXW230414X'); // malformed symbol
    lines[L(30)] = lines[L(30)].split(',').map((f, i) => (i === 4 ? 'abc' : f)).join(','); // non-numeric bid
    lines[L(40)] = lines[L(40)].split(',').map((f, i) => (i === 11 ? '1234.00' : f)).join(','); // strike mismatch
    lines[L(50)] = lines[L(50)].replace('Fri Apr 14 2023', 'Mon Apr 17 2023'); // expiry column mismatch
    lines[L(60)] = lines[L(60)].split(',').map((f, i) => (i === 16 ? '-0.05' : f)).join(','); // negative put ask
    lines[L(70)] = lines[L(70)].replace(/P0(\d)/, 'P1$1'); // put disagrees with call
    lines.splice(L(80), 0, lines[L(5)]); // duplicate of line 5, inserted as line 80
    const { chain, report } = parseCboeChain(lines.join('\n'), 'bad.csv');
    expect(report.dataRows).toBe(9049);
    expect(report.badRows).toBe(8);
    expect(report.contracts).toBe(2 * (9049 - 8));
    expect(chain.size).toBe(report.contracts);
    expect(report.badRowSamples.map((b) => b.line)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    const reasons = report.badRowSamples.map((b) => b.reason);
    expect(reasons[0]).toMatch(/12 fields, expected 22/);
    expect(reasons[1]).toMatch(/call symbol .*right 'X'/);
    expect(reasons[2]).toMatch(/call bid 'abc' is not a number/);
    expect(reasons[3]).toMatch(/strike column '1234.00'/);
    expect(reasons[4]).toMatch(/differs from the Expiration Date column 2023-04-17/);
    expect(reasons[5]).toMatch(/put ask -0.05 is negative/);
    expect(reasons[6]).toMatch(/disagree/);
    expect(reasons[7]).toMatch(/duplicate contract .* \(first on line 5\)/);
  });

  it('counts crossed, locked and zero quotes', () => {
    const lines = [...sampleLines];
    const set = (n: number, col: number, v: string) => (lines[n - 1] = lines[n - 1].split(',').map((f, i) => (i === col ? v : f)).join(','));
    const before = base.report;
    // Line 200: make the call crossed (bid > ask); line 201: make the put locked.
    const f200 = lines[199].split(',');
    set(200, 4, String(Number(f200[5]) + 1));
    const f201 = lines[200].split(',');
    set(201, 15, f201[16]);
    const { report } = parseCboeChain(lines.join('\n'), 'x');
    expect(Number(f201[16])).toBeGreaterThan(0);
    expect(report.crossed).toBe(before.crossed + 1);
    expect(report.locked).toBe(before.locked + 1);
    expect(report.zeroQuotes).toBe(152);
    expect(report.quoted).toBeLessThanOrEqual(before.quoted + 1);
  });

  it('a file whose every row is bad is a format error', () => {
    const lines = sampleLines.slice(0, 4).concat(sampleLines.slice(4, 10).map((l) => l.replace(/SPXW/g, 'spxw')));
    expect(() => parseCboeChain(lines.join('\n'), 'allbad.csv')).toThrow(/allbad.csv:5: no valid data rows \(6 bad\)/);
  });
});

describe('malformed files fail cleanly with the file and line', () => {
  it('empty and blank files', async () => {
    const e1 = await formatError(writeTmp('empty.csv', ''));
    expect(e1.message).toBe(`${join(tmp, 'empty.csv')}:1: file is empty`);
    const e2 = await formatError(writeTmp('blank.csv', '\n\n  \n'));
    expect(e2.reason).toBe('file is empty');
  });

  it('binary files', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const e1 = await formatError(writeTmp('image.csv', png));
    expect(e1.message).toMatch(/image\.csv:3: binary data/); // the PNG signature holds two LF bytes
    let seed = 7;
    const noise = Buffer.from(Array.from({ length: 5000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) | 0x80));
    const e2 = await formatError(writeTmp('noise.csv', noise));
    expect(e2.message).toMatch(/noise\.csv:1: binary data/);
    // The parser itself (no file) also refuses text with NUL bytes.
    expect(() => parseCboeChain('Expiration Date,Calls\n\u0000\u0001', 's')).toThrow(/s:2: binary data/);
  });

  it('truncated files', async () => {
    // Cut in the middle of a data row: the last row is short and has no line end.
    const cut = sample.slice(0, sample.indexOf('\n', 700_000) + 40);
    const lastLine = cut.split('\n').length;
    const e1 = await formatError(writeTmp('cut-row.csv', cut));
    expect(e1.line).toBe(lastLine);
    expect(e1.message).toMatch(new RegExp(`cut-row\\.csv:${lastLine}: file is truncated: last row has \\d+ of 22 fields`));
    // Cut inside the preamble, and right after the column header.
    const e2 = await formatError(writeTmp('cut-preamble.csv', sample.slice(0, 60)));
    expect(e2.message).toMatch(/cut-preamble\.csv:\d: truncated or not a Cboe chain/);
    const header = sampleLines.slice(0, 4).join('\n') + '\n';
    const e3 = await formatError(writeTmp('cut-header.csv', header));
    expect(e3.message).toMatch(/cut-header\.csv:5: no data rows after the column header/);
    const e4 = await formatError(writeTmp('cut-in-header.csv', sample.slice(0, sample.indexOf('Expiration Date') + 30)));
    expect(e4.reason).toMatch(/column header lacks|no data rows|truncated/);
  });

  it('wrong formats', async () => {
    const e1 = await formatError(writeTmp('data.json', JSON.stringify({ a: 1, b: [1, 2, 3] })));
    expect(e1.message).toMatch(/data\.json:1: truncated or not a Cboe chain/);
    const history = 'date,adj_close,close\n' + Array.from({ length: 50 }, (_, i) => `2023-01-${i},1,2`).join('\n');
    const e2 = await formatError(writeTmp('history.csv', history));
    expect(e2.message).toMatch(/history\.csv:4: not a Cboe option chain: no 'Expiration Date,Calls,\.\.\.' column header/);
    const noLast = sampleLines.map((l, i) => (i === 1 ? 'Standard & Poors 500 Index,Price: 4137.64' : l)).join('\n');
    const e3 = await formatError(writeTmp('nolast.csv', noLast));
    expect(e3.message).toMatch(/nolast\.csv:3: no 'Last:' underlying price/);
    const badHeader = sampleLines.map((l, i) => (i === 3 ? l.replace('Strike', 'Strk') : l)).join('\n');
    const e4 = await formatError(writeTmp('badheader.csv', badHeader));
    expect(e4.message).toMatch(/badheader\.csv:4: column header lacks/);
  });

  it('finds the shipped sample chain from the module location', () => {
    expect(shippedChainPath()).toBe(samplePath);
  });

  it('missing and unreadable paths', async () => {
    await expect(loadChainFile(join(tmp, 'nope.csv'))).rejects.toThrow(ChainFileError);
    await expect(loadChainFile(join(tmp, 'nope.csv'))).rejects.toThrow(/nope\.csv: no such file/);
    const dir = join(tmp, 'adir');
    mkdirSync(dir);
    await expect(loadChainFile(dir)).rejects.toThrow(/adir: is a directory/);
  });
});

describe('manifold chain', () => {
  it('prints the summary table of the shipped sample', async () => {
    const r = await runCli(['chain', 'data/chains/SPX_2023-04-14_eod.csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/underlying\s+SPX \(Standard & Poors 500 Index\)/);
    expect(r.stdout).toMatch(/as-of\s+2023-04-14 2023-04-14T20:00:00.000Z \(close\)/);
    expect(r.stdout).toMatch(/contracts\s+18096/);
    expect(r.stdout).toMatch(/2023-04-21\s+SPX\s+AM\s+european\s+2023-04-21T13:30:00Z\s+660/);
  });

  it('prints JSON with --json and honours --as-of', async () => {
    const r = await runCli(['chain', 'data/chains/SPX_2023-04-14_eod.csv', '--json', '--as-of', '2023-04-13']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ underlying: 'SPX', spot: 4137.6401, asOfDate: '2023-04-13', asOfBasis: 'override', dataRows: 9048, contracts: 18096, expiries: 55, crossed: 0 });
    expect(j.expiryList).toHaveLength(55);
    expect(j.expiryList[0]).toMatchObject({ date: '2023-04-14', root: 'SPXW', settlement: 'PM', expiry: '2023-04-14T20:00:00.000Z' });
  });

  it('exits non-zero with one line naming the file and line on a bad file', async () => {
    const p = writeTmp('cli-cut.csv', sample.slice(0, 200_000));
    const r = await runCli(['chain', p]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cli-cut\.csv:\d+: file is truncated/);
    const r2 = await runCli(['chain', 'data/chains/SPX_2023-04-14_eod.csv', '--as-of', '2023-04-15']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--as-of: .*not a trading day/);
  });
});
