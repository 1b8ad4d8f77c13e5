/**
 * Data-quality checks on daily history: calendar gaps, splits in raw prices, and SPY/VIX calendar mismatches.
 * Everything found is reported; nothing is silently "fixed" except what the report says was done.
 */
import type { AlignedHistory } from '../analytics/regime-features.js';
import type { DailySeries } from './csv.js';
import { isTradingDay } from '../market/calendar.js';

const DAY_MS = 86_400_000;

function dayNumber(date: string): number {
  return Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / DAY_MS;
}

export interface Gap {
  from: string;
  to: string;
  calendarDays: number;
  /** Weekdays strictly between the two dates (upper bound on missing sessions; includes holidays). */
  missingWeekdays: number;
}

/**
 * Gaps longer than a weekend plus one holiday (more than 4 calendar days between consecutive rows). The only
 * such gaps in the shipped files are real market closures (2001-09-11, and 2012-10-29/30 for Hurricane Sandy).
 */
export function findGaps(dates: readonly string[], maxCalendarDays = 4): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 1; i < dates.length; i++) {
    const a = dayNumber(dates[i - 1]);
    const b = dayNumber(dates[i]);
    if (b - a > maxCalendarDays) {
      let wk = 0;
      for (let x = a + 1; x < b; x++) {
        const dow = new Date(x * DAY_MS).getUTCDay();
        if (dow !== 0 && dow !== 6) wk++;
      }
      gaps.push({ from: dates[i - 1], to: dates[i], calendarDays: b - a, missingWeekdays: wk });
    }
  }
  return gaps;
}

export interface CalendarCheck {
  /** NYSE trading days (src/market/calendar.ts) between the first and last row that have no row. */
  missingTradingDays: { count: number; sample: string[] };
  /** Rows on days the exchange was closed (weekends, holidays): kept in the series, dropped by alignment. */
  nonTradingDays: { count: number; sample: string[] };
}

/** Compares a series' dates with the exchange calendar. */
export function checkCalendar(dates: readonly string[]): CalendarCheck {
  const missing: string[] = [];
  const closed: string[] = [];
  const have = new Set(dates);
  for (const d of dates) if (!isTradingDay(d)) closed.push(d);
  if (dates.length > 1) {
    let x = dayNumber(dates[0]);
    const end = dayNumber(dates[dates.length - 1]);
    for (; x <= end; x++) {
      const d = new Date(x * DAY_MS).toISOString().slice(0, 10);
      if (!have.has(d) && isTradingDay(d)) missing.push(d);
    }
  }
  return {
    missingTradingDays: { count: missing.length, sample: missing.slice(-20) },
    nonTradingDays: { count: closed.length, sample: closed.slice(-20) },
  };
}

export interface SplitEvent {
  date: string;
  /** Old shares per new share (2 for a 2-for-1 split, 0.5 for a 1-for-2 reverse split). */
  ratio: number;
  /** The raw close-to-close move that revealed it. */
  rawMove: number;
}

const SPLIT_FACTORS = [2, 3, 4, 5, 10, 1.5, 4 / 3, 20, 8];

/**
 * Detects splits in RAW closes: a one-day price ratio within 6 % of a common split factor (or its inverse: the
 * session's own move rides on top of the split) and beyond ±30 %, a move no broad ETF or index makes in one
 * session. Returns the events, oldest first.
 */
export function detectSplits(dates: readonly string[], raw: Float64Array): SplitEvent[] {
  const events: SplitEvent[] = [];
  for (let i = 1; i < raw.length; i++) {
    const move = raw[i - 1] / raw[i];
    if (Math.abs(Math.log(move)) < Math.log(1.3)) continue;
    for (const f of SPLIT_FACTORS) {
      for (const ratio of [f, 1 / f]) {
        if (Math.abs(move / ratio - 1) < 0.06) {
          events.push({ date: dates[i], ratio, rawMove: raw[i] / raw[i - 1] - 1 });
        }
      }
    }
  }
  return events;
}

/** Back-adjusts raw closes for the given splits (prices before each split divided by its ratio). */
export function adjustForSplits(dates: readonly string[], raw: Float64Array, splits: readonly SplitEvent[]): Float64Array {
  const out = Float64Array.from(raw);
  for (const s of splits) {
    for (let i = 0; i < dates.length && dates[i] < s.date; i++) out[i] /= s.ratio;
  }
  return out;
}

export interface MismatchSummary {
  count: number;
  afterOtherEnds: number;
  beforeOtherStarts: number;
  inside: string[];
}

function summarise(only: string[], other: DailySeries): MismatchSummary {
  const first = other.dates[0] ?? '';
  const last = other.dates[other.dates.length - 1] ?? '';
  const inside = only.filter((d) => d >= first && d <= last);
  return {
    count: only.length,
    afterOtherEnds: only.filter((d) => d > last).length,
    beforeOtherStarts: only.filter((d) => d < first).length,
    inside: inside.slice(-40),
  };
}

export interface AlignmentReport {
  common: number;
  first: string | null;
  last: string | null;
  /**
   * Dates present in only one series (dropped from the aligned history): how many, how many of them lie after
   * the other series' last date (the files simply end at different days), and the latest few inside the
   * overlap (e.g. Cboe publishes VIX values on some US market holidays since 2022).
   */
  spyOnly: MismatchSummary;
  vixOnly: MismatchSummary;
  /** Gaps in the aligned calendar (see findGaps). */
  gaps: Gap[];
  /** The aligned dates against the exchange calendar. */
  calendar: CalendarCheck;
}

/** Inner join of SPY and VIX on date. */
export function alignSeries(spy: DailySeries, vix: DailySeries): { history: AlignedHistory; report: AlignmentReport } {
  const dates: string[] = [];
  const s: number[] = [];
  const v: number[] = [];
  const spyOnly: string[] = [];
  const vixOnly: string[] = [];
  let i = 0;
  let j = 0;
  while (i < spy.dates.length || j < vix.dates.length) {
    const a = spy.dates[i];
    const b = vix.dates[j];
    if (a !== undefined && (b === undefined || a < b)) {
      spyOnly.push(a);
      i++;
    } else if (b !== undefined && (a === undefined || b < a)) {
      vixOnly.push(b);
      j++;
    } else {
      dates.push(a);
      s.push(spy.close[i]);
      v.push(vix.close[j]);
      i++;
      j++;
    }
  }
  return {
    history: { dates, spy: Float64Array.from(s), vix: Float64Array.from(v) },
    report: {
      common: dates.length,
      first: dates[0] ?? null,
      last: dates[dates.length - 1] ?? null,
      spyOnly: summarise(spyOnly, vix),
      vixOnly: summarise(vixOnly, spy),
      gaps: findGaps(dates),
      calendar: checkCalendar(dates),
    },
  };
}

/** Restricts a series to dates ≥ from (inclusive). */
export function sliceFrom(series: DailySeries, from: string): DailySeries {
  let i = 0;
  while (i < series.dates.length && series.dates[i] < from) i++;
  return {
    symbol: series.symbol,
    dates: series.dates.slice(i),
    close: series.close.slice(i),
    ...(series.rawClose ? { rawClose: series.rawClose.slice(i) } : {}),
  };
}
