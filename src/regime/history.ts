/**
 * The SPY/VIX history the regime model reads: the files shipped in `data/history/` (see data/PROVENANCE.md),
 * extended by local updates in `<dataDir>/history/{SPY,VIX}.csv` (written by `manifold regime update` or
 * `manifold regime import`), then aligned on common dates.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AlignedHistory } from '../analytics/regime-features.js';
import { parseDailyCsv, formatDailyCsv, HistoryFormatError, type DailySeries, type SeriesLoadReport } from './csv.js';
import { alignSeries, detectSplits, sliceFrom, type AlignmentReport, type SplitEvent } from './quality.js';

export const SHIPPED_SPY = 'SPY_daily_yahoo.csv';
export const SHIPPED_VIX = 'VIX_History.csv';

/** Finds `data/history` by walking up from this module (works from `src/` under tsx and from `dist/`). */
export function shippedHistoryDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', 'history');
    if (existsSync(join(candidate, SHIPPED_SPY))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('shipped history data/history/SPY_daily_yahoo.csv not found above ' + fileURLToPath(import.meta.url));
}

export interface MergeReport {
  symbol: string;
  /** How the update was joined: returns chained from an overlap date (SPY), or levels appended (VIX). */
  mode: 'chain' | 'level';
  anchor: string | null;
  appended: number;
  /** Largest relative difference between base and update on overlapping dates (levels mode) — a consistency check. */
  maxOverlapDiff: number | null;
}

/**
 * Extends `base` with the rows of `ext` dated after base's last date.
 *
 * 'chain' (SPY): the two sources' price units differ (Yahoo's adjusted close is rescaled whenever it is
 * regenerated, Massive's split-adjusted close is not dividend-adjusted), so new closes are joined by their
 * returns from an anchor date both have: base_last · ext_t / ext_anchor. Without an overlap the join is refused.
 * 'level' (VIX): an index level is the same number in every source; rows are appended as they are.
 */
export function mergeSeries(base: DailySeries, ext: DailySeries, mode: 'chain' | 'level'): { series: DailySeries; report: MergeReport } {
  const last = base.dates[base.dates.length - 1];
  const report: MergeReport = { symbol: base.symbol, mode, anchor: null, appended: 0, maxOverlapDiff: null };
  if (last === undefined) return { series: ext, report: { ...report, appended: ext.dates.length } };
  const baseIdx = new Map(base.dates.map((d, i) => [d, i]));
  let maxDiff = 0;
  let overlaps = 0;
  for (let i = 0; i < ext.dates.length; i++) {
    const bi = baseIdx.get(ext.dates[i]);
    if (bi !== undefined) {
      overlaps++;
      maxDiff = Math.max(maxDiff, Math.abs(ext.close[i] / base.close[bi] - 1));
    }
  }
  report.maxOverlapDiff = overlaps > 0 ? maxDiff : null;
  const newIdx: number[] = [];
  for (let i = 0; i < ext.dates.length; i++) if (ext.dates[i] > last) newIdx.push(i);
  if (newIdx.length === 0) return { series: base, report };
  let factor = 1;
  if (mode === 'chain') {
    // Anchor on the latest date both series have (normally base's last date).
    let anchorIdx = -1;
    for (let i = ext.dates.length - 1; i >= 0; i--) {
      if (ext.dates[i] <= last && baseIdx.has(ext.dates[i])) {
        anchorIdx = i;
        break;
      }
    }
    if (anchorIdx < 0) {
      throw new HistoryFormatError(`${base.symbol}: update (from ${ext.dates[0]}) shares no date with the stored history (to ${last}); cannot chain returns`);
    }
    report.anchor = ext.dates[anchorIdx];
    factor = base.close[baseIdx.get(ext.dates[anchorIdx]) as number] / ext.close[anchorIdx];
  }
  const dates = base.dates.concat(newIdx.map((i) => ext.dates[i]));
  const close = new Float64Array(dates.length);
  close.set(base.close);
  newIdx.forEach((i, k) => (close[base.close.length + k] = ext.close[i] * factor));
  report.appended = newIdx.length;
  return { series: { symbol: base.symbol, dates, close }, report };
}

export interface HistoryOptions {
  /** Local data folder (config dataDir); updates live in `<dataDir>/history/`. */
  dataDir?: string;
  /** Folder with the shipped files (default: the repository's data/history). */
  shippedDir?: string;
  /** First date used (default 2010-01-01: Yahoo's SPY closes before 2010 are noisy, see data/PROVENANCE.md). */
  start?: string;
}

export interface HistoryReport {
  spy: SeriesLoadReport;
  vix: SeriesLoadReport;
  updates: MergeReport[];
  /** Splits visible in the SPY raw close (SPY has none; reported for any source that does). */
  spySplits: SplitEvent[];
  alignment: AlignmentReport;
  start: string;
}

export const DEFAULT_HISTORY_START = '2010-01-01';

export function updateFile(dataDir: string, symbol: 'SPY' | 'VIX'): string {
  return join(resolve(dataDir), 'history', `${symbol}.csv`);
}

async function readSeries(path: string, symbol: string, closeColumn?: string): Promise<{ series: DailySeries; report: SeriesLoadReport }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HistoryFormatError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseDailyCsv(text, symbol, path, closeColumn);
}

/** Loads shipped history + local updates, aligned on common dates from `start`. */
export async function loadHistory(opts: HistoryOptions = {}): Promise<{ history: AlignedHistory; report: HistoryReport }> {
  const dir = opts.shippedDir ?? shippedHistoryDir();
  const start = opts.start ?? DEFAULT_HISTORY_START;
  const spyLoaded = await readSeries(join(dir, SHIPPED_SPY), 'SPY', 'adj_close');
  const vixLoaded = await readSeries(join(dir, SHIPPED_VIX), 'VIX', 'close');
  let spy = spyLoaded.series;
  let vix = vixLoaded.series;
  const updates: MergeReport[] = [];
  if (opts.dataDir) {
    for (const [sym, mode] of [
      ['SPY', 'chain'],
      ['VIX', 'level'],
    ] as const) {
      const f = updateFile(opts.dataDir, sym);
      if (!existsSync(f)) continue;
      const { series: ext } = await readSeries(f, sym, 'close');
      const merged = mergeSeries(sym === 'SPY' ? spy : vix, ext, mode);
      updates.push(merged.report);
      if (sym === 'SPY') spy = merged.series;
      else vix = merged.series;
    }
  }
  const spySplits = spyLoaded.series.rawClose ? detectSplits(spyLoaded.series.dates, spyLoaded.series.rawClose) : [];
  const { history, report: alignment } = alignSeries(sliceFrom(spy, start), sliceFrom(vix, start));
  return { history, report: { spy: spyLoaded.report, vix: vixLoaded.report, updates, spySplits, alignment, start } };
}

/** Writes (atomically) a local update series, replacing the previous one. */
export async function writeUpdate(dataDir: string, series: DailySeries): Promise<string> {
  const f = updateFile(dataDir, series.symbol as 'SPY' | 'VIX');
  await mkdir(dirname(f), { recursive: true });
  const tmp = `${f}.tmp-${process.pid}`;
  await writeFile(tmp, formatDailyCsv(series));
  await rename(tmp, f);
  return f;
}

/** Reads the current local update series for a symbol, if any. */
export async function readUpdate(dataDir: string, symbol: 'SPY' | 'VIX'): Promise<DailySeries | null> {
  const f = updateFile(dataDir, symbol);
  if (!existsSync(f)) return null;
  return (await readSeries(f, symbol, 'close')).series;
}
