/**
 * US listed-options calendar: NYSE/Cboe trading days, holidays, early closes, America/New_York time, expiry
 * instants and the day count used for time to expiry.
 *
 * Everything is rule-based arithmetic on civil dates (no Intl, no time-zone database), so it gives the same answer
 * in Node and in any browser whatever the host's locale or zone data. Dates are `YYYY-MM-DD` strings of the
 * exchange's (New York) calendar; instants are epoch milliseconds UTC.
 *
 * Day count: `yearFraction` is ACT/365 on calendar time measured to the millisecond. Option time value decays
 * through nights and weekends too (the market reprices overnight gaps), and for 0DTE/1DTE options the hours left
 * matter more than the days, so T is the exact elapsed calendar time between two instants divided by a 365-day
 * year. Every part of Manifold computes T with this one function, so vols are comparable across modules.
 *
 * Holiday rules (NYSE Rule 7.2, which Cboe follows for equity and index options): New Year's Day (Sunday → Monday;
 * Saturday → not observed, the exchange does not close on the preceding Friday 31 December), Martin Luther King Jr.
 * Day (3rd Monday of January, since 1998), Washington's Birthday (3rd Monday of February), Good Friday (Gregorian
 * Easter − 2), Memorial Day (last Monday of May), Juneteenth (19 June, since 2022), Independence Day, Labor Day
 * (1st Monday of September), Thanksgiving (4th Thursday of November), Christmas. Fixed-date holidays other than
 * New Year's move Saturday → Friday and Sunday → Monday. Unscheduled closures are listed in SPECIAL_CLOSURES.
 *
 * Early closes at 13:00 ET: 3 July when it is a Monday–Thursday (the day before Independence Day; when 4 July is
 * a Saturday the 3rd is the holiday itself, when it is a Sunday or Monday there is no early close), the Friday
 * after Thanksgiving, and 24 December when it is a Monday–Thursday. These rules reproduce the NYSE schedules
 * published for 2008–2026.
 */

import type { Settlement } from './chain.js';

export type { Settlement };

/** Raised for a date that is not a valid `YYYY-MM-DD` calendar date, or for a request that needs a trading day. */
export class CalendarError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'CalendarError';
  }
}

const MS_PER_DAY = 86_400_000;
const MS_PER_MIN = 60_000;
/** ACT/365: one year is 365 × 86 400 000 ms of calendar time. */
export const MS_PER_YEAR = 365 * MS_PER_DAY;

/** Regular session in minutes after New York midnight. */
export const OPEN_MIN = 9 * 60 + 30;
export const CLOSE_MIN = 16 * 60;
export const EARLY_CLOSE_MIN = 13 * 60;

/** Calendar supported range: the rules below are only claimed for these years. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

/** Unscheduled full-day closures of NYSE (and of the US options exchanges with it) since 1970. */
const SPECIAL_CLOSURES: readonly string[] = [
  '1972-12-28', // President Truman's funeral
  '1973-01-25', // President Johnson's funeral
  '1977-07-14', // New York blackout
  '1985-09-27', // Hurricane Gloria
  '1994-04-27', // President Nixon's funeral
  '2001-09-11', // September 11 attacks, market closed through the 14th
  '2001-09-12',
  '2001-09-13',
  '2001-09-14',
  '2004-06-11', // President Reagan's funeral
  '2007-01-02', // President Ford's funeral
  '2012-10-29', // Hurricane Sandy
  '2012-10-30',
  '2018-12-05', // President G. H. W. Bush's funeral
  '2025-01-09', // President Carter's funeral
];

// ---------------------------------------------------------------------------------------------------------------
// Civil-date arithmetic on day numbers (days since 1970-01-01).

/** Day number of a civil date (proleptic Gregorian). */
export function dayNumber(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOfDay(dn: number): number {
  return (((dn + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

function civil(dn: number): { y: number; m: number; d: number } {
  const dt = new Date(dn * MS_PER_DAY);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** `YYYY-MM-DD` of a day number. */
export function formatDay(dn: number): string {
  const { y, m, d } = civil(dn);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Day number of a `YYYY-MM-DD` string; throws CalendarError when it is not a real date in the supported range. */
export function parseDay(date: string): number {
  if (typeof date !== 'string' || date.length !== 10 || date.charCodeAt(4) !== 45 || date.charCodeAt(7) !== 45) {
    throw new CalendarError(`invalid date '${date}': expected YYYY-MM-DD`, 'format');
  }
  const y = digits(date, 0, 4);
  const m = digits(date, 5, 2);
  const d = digits(date, 8, 2);
  if (y < 0 || m < 0 || d < 0) throw new CalendarError(`invalid date '${date}': expected YYYY-MM-DD`, 'format');
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) throw new CalendarError(`invalid date '${date}': no such day`, 'no-such-day');
  if (y < MIN_YEAR || y > MAX_YEAR) throw new CalendarError(`date '${date}' outside the calendar's range ${MIN_YEAR}-${MAX_YEAR}`, 'range');
  return dayNumber(y, m, d);
}

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** The n-th (1-based) given weekday of a month; n = -1 gives the last one. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = dayNumber(year, month, 1);
    return first + ((weekday - weekdayOfDay(first) + 7) % 7) + (n - 1) * 7;
  }
  const last = dayNumber(year, month, daysInMonth(year, month));
  return last - ((weekdayOfDay(last) - weekday + 7) % 7);
}

/** Gregorian Easter Sunday (anonymous Gregorian algorithm, "Meeus/Jones/Butcher"). */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumber(year, month, day);
}

/** Saturday → Friday, Sunday → Monday. */
function observed(dn: number): number {
  const wd = weekdayOfDay(dn);
  return wd === 6 ? dn - 1 : wd === 0 ? dn + 1 : dn;
}

interface YearInfo {
  holidays: Map<number, string>;
  earlyCloses: Set<number>;
}

// One entry per calendar year actually asked for; bounded by the supported range (≤ 230 entries).
const yearCache = new Map<number, YearInfo>();

function yearInfo(year: number): YearInfo {
  let info = yearCache.get(year);
  if (info) return info;
  const holidays = new Map<number, string>();
  const add = (dn: number, name: string) => {
    // Only weekdays matter (a holiday falling on a weekend without an observed day closes nothing).
    const wd = weekdayOfDay(dn);
    if (wd !== 0 && wd !== 6) holidays.set(dn, name);
  };
  // New Year's Day: Sunday → Monday 2 Jan; Saturday → not observed (NYSE does not close on Friday 31 Dec).
  const ny = dayNumber(year, 1, 1);
  if (weekdayOfDay(ny) === 0) add(ny + 1, "New Year's Day");
  else add(ny, "New Year's Day");
  if (year >= 1998) add(nthWeekday(year, 1, 1, 3), 'Martin Luther King Jr. Day');
  add(year >= 1971 ? nthWeekday(year, 2, 1, 3) : observed(dayNumber(year, 2, 22)), "Washington's Birthday");
  add(easterSunday(year) - 2, 'Good Friday');
  add(year >= 1971 ? nthWeekday(year, 5, 1, -1) : observed(dayNumber(year, 5, 30)), 'Memorial Day');
  if (year >= 2022) add(observed(dayNumber(year, 6, 19)), 'Juneteenth');
  add(observed(dayNumber(year, 7, 4)), 'Independence Day');
  add(nthWeekday(year, 9, 1, 1), 'Labor Day');
  const thanksgiving = nthWeekday(year, 11, 4, 4);
  add(thanksgiving, 'Thanksgiving Day');
  add(observed(dayNumber(year, 12, 25)), 'Christmas Day');
  for (const s of SPECIAL_CLOSURES) {
    if (s.startsWith(String(year))) add(dayNumber(year, Number(s.slice(5, 7)), Number(s.slice(8, 10))), 'special closure');
  }

  const earlyCloses = new Set<number>();
  const early = (dn: number) => {
    const wd = weekdayOfDay(dn);
    if (wd >= 1 && wd <= 5 && !holidays.has(dn)) earlyCloses.add(dn);
  };
  const jul3 = dayNumber(year, 7, 3);
  const wd3 = weekdayOfDay(jul3);
  if (wd3 >= 1 && wd3 <= 4) early(jul3);
  early(thanksgiving + 1);
  const dec24 = dayNumber(year, 12, 24);
  const wd24 = weekdayOfDay(dec24);
  if (wd24 >= 1 && wd24 <= 4) early(dec24);

  info = { holidays, earlyCloses };
  yearCache.set(year, info);
  return info;
}

function yearOfDay(dn: number): number {
  return new Date(dn * MS_PER_DAY).getUTCFullYear();
}

// ---------------------------------------------------------------------------------------------------------------
// Trading days.

/** Name of the exchange holiday on a day number, or undefined (weekends are not holidays). */
export function holidayNameOfDay(dn: number): string | undefined {
  return yearInfo(yearOfDay(dn)).holidays.get(dn);
}

export function isTradingDayNumber(dn: number): boolean {
  const wd = weekdayOfDay(dn);
  if (wd === 0 || wd === 6) return false;
  return !yearInfo(yearOfDay(dn)).holidays.has(dn);
}

/** True for a weekday that is not an exchange holiday. */
export function isTradingDay(date: string): boolean {
  return isTradingDayNumber(parseDay(date));
}

/** Holiday name on `date` (e.g. 'Good Friday'), or undefined. */
export function holidayName(date: string): string | undefined {
  return holidayNameOfDay(parseDay(date));
}

/** True when `date` is a trading day that closes at 13:00 ET. */
export function isEarlyClose(date: string): boolean {
  const dn = parseDay(date);
  return isTradingDayNumber(dn) && yearInfo(yearOfDay(dn)).earlyCloses.has(dn);
}

export function previousTradingDayNumber(dn: number): number {
  let d = dn - 1;
  while (!isTradingDayNumber(d)) d--;
  return d;
}

export function nextTradingDayNumber(dn: number): number {
  let d = dn + 1;
  while (!isTradingDayNumber(d)) d++;
  return d;
}

/** The last trading day strictly before `date`. */
export function previousTradingDay(date: string): string {
  return formatDay(previousTradingDayNumber(parseDay(date)));
}

/** The first trading day strictly after `date`. */
export function nextTradingDay(date: string): string {
  return formatDay(nextTradingDayNumber(parseDay(date)));
}

/** `date` itself when it trades, else the previous trading day. */
export function tradingDayOnOrBefore(date: string): string {
  const dn = parseDay(date);
  return isTradingDayNumber(dn) ? date : formatDay(previousTradingDayNumber(dn));
}

// ---------------------------------------------------------------------------------------------------------------
// America/New_York time, computed from the US DST rules.

/**
 * DST interval of a year in epoch ms UTC: [start, end). Since 2007: 2nd Sunday of March 02:00 EST (07:00Z) to
 * 1st Sunday of November 02:00 EDT (06:00Z). 1987–2006: 1st Sunday of April to last Sunday of October. 1967–1986:
 * last Sunday of April to last Sunday of October (the 1974–75 energy-crisis exceptions are not modelled).
 */
function dstIntervalUtc(year: number): [number, number] {
  let start: number;
  let end: number;
  if (year >= 2007) {
    start = nthWeekday(year, 3, 0, 2);
    end = nthWeekday(year, 11, 0, 1);
  } else if (year >= 1987) {
    start = nthWeekday(year, 4, 0, 1);
    end = nthWeekday(year, 10, 0, -1);
  } else {
    start = nthWeekday(year, 4, 0, -1);
    end = nthWeekday(year, 10, 0, -1);
  }
  return [start * MS_PER_DAY + 7 * 3_600_000, end * MS_PER_DAY + 6 * 3_600_000];
}

/** UTC offset of New York at an instant, in minutes (−240 in EDT, −300 in EST). */
export function nyOffsetMinutes(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  const [s, e] = dstIntervalUtc(year);
  return ms >= s && ms < e ? -240 : -300;
}

/**
 * Epoch ms of a New York wall-clock time. In the repeated hour of the autumn change the earlier (EDT) instant is
 * returned; in the skipped spring hour the time is read as EST. Neither case arises at market hours.
 */
export function nyLocalToUtcMs(dn: number, minutes: number): number {
  const localAsUtc = dn * MS_PER_DAY + minutes * MS_PER_MIN;
  const asEdt = localAsUtc + 240 * MS_PER_MIN;
  if (nyOffsetMinutes(asEdt) === -240) return asEdt;
  return localAsUtc + 300 * MS_PER_MIN;
}

/** New York civil day number and minutes after midnight of an instant. */
export function utcMsToNyLocal(ms: number): { day: number; minutes: number } {
  const local = ms + nyOffsetMinutes(ms) * MS_PER_MIN;
  const day = Math.floor(local / MS_PER_DAY);
  return { day, minutes: (local - day * MS_PER_DAY) / MS_PER_MIN };
}

/** New York date `YYYY-MM-DD` of an instant. */
export function nyDate(ms: number): string {
  return formatDay(utcMsToNyLocal(ms).day);
}

// ---------------------------------------------------------------------------------------------------------------
// Sessions and expiries.

function requireTradingDay(date: string, what: string): number {
  const dn = parseDay(date);
  if (!isTradingDayNumber(dn)) {
    const h = holidayNameOfDay(dn);
    throw new CalendarError(`${what}: ${date} is not a trading day (${h ?? 'weekend'})`, 'not-trading-day');
  }
  return dn;
}

/** Close of the regular session in minutes after New York midnight (960, or 780 on early-close days). */
export function sessionCloseMinutes(date: string): number {
  const dn = requireTradingDay(date, 'session close');
  return yearInfo(yearOfDay(dn)).earlyCloses.has(dn) ? EARLY_CLOSE_MIN : CLOSE_MIN;
}

/** Instant the regular session of `date` opens (09:30 ET); throws CalendarError on a non-trading day. */
export function sessionOpen(date: string): number {
  return nyLocalToUtcMs(requireTradingDay(date, 'session open'), OPEN_MIN);
}

/** Instant the regular session of `date` closes (16:00 ET, 13:00 ET on early-close days); throws on a non-trading day. */
export function sessionClose(date: string): number {
  const dn = requireTradingDay(date, 'session close');
  return nyLocalToUtcMs(dn, yearInfo(yearOfDay(dn)).earlyCloses.has(dn) ? EARLY_CLOSE_MIN : CLOSE_MIN);
}

export interface ExpiryInstantOptions {
  /**
   * Accept an expiry date that the calendar does not know as a trading day (e.g. a contract listed before an
   * unscheduled closure was announced): the normal hours of that date are used. Default false: throw.
   */
  allowNonTradingDay?: boolean;
}

/**
 * Instant an option expiring on `date` (as printed on the contract) stops having time value.
 *
 * - AM-settled (SPX monthlies, VIX): the settlement value comes from the opening prints, so the instant is the
 *   open, 09:30 ET of the expiry date (the options themselves stop trading the previous afternoon).
 * - PM-settled: the close of the underlying's regular session, 16:00 ET, or 13:00 ET on early-close days. SPX-family
 *   PM options keep trading until 16:15, but their settlement value is the index's 16:00 close, which is when the
 *   payoff is fixed; equity and ETF options stop trading at 16:00 as well.
 *
 * Holiday-shifted expiries carry their shifted date in the symbol (e.g. the April 2022 monthly printed 2022-04-14
 * because Good Friday 2022-04-15 was a holiday), so the date is used as printed and only checked to be a trading day.
 */
export function expiryInstantMs(date: string, settlement: Settlement, opts: ExpiryInstantOptions = {}): number {
  let dn: number;
  if (opts.allowNonTradingDay) dn = parseDay(date);
  else dn = requireTradingDay(date, 'expiry');
  if (settlement === 'AM') return nyLocalToUtcMs(dn, OPEN_MIN);
  const early = yearInfo(yearOfDay(dn)).earlyCloses.has(dn);
  return nyLocalToUtcMs(dn, early ? EARLY_CLOSE_MIN : CLOSE_MIN);
}

/**
 * Standard monthly expiry of a month: the third Friday, moved to the previous trading day when it is a holiday
 * (e.g. 2022-04 → 2022-04-14, Good Friday). `month` is 1–12.
 */
export function standardMonthlyExpiry(year: number, month: number): string {
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12 || year < MIN_YEAR || year > MAX_YEAR) {
    throw new CalendarError(`invalid month ${year}-${month}`, 'format');
  }
  const fri = nthWeekday(year, month, 5, 3);
  return formatDay(isTradingDayNumber(fri) ? fri : previousTradingDayNumber(fri));
}

/** Time between two instants in years, ACT/365 calendar time (see the module doc for why). Negative if to < from. */
export function yearFraction(fromMs: number, toMs: number): number {
  return (toMs - fromMs) / MS_PER_YEAR;
}
