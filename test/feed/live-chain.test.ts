import { describe, expect, it } from 'vitest';
import { EventBatch, FrameDecoder } from '../../src/feed/decode.js';
import { FLAG_CROSSED, FLAG_LOCKED, FLAG_ZERO_ASK, FLAG_ZERO_BID, LiveChain, type SnapshotRow } from '../../src/feed/live-chain.js';
import { planSubscriptions, SubscriptionLimitError, SubscriptionSet, resyncQueries } from '../../src/feed/subscriptions.js';
import { smallChain, spxChain } from './helpers.js';

async function setup() {
  const chain = await smallChain(2);
  const lc = new LiveChain(chain);
  const dec = new FrameDecoder(lc.index);
  const b = new EventBatch();
  const apply = (events: object[]) => {
    const r = dec.decode(Buffer.from(JSON.stringify(events)), b);
    if (!r.ok) throw new Error(r.message);
    lc.applyBatch(b);
  };
  return { chain, lc, apply };
}

const Q = (sym: string, bp: number, ap: number, q: number, t = 1_681_500_000_000 + q) => ({ ev: 'Q', sym, bx: 1, ax: 1, bp, ap, bs: 3, as: 4, t, q });
const T = (sym: string, p: number, s: number, q: number, t = 1_681_500_000_000 + q) => ({ ev: 'T', sym, x: 1, p, s, c: [0], t, q });

describe('live chain state', () => {
  it('updates NBBO in place and flags crossed, locked and zero quotes', async () => {
    const { lc, apply } = await setup();
    const s = lc.massive;
    apply([Q(s[0], 1.1, 1.2, 1), Q(s[1], 2, 1.9, 1), Q(s[2], 1.5, 1.5, 1), Q(s[3], 0, 0.05, 1), Q(s[4], 0.5, 0, 1)]);
    expect([lc.bid[0], lc.ask[0], lc.bidSize[0], lc.askSize[0], lc.flags[0]]).toEqual([1.1, 1.2, 3, 4, 0]);
    expect(lc.flags[1]).toBe(FLAG_CROSSED);
    expect(lc.flags[2]).toBe(FLAG_LOCKED);
    expect(lc.flags[3]).toBe(FLAG_ZERO_BID);
    expect(lc.flags[4]).toBe(FLAG_ZERO_ASK);
    expect([lc.counters.crossed, lc.counters.locked]).toEqual([1, 1]);
    // Consumers get an OptionChain; crossed quotes are masked there.
    const snap = lc.snapshot();
    expect(snap.size).toBe(lc.size);
    expect(snap.bid[0]).toBe(1.1);
    expect(Number.isNaN(snap.bid[1]) && Number.isNaN(snap.ask[1])).toBe(true);
    expect(snap.bid[2]).toBe(1.5);
  });

  it('orders by q: duplicate and late quotes are not applied; late trades add volume, duplicates do not', async () => {
    const { lc, apply } = await setup();
    const s = lc.massive[0];
    apply([Q(s, 1, 1.2, 10), Q(s, 9, 9.5, 10), Q(s, 8, 8.5, 7), Q(s, 1.05, 1.25, 12)]);
    expect([lc.bid[0], lc.ask[0]]).toEqual([1.05, 1.25]);
    expect([lc.counters.duplicates, lc.counters.late]).toEqual([1, 1]);
    apply([T(s, 1.1, 5, 100), T(s, 1.2, 3, 103), T(s, 1.15, 2, 101), T(s, 1.2, 3, 103), T(s, 1.1, 5, 100)]);
    expect(lc.volume[0]).toBe(10); // 5 + 3 + 2 (late), duplicates of 103 and 100 skipped
    expect(lc.last[0]).toBe(1.2); // the late trade does not replace the last price
    expect([lc.counters.duplicates, lc.counters.late]).toEqual([3, 2]);
  });

  it('conflates quotes per contract for a lagging consumer and keeps every trade', async () => {
    const { lc, apply } = await setup();
    lc.trackUpdates();
    const [a, b] = lc.massive;
    apply([Q(a, 1, 1.1, 1), Q(a, 1.01, 1.11, 2), Q(a, 1.02, 1.12, 3), Q(b, 2, 2.1, 1), T(a, 1.1, 1, 1), T(a, 1.1, 2, 2)]);
    const u = lc.takeUpdates();
    expect([...u.rows].sort()).toEqual([0, 1]);
    expect(lc.counters.conflated).toBe(4); // 2 superseded quotes of a, and a's row already dirty for both trades
    expect(u.trades.map((t) => t.size)).toEqual([1, 2]);
    expect(lc.bid[0]).toBe(1.02); // latest wins
    expect(lc.takeUpdates().rows.length).toBe(0);
  });

  it('a resync snapshot covers older events; newer ones still apply', async () => {
    const { lc, apply } = await setup();
    const s = lc.massive[0];
    const t0 = 1_681_500_000_000;
    const row: SnapshotRow = { symbol: s, bid: 2, ask: 2.2, bidSize: 1, askSize: 1, quoteTimeMs: t0 + 50, last: 2.1, lastSize: 1, tradeTimeMs: t0 + 50, volume: 500, openInterest: 42 };
    lc.applySnapshot([row]);
    apply([Q(s, 1, 1.1, 1, t0 + 40), T(s, 1.05, 9, 1, t0 + 50), Q(s, 2.05, 2.25, 2, t0 + 51), T(s, 2.2, 4, 2, t0 + 52)]);
    expect([lc.bid[0], lc.ask[0], lc.last[0], lc.volume[0], lc.openInterest[0]]).toEqual([2.05, 2.25, 2.2, 504, 42]);
    expect(lc.counters.covered).toBe(2);
  });

  it('A/AM aggregates repair volume with the accumulated volume, never lower it', async () => {
    const { lc, apply } = await setup();
    const s = lc.massive[0];
    apply([T(s, 1, 5, 1)]);
    const agg = (av: number) => ({ ev: 'AM', sym: s, v: 1, av, op: 1, vw: 1, o: 1, c: 1, h: 1, l: 1, a: 1, z: 1, s: 1_681_500_000_000, e: 1_681_500_060_000 });
    apply([agg(40)]);
    expect(lc.volume[0]).toBe(40);
    apply([{ ...agg(30), ev: 'A' }]);
    expect(lc.volume[0]).toBe(40);
    expect(lc.counters.aggregates).toBe(2);
  });

  it('unknown symbols are counted, never applied', async () => {
    const { lc, apply } = await setup();
    apply([Q('O:ZZZ230421C04100000', 1, 2, 1)]);
    expect(lc.counters.unknownSymbol).toBe(1);
    expect(lc.counters.quotes).toBe(0);
  });
});

describe('subscriptions', () => {
  it('plans at most 1,000 contracts around spot, calls and puts together, nearest first', async () => {
    const chain = await spxChain();
    const plan = planSubscriptions(chain, chain.quote.last, { nowMs: chain.asOfMs });
    expect(plan.rows.length).toBe(1000);
    expect(plan.params.length).toBe(2000);
    expect(plan.skipped).toBe(chain.size - 1000);
    // no expired expiry (the 2023-04-14 ones closed before the file's as-of time)
    for (const r of plan.rows) expect(chain.expiries[chain.expiryIndex[r]].expiryMs).toBeGreaterThan(chain.asOfMs);
    const dist = plan.rows.map((r) => Math.abs(chain.strike[r] / chain.quote.last - 1));
    expect(Math.max(...dist)).toBeLessThan(0.5);
    const q = resyncQueries(chain, plan.rows);
    expect(q.length).toBeGreaterThan(1);
    expect(q.every((x) => x.expiration_date && Number(x['strike_price.gte']) <= Number(x['strike_price.lte']))).toBe(true);
  });

  it('refuses more than 1,000 option quote contracts per connection with a clear error, adding nothing', () => {
    const set = new SubscriptionSet();
    const params = Array.from({ length: 1000 }, (_, i) => `Q.O:SPY251219C${String(100000 + i).padStart(8, '0')}`);
    expect(set.add(params).length).toBe(1000);
    expect(set.add([...params.slice(0, 10), 'T.O:SPY251219C00650000']).length).toBe(1); // trades do not count
    expect(() => set.add(['Q.O:SPY251219P00650000'])).toThrow(SubscriptionLimitError);
    expect(() => set.add(['Q.O:SPY251219P00650000'])).toThrow(/1001 option quote contracts.*allows 1000/);
    expect(set.size).toBe(1001);
    expect(() => set.add(['Q.O:*'])).toThrow(SubscriptionLimitError);
    expect(() => set.add(['X.bad'])).toThrow(/invalid subscription/);
    set.remove(params.slice(0, 1));
    expect(set.add(['Q.O:SPY251219P00650000'])).toEqual(['Q.O:SPY251219P00650000']);
  });
});

describe('latency histogram', () => {
  it('quantiles are within 3% and weighted records equal repeated ones', async () => {
    const { Histogram } = await import('../../src/feed/metrics.js');
    const h = new Histogram();
    for (let v = 1; v <= 100_000; v++) h.record(v);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = q * 100_000;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.03);
    }
    expect(h.max).toBe(100_000);
    const a = new Histogram();
    const b = new Histogram();
    for (const v of [3, 70, 1500, 1e6]) {
      a.record(v, 5);
      for (let i = 0; i < 5; i++) b.record(v);
    }
    expect([a.count, a.max, a.sum, a.quantile(0.5), a.quantile(0.99)]).toEqual([b.count, b.max, b.sum, b.quantile(0.5), b.quantile(0.99)]);
    expect(new Histogram().quantile(0.5)).toBeNaN();
  });
});
