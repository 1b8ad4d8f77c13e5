/**
 * Parser for the option-chain CSV that Cboe's delayed-quotes page exports ("quotedata.csv"), text in, OptionChain
 * out. Pure: no I/O (see src/feed/chain-file.ts for reading files).
 *
 * The format (documented with its variants in the shared data's PROVENANCE): an optional blank line, a preamble
 * line `<name>,Last: <price>,Change: ..`, a line `Date: <download time>,Bid: ..,Ask: ..,Size: ..,Volume: ..`, the
 * column header, then one row per (expiry, strike, root) with the call on the left and the put on the right.
 * Variants read here: 22 columns (with IV/Delta/Gamma) and 16 columns (without); files re-saved by a spreadsheet
 * (no blank first line, trailing commas on the preamble, strikes without decimals); quoted fields; CRLF line ends;
 * a UTF-8 BOM; the locale variants of the Date line (English, French "à", Spanish "de marzo", U+2212 minus in
 * "UTC−4", U+202F thousands separators, stray quotes, a garbled year); `eod-noquotes` downloads with blank quotes.
 * Columns are located by header name, so column order does not matter.
 *
 * Value conventions (OptionChain stores a missing number as NaN, never 0):
 * - Bid 0 is kept as 0 (nobody bids: a real, if empty, side of the market); Ask 0 means "no offer" → NaN.
 * - Last Sale 0 means "no trade on record" → NaN. Volume and open interest 0 are real zeros.
 * - Vendor IV 0 means "not computable" → NaN, and the Delta/Gamma printed next to a zero IV are placeholders
 *   (deep in-the-money calls show delta 0) → NaN too.
 *
 * As-of time. The Date line is the download moment (US Eastern), not the quotes' time: it is parsed leniently and
 * mapped to the trading session it falls in: during a session → intraday, as of that instant; after the close of a
 * trading day → that day's close; before the open or on a non-trading day → the previous trading day's close. A
 * missing year is taken from the earliest listed expiry; when nothing usable is found the as-of date falls back on
 * the earliest listed expiry (Cboe keeps an expired 0DTE listed for some hours) and the report says so. An explicit
 * `asOfDate` overrides all of this.
 *
 * Errors: a file that is not such a chain (empty, binary, truncated, no header, no price) throws ChainFormatError
 * with the source and line. A bad data row (wrong field count, malformed or inconsistent symbols, non-numeric
 * values, duplicate contract) is skipped and counted in the report with its line number, never silently dropped.
 */
import { CALL, PUT, type ChainExpiry, type OptionChain } from './chain.js';
import {
  CalendarError,
  dayNumber,
  expiryInstantMs,
  formatDay,
  isTradingDay,
  isTradingDayNumber,
  nyLocalToUtcMs,
  OPEN_MIN,
  parseDay,
  previousTradingDayNumber,
  sessionClose,
  sessionCloseMinutes,
  tradingDayOnOrBefore,
  utcMsToNyLocal,
} from './calendar.js';
import { rootInfo, type RootInfo } from './roots.js';
import { formatOcc, tryParseOptionSymbol, type ParsedSymbol } from './symbols.js';

/** The text is not a Cboe option chain (or is damaged beyond row level). */
export class ChainFormatError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
    this.name = 'ChainFormatError';
  }
}

export interface CboeParseOptions {
  /** Trading date the quotes belong to, `YYYY-MM-DD`; overrides the inference from the Date line. As-of = its close. */
  asOfDate?: string;
}

/** How the as-of time was decided. */
export type AsOfBasis = 'override' | 'intraday' | 'close' | 'previous-close' | 'earliest-expiry';

export interface BadRow {
  line: number;
  reason: string;
}

export interface ChainLoadReport {
  source: string;
  underlying: string;
  /** Name on the first preamble line, e.g. `Standard & Poors 500 Index`. */
  underlyingName: string;
  /** Header `Last:`: the underlying's price at download time. */
  spot: number;
  asOfDate: string;
  asOfMs: number;
  asOfBasis: AsOfBasis;
  /** Download instant read from the Date line (epoch ms), or null when it could not be read. */
  downloadMs: number | null;
  /** The Date line's text as found (between `Date:` and `,Bid:`), for the record. */
  dateText: string | null;
  /** Number of columns in the header (22 or 16 for Cboe's two layouts). */
  columns: number;
  /** Line number (1-based) of the column header. */
  headerLine: number;
  /** Non-blank lines after the header: one per (expiry, strike, root). */
  dataRows: number;
  /** Data rows skipped as bad (counted, with the first few kept in `badRowSamples`). */
  badRows: number;
  badRowSamples: BadRow[];
  /** Blank lines after the header (ignored). */
  blankLines: number;
  /** Contracts in the chain (two per good data row: call and put). */
  contracts: number;
  /** Expiries as (date, root) pairs, the unit of `OptionChain.expiries`. */
  expiries: number;
  /** Distinct expiration dates (SPX and SPXW on one date count once). */
  expiryDates: number;
  firstExpiry: string;
  lastExpiry: string;
  roots: string[];
  /** Distinct strikes over the whole chain, and their range. */
  strikes: number;
  minStrike: number;
  maxStrike: number;
  /** Contracts with bid > 0 and ask > 0. */
  quoted: number;
  quotedShare: number;
  /** Contracts with bid = 0 (the PROVENANCE "bid=0 share"). */
  bidZero: number;
  /** Contracts with bid = ask = 0 (no quote at all, e.g. blanked downloads). */
  zeroQuotes: number;
  /**
   * True when 90 % or more of the contracts have bid = ask = 0: Cboe blanked the quotes in this download (the
   * `eod-noquotes` files). Last sale, volume, vendor IV/Greeks and open interest are still there.
   */
  quotesBlanked: boolean;
  /** Contracts with ask > 0 and bid > ask. */
  crossed: number;
  /** Contracts with bid = ask > 0. */
  locked: number;
  /** Things worth knowing that are not errors (as-of fallbacks, unexpected dates, a missing final newline). */
  notes: string[];
}

const MAX_BAD_SAMPLES = 20;

// ---------------------------------------------------------------------------------------------------------------
// Small text helpers.

/** Splits one CSV line; a field that starts with `"` runs to its closing quote (`""` is a literal quote). */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') < 0) return line.split(',');
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (i < n && line.charCodeAt(i) === 34) {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          v += line.slice(i);
          i = n;
          break;
        }
        v += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the next comma is kept (tolerant of stray quotes).
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(v + line.slice(i));
        return out;
      }
      out.push(v + line.slice(i, c));
      i = c + 1;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

function isBlankLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 44 && c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** Number of a numeric cell: '' → NaN (absent); unparseable → undefined (bad row). Tolerates thousands separators. */
function cellNumber(s: string): number | undefined {
  if (s.length === 0) return NaN;
  const v = +s;
  if (v === v) {
    // +'  ' is 0: a blank cell is absent, not zero. Infinity is not a price.
    if (v === 0 && s.trim().length === 0) return NaN;
    return Number.isFinite(v) ? v : undefined;
  }
  const cleaned = s.replace(/[\s,\u202f\u00a0"]/g, '');
  if (cleaned.length === 0) return NaN;
  const w = +cleaned;
  return Number.isFinite(w) ? w : undefined;
}

const MONTHS: Record<string, number> = {};
{
  const add = (names: string[], m: number) => names.forEach((n) => (MONTHS[n] = m));
  // English (full and abbreviated), French, Spanish (and Portuguese/Italian/German forms that differ).
  add(['january', 'jan', 'janvier', 'enero', 'janeiro', 'gennaio', 'januar', 'janv', 'ene'], 1);
  add(['february', 'feb', 'février', 'fevrier', 'febrero', 'fevereiro', 'febbraio', 'februar', 'févr', 'fevr'], 2);
  add(['march', 'mar', 'mars', 'marzo', 'março', 'marco', 'märz', 'marz'], 3);
  add(['april', 'apr', 'avril', 'abril', 'aprile', 'avr', 'abr'], 4);
  add(['may', 'mai', 'mayo', 'maio', 'maggio'], 5);
  add(['june', 'jun', 'juin', 'junio', 'junho', 'giugno', 'juni'], 6);
  add(['july', 'jul', 'juillet', 'julio', 'julho', 'luglio', 'juli', 'juil'], 7);
  add(['august', 'aug', 'août', 'aout', 'agosto', 'ago'], 8);
  add(['september', 'sep', 'sept', 'septembre', 'septiembre', 'setiembre', 'setembro', 'settembre', 'set'], 9);
  add(['october', 'oct', 'octobre', 'octubre', 'outubro', 'ottobre', 'oktober', 'okt'], 10);
  add(['november', 'nov', 'novembre', 'noviembre', 'novembro'], 11);
  add(['december', 'dec', 'décembre', 'decembre', 'diciembre', 'dezembro', 'dicembre', 'dezember', 'déc', 'dic', 'dez'], 12);
}

const MON3: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** `Fri Apr 21 2023` → `2023-04-21`; null when malformed. */
function parseExpirationCell(s: string): string | null {
  const parts = s.trim().split(/\s+/);
  if (parts.length !== 4) return null;
  const m = MON3[parts[1]];
  const d = Number(parts[2]);
  const y = Number(parts[3]);
  if (!m || !Number.isInteger(d) || !Number.isInteger(y) || y < 2000 || y > 2199 || d < 1 || d > 31) return null;
  const dn = dayNumber(y, m, d);
  const iso = formatDay(dn);
  return Number(iso.slice(8, 10)) === d ? iso : null;
}

// ---------------------------------------------------------------------------------------------------------------
// The Date line.

export interface DownloadTime {
  year: number | null;
  month: number;
  day: number;
  /** Minutes after midnight, or null when the line has no time. */
  minutes: number | null;
  /** UTC offset in minutes when the line states one (EDT, UTC−4 …); null means New York local time. */
  offsetMin: number | null;
}

/** Reads the download time from the text of a Date line, leniently; null when no day and month can be found. */
export function parseDownloadTime(text: string): DownloadTime | null {
  const t = text
    .replace(/["']/g, ' ')
    .replace(/[\u2212\u2012\u2013\u2014]/g, '-')
    .replace(/[\u202f\u00a0]/g, ' ')
    .toLowerCase();
  const tokens = t.match(/\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\/\d{1,2}\/\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?|[+-]\d{1,2}(?::?\d{2})?|\d+|[a-zà-ÿ]+(?:\.)?/g) ?? [];
  let year: number | null = null;
  let month = 0;
  let day = 0;
  let hour = -1;
  let minute = 0;
  let meridiem: 'am' | 'pm' | null = null;
  let offsetMin: number | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i].replace(/\.$/, '');
    if (/^\d{4}-/.test(tok)) {
      // ISO date 2023-05-26
      const [y, m, d] = tok.split('-').map(Number);
      year = y;
      month = m >= 1 && m <= 12 ? m : 0;
      day = d;
    } else if (tok.includes('/')) {
      // Numeric date: US order M/D/Y, unless the first number cannot be a month (then D/M/Y).
      const [a, b, c] = tok.split('/').map(Number);
      const [m, d] = a > 12 ? [b, a] : [a, b];
      month = m >= 1 && m <= 12 ? m : 0;
      day = d;
      year = c < 100 ? 2000 + c : c;
    } else if (/^\d{1,2}:\d{2}/.test(tok)) {
      const [h, m] = tok.split(':');
      hour = Number(h);
      minute = Number(m);
    } else if (/^[+-]\d/.test(tok)) {
      // Only meaningful right after UTC/GMT (handled there); a bare signed number elsewhere is ignored.
    } else if (/^\d+$/.test(tok)) {
      const v = Number(tok);
      if (tok.length === 4) year = v;
      else if (day === 0 && v >= 1 && v <= 31) day = v;
      // Any other number (e.g. the '4' of a hand-edited '4 June 4') is ignored: a missing year is inferred later.
    } else if (tok === 'am' || tok === 'pm' || tok === 'a' || tok === 'p') {
      if (tok === 'a' || tok === 'p') {
        // "a.m." / "p.m.": tokens 'a', 'm'
        if (tokens[i + 1]?.replace(/\.$/, '') === 'm') {
          meridiem = tok === 'a' ? 'am' : 'pm';
          i++;
        }
      } else meridiem = tok;
    } else if (tok === 'est') offsetMin = -300;
    else if (tok === 'edt') offsetMin = -240;
    else if (tok === 'et' || tok === 'ept') offsetMin = null;
    else if (tok === 'utc' || tok === 'gmt') {
      const next = tokens[i + 1];
      if (next && /^[+-]\d/.test(next)) {
        const sign = next[0] === '-' ? -1 : 1;
        const body = next.slice(1).replace(':', '');
        const hh = body.length > 2 ? Number(body.slice(0, body.length - 2)) : Number(body);
        const mm = body.length > 2 ? Number(body.slice(-2)) : 0;
        offsetMin = sign * (hh * 60 + mm);
        i++;
      } else offsetMin = 0;
    } else if (MONTHS[tok] !== undefined && month === 0) month = MONTHS[tok];
  }
  if (month === 0 || day === 0) return null;
  if (year !== null && (year < 1990 || year > 2199)) year = null;
  let minutes: number | null = null;
  if (hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59) {
    let h = hour;
    if (meridiem === 'pm' && h < 12) h += 12;
    if (meridiem === 'am' && h === 12) h = 0;
    minutes = h * 60 + minute;
  }
  return { year, month, day, minutes, offsetMin };
}

interface AsOf {
  asOfDate: string;
  asOfMs: number;
  basis: AsOfBasis;
  downloadMs: number | null;
}

/** Maps a download time to the as-of trading date and instant (see the module doc). */
function asOfFromDownload(dt: DownloadTime, year: number, notes: string[]): AsOf | null {
  if (dt.day > 31 || dt.day < 1) return null;
  const dn = dayNumber(year, dt.month, dt.day);
  if (formatDay(dn).slice(8) !== String(dt.day).padStart(2, '0')) return null; // e.g. 31 April
  if (dt.minutes === null) {
    // A date without a time: assume the download came after that day's session.
    notes.push('Date line has no time of day; assumed after the close');
    const d = isTradingDayNumber(dn) ? dn : previousTradingDayNumber(dn);
    const date = formatDay(d);
    return { asOfDate: date, asOfMs: sessionClose(date), basis: d === dn ? 'close' : 'previous-close', downloadMs: null };
  }
  const downloadMs =
    dt.offsetMin === null ? nyLocalToUtcMs(dn, dt.minutes) : Date.UTC(year, dt.month - 1, dt.day) + (dt.minutes - dt.offsetMin) * 60_000;
  const ny = utcMsToNyLocal(downloadMs);
  if (isTradingDayNumber(ny.day)) {
    const date = formatDay(ny.day);
    const closeMin = sessionCloseMinutes(date);
    if (ny.minutes >= OPEN_MIN && ny.minutes < closeMin) return { asOfDate: date, asOfMs: downloadMs, basis: 'intraday', downloadMs };
    if (ny.minutes >= closeMin) return { asOfDate: date, asOfMs: sessionClose(date), basis: 'close', downloadMs };
  }
  const prev = formatDay(previousTradingDayNumber(ny.day));
  return { asOfDate: prev, asOfMs: sessionClose(prev), basis: 'previous-close', downloadMs };
}

// ---------------------------------------------------------------------------------------------------------------
// Header.

interface Side {
  sym: number;
  bid: number;
  ask: number;
  last: number;
  volume: number;
  oi: number;
  iv: number;
  delta: number;
  gamma: number;
}

interface Layout {
  columns: number;
  exp: number;
  strike: number;
  call: Side;
  put: Side;
}

function layoutOf(header: string[], source: string, line: number): Layout {
  const names = header.map((h) => h.trim().toLowerCase());
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  const exp = names.indexOf('expiration date');
  const calls = names.indexOf('calls');
  const strike = names.indexOf('strike');
  const puts = names.indexOf('puts');
  if (exp < 0 || calls < 0 || strike < 0 || puts < 0) {
    throw new ChainFormatError(source, line, "column header lacks one of 'Expiration Date', 'Calls', 'Strike', 'Puts'");
  }
  const callEnd = puts > calls ? puts : names.length;
  const putEnd = calls > puts ? calls : names.length;
  const find = (name: string, from: number, to: number): number => {
    for (let i = from + 1; i < to; i++) if (names[i] === name) return i;
    return -1;
  };
  const side = (symCol: number, end: number): Side => ({
    sym: symCol,
    bid: find('bid', symCol, end),
    ask: find('ask', symCol, end),
    last: find('last sale', symCol, end),
    volume: find('volume', symCol, end),
    oi: find('open interest', symCol, end),
    iv: find('iv', symCol, end),
    delta: find('delta', symCol, end),
    gamma: find('gamma', symCol, end),
  });
  const call = side(calls, callEnd);
  const put = side(puts, putEnd);
  if (call.bid < 0 || call.ask < 0 || put.bid < 0 || put.ask < 0) {
    throw new ChainFormatError(source, line, 'column header lacks Bid/Ask columns for calls and puts');
  }
  return { columns: names.length, exp, strike, call, put };
}

// ---------------------------------------------------------------------------------------------------------------
// The parser.

/** Column store for contracts in file order (reordered at the end); sized for two contracts per line. */
class Staging {
  n = 0;
  cap: number;
  expiry: Int32Array;
  right: Uint8Array;
  strike: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  last: Float64Array;
  volume: Float64Array;
  oi: Float64Array;
  iv: Float64Array;
  delta: Float64Array;
  gamma: Float64Array;
  line: Int32Array;
  symbol: string[] = [];
  constructor(cap: number) {
    this.cap = Math.max(16, cap);
    this.line = new Int32Array(this.cap);
    this.expiry = new Int32Array(this.cap);
    this.right = new Uint8Array(this.cap);
    this.strike = new Float64Array(this.cap);
    this.bid = new Float64Array(this.cap);
    this.ask = new Float64Array(this.cap);
    this.last = new Float64Array(this.cap);
    this.volume = new Float64Array(this.cap);
    this.oi = new Float64Array(this.cap);
    this.iv = new Float64Array(this.cap);
    this.delta = new Float64Array(this.cap);
    this.gamma = new Float64Array(this.cap);
  }
}

interface SideValues {
  bid: number;
  ask: number;
  last: number;
  volume: number;
  oi: number;
  iv: number;
  delta: number;
  gamma: number;
}

function occOf(p: ParsedSymbol, raw: string): string {
  // The compact Cboe form has the canonical tail already (validated digit by digit): pad the root only.
  return p.format === 'cboe' ? p.root + '      '.slice(p.root.length) + raw.slice(p.root.length) : formatOcc(p);
}

/**
 * Parses the text of a Cboe quotedata CSV. `source` names the file in errors and in the report.
 * Throws ChainFormatError for a file that is not a readable chain; bad rows are counted in the report.
 */
export function parseCboeChain(text: string, source = '<text>', opts: CboeParseOptions = {}): { chain: OptionChain; report: ChainLoadReport } {
  if (typeof text !== 'string') throw new ChainFormatError(source, 1, 'input is not text');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) throw new ChainFormatError(source, 1, 'file is empty');
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw new ChainFormatError(source, lineOfOffset(text, nul), 'binary data (NUL byte): not a CSV text file');
  {
    const head = text.slice(0, 4096);
    let bad = 0;
    for (let i = 0; i < head.length; i++) {
      const c = head.charCodeAt(i);
      if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13)) bad++;
    }
    if (bad > 8 && bad > head.length / 100) throw new ChainFormatError(source, 1, 'binary data (control or undecodable bytes): not a CSV text file');
  }

  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  if (endsWithNewline) lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }

  // Column header: the first line whose first cell is "Expiration Date", within the first few lines.
  let headerIdx = -1;
  const scan = Math.min(lines.length, 12);
  for (let i = 0; i < scan; i++) {
    if (/^\s*"?expiration date"?\s*,/i.test(lines[i])) {
      headerIdx = i;
      break;
    }
  }
  if (headerIdx < 0) {
    throw new ChainFormatError(
      source,
      Math.min(lines.length, 4),
      lines.length < 4
        ? `truncated or not a Cboe chain: only ${lines.length} line(s), no column header`
        : "not a Cboe option chain: no 'Expiration Date,Calls,...' column header in the first lines",
    );
  }
  const layout = layoutOf(splitCsvLine(lines[headerIdx]), source, headerIdx + 1);

  // Preamble: `<name>,Last: <price>,...` and `Date: ...,Bid: ..,Ask: ..`.
  let lastLine = -1;
  let dateLine = -1;
  for (let i = 0; i < headerIdx; i++) {
    if (lastLine < 0 && /Last:/.test(lines[i])) lastLine = i;
    if (dateLine < 0 && /Date:/.test(lines[i])) dateLine = i;
  }
  if (lastLine < 0) throw new ChainFormatError(source, Math.max(1, headerIdx), "no 'Last:' underlying price in the lines above the column header");
  const lastText = lines[lastLine];
  const lm = /Last:\s*([-+]?[0-9][0-9\u202f\u00a0 ]*(?:\.[0-9]+)?)/.exec(lastText);
  const spot = lm ? Number(lm[1].replace(/[\s\u202f\u00a0]/g, '')) : NaN;
  if (!(spot > 0) || !Number.isFinite(spot)) {
    throw new ChainFormatError(source, lastLine + 1, `underlying 'Last:' is not a positive number`);
  }
  const underlyingName = lastText.slice(0, lastText.indexOf('Last:')).replace(/"/g, '').replace(/,\s*$/, '').trim();

  const notes: string[] = [];
  let dateText: string | null = null;
  let quoteBid = NaN;
  let quoteAsk = NaN;
  if (dateLine >= 0) {
    const raw = lines[dateLine];
    const start = raw.indexOf('Date:') + 5;
    const bidAt = raw.search(/,\s*"?\s*Bid:/);
    dateText = raw.slice(start, bidAt > start ? bidAt : raw.length).replace(/"/g, '').trim();
    const b = /Bid:\s*([0-9.]+)/.exec(raw);
    const a = /Ask:\s*([0-9.]+)/.exec(raw);
    if (b) quoteBid = Number(b[1]);
    if (a) quoteAsk = Number(a[1]);
  } else notes.push("no 'Date:' line in the preamble");

  // ---- data rows
  const firstData = headerIdx + 1;
  const stage = new Staging(2 * (lines.length - firstData));
  const expiryKeys = new Map<string, number>();
  const expDate: string[] = [];
  const expRoot: string[] = [];
  const expCellCache = new Map<string, string | null>();
  const badRowSamples: BadRow[] = [];
  let badRows = 0;
  let dataRows = 0;
  let blankLines = 0;
  const ncol = layout.columns;
  const { call: C, put: P } = layout;
  const cells = new RowCells();
  const cv: SideValues = { bid: 0, ask: 0, last: 0, volume: 0, oi: 0, iv: 0, delta: 0, gamma: 0 };
  const pv: SideValues = { bid: 0, ask: 0, last: 0, volume: 0, oi: 0, iv: 0, delta: 0, gamma: 0 };
  let lastNonBlank = -1;
  for (let i = lines.length - 1; i >= firstData; i--) {
    if (!isBlankLine(lines[i])) {
      lastNonBlank = i;
      break;
    }
  }
  const bad = (lineNo: number, reason: string) => {
    badRows++;
    if (badRowSamples.length < MAX_BAD_SAMPLES) badRowSamples.push({ line: lineNo, reason });
  };
  let prevExpCell = '';
  let prevExp: string | null = null;
  let prevEi = -1;
  let prevEi2 = -1;

  for (let li = firstData; li < lines.length; li++) {
    const line = lines[li];
    if (isBlankLine(line)) {
      blankLines++;
      continue;
    }
    dataRows++;
    const lineNo = li + 1;
    const nf = cells.load(line);
    if (nf < ncol) {
      if (li === lastNonBlank && !endsWithNewline) {
        throw new ChainFormatError(source, lineNo, `file is truncated: last row has ${nf} of ${ncol} fields and no line end`);
      }
      bad(lineNo, `${nf} fields, expected ${ncol}`);
      continue;
    }
    if (nf > ncol && !cells.emptyFrom(ncol)) {
      bad(lineNo, `${nf} fields, expected ${ncol}`);
      continue;
    }
    const expCell = cells.str(layout.exp);
    let exp: string | null | undefined;
    if (expCell === prevExpCell) exp = prevExp;
    else {
      exp = expCellCache.get(expCell);
      if (exp === undefined) {
        exp = parseExpirationCell(expCell);
        expCellCache.set(expCell, exp);
      }
      prevExpCell = expCell;
      prevExp = exp;
    }
    if (exp === null) {
      bad(lineNo, `expiration date '${expCell}' is not 'Www Mmm DD YYYY'`);
      continue;
    }
    const callRaw = cells.str(C.sym).trim();
    const cs = tryParseOptionSymbol(callRaw);
    if (!cs.ok) {
      bad(lineNo, `call symbol '${callRaw}': ${cs.reason}`);
      continue;
    }
    const putRaw = cells.str(P.sym).trim();
    const ps = tryParseOptionSymbol(putRaw);
    if (!ps.ok) {
      bad(lineNo, `put symbol '${putRaw}': ${ps.reason}`);
      continue;
    }
    const c = cs.value;
    const p = ps.value;
    if (c.right !== 'C' || p.right !== 'P') {
      bad(lineNo, `call/put columns hold ${callRaw} and ${putRaw}: wrong rights`);
      continue;
    }
    if (c.root !== p.root || c.expiry !== p.expiry || c.strike !== p.strike) {
      bad(lineNo, `call and put symbols disagree (${callRaw} vs ${putRaw})`);
      continue;
    }
    if (c.expiry !== exp) {
      bad(lineNo, `symbol expiry ${c.expiry} differs from the Expiration Date column ${exp}`);
      continue;
    }
    const strikeCell = cells.num(layout.strike);
    if (strikeCell === undefined || !(Math.abs(strikeCell - c.strike) < 5e-4)) {
      bad(lineNo, `strike column '${cells.str(layout.strike)}' differs from the symbol's strike ${c.strike}`);
      continue;
    }
    const e1 = cells.side(C, cv, 'call');
    if (e1 !== null) {
      bad(lineNo, e1);
      continue;
    }
    const e2 = cells.side(P, pv, 'put');
    if (e2 !== null) {
      bad(lineNo, e2);
      continue;
    }
    // Rows come grouped by date, with SPX and SPXW rows interleaved on monthly dates: check the last two expiries
    // seen before building and hashing a key.
    let ei: number | undefined;
    if (prevEi >= 0 && exp === expDate[prevEi] && c.root === expRoot[prevEi]) ei = prevEi;
    else if (prevEi2 >= 0 && exp === expDate[prevEi2] && c.root === expRoot[prevEi2]) {
      ei = prevEi2;
      prevEi2 = prevEi;
      prevEi = ei;
    } else {
      const key = exp + '|' + c.root;
      ei = expiryKeys.get(key);
      if (ei === undefined) {
        ei = expDate.length;
        expiryKeys.set(key, ei);
        expDate.push(exp);
        expRoot.push(c.root);
      }
      prevEi2 = prevEi;
      prevEi = ei;
    }
    push(stage, ei, CALL, c.strike, occOf(c, callRaw), cv, lineNo);
    push(stage, ei, PUT, c.strike, occOf(p, putRaw), pv, lineNo);
  }

  if (!endsWithNewline && lastNonBlank >= firstData) notes.push('file does not end with a line break: its last row may be cut short');
  if (dataRows === 0) throw new ChainFormatError(source, headerIdx + 2, 'no data rows after the column header (truncated?)');
  if (stage.n === 0) {
    const first = badRowSamples[0];
    throw new ChainFormatError(source, first.line, `no valid data rows (${badRows} bad); first: ${first.reason}`);
  }

  // ---- expiries: settlement and instant per root; sorted by instant then root.
  const infos: RootInfo[] = expRoot.map((r) => rootInfo(r));
  const expMs = expDate.map((d, i) => {
    try {
      return expiryInstantMs(d, infos[i].settlement);
    } catch (err) {
      if (!(err instanceof CalendarError)) throw err;
      notes.push(`expiry ${d} (${expRoot[i]}) is not a trading day in the calendar; its normal hours are used`);
      return expiryInstantMs(d, infos[i].settlement, { allowNonTradingDay: true });
    }
  });
  const order = expDate.map((_, i) => i).sort((a, b) => expMs[a] - expMs[b] || (expRoot[a] < expRoot[b] ? -1 : expRoot[a] > expRoot[b] ? 1 : 0));
  const rank = new Int32Array(order.length);
  order.forEach((e, r) => (rank[e] = r));

  // ---- contracts: grouped by expiry, sorted by strike then right (then file line, so a duplicate sorts after
  // the first occurrence and is dropped as a bad row).
  const staged = stage.n;
  const sx = stage.expiry;
  const sk = stage.strike;
  const sr = stage.right;
  const sl = stage.line;
  // Counting sort by expiry rank (stable, so file order is kept inside an expiry), then a comparison sort only
  // of the expiries whose rows are not already in (strike, right, line) order: Cboe files list each expiry's rows
  // by ascending strike, call before put, so usually nothing is left to sort.
  const perm = new Int32Array(staged);
  const offset = new Int32Array(order.length + 1);
  for (let i = 0; i < staged; i++) offset[rank[sx[i]] + 1]++;
  for (let r = 0; r < order.length; r++) offset[r + 1] += offset[r];
  const fill = offset.slice(0, order.length);
  for (let i = 0; i < staged; i++) perm[fill[rank[sx[i]]]++] = i;
  for (let r = 0; r < order.length; r++) {
    const from = offset[r];
    const to = offset[r + 1];
    let sorted = true;
    for (let q = from + 1; q < to && sorted; q++) {
      const a = perm[q - 1];
      const b = perm[q];
      sorted = sk[a] < sk[b] || (sk[a] === sk[b] && (sr[a] < sr[b] || (sr[a] === sr[b] && sl[a] < sl[b])));
    }
    if (!sorted) perm.subarray(from, to).sort((a, b) => sk[a] - sk[b] || sr[a] - sr[b] || sl[a] - sl[b]);
  }
  const keep = new Uint8Array(staged);
  let n = 0;
  const dupLines = new Map<number, string>();
  for (let j = 0; j < staged; j++) {
    const i = perm[j];
    if (j > 0) {
      const h = perm[j - 1];
      if (sx[h] === sx[i] && sk[h] === sk[i] && sr[h] === sr[i]) {
        if (!dupLines.has(sl[i])) dupLines.set(sl[i], `duplicate contract ${stage.symbol[i].replace(/ +/, ' ')} (first on line ${firstLineOf(perm, j, stage)})`);
        continue;
      }
    }
    keep[j] = 1;
    n++;
  }
  for (const [lineNo, reason] of dupLines) bad(lineNo, reason);
  badRowSamples.sort((x, y) => x.line - y.line);

  const chain: OptionChain = {
    underlying: '',
    asOfMs: NaN,
    asOfDate: '',
    quote: { last: spot, bid: NaN, ask: NaN },
    multiplier: 100,
    size: n,
    symbol: new Array<string>(n),
    expiryIndex: new Uint16Array(n),
    right: new Uint8Array(n),
    strike: new Float64Array(n),
    bid: new Float64Array(n),
    ask: new Float64Array(n),
    last: new Float64Array(n),
    volume: new Float64Array(n),
    openInterest: new Float64Array(n),
    vendorIv: new Float64Array(n),
    vendorDelta: new Float64Array(n),
    vendorGamma: new Float64Array(n),
    expiries: [],
  };
  let quoted = 0;
  let bidZero = 0;
  let zeroQuotes = 0;
  let crossed = 0;
  let locked = 0;
  let minStrike = Infinity;
  let maxStrike = -Infinity;
  const rowsPerExpiry = new Int32Array(order.length);
  let j = 0;
  for (let q = 0; q < staged; q++) {
    if (keep[q] === 0) continue;
    const i = perm[q];
    const r = rank[sx[i]];
    rowsPerExpiry[r]++;
    chain.symbol[j] = stage.symbol[i];
    chain.expiryIndex[j] = r;
    chain.right[j] = sr[i];
    const k = sk[i];
    chain.strike[j] = k;
    if (k < minStrike) minStrike = k;
    if (k > maxStrike) maxStrike = k;
    const bid = stage.bid[i];
    const ask = stage.ask[i];
    // Quote statistics on the values as printed (0 = none).
    if (bid > 0 && ask > 0) quoted++;
    if (bid === 0) bidZero++;
    if (bid === 0 && ask === 0) zeroQuotes++;
    if (ask > 0 && bid > ask) crossed++;
    if (ask > 0 && bid === ask) locked++;
    chain.bid[j] = bid;
    chain.ask[j] = ask > 0 ? ask : NaN;
    const last = stage.last[i];
    chain.last[j] = last > 0 ? last : NaN;
    chain.volume[j] = stage.volume[i];
    chain.openInterest[j] = stage.oi[i];
    const iv = stage.iv[i];
    const hasIv = iv > 0;
    chain.vendorIv[j] = hasIv ? iv : NaN;
    chain.vendorDelta[j] = hasIv ? stage.delta[i] : NaN;
    chain.vendorGamma[j] = hasIv ? stage.gamma[i] : NaN;
    j++;
  }
  // Distinct strikes over the chain: a native numeric sort of a copy, then one pass.
  const sortedStrikes = chain.strike.slice().sort();
  let distinctStrikes = 0;
  for (let q = 0; q < n; q++) if (q === 0 || sortedStrikes[q] !== sortedStrikes[q - 1]) distinctStrikes++;
  let start = 0;
  const expiries: ChainExpiry[] = order.map((e, r) => {
    const count = rowsPerExpiry[r];
    const rows = new Int32Array(count);
    for (let q = 0; q < count; q++) rows[q] = start + q;
    start += count;
    return {
      date: expDate[e],
      root: expRoot[e],
      settlement: infos[e].settlement,
      exercise: infos[e].exercise,
      expiryMs: expMs[e],
      rows,
    };
  });
  chain.expiries = expiries;

  // ---- underlying: the most common underlying among the roots.
  const underCount = new Map<string, number>();
  for (let e = 0; e < order.length; e++) {
    const u = infos[e].underlying;
    underCount.set(u, (underCount.get(u) ?? 0) + rowsPerExpiry[rank[e]]);
  }
  let underlying = '';
  let best = -1;
  for (const [u, cnt] of underCount) {
    if (cnt > best) {
      best = cnt;
      underlying = u;
    }
  }
  chain.underlying = underlying;
  const isIndex = infos.some((x) => x.index && x.underlying === underlying);
  if (!isIndex && quoteBid > 0 && quoteAsk > 0) {
    chain.quote.bid = quoteBid;
    chain.quote.ask = quoteAsk;
  }

  // ---- as-of
  const sortedDates = [...new Set(expDate)].sort();
  const firstExpiry = sortedDates[0];
  const lastExpiry = sortedDates[sortedDates.length - 1];
  let asOf: AsOf | null = null;
  if (opts.asOfDate !== undefined) {
    parseDay(opts.asOfDate); // throws CalendarError on a malformed date
    if (!isTradingDay(opts.asOfDate)) throw new CalendarError(`as-of date ${opts.asOfDate} is not a trading day`, 'not-trading-day');
    asOf = { asOfDate: opts.asOfDate, asOfMs: sessionClose(opts.asOfDate), basis: 'override', downloadMs: null };
  } else if (dateText !== null) {
    const dt = parseDownloadTime(dateText);
    if (dt) {
      let year = dt.year;
      if (year === null) {
        // Garbled or missing year: take the one that puts the download just before (or at) the earliest expiry.
        const fy = Number(firstExpiry.slice(0, 4));
        const cand = dayNumber(fy, dt.month, Math.min(dt.day, 28));
        year = cand > parseDay(firstExpiry) + 7 ? fy - 1 : fy;
        notes.push(`Date line '${dateText}' has no readable year; ${year} taken from the earliest expiry ${firstExpiry}`);
      }
      asOf = asOfFromDownload(dt, year, notes);
    }
    if (asOf === null) notes.push(`Date line '${dateText}' could not be read`);
  }
  if (asOf !== null && asOf.basis !== 'override' && asOf.asOfDate > firstExpiry) {
    notes.push(`earliest listed expiry ${firstExpiry} is before the as-of date ${asOf.asOfDate} inferred from the Date line`);
  }
  if (asOf === null) {
    const d = tradingDayOnOrBefore(firstExpiry);
    asOf = { asOfDate: d, asOfMs: sessionClose(d), basis: 'earliest-expiry', downloadMs: null };
    notes.push(`as-of date taken from the earliest listed expiry (${firstExpiry}), as of its close`);
  }
  chain.asOfDate = asOf.asOfDate;
  chain.asOfMs = asOf.asOfMs;
  const quotesBlanked = zeroQuotes >= 0.9 * n;
  if (quotesBlanked) notes.push(`quotes are blanked in this download: ${zeroQuotes} of ${n} contracts have bid = ask = 0`);

  const report: ChainLoadReport = {
    source,
    underlying,
    underlyingName,
    spot,
    asOfDate: asOf.asOfDate,
    asOfMs: asOf.asOfMs,
    asOfBasis: asOf.basis,
    downloadMs: asOf.downloadMs,
    dateText,
    columns: layout.columns,
    headerLine: headerIdx + 1,
    dataRows,
    badRows,
    badRowSamples,
    blankLines,
    contracts: n,
    expiries: expiries.length,
    expiryDates: sortedDates.length,
    firstExpiry,
    lastExpiry,
    roots: [...new Set(expRoot)].sort(),
    strikes: distinctStrikes,
    minStrike,
    maxStrike,
    quoted,
    quotedShare: quoted / n,
    bidZero,
    zeroQuotes,
    quotesBlanked,
    crossed,
    locked,
    notes,
  };
  return { chain, report };
}

function push(s: Staging, expiry: number, right: number, strike: number, symbol: string, v: SideValues, line: number): void {
  const i = s.n++;
  s.line[i] = line;
  s.expiry[i] = expiry;
  s.right[i] = right;
  s.strike[i] = strike;
  s.bid[i] = v.bid;
  s.ask[i] = v.ask;
  s.last[i] = v.last;
  s.volume[i] = v.volume;
  s.oi[i] = v.oi;
  s.iv[i] = v.iv;
  s.delta[i] = v.delta;
  s.gamma[i] = v.gamma;
  s.symbol[i] = symbol;
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Line of the first occurrence of the contract at sorted position j (its equal predecessors share the key). */
function firstLineOf(perm: Int32Array, j: number, s: Staging): number {
  let q = j;
  while (q > 0) {
    const h = perm[q - 1];
    const i = perm[j];
    if (s.expiry[h] === s.expiry[i] && s.strike[h] === s.strike[i] && s.right[h] === s.right[i]) q--;
    else break;
  }
  return s.line[perm[q]];
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Decimal number in line[s, e) without allocating a substring. With at most 15 significant digits both the
 * integer mantissa and the power of ten are exact doubles, so the one division is correctly rounded: the result
 * is bit-identical to Number(text). Anything else (exponents, separators, junk) goes through cellNumber.
 */
function numberAt(line: string, s: number, e: number): number | undefined {
  if (s >= e) return NaN;
  let i = s;
  let c = line.charCodeAt(i);
  let neg = false;
  if (c === 45) {
    neg = true;
    i++;
  } else if (c === 43) i++;
  let m = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; i < e; i++) {
    c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) dot = true;
    else return cellNumber(line.slice(s, e));
  }
  if (digits === 0 || digits > 15) return cellNumber(line.slice(s, e));
  const v = frac === 0 ? m : m / POW10[frac];
  return neg ? -v : v;
}

/** The cells of one data row: comma positions for plain lines (no substrings), split fields for quoted ones. */
class RowCells {
  private line = '';
  private n = 0;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private fields: string[] | null = null;

  /** Loads a line; returns its number of fields. */
  load(line: string): number {
    this.line = line;
    if (line.indexOf('"') >= 0) {
      this.fields = splitCsvLine(line);
      this.n = this.fields.length;
      return this.n;
    }
    this.fields = null;
    let n = 0;
    let from = 0;
    for (;;) {
      if (n === this.starts.length) this.grow();
      const c = line.indexOf(',', from);
      this.starts[n] = from;
      if (c < 0) {
        this.ends[n++] = line.length;
        break;
      }
      this.ends[n++] = c;
      from = c + 1;
    }
    this.n = n;
    return n;
  }

  private grow(): void {
    const s = new Int32Array(this.starts.length * 2);
    s.set(this.starts);
    this.starts = s;
    const e = new Int32Array(this.ends.length * 2);
    e.set(this.ends);
    this.ends = e;
  }

  str(k: number): string {
    return this.fields !== null ? this.fields[k] : this.line.slice(this.starts[k], this.ends[k]);
  }

  /** NaN for an empty cell, undefined when not a number. */
  num(k: number): number | undefined {
    return this.fields !== null ? cellNumber(this.fields[k].trim()) : numberAt(this.line, this.starts[k], this.ends[k]);
  }

  /** True when every field from k on is blank (spreadsheet trailing commas). */
  emptyFrom(k: number): boolean {
    for (let i = k; i < this.n; i++) if (this.str(i).trim() !== '') return false;
    return true;
  }

  /** Reads one side's numbers into `out`; returns an error text, or null when all are valid. */
  side(s: Side, out: SideValues, label: string): string | null {
    out.bid = this.field(s.bid, false);
    out.ask = this.field(s.ask, false);
    out.last = this.field(s.last, false);
    out.volume = this.field(s.volume, false);
    out.oi = this.field(s.oi, false);
    out.iv = this.field(s.iv, false);
    out.delta = this.field(s.delta, true);
    out.gamma = this.field(s.gamma, true);
    // A NaN is either a blank cell (fine) or an invalid one (bad row): only then look closer.
    if (out.bid !== out.bid) return this.problem(s.bid, 'bid', label, false) ?? this.rest(s, out, label);
    if (out.ask !== out.ask || out.last !== out.last || out.volume !== out.volume || out.oi !== out.oi) return this.rest(s, out, label);
    if (out.iv !== out.iv || out.delta !== out.delta || out.gamma !== out.gamma) return this.rest(s, out, label);
    return null;
  }

  /** Slow path of `side`: the first invalid cell's reason, or null when every NaN was a blank cell. */
  private rest(s: Side, out: SideValues, label: string): string | null {
    const checks: Array<[number, number, string, boolean]> = [
      [out.ask, s.ask, 'ask', false],
      [out.last, s.last, 'last sale', false],
      [out.volume, s.volume, 'volume', false],
      [out.oi, s.oi, 'open interest', false],
      [out.iv, s.iv, 'IV', false],
      [out.delta, s.delta, 'delta', true],
      [out.gamma, s.gamma, 'gamma', true],
    ];
    for (const [v, col, name, neg] of checks) {
      if (v === v) continue;
      const why = this.problem(col, name, label, neg);
      if (why !== null) return why;
    }
    return null;
  }

  /** Value of a numeric column; NaN when absent, blank, invalid or (when not allowed) negative. */
  private field(col: number, allowNegative: boolean): number {
    if (col < 0) return NaN;
    const v = this.num(col);
    if (v === undefined) return NaN;
    return !allowNegative && v < 0 ? NaN : v;
  }

  /** After `field` gave NaN: null when the cell is merely blank, else the reason the row is bad. */
  private problem(col: number, name: string, label: string, allowNegative: boolean): string | null {
    if (col < 0) return null;
    const v = this.num(col);
    if (v === undefined) return `${label} ${name} '${this.str(col)}' is not a number`;
    if (!allowNegative && v < 0) return `${label} ${name} ${v} is negative`;
    return null;
  }
}
