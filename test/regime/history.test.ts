import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDailyCsv, normaliseDate, parseObservationsCsv, HistoryFormatError } from '../../src/regime/csv.js';
import { loadHistory, mergeSeries } from '../../src/regime/history.js';
import { detectSplits, adjustForSplits, findGaps, alignSeries } from '../../src/regime/quality.js';

describe('history CSV parsing', () => {
  it('normalises ISO and Cboe MM/DD/YYYY dates and rejects impossible ones', () => {
    expect(normaliseDate('2024-02-29')).toBe('2024-02-29');
    expect(normaliseDate('03/16/2020')).toBe('2020-03-16');
    expect(normaliseDate('2023-02-29')).toBeNull();
    expect(normaliseDate('13/01/2020')).toBeNull();
    expect(normaliseDate('2024-01-02 00:00:00-05:00')).toBe('2024-01-02');
  });

  it('counts bad rows and duplicates, sorts out-of-order rows', () => {
    const text = 'DATE,OPEN,HIGH,LOW,CLOSE\n01/03/2020,1,1,1,12.5\n01/02/2020,1,1,1,12\nxx/01/2020,1,1,1,13\n01/06/2020,1,1,1,-1\n01/06/2020,1,1,1,14\n01/06/2020,1,1,1,15\n';
    const { series, report } = parseDailyCsv(text, 'VIX', 'v.csv', 'close');
    expect(series.dates).toEqual(['2020-01-02', '2020-01-03', '2020-01-06']);
    expect(Array.from(series.close)).toEqual([12, 12.5, 14]);
    expect(report.rejected).toBe(2);
    expect(report.rejectedSample[0]).toEqual({ line: 4, reason: "bad date 'xx/01/2020'" });
    expect(report.duplicates).toBe(1);
    expect(report.reordered).toBe(true);
    expect(() => parseDailyCsv('foo,bar\n1,2\n', 'X', 'x.csv')).toThrow(HistoryFormatError);
  });

  it('parses --input observation files: numeric columns as given, date ignored, bad values are errors', () => {
    const ok = parseObservationsCsv('date,a,b,label\n2020-01-01,1.5,2,x\n2020-01-02,-3,4e-2,y\n', 'f.csv');
    expect(ok).toMatchObject({ n: 2, d: 2, columns: ['a', 'b'], ignored: ['date', 'label'] });
    expect(Array.from(ok.data)).toEqual([1.5, 2, -3, 0.04]);
    expect(() => parseObservationsCsv('a,b\n1,2\n3,oops\n', 'f.csv')).toThrow("f.csv:3: column 'b' value 'oops' is not a finite number");
  });
});

describe('shipped history', () => {
  it('loads, aligns and reports calendar mismatches and gaps', async () => {
    const { history, report } = await loadHistory();
    expect(history.dates[0]).toBe('2010-01-04');
    expect(history.dates.at(-1)).toBe('2026-03-19');
    expect(report.spy.rejected).toBe(0);
    expect(report.vix.rejected).toBe(0);
    // Cboe publishes VIX on some US market holidays (e.g. 2023-07-04) and the VIX file runs to 2026-07-31.
    expect(report.alignment.vixOnly.inside).toContain('2023-07-04');
    expect(report.alignment.vixOnly.afterOtherEnds).toBeGreaterThan(80);
    expect(report.alignment.spyOnly.count).toBe(0);
    expect(report.alignment.gaps.map((g) => g.from)).toEqual(['2012-10-26']); // Hurricane Sandy closure
    expect(report.spySplits).toEqual([]);
    // spot checks against PROVENANCE
    const i = history.dates.indexOf('2020-03-16');
    expect(history.vix[i]).toBeCloseTo(82.69, 2);
  });
});

describe('data quality', () => {
  it('detects and back-adjusts a split in raw closes', () => {
    const dates = ['2024-06-06', '2024-06-07', '2024-06-10', '2024-06-11'];
    const raw = Float64Array.from([1200, 1210, 121.5, 122]);
    const s = detectSplits(dates, raw);
    expect(s).toHaveLength(1);
    expect(s[0].date).toBe('2024-06-10');
    expect(s[0].ratio).toBeCloseTo(10, 12);
    const adj = adjustForSplits(dates, raw, s);
    expect(Array.from(adj)).toEqual([120, 121, 121.5, 122]);
    // an ordinary -10 % day is not a split
    expect(detectSplits(['a', 'b'], Float64Array.from([100, 90]))).toEqual([]);
  });

  it('finds gaps beyond a long weekend', () => {
    expect(findGaps(['2024-07-03', '2024-07-05', '2024-07-08', '2024-07-15'])).toEqual([{ from: '2024-07-08', to: '2024-07-15', calendarDays: 7, missingWeekdays: 4 }]);
  });

  it('aligns mismatched calendars by inner join', () => {
    const spy = { symbol: 'SPY', dates: ['2024-01-02', '2024-01-03', '2024-01-04'], close: Float64Array.from([1, 2, 3]) };
    const vix = { symbol: 'VIX', dates: ['2024-01-02', '2024-01-04', '2024-01-05'], close: Float64Array.from([10, 30, 40]) };
    const { history, report } = alignSeries(spy, vix);
    expect(history.dates).toEqual(['2024-01-02', '2024-01-04']);
    expect(Array.from(history.vix)).toEqual([10, 30]);
    expect(report.spyOnly).toMatchObject({ count: 1, inside: ['2024-01-03'] });
    expect(report.vixOnly).toMatchObject({ count: 1, afterOtherEnds: 1 });
  });

  it('chains SPY updates by returns and appends VIX levels', () => {
    const base = { symbol: 'SPY', dates: ['2024-01-02', '2024-01-03'], close: Float64Array.from([100, 101]) };
    const ext = { symbol: 'SPY', dates: ['2024-01-03', '2024-01-04', '2024-01-05'], close: Float64Array.from([505, 510.05, 500]) };
    const m = mergeSeries(base, ext, 'chain');
    expect(m.series.dates).toEqual(['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05']);
    expect(m.series.close[2]).toBeCloseTo(101 * (510.05 / 505), 12);
    expect(m.report).toMatchObject({ anchor: '2024-01-03', appended: 2 });
    expect(() => mergeSeries(base, { ...ext, dates: ['2024-01-08', '2024-01-09', '2024-01-10'] }, 'chain')).toThrow(/cannot chain/);
    const v = mergeSeries({ ...base, symbol: 'VIX' }, { ...ext, symbol: 'VIX', close: Float64Array.from([101, 13, 14]) }, 'level');
    expect(Array.from(v.series.close)).toEqual([100, 101, 13, 14]);
  });

  it('merges local updates from the data folder on load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regime-hist-'));
    try {
      mkdirSync(join(dir, 'history'));
      writeFileSync(join(dir, 'history', 'SPY.csv'), 'date,close\n2026-03-18,600\n2026-03-19,598\n2026-03-20,604\n2026-03-23,610\n');
      writeFileSync(join(dir, 'history', 'VIX.csv'), 'date,close\n2026-07-31,16\n2026-08-03,17.5\n');
      const { history, report } = await loadHistory({ dataDir: dir });
      expect(report.updates.map((u) => [u.symbol, u.appended])).toEqual([
        ['SPY', 2],
        ['VIX', 1],
      ]);
      expect(history.dates.at(-1)).toBe('2026-03-23');
      const n = history.dates.length;
      expect(history.spy[n - 1] / history.spy[n - 3]).toBeCloseTo(610 / 598, 12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
