// GEX arithmetic on hand-checked books: the two-contract example is worked out on paper in the comments.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aggregateByStrike,
  allocBook,
  bookExposures,
  bookGreeks,
  brentRoot,
  dealerPosition,
  dteBucket,
  gexAt,
  normCdf,
  planProfile,
  profileInto,
  spotGrid,
  strikeLevels,
  summarizeBook,
  validateBook,
  zeroCrossings,
  type GexBook,
} from '../../../src/quant/gex/index.js';
import { sharedRoot } from '../../support/cli.js';

/**
 * Two contracts, S = 100, r = q = 0 (F = S, D = 1), T = 0.25, σ = 0.2 (so σ√T = 0.1), multiplier 100:
 *   A: call K = 100, OI 1000.   d1 = 0/0.1 + 0.05 = 0.05
 *   B: put  K = 90,  OI 3000.   d1 = ln(100/90)/0.1 + 0.05 = 1.0536052 + 0.05 = 1.1036052
 * Γ = φ(d1)/(S·σ√T) = φ(d1)/10.
 *   φ(0.05)      = 0.39894228·e^{−0.00125}   = 0.39844391   → Γ_A = 0.039844391
 *   φ(1.1036052) = 0.39894228·e^{−0.6089723} = 0.21698857   → Γ_B = 0.021698857
 * GEX = Γ·OI·100·S²·0.01 = Γ·OI·10 000.
 *   naive (dealers long calls, short puts): A = +398 443.9, B = −650 965.7, total = −252 521.8 (negative)
 *   all-short: A = −398 443.9, B = −650 965.7, total = −1 049 409.6, never crosses zero (no flip)
 * Flip (naive): with x = ln S', d_A = 10(x − ln 100) + 0.05, d_B = d_A + c, c = 10·ln(10/9).
 *   GEX(S') ∝ 1000·e^{−d_A²/2} − 3000·e^{−(d_A+c)²/2} = 0  ⇔  2c·d_A + c² = 2 ln 3
 *   ⇔ d_A = (2 ln 3 − c²)/(2c) = 0.51591466  ⇔  S' = 100·exp(0.1·(d_A − 0.05)) = 104.76941
 * Below the flip the put dominates (negative), above it the call (positive).
 */
function twoContractBook(model: 'naive' | 'all-short'): GexBook {
  const b = allocBook(2, 100, 100);
  const oi = [1000, 3000];
  const right = [0, 1];
  const strike = [100, 90];
  for (let i = 0; i < 2; i++) {
    b.strike[i] = strike[i];
    b.right[i] = right[i];
    b.expiryGroup[i] = 0;
    b.t[i] = 0.25;
    b.iv[i] = 0.2;
    b.logFwdRatio[i] = 0;
    b.rate[i] = 0;
    b.position[i] = dealerPosition({ kind: model }, i, right[i], oi[i]);
  }
  return b;
}

const paperFlip = (() => {
  const c = 10 * Math.log(10 / 9);
  const dA = (2 * Math.log(3) - c * c) / (2 * c);
  return 100 * Math.exp(0.1 * (dA - 0.05));
})();

describe('two-contract book (hand-checked)', () => {
  it('gamma, per-contract GEX, total and sign match the paper numbers', () => {
    const book = twoContractBook('naive');
    const g = bookGreeks(book);
    expect(g.gamma[0]).toBeCloseTo(0.039844391, 8);
    expect(g.gamma[1]).toBeCloseTo(0.021698857, 8);
    const s = summarizeBook(book, { groups: 1, groupDays: [91] });
    expect(s.exposures.gex[0]).toBeCloseTo(398443.9, 0);
    expect(s.exposures.gex[1]).toBeCloseTo(-650965.7, 0);
    expect(s.totals.gex).toBeCloseTo(-252521.8, 0);
    expect(s.totals.gex).toBeLessThan(0);
    // Shares per $1: Γ·OI·100 (dealer delta change for a $1 move).
    expect(s.totals.gexShares).toBeCloseTo(0.039844391 * 1000 * 100 - 0.021698857 * 3000 * 100, 2);
    expect(s.totals.callGex).toBeCloseTo(398443.9, 0);
    expect(s.totals.putGex).toBeCloseTo(-650965.7, 0);
  });

  it('flip is at the paper root (104.76941), the profile changes sign there', () => {
    const s = summarizeBook(twoContractBook('naive'), { groups: 1, groupDays: [91] });
    expect(paperFlip).toBeCloseTo(104.76941, 4);
    expect(s.flip).not.toBeNull();
    expect(s.flip!.spot).toBeCloseTo(paperFlip, 7);
    expect(s.flip!.direction).toBe('up');
    expect(s.crossings).toHaveLength(1);
    const { spots, gex } = s.profile;
    for (let j = 0; j < spots.length; j++) {
      if (spots[j] < paperFlip - 1e-9) expect(gex[j]).toBeLessThan(0);
      if (spots[j] > paperFlip + 1e-9) expect(gex[j]).toBeGreaterThan(0);
    }
    expect(s.flip!.lower).toBeLessThanOrEqual(paperFlip);
    expect(s.flip!.upper).toBeGreaterThanOrEqual(paperFlip);
  });

  it('all-short: both negative, total −1 049 409.6, no flip (null, not a made-up level)', () => {
    const s = summarizeBook(twoContractBook('all-short'), { groups: 1, groupDays: [91] });
    expect(s.totals.gex).toBeCloseTo(-1049409.6, 0);
    expect(s.flip).toBeNull();
    expect(s.crossings).toHaveLength(0);
    for (const v of s.profile.gex) expect(v).toBeLessThan(0);
  });

  it('sum over strikes = total, profile at the current spot = total, 201 points over ±20 %', () => {
    const s = summarizeBook(twoContractBook('naive'), { groups: 1, groupDays: [91] });
    let byStrike = 0;
    for (const v of s.byStrike.net) byStrike += v;
    expect(byStrike).toBeCloseTo(s.totals.gex, 6);
    expect(Array.from(s.byStrike.strike)).toEqual([90, 100]);
    const { spots, gex, spotIndex } = s.profile;
    expect(spots.length).toBe(201);
    expect(spots[0]).toBeLessThanOrEqual(80);
    expect(spots[0]).toBeGreaterThan(79);
    expect(spots[200]).toBeGreaterThanOrEqual(120 * (1 - 1e-12));
    expect(spots[200]).toBeLessThan(121);
    for (let j = 1; j < 201; j++) expect(spots[j] / spots[j - 1]).toBeCloseTo(spots[1] / spots[0], 12);
    expect(spots[spotIndex]).toBe(100);
    expect(gex[spotIndex]).toBeCloseTo(s.totals.gex, 6);
    // Walls: call wall = the only call strike, put wall = the only put strike; abs gamma = larger |call|+|put|.
    expect(s.levels.callWall).toBe(100);
    expect(s.levels.putWall).toBe(90);
    expect(s.levels.absGammaStrike).toBe(90);
  });
});

/** A random but plausible book: several expiries, strikes around spot, both rights, with carry. */
function randomBook(n: number, seed = 7): GexBook {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const S = 4000;
  const b = allocBook(n, S, 100);
  for (let i = 0; i < n; i++) {
    const T = [1 / 365 / 24, 2 / 365, 0.02, 0.1, 0.5, 2][i % 6];
    b.t[i] = T;
    b.expiryGroup[i] = i % 6;
    b.strike[i] = Math.round((S * Math.exp(0.25 * (rnd() - 0.6) * Math.sqrt(T + 0.05) * 4)) / 5) * 5;
    b.right[i] = rnd() < 0.5 ? 0 : 1;
    b.iv[i] = 0.1 + 0.3 * rnd();
    b.rate[i] = 0.045;
    b.logFwdRatio[i] = (0.045 - 0.015) * T;
    b.position[i] = dealerPosition({ kind: 'naive' }, i, b.right[i], Math.floor(1 + 5000 * rnd()));
  }
  return b;
}

describe('profile kernel', () => {
  it('equals the direct full sum at every point (the |d1| cut-off skips only exact zeros)', () => {
    const book = randomBook(600);
    const plan = planProfile(book);
    const spots = spotGrid(book.spot, 0.2, 201);
    const out = new Float64Array(spots.length);
    profileInto(plan, spots, out);
    for (let j = 0; j < spots.length; j++) expect(out[j] / gexAt(plan, spots[j])).toBeCloseTo(1, 9);
    // A grid that is not even in ln S takes the direct-exp path; same numbers.
    const lin = Float64Array.from({ length: 101 }, (_, j) => book.spot * (0.8 + 0.004 * j));
    const outLin = new Float64Array(lin.length);
    profileInto(plan, lin, outLin);
    for (let j = 0; j < lin.length; j++) expect(outLin[j] / gexAt(plan, lin[j])).toBeCloseTo(1, 9);
    // and agrees with exposures from the Greeks at that spot
    for (const j of [0, 37, 100, 163, 200]) {
      const g = bookGreeks(book, spots[j]);
      const e = bookExposures(book, g);
      let s = 0;
      for (const v of e.gex) s += v;
      expect(out[j] / s).toBeCloseTo(1, 10);
    }
  });

  it('next-expiry split: all = next + ex-next at every point', () => {
    const book = randomBook(300);
    const s = summarizeBook(book, { groups: 6, groupDays: [0, 2, 7, 36, 182, 730], nextGroups: [1, 0, 0, 0, 0, 0] });
    let next = 0;
    for (let i = 0; i < book.n; i++) if (book.expiryGroup[i] === 0) next += s.exposures.gex[i];
    expect(s.nextGex).toBeCloseTo(next, 4);
    expect(s.exNextGex).toBeCloseTo(s.totals.gex - next, 4);
    expect(s.profile.exNext[s.profile.spotIndex] / s.exNextGex).toBeCloseTo(1, 9);
    expect(s.byBucket['0dte']).toBeCloseTo(s.byGroup.gex[0], 6);
    expect(s.byBucket['1-7d']).toBeCloseTo(s.byGroup.gex[1] + s.byGroup.gex[2], 6);
    expect(s.byBucket['8-30d']).toBe(0);
    expect(s.byBucket['>30d']).toBeCloseTo(s.byGroup.gex[3] + s.byGroup.gex[4] + s.byGroup.gex[5], 4);
    let groups = 0;
    for (const v of s.byGroup.gex) groups += v;
    expect(groups).toBeCloseTo(s.totals.gex, 4);
  });

  it('every reported crossing is a sign change of the exact GEX(S)', () => {
    const book = randomBook(400, 11);
    const s = summarizeBook(book, { groups: 6, groupDays: [0, 2, 7, 36, 182, 730], volShifts: [-0.05, 0.05] });
    expect(s.crossings.length).toBeGreaterThan(0);
    for (const c of s.crossings) {
      const h = c.spot * 1e-7;
      expect(Math.sign(gexAt(s.plan, c.spot - h))).not.toBe(Math.sign(gexAt(s.plan, c.spot + h)));
    }
    expect(s.volProfiles).toHaveLength(2);
    expect(s.volProfiles[0].gex.length).toBe(201);
  });
});

describe('Greeks against the mpmath truth table (shared/data/greeks)', () => {
  const text = readFileSync(join(sharedRoot, 'data/greeks/bsm-truth.csv'), 'utf8').trim().split('\n');
  const head = text[0].split(',');
  const col = (name: string) => head.indexOf(name);
  const rows = text.slice(1).map((l) => l.split(','));
  it('delta, gamma, vanna, charm to ~1e-9 relative on 1000 ordinary cases', () => {
    const n = rows.length;
    const b = allocBook(n, 1, 1);
    // Each row has its own spot: evaluate one-contract books so the spot is the row's.
    let worst = 0;
    for (let k = 0; k < n; k++) {
      const r = rows[k];
      const S = Number(r[col('spot')]);
      const T = Number(r[col('expiry_years')]);
      const rate = Number(r[col('rate')]);
      const q = Number(r[col('dividend_yield')]);
      const one = allocBook(1, S, 1);
      one.strike[0] = Number(r[col('strike')]);
      one.right[0] = r[col('right')] === 'C' ? 0 : 1;
      one.t[0] = T;
      one.iv[0] = Number(r[col('sigma')]);
      one.rate[0] = rate;
      one.logFwdRatio[0] = (rate - q) * T;
      one.position[0] = 1;
      expect(validateBook(one)).toBeNull();
      const g = bookGreeks(one);
      for (const [name, got] of [
        ['delta', g.delta[0]],
        ['gamma', g.gamma[0]],
        ['vanna', g.vanna[0]],
        ['charm', g.charm[0]],
      ] as const) {
        const want = Number(r[col(name)]);
        const err = Math.abs(got - want) / Math.max(Math.abs(want), 1e-6 * (name === 'gamma' ? 1 / S : 1));
        worst = Math.max(worst, err);
        if (err > 1e-8) throw new Error(`row ${k} ${name}: got ${got}, want ${want}`);
      }
    }
    expect(b.n).toBe(n);
    expect(worst).toBeLessThan(1e-8);
  });
});

describe('small pieces', () => {
  it('normCdf matches known values', () => {
    expect(normCdf(0)).toBe(0.5);
    expect(normCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(normCdf(-3)).toBeCloseTo(0.0013498980316300946, 15);
    expect(normCdf(-8) / 6.22096057427178e-16).toBeCloseTo(1, 10);
  });

  it('Brent finds roots and refuses a non-bracket', () => {
    const r = brentRoot((x) => x * x * x - 2 * x - 5, 2, 3, 1e-14);
    expect(r.root).toBeCloseTo(2.0945514815423265, 13);
    expect(r.evaluations).toBeLessThan(15);
    expect(() => brentRoot((x) => x * x + 1, -1, 1)).toThrow(/bracket/);
  });

  it('zero runs: a sign change through exact zeros is one crossing; touching zero or all-zero is none', () => {
    const plan = planProfile(allocBook(0, 100, 100));
    const spots = Float64Array.from([90, 95, 100, 105, 110]);
    const cross = (ys: number[]) => zeroCrossings(plan, spots, Float64Array.from(ys));
    expect(cross([0, 0, 0, 0, 0])).toEqual([]);
    expect(cross([-1, 0, 0, 0, 2])).toEqual([{ spot: 100, lower: 95, upper: 105, direction: 'up' }]);
    expect(cross([1, 0, 1, 2, 3])).toEqual([]);
    expect(cross([0, 0, -1, 0, 0])).toEqual([]);
    expect(cross([2, 1, 0, -1, -2]).map((c) => [c.spot, c.direction])).toEqual([[100, 'down']]);
  });

  it('DTE buckets', () => {
    expect([0, 1, 7, 8, 30, 31, -1].map(dteBucket)).toEqual(['0dte', '1-7d', '1-7d', '8-30d', '8-30d', '>30d', null]);
  });

  it('by-strike table merges roots at one strike; walls compare magnitudes', () => {
    const strike = [100, 100, 105, 95, 95, 110];
    const right = [0, 0, 0, 1, 1, 1];
    const gex = [5, 6, 10, -3, -4, -8];
    const t = aggregateByStrike(strike, right, gex, 6);
    expect(Array.from(t.strike)).toEqual([95, 100, 105, 110]);
    expect(Array.from(t.call)).toEqual([0, 11, 10, 0]);
    expect(Array.from(t.put)).toEqual([-7, 0, 0, -8]);
    const lv = strikeLevels(t);
    expect(lv.callWall).toBe(100);
    expect(lv.putWall).toBe(110);
    expect(lv.absGammaStrike).toBe(100);
    // all-short flips the call signs; the walls stay where the gamma is.
    const t2 = aggregateByStrike(strike, right, gex.map((v, i) => (right[i] === 0 ? -v : v)), 6);
    expect(strikeLevels(t2)).toEqual(lv);
  });

  it('flow hook: supplied dealer positions override OI; unknown rows fall back or are excluded', () => {
    const q = new Float64Array([250, NaN, -40]);
    expect(dealerPosition({ kind: 'flow', dealerContracts: q, fallback: 'naive' }, 0, 1, 1000)).toBe(250);
    expect(dealerPosition({ kind: 'flow', dealerContracts: q, fallback: 'naive' }, 1, 1, 1000)).toBe(-1000);
    expect(dealerPosition({ kind: 'flow', dealerContracts: q, fallback: 'all-short' }, 1, 0, 1000)).toBe(-1000);
    expect(Number.isNaN(dealerPosition({ kind: 'flow', dealerContracts: q, fallback: 'exclude' }, 1, 0, 1000))).toBe(true);
    expect(dealerPosition({ kind: 'flow', dealerContracts: q, fallback: 'exclude' }, 2, 0, 1000)).toBe(-40);
  });

  it('a bad book is refused with the reason', () => {
    const b = twoContractBook('naive');
    b.iv[1] = NaN;
    expect(validateBook(b)).toMatch(/contract 1: IV/);
    expect(() => summarizeBook(b, { groups: 1, groupDays: [1] })).toThrow(/invalid GEX book/);
  });
});
