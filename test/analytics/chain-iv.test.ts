// Chain IV: parity forwards/discounts recovered from a synthetic chain, per-row statuses, and a real SPX chain.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OptionChain } from '../../src/market/chain.js';
import { computeChainIv, impliedForwards } from '../../src/analytics/chain-iv.js';
import { IvStatus } from '../../src/analytics/chain-iv-types.js';
import { black76Price } from '../../src/quant/black/price.js';
import { bsmGreeks } from '../../src/quant/black/greeks.js';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { sharedRoot } from '../support/cli.js';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const AS_OF = Date.UTC(2024, 0, 5, 21, 0);
const SPOT = 100;
const R = 0.045;
const Q = 0.015;
const vol = (k: number, t: number) => 0.2 - 0.1 * k + 0.3 * k * k + 0.02 * t;

interface Built {
  chain: OptionChain;
  truth: Array<{ F: number; D: number; t: number }>;
}

/** A chain whose mids are exact Black-76 prices (symmetric spreads), so parity recovers F and D exactly. */
function buildChain(days: number[]): Built {
  const strikes: number[] = [];
  for (let k = 60; k <= 140; k += 2.5) strikes.push(k);
  const n = days.length * strikes.length * 2;
  const chain: OptionChain = {
    underlying: 'TEST',
    asOfMs: AS_OF,
    asOfDate: '2024-01-05',
    quote: { last: SPOT, bid: NaN, ask: NaN },
    multiplier: 100,
    size: n,
    symbol: [],
    expiryIndex: new Uint16Array(n),
    right: new Uint8Array(n),
    strike: new Float64Array(n),
    bid: new Float64Array(n),
    ask: new Float64Array(n),
    last: new Float64Array(n).fill(NaN),
    volume: new Float64Array(n),
    openInterest: new Float64Array(n),
    vendorIv: new Float64Array(n).fill(NaN),
    vendorDelta: new Float64Array(n).fill(NaN),
    vendorGamma: new Float64Array(n).fill(NaN),
    expiries: [],
  };
  const truth: Built['truth'] = [];
  let i = 0;
  days.forEach((d, e) => {
    const t = (d * DAY) / YEAR;
    const F = SPOT * Math.exp((R - Q) * t);
    const D = Math.exp(-R * t);
    truth.push({ F, D, t });
    const rows = new Int32Array(strikes.length * 2);
    strikes.forEach((K, j) => {
      for (const right of [0, 1]) {
        const p = black76Price(right === 0, F, K, t, D, vol(Math.log(K / F), t));
        const half = Math.max(0.005, 0.01 * p);
        chain.symbol.push(`TEST${d}${right ? 'P' : 'C'}${K}`);
        chain.expiryIndex[i] = e;
        chain.right[i] = right;
        chain.strike[i] = K;
        chain.bid[i] = Math.max(p - half, 0);
        chain.ask[i] = p + half;
        rows[2 * j + right] = i;
        i++;
      }
    });
    chain.expiries.push({ date: `d${d}`, root: 'TEST', settlement: 'PM', exercise: 'european', expiryMs: AS_OF + d * DAY, rows });
  });
  return { chain, truth };
}

describe('parity forwards', () => {
  it('recovers F and D: regression for T ≥ 0.25 y, the short rate below', () => {
    const { chain, truth } = buildChain([7, 30, 91, 182, 365, 730]);
    const fw = impliedForwards(chain);
    fw.forEach((f, e) => {
      expect(f.status).toBe(IvStatus.OK);
      expect(f.method).toBe(truth[e].t >= 0.25 ? 'regression' : 'interpolated-rate');
      expect(Math.abs(f.forward / truth[e].F - 1)).toBeLessThan(1e-9);
      expect(Math.abs(f.discount / truth[e].D - 1)).toBeLessThan(1e-9);
      expect(f.rate).toBeCloseTo(R, 7);
      expect(f.dividendYield).toBeCloseTo(Q, 6);
      expect(f.pairs).toBeGreaterThanOrEqual(3);
    });
  });
  it('an expiry without any two-sided pair has no forward, and its rows say so', () => {
    const { chain } = buildChain([30, 365]);
    for (const r of chain.expiries[0].rows) chain.bid[r] = NaN;
    const civ = computeChainIv(chain);
    expect(civ.expiries[0].status).toBe(IvStatus.NO_FORWARD);
    expect(civ.expiries[0].method).toBe('none');
    for (const r of chain.expiries[0].rows) expect(civ.status[r]).toBe(IvStatus.NO_FORWARD);
    expect(civ.expiries[1].status).toBe(IvStatus.OK);
  });
});

describe('computeChainIv', () => {
  const { chain, truth } = buildChain([2, 30, 365]);
  chain.bid[5] = 0; // a zero bid: bid NO_PRICE, mid still defined
  const crossed = 41;
  chain.bid[crossed] = chain.ask[crossed] + 1;
  const civ = computeChainIv(chain);

  it('inverts out-of-the-money rows and flags the others, dropping nothing', () => {
    expect(civ.size).toBe(chain.size);
    for (let i = 0; i < chain.size; i++) {
      const F = truth[chain.expiryIndex[i]].F;
      const otm = chain.right[i] === 0 ? chain.strike[i] >= F : chain.strike[i] < F;
      expect(civ.otm[i]).toBe(otm ? 1 : 0);
      if (!otm) expect(civ.status[i]).toBe(IvStatus.NOT_OTM);
    }
  });
  it('mid IV reproduces the smile; bid < mid < ask', () => {
    let checked = 0;
    for (let i = 0; i < chain.size; i++) {
      if (civ.status[i] !== IvStatus.OK || !(chain.bid[i] > 0)) continue; // a clipped bid moves the mid
      const { F, t } = truth[chain.expiryIndex[i]];
      expect(Math.abs(civ.midIv[i] - vol(Math.log(chain.strike[i] / F), t))).toBeLessThan(1e-8);
      if (civ.bidStatus[i] === IvStatus.OK) expect(civ.bidIv[i]).toBeLessThan(civ.midIv[i]);
      if (civ.askStatus[i] === IvStatus.OK) expect(civ.askIv[i]).toBeGreaterThan(civ.midIv[i]);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });
  it('flags a crossed quote and a zero bid', () => {
    expect(civ.otm[crossed] === 0 || civ.status[crossed] === IvStatus.BAD_QUOTE).toBe(true);
    if (civ.otm[5]) {
      expect(civ.bidStatus[5]).toBe(IvStatus.NO_PRICE);
      expect(civ.status[5]).toBe(IvStatus.OK);
    }
  });
  it('Greeks at mid are BSM Greeks on the spot with the implied carry', () => {
    const e = 2;
    const { t } = truth[e];
    for (const i of chain.expiries[e].rows) {
      if (civ.status[i] !== IvStatus.OK) continue;
      const g = bsmGreeks(chain.right[i] === 0, SPOT, chain.strike[i], t, R, Q, civ.midIv[i]);
      expect(Math.abs(civ.delta[i] - g.delta)).toBeLessThan(1e-8);
      expect(Math.abs(civ.gamma[i] / g.gamma - 1)).toBeLessThan(1e-7);
      expect(Math.abs(civ.vega[i] / g.vega - 1)).toBeLessThan(1e-7);
      expect(civ.t[i]).toBe(t);
    }
  });
});

describe('a real SPX chain (Cboe, 2023-05-26 end of day)', () => {
  it('inverts every quoted out-of-the-money contract, with sane forwards, close to Cboe where it is comparable', async () => {
    const { chain } = await loadChainFile(join(sharedRoot, 'data/options/cboe_quotedata/SPX/SPX_2023-05-26_eod.csv'));
    const civ = computeChainIv(chain);
    for (const f of civ.expiries) {
      if (f.status !== IvStatus.OK) continue;
      expect(f.forward / chain.quote.last).toBeGreaterThan(0.98);
      expect(f.forward / chain.quote.last).toBeLessThan(1.3);
      expect(f.rate).toBeGreaterThan(0.03);
      expect(f.rate).toBeLessThan(0.07);
    }
    let quoted = 0;
    let ok = 0;
    const diffs: number[] = [];
    for (let i = 0; i < chain.size; i++) {
      if (!civ.otm[i] || !(chain.ask[i] > 0 && chain.bid[i] >= 0)) continue;
      quoted++;
      if (civ.status[i] !== IvStatus.OK) continue;
      ok++;
      expect(Number.isFinite(civ.midIv[i]) && Number.isFinite(civ.delta[i]) && Number.isFinite(civ.gamma[i])).toBe(true);
      if (chain.vendorIv[i] > 0) diffs.push(Math.abs(civ.midIv[i] - chain.vendorIv[i]));
    }
    expect(ok / quoted).toBeGreaterThan(0.99);
    diffs.sort((a, b) => a - b);
    expect(diffs[Math.floor(diffs.length / 2)]).toBeLessThan(0.002);
  });
});
