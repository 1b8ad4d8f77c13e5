// The VIX-style 30-day index: on a synthetic flat-volatility chain the model-free variance gives back σ; on every
// shared SPX chain it lands near that day's VIX close (the chains are end-of-day snapshots or intraday ones, so a
// small difference from the 16:15 close is expected; the bound is a tolerance, the figures are in the closing note).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALL, PUT, type OptionChain } from '../../src/market/chain.js';
import { computeChainIv } from '../../src/analytics/chain-iv.js';
import { termVariance, vixIndex } from '../../src/analytics/vix-index.js';
import { black76Price } from '../../src/quant/black/price.js';
import { loadChain } from '../../src/api/analytics-adapters.js';
import { repoRoot, sharedRoot } from '../support/cli.js';

const DAY = 86_400_000;

/** Calls and puts at strikes lo..hi (step) for expiries `days` out, Black-76 prices at vol σ, 1-tick spread. */
function flatChain(sigma: number, days: number[], F = 4000, lo = 1000, hi = 8000, step = 5): OptionChain {
  const asOfMs = Date.UTC(2023, 3, 14, 20, 0, 0);
  const rows: Array<{ e: number; K: number; right: number; mid: number }> = [];
  const D = 0.995;
  days.forEach((d, e) => {
    for (let K = lo; K <= hi; K += step) {
      for (const right of [CALL, PUT]) rows.push({ e, K, right, mid: black76Price(right === CALL, F, K, d / 365, D ** (d / 30), sigma) });
    }
  });
  const tick = (p: number) => (p < 3 ? 0.05 : 0.1);
  const bid = rows.map((r) => Math.max(0, Math.round((r.mid - tick(r.mid) / 2) * 100) / 100));
  const ask = rows.map((r) => Math.round((r.mid + tick(r.mid) / 2) * 100) / 100);
  const expiries = days.map((d, e) => ({
    date: new Date(asOfMs + d * DAY).toISOString().slice(0, 10), root: 'SPXW', settlement: 'PM' as const, exercise: 'european' as const,
    expiryMs: asOfMs + d * DAY, rows: Int32Array.from(rows.flatMap((r, i) => (r.e === e ? [i] : []))),
  }));
  const n = rows.length;
  const nan = () => new Float64Array(n).fill(NaN);
  return {
    underlying: 'SPX', asOfMs, asOfDate: '2023-04-14', quote: { last: F * 0.999, bid: NaN, ask: NaN }, multiplier: 100, size: n,
    symbol: rows.map((_, i) => `R${i}`), expiryIndex: Uint16Array.from(rows, (r) => r.e), right: Uint8Array.from(rows, (r) => r.right),
    strike: Float64Array.from(rows, (r) => r.K), bid: Float64Array.from(bid), ask: Float64Array.from(ask), last: nan(), volume: nan(),
    openInterest: nan(), vendorIv: nan(), vendorDelta: nan(), vendorGamma: nan(), expiries,
  };
}

describe('VIX-style index', () => {
  it('gives back a flat volatility from Black-76 prices (near and next term around 30 days)', () => {
    for (const sigma of [0.12, 0.2, 0.45]) {
      const chain = flatChain(sigma, [7, 27, 34, 60]);
      const civ = computeChainIv(chain);
      const v = vixIndex(chain, civ);
      expect(v.status).toBe('ok');
      expect(v.near?.t).toBeCloseTo(27 / 365, 10);
      expect(v.next?.t).toBeCloseTo(34 / 365, 10);
      // Discrete strikes and cent quotes: within 0.15 vol points of σ.
      expect(Math.abs(v.value - sigma * 100)).toBeLessThan(0.15);
      for (const term of [v.near!, v.next!]) expect(Math.abs(Math.sqrt(term.variance) - sigma)).toBeLessThan(0.002);
    }
  });

  it('says why when no expiry brackets 30 days, and never returns a number then', () => {
    const chain = flatChain(0.2, [3, 60]);
    const v = vixIndex(chain, computeChainIv(chain));
    expect(v.status).toBe('no_terms');
    expect(Number.isNaN(v.value)).toBe(true);
    expect(v.message).toMatch(/23 and 37 days/);
  });

  it('skips zero bids and stops after two in a row (Cboe strike selection)', () => {
    const chain = flatChain(0.2, [27, 34]);
    const civ = computeChainIv(chain);
    const before = termVariance(chain, civ, 0)!;
    // Zero the bids of two adjacent far puts: everything below them is no longer in the strip.
    const e = chain.expiries[0];
    const puts = Array.from(e.rows).filter((r) => chain.right[r] === PUT && chain.strike[r] >= 3600 && chain.strike[r] < 3610);
    for (const r of puts) chain.bid[r] = 0;
    const after = termVariance(chain, civ, 0)!;
    expect(after.strikes).toBeLessThan(before.strikes);
    expect(after.variance).toBeLessThan(before.variance);
    expect(after.variance).toBeGreaterThan(before.variance * 0.9); // the wing below 3600 holds a small part
  });

  it('lands near the VIX close on every shared SPX chain with quotes', async () => {
    const dir = join(sharedRoot, 'data/options/cboe_quotedata/SPX');
    if (!existsSync(dir)) return;
    const close = new Map<string, number>();
    for (const line of readFileSync(join(repoRoot, 'data/history/VIX_History.csv'), 'utf8').split('\n').slice(1)) {
      const [d, , , , c] = line.split(',');
      if (!d || !c) continue;
      const [m, dd, y] = d.split('/');
      close.set(`${y}-${m}-${dd}`, Number(c));
    }
    const diffs: number[] = [];
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.csv') && !f.includes('noquotes'))) {
      const { chain } = await loadChain(join(dir, f));
      const v = vixIndex(chain, computeChainIv(chain));
      const ref = close.get(chain.asOfDate);
      expect(v.status, f).toBe('ok');
      if (ref === undefined) continue;
      const d = v.value - ref;
      // End-of-day snapshots are taken after the 16:15 close, intraday ones hours before it.
      expect(Math.abs(d), `${f}: ${v.value.toFixed(2)} vs close ${ref}`).toBeLessThan(f.includes('intraday') ? 2 : 0.75);
      diffs.push(Math.abs(d));
    }
    expect(diffs.length).toBeGreaterThanOrEqual(10);
    diffs.sort((a, b) => a - b);
    expect(diffs[Math.floor(diffs.length / 2)]).toBeLessThan(0.4);
  }, 120_000);
});
