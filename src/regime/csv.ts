/**
 * Parsing daily price history CSVs: Yahoo-style (`date,adj_close,close,...`), Cboe's `VIX_History.csv`
 * (`DATE,OPEN,HIGH,LOW,CLOSE`, MM/DD/YYYY) and generic user files (a date column and a close column).
 * Bad rows are counted and sampled in the report, never silently dropped or allowed into the series.
 */

/** One daily series: ascending unique dates and the close used for returns. */
export interface DailySeries {
  symbol: string;
  dates: string[];
  /** The series the features use: adjusted close for SPY, the close for VIX. */
  close: Float64Array;
  /** Raw (unadjusted) close when the source has both; used to report splits and dividends. */
  rawClose?: Float64Array;
}

export interface SeriesLoadReport {
  source: string;
  /** Data rows read (excluding header and blank lines). */
  rows: number;
  accepted: number;
  rejected: number;
  /** Up to 20 rejected rows with their 1-based line numbers and reasons. */
  rejectedSample: Array<{ line: number; reason: string }>;
  duplicates: number;
  /** True if rows were out of date order in the file (they are sorted). */
  reordered: boolean;
  closeColumn: string;
  first: string | null;
  last: string | null;
}

export class HistoryFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryFormatError';
  }
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** Normalises `YYYY-MM-DD` or `MM/DD/YYYY` (Cboe) to `YYYY-MM-DD`; null if not a valid calendar date. */
export function normaliseDate(raw: string): string | null {
  const s = raw.trim().replace(/^"|"$/g, '');
  let y: number, m: number, d: number;
  let mt = ISO.exec(s);
  if (mt) {
    y = +mt[1];
    m = +mt[2];
    d = +mt[3];
  } else if ((mt = US.exec(s))) {
    m = +mt[1];
    d = +mt[2];
    y = +mt[3];
  } else {
    // Tolerate an ISO timestamp (`2024-01-02T00:00:00` or `2024-01-02 00:00:00-05:00`): keep the date part.
    const ts = /^(\d{4}-\d{2}-\d{2})[T ]/.exec(s);
    return ts ? normaliseDate(ts[1]) : null;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const CLOSE_PREFERENCE = ['adj_close', 'adj close', 'adjclose', 'adjusted_close', 'close', 'px_last', 'price', 'value'];

/**
 * Parses a daily CSV. `closeColumn` forces a column; otherwise the first of adj_close, close, PX_LAST, price,
 * value (case-insensitive) is used. When both an adjusted and a raw `close` exist, the raw one is kept too.
 */
export function parseDailyCsv(text: string, symbol: string, source: string, closeColumn?: string): { series: DailySeries; report: SeriesLoadReport } {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h].trim() === '') h++;
  if (h >= lines.length) throw new HistoryFormatError(`${source}: empty file`);
  const header = lines[h].replace(/^\uFEFF/, '').split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  const dateCol = header.findIndex((c) => c === 'date' || c === 'timestamp' || c === 'day');
  if (dateCol < 0) throw new HistoryFormatError(`${source}:${h + 1}: no date column in header '${lines[h].trim()}'`);
  let closeIdx: number;
  if (closeColumn) {
    closeIdx = header.indexOf(closeColumn.toLowerCase());
    if (closeIdx < 0) throw new HistoryFormatError(`${source}:${h + 1}: no column '${closeColumn}' in header`);
  } else {
    closeIdx = -1;
    for (const name of CLOSE_PREFERENCE) {
      closeIdx = header.indexOf(name);
      if (closeIdx >= 0) break;
    }
    if (closeIdx < 0) throw new HistoryFormatError(`${source}:${h + 1}: no close column (adj_close, close, PX_LAST, price, value)`);
  }
  const rawIdx = header[closeIdx] !== 'close' ? header.indexOf('close') : -1;
  const rows: Array<{ date: string; close: number; raw: number }> = [];
  const report: SeriesLoadReport = {
    source,
    rows: 0,
    accepted: 0,
    rejected: 0,
    rejectedSample: [],
    duplicates: 0,
    reordered: false,
    closeColumn: header[closeIdx],
    first: null,
    last: null,
  };
  const reject = (line: number, reason: string): void => {
    report.rejected++;
    if (report.rejectedSample.length < 20) report.rejectedSample.push({ line, reason });
  };
  for (let i = h + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    report.rows++;
    const cells = line.split(',');
    const date = normaliseDate(cells[dateCol] ?? '');
    if (!date) {
      reject(i + 1, `bad date '${(cells[dateCol] ?? '').trim()}'`);
      continue;
    }
    const close = Number((cells[closeIdx] ?? '').trim());
    if (!(Number.isFinite(close) && close > 0) || (cells[closeIdx] ?? '').trim() === '') {
      reject(i + 1, `bad ${header[closeIdx]} '${(cells[closeIdx] ?? '').trim()}'`);
      continue;
    }
    const raw = rawIdx >= 0 ? Number((cells[rawIdx] ?? '').trim()) : NaN;
    rows.push({ date, close, raw });
  }
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].date < rows[i - 1].date) {
      report.reordered = true;
      break;
    }
  }
  if (report.reordered) rows.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const dates: string[] = [];
  const close: number[] = [];
  const raw: number[] = [];
  for (const r of rows) {
    if (dates.length > 0 && dates[dates.length - 1] === r.date) {
      // Keep the first occurrence; a duplicate date is counted, not merged.
      report.duplicates++;
      continue;
    }
    dates.push(r.date);
    close.push(r.close);
    raw.push(r.raw);
  }
  report.accepted = dates.length;
  report.first = dates[0] ?? null;
  report.last = dates[dates.length - 1] ?? null;
  const series: DailySeries = { symbol, dates, close: Float64Array.from(close) };
  if (rawIdx >= 0 && raw.every((v) => Number.isFinite(v) && v > 0)) series.rawClose = Float64Array.from(raw);
  return { series, report };
}

/** Writes a series as `date,close` CSV (the format of the local update files). */
export function formatDailyCsv(series: DailySeries): string {
  const out = ['date,close'];
  for (let i = 0; i < series.dates.length; i++) out.push(`${series.dates[i]},${series.close[i]}`);
  return out.join('\n') + '\n';
}

/**
 * A CSV of observations for `regime fit --input`: every numeric column is a dimension, used as given (no
 * scaling); a `date` column is allowed and ignored. A column is numeric if its first data value parses as a
 * number; text columns are ignored (listed in `ignored`). Any non-numeric value in a numeric column is an
 * error naming the line: a fit on silently dropped rows would not be "the observations as given".
 */
export function parseObservationsCsv(text: string, source: string): { n: number; d: number; data: Float64Array; columns: string[]; ignored: string[] } {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h].trim() === '') h++;
  if (h >= lines.length) throw new HistoryFormatError(`${source}: empty file`);
  const header = lines[h].replace(/^\uFEFF/, '').split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  let firstData = h + 1;
  while (firstData < lines.length && lines[firstData].trim() === '') firstData++;
  if (firstData >= lines.length) throw new HistoryFormatError(`${source}: no data rows`);
  const firstCells = lines[firstData].split(',');
  const use: number[] = [];
  const ignored: string[] = [];
  header.forEach((name, i) => {
    const v = (firstCells[i] ?? '').trim();
    if (name.toLowerCase() === 'date' || v === '' || !Number.isFinite(Number(v))) ignored.push(name);
    else use.push(i);
  });
  if (use.length === 0) throw new HistoryFormatError(`${source}: no numeric columns`);
  const values: number[] = [];
  let n = 0;
  for (let i = firstData; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== header.length) throw new HistoryFormatError(`${source}:${i + 1}: ${cells.length} fields, header has ${header.length}`);
    for (const c of use) {
      const raw = cells[c].trim();
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) throw new HistoryFormatError(`${source}:${i + 1}: column '${header[c]}' value '${raw}' is not a finite number`);
      values.push(v);
    }
    n++;
  }
  return { n, d: use.length, data: Float64Array.from(values), columns: use.map((c) => header[c]), ignored };
}
