// computeGex on a small hand-built chain and chain-IV result: IV choice per strike, exclusions with reasons and
// the open interest they cover, and the consistency of the JSON result (strikes sum to total, profile at spot).
import { describe, expect, it } from 'vitest';
import type { OptionChain } from '../../src/market/chain.js';
import type { ChainIv } from '../../src/analytics/chain-iv-types.js';
import { IvStatus } from '../../src/analytics/chain-iv-types.js';
import { buildGexBook, computeGex } from '../../src/analytics/gex.js';

interface RowSpec {
  e: number;
  K: number;
  right: 0 | 1;
  bid: number;
  oi: number;
  iv: number; // NaN = not inverted
  status?: number;
}

const DAY = 86_400_000;

/** Expiry 0: T = 0.25, F = 100, D = 1. Expiry 1: already expired (T = 0). Expiry 2: no forward. */
function makeChain(rows: RowSpec[]): { chain: OptionChain; iv: ChainIv } {
  const asOfMs = Date.UTC(2023, 3, 14, 20, 0, 0);
  const n = rows.length;
  const expiries = [
    { date: '2023-07-14', root: 'SPXW', settlement: 'PM' as const, exercise: 'european' as const, expiryMs: asOfMs + 0.25 * 365 * DAY, rows: [] as number[] },
    { date: '2023-04-14', root: 'SPXW', settlement: 'PM' as const, exercise: 'european' as const, expiryMs: asOfMs, rows: [] as number[] },
    { date: '2023-08-18', root: 'SPX', settlement: 'AM' as const, exercise: 'european' as const, expiryMs: asOfMs + 0.35 * 365 * DAY, rows: [] as number[] },
  ];
  rows.forEach((r, i) => expiries[r.e].rows.push(i));
  const f = (fn: (r: RowSpec) => number) => Float64Array.from(rows, fn);
  const chain: OptionChain = {
    underlying: 'TEST',
    asOfMs,
    asOfDate: '2023-04-14',
    quote: { last: 100, bid: NaN, ask: NaN },
    multiplier: 100,
    size: n,
    symbol: rows.map((_, i) => `ROW${i}`),
    expiryIndex: Uint16Array.from(rows, (r) => r.e),
    right: Uint8Array.from(rows, (r) => r.right),
    strike: f((r) => r.K),
    bid: f((r) => r.bid),
    ask: f((r) => (r.bid > 0 ? r.bid + 0.2 : 0.1)),
    last: f(() => NaN),
    volume: f(() => 0),
    openInterest: f((r) => r.oi),
    vendorIv: f(() => 0.99),
    vendorDelta: f(() => NaN),
    vendorGamma: f(() => 0.5),
    expiries: expiries.map((e) => ({ ...e, rows: Int32Array.from(e.rows) })),
  };
  const fwd = [
    { t: 0.25, forward: 100, discount: 1, method: 'regression' as const, status: IvStatus.OK },
    { t: 0, forward: 100, discount: 1, method: 'regression' as const, status: IvStatus.OK },
    { t: 0.35, forward: NaN, discount: NaN, method: 'none' as const, status: IvStatus.NO_FORWARD },
  ];
  const iv: ChainIv = {
    underlying: 'TEST',
    asOfMs,
    spot: 100,
    expiries: fwd.map((x, e) => ({ expiryIndex: e, rate: 0, dividendYield: 0, pairs: 5, rmse: 0.01, ...x })),
    size: n,
    otm: Uint8Array.from(rows, (r) => (r.right === 1 ? (r.K < 100 ? 1 : 0) : r.K >= 100 ? 1 : 0)),
    t: f((r) => fwd[r.e].t),
    bidIv: f((r) => r.iv - 0.01),
    midIv: f((r) => r.iv),
    askIv: f((r) => r.iv + 0.01),
    status: Uint8Array.from(rows, (r) => r.status ?? (Number.isNaN(r.iv) ? IvStatus.NOT_OTM : IvStatus.OK)),
    bidStatus: new Uint8Array(n),
    askStatus: new Uint8Array(n),
    delta: f(() => NaN),
    gamma: f(() => NaN),
    vega: f(() => NaN),
    theta: f(() => NaN),
    vanna: f(() => NaN),
  };
  return { chain, iv };
}

// Rows sorted by strike then right (call first) within each expiry, as the chain contract requires.
const ROWS: RowSpec[] = [
  { e: 0, K: 80, right: 0, bid: 20, oi: 50, iv: NaN }, //  0 ITM call; OTM put at 80 has zero bid
  { e: 0, K: 80, right: 1, bid: 0, oi: 700, iv: 0.6 }, //  1 OTM put, zero bid → zero_bid for both
  { e: 0, K: 90, right: 0, bid: 10.5, oi: 200, iv: NaN }, // 2 ITM call → takes the put's 0.24
  { e: 0, K: 90, right: 1, bid: 1.2, oi: 3000, iv: 0.24 }, // 3 OTM put
  { e: 0, K: 100, right: 0, bid: 3.9, oi: 1000, iv: 0.2 }, // 4 OTM call (K = F is call side)
  { e: 0, K: 100, right: 1, bid: 3.9, oi: 0, iv: NaN }, // 5 no OI
  { e: 0, K: 110, right: 0, bid: 0.9, oi: 1500, iv: 0.18 }, // 6 OTM call
  { e: 0, K: 110, right: 1, bid: 10.1, oi: 400, iv: NaN }, // 7 ITM put → takes the call's 0.18
  { e: 0, K: 120, right: 0, bid: 0.3, oi: 800, iv: NaN, status: IvStatus.PRICE_TOO_SMALL }, // 8 OTM, no IV
  { e: 1, K: 100, right: 0, bid: 0.05, oi: 9000, iv: 0.3 }, // 9 expired
  { e: 2, K: 100, right: 1, bid: 2, oi: 123, iv: 0.2 }, // 10 no forward
];

describe('computeGex on a hand-built chain', () => {
  const { chain, iv } = makeChain(ROWS);

  it('uses the OTM-side mid IV at each strike for both rights; never the vendor columns', () => {
    const b = buildGexBook(chain, iv);
    const byKey = new Map<string, number>();
    for (let i = 0; i < b.book.n; i++) byKey.set(`${b.book.strike[i]}${b.book.right[i] === 0 ? 'C' : 'P'}`, b.book.iv[i]);
    expect([...byKey.keys()].sort()).toEqual(['100C', '110C', '110P', '90C', '90P']);
    expect(byKey.get('90C')).toBe(0.24);
    expect(byKey.get('90P')).toBe(0.24);
    expect(byKey.get('110P')).toBe(0.18);
    expect(byKey.get('100C')).toBe(0.2);
  });

  it('counts every left-out contract once, with its reason and open interest', () => {
    const r = computeGex(chain, iv);
    const x = r.coverage.excluded;
    expect(x.zero_bid).toMatchObject({ contracts: 2, open_interest: 750 });
    expect(x.no_open_interest).toMatchObject({ contracts: 1, open_interest: 0 });
    expect(x.no_iv).toMatchObject({ contracts: 1, open_interest: 800 });
    expect(r.coverage.no_iv_status).toEqual({ price_too_small: 1 });
    expect(x.expired).toMatchObject({ contracts: 1, open_interest: 9000 });
    expect(x.no_forward).toMatchObject({ contracts: 1, open_interest: 123 });
    expect(r.coverage.contracts).toBe(11);
    expect(r.coverage.contracts_used).toBe(5);
    const usedOi = 200 + 3000 + 1000 + 1500 + 400;
    expect(r.coverage.open_interest_used).toBe(usedOi);
    expect(r.coverage.open_interest).toBe(usedOi + 750 + 800 + 9000 + 123);
    let excludedCount = 0;
    for (const v of Object.values(x)) excludedCount += v.contracts;
    expect(excludedCount + r.coverage.contracts_used).toBe(r.coverage.contracts);
    expect(r.conventions.t_floor).toBeNull();
  });

  it('a surface fills the strikes the quotes cannot price (and is reported as the IV source)', () => {
    const flat = { volAt: (k: number, t: number) => (t > 0 && Number.isFinite(k) ? 0.3 : NaN) };
    const r = computeGex(chain, iv, { surface: flat });
    expect(r.coverage.iv_source).toEqual({ quote: 5, surface: 3 });
    expect(r.coverage.excluded.zero_bid.contracts).toBe(0);
    expect(r.coverage.excluded.no_iv.contracts).toBe(0);
    expect(r.coverage.excluded.no_forward.contracts).toBe(1);
    const all = computeGex(chain, iv, { surface: flat, ivSource: 'surface' });
    expect(all.coverage.iv_source).toEqual({ quote: 0, surface: 8 });
  });

  it('JSON contract: strikes sum to the total, profile at spot = total, walls from the table, flip brackets a sign change', () => {
    const r = computeGex(chain, iv);
    for (const key of ['underlying', 'as_of', 'spot', 'model', 'total_gex', 'flip', 'call_wall', 'put_wall', 'abs_gamma_strike', 'by_expiry', 'by_strike', 'profile']) {
      expect(r).toHaveProperty(key);
    }
    expect(r.model).toBe('naive');
    const sumStrikes = r.by_strike.reduce((a, s) => a + s.net_gex, 0);
    expect(sumStrikes / r.total_gex).toBeCloseTo(1, 10);
    const sumExp = r.by_expiry.reduce((a, s) => a + s.gex, 0);
    expect(sumExp / r.total_gex).toBeCloseTo(1, 10);
    expect(r.by_expiry.map((e) => e.expiry)).toEqual(['2023-07-14']);
    const mid = r.profile.find((p) => p.spot === r.spot)!;
    expect(mid.gex / r.total_gex).toBeCloseTo(1, 10);
    expect(r.profile.length).toBe(201);
    const maxCall = r.by_strike.reduce((a, s) => (Math.abs(s.call_gex) > Math.abs(a.call_gex) ? s : a));
    const maxPut = r.by_strike.reduce((a, s) => (Math.abs(s.put_gex) > Math.abs(a.put_gex) ? s : a));
    expect(r.call_wall).toBe(maxCall.strike);
    expect(r.put_wall).toBe(maxPut.strike);
    // The calls' gamma (at 100, 110, and 90 call) vs the 90 put with 3000 OI: the sign is what the table says.
    expect(Math.sign(r.total_gex)).toBe(Math.sign(r.totals.call_gex + r.totals.put_gex));
    if (r.flip !== null) {
      const j = r.profile.findIndex((p) => p.spot > r.flip!);
      expect(Math.sign(r.profile[j - 1].gex)).not.toBe(Math.sign(r.profile[j].gex));
    }
    // all-short: every contract short, so GEX < 0 everywhere and there is no flip
    const s = computeGex(chain, iv, { model: { kind: 'all-short' } });
    expect(s.total_gex).toBeLessThan(0);
    expect(s.flip).toBeNull();
    expect(s.call_wall).toBe(r.call_wall);
    expect(s.put_wall).toBe(r.put_wall);
  });

  it('flow hook: supplied dealer positions are used as-is; unknown rows fall back or are left out (no_position)', () => {
    const q = new Float64Array(ROWS.length).fill(NaN);
    q[4] = -250; // dealers short 250 of the 100 call
    const r = computeGex(chain, iv, { model: { kind: 'flow', dealerContracts: q, fallback: 'exclude', source: 'test' } });
    expect(r.model).toBe('flow');
    expect(r.coverage.contracts_used).toBe(1);
    expect(r.coverage.excluded.no_position.contracts).toBe(4);
    expect(r.total_gex).toBeLessThan(0);
    const naive = computeGex(chain, iv);
    const call100 = naive.by_strike.find((x) => x.strike === 100)!.call_gex; // +1000 contracts under naive
    expect(r.total_gex / call100).toBeCloseTo(-0.25, 12);
    const fb = computeGex(chain, iv, { model: { kind: 'flow', dealerContracts: q, fallback: 'naive' } });
    expect(fb.coverage.contracts_used).toBe(5);
    expect(fb.conventions.model).toMatch(/flow-signed/);
  });

  it('vol-shift profiles: higher vol spreads gamma (lower peak), each with its own flip', () => {
    const r = computeGex(chain, iv, { volShifts: [-0.05, 0.05] });
    expect(r.vol_profiles.map((v) => v.vol_shift)).toEqual([-0.05, 0.05]);
    for (const v of r.vol_profiles) expect(v.profile.length).toBe(r.profile.length);
    const mid = r.profile.findIndex((p) => p.spot === r.spot);
    // Gross gamma of the near-the-money book is lower at higher vol, so |GEX at spot| shrinks with +5 pts.
    expect(Math.abs(r.vol_profiles[1].profile[mid].gex)).toBeLessThan(Math.abs(r.vol_profiles[0].profile[mid].gex));
  });

  it('a chain with no usable contract gives zero GEX, no levels, and says why', () => {
    const { chain: c2, iv: iv2 } = makeChain(ROWS.filter((r) => r.e !== 0));
    const r = computeGex(c2, iv2);
    expect(r.total_gex).toBe(0);
    expect(r.flip).toBeNull();
    expect(r.call_wall).toBeNull();
    expect(r.coverage.contracts_used).toBe(0);
    expect(r.warnings.join(' ')).toMatch(/open interest/);
  });
});
