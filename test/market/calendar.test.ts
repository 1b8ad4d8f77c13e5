import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CalendarError,
  easterSunday,
  expiryInstantMs,
  formatDay,
  holidayName,
  isEarlyClose,
  isTradingDay,
  nextTradingDay,
  nyDate,
  nyOffsetMinutes,
  previousTradingDay,
  sessionClose,
  sessionOpen,
  standardMonthlyExpiry,
  tradingDayOnOrBefore,
  yearFraction,
} from '../../src/market/calendar.js';
import { rootInfo } from '../../src/market/roots.js';
import { sharedRoot } from '../support/cli.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('expiry instants (checked by hand against the exchange rules)', () => {
  it('SPX AM monthly settles on the open: 2023-04-21 09:30 EDT = 13:30Z', () => {
    expect(rootInfo('SPX').settlement).toBe('AM');
    expect(iso(expiryInstantMs('2023-04-21', 'AM'))).toBe('2023-04-21T13:30:00.000Z');
    // Winter (EST): the January 2023 monthly, 2023-01-20 09:30 EST = 14:30Z.
    expect(iso(expiryInstantMs('2023-01-20', 'AM'))).toBe('2023-01-20T14:30:00.000Z');
  });

  it('SPXW PM weekly settles on the close: Wed 2023-04-19 16:00 EDT = 20:00Z; Tue 2023-02-07 16:00 EST = 21:00Z', () => {
    expect(rootInfo('SPXW').settlement).toBe('PM');
    expect(iso(expiryInstantMs('2023-04-19', 'PM'))).toBe('2023-04-19T20:00:00.000Z');
    expect(iso(expiryInstantMs('2023-02-07', 'PM'))).toBe('2023-02-07T21:00:00.000Z');
  });

  it('holiday-shifted monthly: April 2022 expired Thu 2022-04-14 because Good Friday 2022-04-15 was closed', () => {
    expect(holidayName('2022-04-15')).toBe('Good Friday');
    expect(standardMonthlyExpiry(2022, 4)).toBe('2022-04-14');
    expect(iso(expiryInstantMs('2022-04-14', 'AM'))).toBe('2022-04-14T13:30:00.000Z');
    expect(iso(expiryInstantMs('2022-04-14', 'PM'))).toBe('2022-04-14T20:00:00.000Z');
    expect(() => expiryInstantMs('2022-04-15', 'AM')).toThrow(CalendarError);
    expect(() => expiryInstantMs('2022-04-15', 'AM')).toThrow(/not a trading day \(Good Friday\)/);
    // Juneteenth 2026 falls on the third Friday: the June 2026 monthly moves to Thursday 18th.
    expect(standardMonthlyExpiry(2026, 6)).toBe('2026-06-18');
    // Ordinary months keep the third Friday.
    expect(standardMonthlyExpiry(2023, 4)).toBe('2023-04-21');
    expect(standardMonthlyExpiry(2024, 2)).toBe('2024-02-16');
    expect(standardMonthlyExpiry(2025, 1)).toBe('2025-01-17');
  });

  it('early-close days end PM expiries at 13:00 ET: 2023-11-24 = 18:00Z, 2023-07-03 = 17:00Z, 2024-12-24 = 18:00Z', () => {
    expect(isEarlyClose('2023-11-24')).toBe(true);
    expect(iso(expiryInstantMs('2023-11-24', 'PM'))).toBe('2023-11-24T18:00:00.000Z');
    expect(iso(sessionClose('2023-07-03'))).toBe('2023-07-03T17:00:00.000Z');
    expect(iso(sessionClose('2024-12-24'))).toBe('2024-12-24T18:00:00.000Z');
    // AM settlement is unaffected by an early close.
    expect(iso(expiryInstantMs('2023-11-24', 'AM'))).toBe('2023-11-24T14:30:00.000Z');
  });

  it('accepts a non-trading expiry date only when asked', () => {
    expect(iso(expiryInstantMs('2025-01-09', 'PM', { allowNonTradingDay: true }))).toBe('2025-01-09T21:00:00.000Z');
    expect(() => expiryInstantMs('2025-01-09', 'PM')).toThrow(/special closure/);
  });

  it('rejects malformed dates with a reason', () => {
    for (const bad of ['2023-4-21', '2023-02-29', '2023-13-01', 'yesterday', '1969-12-31']) {
      expect(() => expiryInstantMs(bad, 'PM')).toThrow(CalendarError);
    }
  });
});

describe('DST in New York (computed from the US rules, no Intl)', () => {
  it('switches at 2:00 local on the 2nd Sunday of March and the 1st Sunday of November (since 2007)', () => {
    expect(nyOffsetMinutes(Date.parse('2023-03-12T06:59:59.999Z'))).toBe(-300);
    expect(nyOffsetMinutes(Date.parse('2023-03-12T07:00:00.000Z'))).toBe(-240);
    expect(nyOffsetMinutes(Date.parse('2023-11-05T05:59:59.999Z'))).toBe(-240);
    expect(nyOffsetMinutes(Date.parse('2023-11-05T06:00:00.000Z'))).toBe(-300);
    expect(iso(sessionClose('2023-03-10'))).toBe('2023-03-10T21:00:00.000Z');
    expect(iso(sessionClose('2023-03-13'))).toBe('2023-03-13T20:00:00.000Z');
    expect(iso(sessionClose('2023-11-03'))).toBe('2023-11-03T20:00:00.000Z');
    expect(iso(sessionClose('2023-11-06'))).toBe('2023-11-06T21:00:00.000Z');
    expect(iso(sessionOpen('2024-03-11'))).toBe('2024-03-11T13:30:00.000Z');
    expect(iso(sessionOpen('2024-03-08'))).toBe('2024-03-08T14:30:00.000Z');
  });

  it('uses the 1987-2006 rule before 2007 (1st Sunday of April to last Sunday of October)', () => {
    expect(iso(sessionClose('2006-03-31'))).toBe('2006-03-31T21:00:00.000Z');
    expect(iso(sessionClose('2006-04-03'))).toBe('2006-04-03T20:00:00.000Z');
    expect(iso(sessionClose('2006-10-27'))).toBe('2006-10-27T20:00:00.000Z');
    expect(iso(sessionClose('2006-10-30'))).toBe('2006-10-30T21:00:00.000Z');
  });

  it('gives the New York date of an instant', () => {
    expect(nyDate(Date.parse('2023-04-15T03:59:00Z'))).toBe('2023-04-14');
    expect(nyDate(Date.parse('2023-04-15T04:00:00Z'))).toBe('2023-04-15');
    expect(nyDate(Date.parse('2023-01-15T04:59:00Z'))).toBe('2023-01-14');
  });
});

describe('holidays and trading days', () => {
  it('knows the 2022-2023 NYSE holidays, including observed days', () => {
    const h2023 = ['2023-01-02', '2023-01-16', '2023-02-20', '2023-04-07', '2023-05-29', '2023-06-19', '2023-07-04', '2023-09-04', '2023-11-23', '2023-12-25'];
    const h2022 = ['2022-01-17', '2022-02-21', '2022-04-15', '2022-05-30', '2022-06-20', '2022-07-04', '2022-09-05', '2022-11-24', '2022-12-26'];
    for (const d of [...h2023, ...h2022]) expect(isTradingDay(d), d).toBe(false);
    // New Year's Day 2022 was a Saturday: not observed, Friday 2021-12-31 traded.
    expect(isTradingDay('2021-12-31')).toBe(true);
    // Juneteenth only from 2022.
    expect(isTradingDay('2021-06-18')).toBe(true);
    expect(holidayName('2021-12-24')).toBe('Christmas Day');
    expect(holidayName('2026-07-03')).toBe('Independence Day');
    expect(holidayName('2027-06-18')).toBe('Juneteenth');
  });

  it('counts 251 trading days in 2022, 250 in 2023 and 252 in 2024', () => {
    const count = (y: number) => {
      let n = 0;
      for (let d = previousTradingDay(`${y}-01-01`); ; ) {
        d = nextTradingDay(d);
        if (!d.startsWith(String(y))) return n;
        n++;
      }
    };
    expect(count(2022)).toBe(251);
    expect(count(2023)).toBe(250);
    expect(count(2024)).toBe(252);
  });

  it('has the special closures', () => {
    for (const d of ['2001-09-11', '2001-09-12', '2001-09-13', '2001-09-14', '2004-06-11', '2007-01-02', '2012-10-29', '2012-10-30', '2018-12-05', '2025-01-09']) {
      expect(holidayName(d), d).toBe('special closure');
    }
  });

  it('has exactly the trading days of independent daily histories (SPY 1993-2026, SPX 1999-2026)', () => {
    for (const [file, col] of [
      ['SPY_daily_yahoo.csv', 0],
      ['SPX_close.csv', 0],
    ] as const) {
      const dates = readFileSync(join(sharedRoot, 'data', 'history', file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[col]);
      const have = new Set(dates);
      const missing: string[] = [];
      let d = dates[0];
      let n = 0;
      while (d <= dates[dates.length - 1]) {
        n++;
        if (!have.has(d)) missing.push(d);
        d = nextTradingDay(d);
      }
      expect(missing, file).toEqual([]);
      expect(dates.filter((x) => !isTradingDay(x)), file).toEqual([]);
      expect(n, file).toBe(dates.length);
    }
  });

  it('knows the early closes and their exceptions', () => {
    const early = ['2019-07-03', '2019-11-29', '2019-12-24', '2020-11-27', '2020-12-24', '2021-11-26', '2022-11-25', '2023-07-03', '2023-11-24', '2024-07-03', '2024-11-29', '2024-12-24', '2025-07-03', '2025-11-28', '2025-12-24', '2026-11-27', '2026-12-24'];
    for (const d of early) expect(isEarlyClose(d), d).toBe(true);
    // 4 July on a Saturday/Sunday/Monday: no early close before it; 24 Dec on a Friday is the Christmas holiday.
    for (const d of ['2020-07-02', '2021-07-02', '2022-07-01', '2021-12-23', '2022-12-23', '2023-12-22', '2026-07-02']) {
      expect(isEarlyClose(d), d).toBe(false);
    }
  });

  it('steps between trading days', () => {
    expect(previousTradingDay('2023-04-10')).toBe('2023-04-06'); // over Good Friday and the weekend
    expect(nextTradingDay('2023-04-06')).toBe('2023-04-10');
    expect(tradingDayOnOrBefore('2023-09-04')).toBe('2023-09-01'); // Labor Day
    expect(tradingDayOnOrBefore('2023-09-05')).toBe('2023-09-05');
  });

  it('computes Gregorian Easter', () => {
    const easter: Record<number, string> = { 2000: '2000-04-23', 2008: '2008-03-23', 2011: '2011-04-24', 2019: '2019-04-21', 2022: '2022-04-17', 2023: '2023-04-09', 2024: '2024-03-31', 2025: '2025-04-20', 2038: '2038-04-25' };
    for (const [y, d] of Object.entries(easter)) expect(formatDay(easterSunday(Number(y)))).toBe(d);
  });
});

describe('settlement and exercise per root', () => {
  it('maps the roots of the shared chains', () => {
    expect(rootInfo('SPX')).toMatchObject({ underlying: 'SPX', settlement: 'AM', exercise: 'european' });
    expect(rootInfo('SPXW')).toMatchObject({ underlying: 'SPX', settlement: 'PM', exercise: 'european' });
    expect(rootInfo('VIX')).toMatchObject({ underlying: 'VIX', settlement: 'AM', exercise: 'european', futuresUnderlying: true });
    expect(rootInfo('VIXW')).toMatchObject({ underlying: 'VIX', settlement: 'AM', exercise: 'european', futuresUnderlying: true });
    expect(rootInfo('SPY')).toMatchObject({ underlying: 'SPY', settlement: 'PM', exercise: 'american', index: false });
    expect(rootInfo('QQQ')).toMatchObject({ underlying: 'QQQ', settlement: 'PM', exercise: 'american' });
    expect(rootInfo('SPY1')).toMatchObject({ underlying: 'SPY', settlement: 'PM', exercise: 'american' });
  });
});

describe('yearFraction', () => {
  it('is ACT/365 calendar time to the millisecond', () => {
    const from = Date.parse('2023-04-14T20:00:00Z');
    expect(yearFraction(from, Date.parse('2024-04-13T20:00:00Z'))).toBe(1); // 365 days (2024 leap day included)
    expect(yearFraction(from, from + 15 * 60_000)).toBeCloseTo(15 / (365 * 24 * 60), 15);
    // 0DTE from 10:00 ET to the 16:00 close: 6 hours.
    const t = yearFraction(Date.parse('2023-04-19T14:00:00Z'), expiryInstantMs('2023-04-19', 'PM'));
    expect(t).toBeCloseTo(6 / (365 * 24), 15);
    expect(yearFraction(from + 1000, from)).toBeLessThan(0);
  });
});
