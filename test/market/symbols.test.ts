import { describe, expect, it } from 'vitest';
import {
  formatCboe,
  formatMassive,
  formatOcc,
  parseOptionSymbol,
  SymbolError,
  toOccSymbol,
  tryParseOptionSymbol,
  type OptionContract,
} from '../../src/market/symbols.js';

describe('option symbols: parse', () => {
  it('reads the three forms of one contract to the same contract', () => {
    const want = { root: 'SPY', expiry: '2025-12-19', right: 'C', strike: 650 };
    expect(parseOptionSymbol('O:SPY251219C00650000')).toEqual({ ...want, format: 'massive' });
    expect(parseOptionSymbol('SPY   251219C00650000')).toEqual({ ...want, format: 'occ' });
    expect(parseOptionSymbol('SPY251219C00650000')).toEqual({ ...want, format: 'cboe' });
  });

  it('reads roots of every length, with digits, and strikes with 3 decimals', () => {
    expect(parseOptionSymbol('SPXW230421P04050000')).toMatchObject({ root: 'SPXW', expiry: '2023-04-21', right: 'P', strike: 4050 });
    expect(parseOptionSymbol('QQQ240322C00129780')).toMatchObject({ root: 'QQQ', strike: 129.78 });
    expect(parseOptionSymbol('F     260116C00012500')).toMatchObject({ root: 'F', expiry: '2026-01-16', strike: 12.5 });
    expect(parseOptionSymbol('O:SPY1251219P00001005')).toMatchObject({ root: 'SPY1', strike: 1.005 });
    expect(parseOptionSymbol('BRKB1 240119C00300000')).toMatchObject({ root: 'BRKB1', strike: 300 });
    expect(parseOptionSymbol('GOOGL7240119C00099999')).toMatchObject({ root: 'GOOGL7', strike: 99.999 });
    expect(parseOptionSymbol('O:AAPL240229C99999999')).toMatchObject({ expiry: '2024-02-29', strike: 99999.999 });
  });

  const malformed: Array<[string, RegExp]> = [
    ['', /too short/],
    ['SPY', /too short/],
    ['251219C00650000', /too short/],
    ['O:251219C00650000', /empty root/],
    ['SPY251219X00650000', /right 'X'/],
    ['SPY251319C00650000', /month 13/],
    ['SPY250230C00650000', /day 30/],
    ['SPY230229C00650000', /day 29/],
    ['SPY2512A9C00650000', /YYMMDD/],
    ['SPY251219C0065000A', /8 digits/],
    ['SPY251219C00000000', /zero/],
    ['SPY 251219C00650000', /padded to exactly 6/],
    ['SP Y  251219C00650000', /character other than/],
    ['spy251219C00650000', /start with a letter/],
    ['SPy251219C00650000', /character other than/],
    ['1SPY251219C00650000', /start with a letter/],
    ['ABCDEFG251219C00650000', /longer than 6/],
    [' SPY  251219C00650000', /start with a letter/],
    ['O:SPY 251219C00650000', /character other than/],
    ['SPY251219C00650000 ', /8 digits/],
  ];
  for (const [s, reason] of malformed) {
    it(`rejects '${s}' with a reason`, () => {
      const r = tryParseOptionSymbol(s);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
      let err: unknown;
      try {
        parseOptionSymbol(s);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SymbolError);
      expect((err as SymbolError).reason).toMatch(reason);
      expect((err as SymbolError).symbol).toBe(s);
    });
  }

  it('never throws from tryParseOptionSymbol on random input', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = 'O: SPYXW0123456789CPabc.-';
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rnd() * 26);
      let s = '';
      for (let k = 0; k < n; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const r = tryParseOptionSymbol(s);
      if (r.ok) {
        // Whatever parses must format back to an equivalent symbol.
        expect(parseOptionSymbol(formatOcc(r.value))).toMatchObject({ root: r.value.root, expiry: r.value.expiry, strike: r.value.strike });
      }
    }
  });
});

describe('option symbols: format', () => {
  const c: OptionContract = { root: 'SPXW', expiry: '2023-04-21', right: 'C', strike: 4050 };
  it('formats the three forms', () => {
    expect(formatMassive(c)).toBe('O:SPXW230421C04050000');
    expect(formatOcc(c)).toBe('SPXW  230421C04050000');
    expect(formatCboe(c)).toBe('SPXW230421C04050000');
    expect(formatOcc({ root: 'F', expiry: '2026-01-16', right: 'P', strike: 12.5 })).toBe('F     260116P00012500');
    expect(formatOcc({ root: 'GOOGL7', expiry: '2024-01-19', right: 'P', strike: 0.001 })).toBe('GOOGL7240119P00000001');
    expect(toOccSymbol('O:SPY251219C00650000')).toBe('SPY   251219C00650000');
  });

  it('keeps 3-decimal strikes exact through float arithmetic', () => {
    for (const k of [129.78, 0.1, 0.3, 1.005, 4050.005, 99999.999, 2.675, 17.33]) {
      const s = formatCboe({ ...c, strike: k });
      expect(parseOptionSymbol(s).strike).toBe(k);
    }
  });

  const bad: Array<[Partial<OptionContract>, RegExp]> = [
    [{ strike: 1.2345 }, /more than 3 decimals/],
    [{ strike: 100000 }, /outside/],
    [{ strike: 0 }, /outside/],
    [{ strike: -5 }, /outside/],
    [{ strike: NaN }, /outside/],
    [{ root: 'spxw' }, /start with a letter/],
    [{ root: 'TOOLONG' }, /longer than 6/],
    [{ root: '' }, /empty root/],
    [{ expiry: '1999-12-17' }, /2000-2099/],
    [{ expiry: '2023-02-30' }, /not a valid date/],
    [{ expiry: '20230421' }, /YYYY-MM-DD/],
    [{ right: 'X' as 'C' }, /right 'X'/],
  ];
  for (const [patch, reason] of bad) {
    it(`refuses to format ${JSON.stringify(patch)}`, () => {
      expect(() => formatOcc({ ...c, ...patch })).toThrow(SymbolError);
      expect(() => formatMassive({ ...c, ...patch })).toThrow(reason);
    });
  }

  it('round-trips random contracts through every form', () => {
    let seed = 99;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const alnum = letters + '0123456789';
    for (let i = 0; i < 5_000; i++) {
      let root = letters[Math.floor(rnd() * 26)];
      const len = 1 + Math.floor(rnd() * 6);
      while (root.length < len) root += alnum[Math.floor(rnd() * alnum.length)];
      const y = 2000 + Math.floor(rnd() * 100);
      const m = 1 + Math.floor(rnd() * 12);
      const d = 1 + Math.floor(rnd() * 28);
      const expiry = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      const strike = (1 + Math.floor(rnd() * 99_999_999)) / 1000;
      const contract: OptionContract = { root, expiry, right: rnd() < 0.5 ? 'C' : 'P', strike };
      for (const s of [formatMassive(contract), formatOcc(contract), formatCboe(contract)]) {
        const p = parseOptionSymbol(s);
        expect(p.root).toBe(root);
        expect(p.expiry).toBe(expiry);
        expect(p.right).toBe(contract.right);
        expect(p.strike).toBe(strike);
      }
      expect(formatOcc(contract)).toHaveLength(21);
    }
  });
});
