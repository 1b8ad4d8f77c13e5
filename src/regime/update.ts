/**
 * Extending the local history: from Massive daily aggregates (`regime update`) or a CSV file (`regime import`).
 * New closes go to `<dataDir>/history/{SPY,VIX}.csv`; the shipped files are never modified. Everything unusual
 * (missing days, splits in raw prices, SPY/VIX calendar mismatches, rejected rows) is returned in the report.
 */
import { readFile } from 'node:fs/promises';
import { parseDailyCsv, HistoryFormatError, type DailySeries, type SeriesLoadReport } from './csv.js';
import { loadHistory, mergeSeries, readUpdate, writeUpdate, shippedHistoryDir, type MergeReport } from './history.js';
import { fetchDailyAggs, type AggsReport, type DailyBar } from './massive.js';
import { adjustForSplits, alignSeries, checkCalendar, detectSplits, findGaps, type AlignmentReport, type CalendarCheck, type Gap, type SplitEvent } from './quality.js';

export interface SeriesUpdateReport {
  symbol: 'SPY' | 'VIX';
  fetched?: AggsReport;
  imported?: SeriesLoadReport;
  splits: SplitEvent[];
  splitAdjusted: boolean;
  gaps: Gap[];
  /** Missing trading days and rows on closed days in the new data. */
  calendar: CalendarCheck;
  merge: MergeReport;
  file: string;
  last: string | null;
}

export interface UpdateReport {
  from: string;
  to: string;
  series: SeriesUpdateReport[];
  /** SPY vs VIX calendar over the fetched range. */
  calendar: AlignmentReport | null;
  /** Last common date after the update. */
  lastCommon: string | null;
}

function barsToSeries(symbol: string, bars: DailyBar[]): DailySeries {
  return { symbol, dates: bars.map((b) => b.date), close: Float64Array.from(bars.map((b) => b.close)) };
}

function addDays(date: string, days: number): string {
  const t = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * Raw (unadjusted) closes: detect splits and back-adjust them. Adjusted sources pass through unchanged, but a
 * split-like jump is still reported (it would mean the source's adjustment is missing).
 */
function handleSplits(series: DailySeries, adjustedBySource: boolean): { series: DailySeries; splits: SplitEvent[]; adjusted: boolean } {
  const splits = detectSplits(series.dates, series.close);
  if (splits.length === 0 || adjustedBySource) return { series, splits, adjusted: false };
  return { series: { ...series, close: adjustForSplits(series.dates, series.close, splits) }, splits, adjusted: true };
}

/** Joins new closes to the current local update (or, if none, to the shipped series) and writes the update. */
async function store(dataDir: string, symbol: 'SPY' | 'VIX', fresh: DailySeries, base: DailySeries): Promise<{ merge: MergeReport; file: string; last: string | null }> {
  const mode = symbol === 'SPY' ? 'chain' : 'level';
  const existing = await readUpdate(dataDir, symbol);
  // Validate the join against the full current history first (throws if SPY cannot be chained).
  const merge = mergeSeries(base, fresh, mode).report;
  const updated = existing ? mergeSeries(existing, fresh, mode).series : fresh;
  const file = await writeUpdate(dataDir, { ...updated, symbol });
  return { merge, file, last: updated.dates[updated.dates.length - 1] ?? null };
}

async function currentSeries(dataDir: string, shippedDir?: string): Promise<{ spy: DailySeries; vix: DailySeries }> {
  // The unaligned, merged series (shipped + local updates) from the beginning.
  const dir = shippedDir ?? shippedHistoryDir();
  const load = async (file: string, sym: 'SPY' | 'VIX', col: string): Promise<DailySeries> => {
    let s = parseDailyCsv(await readFile(`${dir}/${file}`, 'utf8'), sym, file, col).series;
    const up = await readUpdate(dataDir, sym);
    if (up) s = mergeSeries(s, up, sym === 'SPY' ? 'chain' : 'level').series;
    return s;
  };
  return { spy: await load('SPY_daily_yahoo.csv', 'SPY', 'adj_close'), vix: await load('VIX_History.csv', 'VIX', 'close') };
}

export interface MassiveUpdateOptions {
  dataDir: string;
  baseUrl: string;
  apiKey?: string;
  /** Last date to fetch (default: today, UTC). */
  to?: string;
  spyTicker?: string;
  vixTicker?: string;
  /** Request split-adjusted SPY bars (default true); with false, splits are detected and adjusted here. */
  adjusted?: boolean;
  shippedDir?: string;
  timeoutMs?: number;
}

/** Fetches SPY and VIX daily bars since shortly before the last stored date and extends the local history. */
export async function updateFromMassive(opts: MassiveUpdateOptions): Promise<UpdateReport> {
  const { spy, vix } = await currentSeries(opts.dataDir, opts.shippedDir);
  const lastSpy = spy.dates[spy.dates.length - 1];
  const lastVix = vix.dates[vix.dates.length - 1];
  // Start 10 days before the earlier of the two last dates: the overlap anchors the SPY return chain.
  const from = addDays(lastSpy < lastVix ? lastSpy : lastVix, -10);
  const to = opts.to ?? new Date().toISOString().slice(0, 10);
  if (to < from) throw new HistoryFormatError(`nothing to fetch: --to ${to} is before ${from}`);
  const rest = { baseUrl: opts.baseUrl, apiKey: opts.apiKey, timeoutMs: opts.timeoutMs };
  const spyRes = await fetchDailyAggs(opts.spyTicker ?? 'SPY', from, to, { ...rest, adjusted: opts.adjusted ?? true });
  const vixRes = await fetchDailyAggs(opts.vixTicker ?? 'I:VIX', from, to, rest);
  const spyFresh = handleSplits(barsToSeries('SPY', spyRes.bars), spyRes.report.adjusted !== false);
  const vixFresh = barsToSeries('VIX', vixRes.bars);
  const series: SeriesUpdateReport[] = [];
  for (const [sym, fresh, base, fetched, splits, adjusted] of [
    ['SPY', spyFresh.series, spy, spyRes.report, spyFresh.splits, spyFresh.adjusted],
    ['VIX', vixFresh, vix, vixRes.report, [], false],
  ] as const) {
    const { merge, file, last } = await store(opts.dataDir, sym, fresh, base);
    series.push({ symbol: sym, fetched, splits: [...splits], splitAdjusted: adjusted, gaps: findGaps(fresh.dates), calendar: checkCalendar(fresh.dates), merge, file, last });
  }
  const calendar = alignSeries(spyFresh.series, vixFresh).report;
  const after = await loadHistory({ dataDir: opts.dataDir, shippedDir: opts.shippedDir });
  return { from, to, series, calendar, lastCommon: after.history.dates[after.history.dates.length - 1] ?? null };
}

export interface ImportOptions {
  dataDir: string;
  symbol: 'SPY' | 'VIX';
  /** Close column to use (default: adj_close, else close, …). */
  column?: string;
  /** The file's closes are raw (unadjusted): detect and adjust splits. Default false. */
  raw?: boolean;
  shippedDir?: string;
}

/** Imports a CSV of daily closes for SPY or VIX into the local history. */
export async function importCsv(path: string, opts: ImportOptions): Promise<UpdateReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HistoryFormatError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const parsed = parseDailyCsv(text, opts.symbol, path, opts.column);
  if (parsed.series.dates.length === 0) throw new HistoryFormatError(`${path}: no valid rows (${parsed.report.rejected} rejected)`);
  const current = await currentSeries(opts.dataDir, opts.shippedDir);
  const base = opts.symbol === 'SPY' ? current.spy : current.vix;
  const fresh = opts.symbol === 'SPY' ? handleSplits(parsed.series, !opts.raw) : { series: parsed.series, splits: [], adjusted: false };
  const { merge, file, last } = await store(opts.dataDir, opts.symbol, fresh.series, base);
  const after = await loadHistory({ dataDir: opts.dataDir, shippedDir: opts.shippedDir });
  return {
    from: parsed.series.dates[0],
    to: parsed.series.dates[parsed.series.dates.length - 1],
    series: [{ symbol: opts.symbol, imported: parsed.report, splits: fresh.splits, splitAdjusted: fresh.adjusted, gaps: findGaps(fresh.series.dates), calendar: checkCalendar(fresh.series.dates), merge, file, last }],
    calendar: null,
    lastCommon: after.history.dates[after.history.dates.length - 1] ?? null,
  };
}
