// 1,000,000 random and adversarial inputs through the batch kernel: never a throw, never a NaN with status ok, and
// whenever ok the price at the solved IV reproduces the input price to the attainable bound.
import { describe, expect, it } from 'vitest';
import { allocBsmInput, allocGreekColumns, ivAndGreeksBatch } from '../../../src/quant/black/batch.js';
import { bsmPrice } from '../../../src/quant/black/price.js';
import { drawOption, pickNasty } from './adversarial.js';
import { IvStatus } from '../../../src/quant/black/status.js';
import { GREEK_NAMES } from '../../../src/quant/black/greeks.js';
import { mulberry32 } from '../../support/random.js';

const N = 1_000_000;
const EPS = 2.220446049250313e-16;


describe('fuzz: 1,000,000 random and adversarial options', () => {
  it('no throw, no NaN with ok, and price(iv) = price whenever ok', () => {
    const rnd = mulberry32(20261124);
    const inp = allocBsmInput(N);
    const kinds = new Uint8Array(N);
    for (let i = 0; i < N; i++) {
      const o = drawOption(rnd);
      const { right, S, K, T, r, q } = o;
      let price = o.price;
      const u = rnd();
      let kind = 0;
      if (u < 0.03) {
        price = pickNasty(rnd); // adversarial price
        kind = 1;
      } else if (u < 0.06) {
        // exactly at / just beyond the bounds
        const dq = Math.exp(-q * T);
        const dr = Math.exp(-r * T);
        const fi = right === 0 ? S * dq - K * dr : K * dr - S * dq;
        const bounds = [Math.max(fi, 0), Math.max(fi, 0) * (1 - 1e-15), right === 0 ? S * dq : K * dr, (right === 0 ? S * dq : K * dr) * (1 + 1e-15)];
        price = bounds[Math.floor(rnd() * bounds.length)];
        kind = 2;
      } else if (u < 0.08) {
        price *= 1 + (rnd() - 0.5) * 1e-6;
        kind = 3;
      }
      inp.right[i] = right;
      inp.spot[i] = S;
      inp.strike[i] = K;
      inp.t[i] = T;
      inp.rate[i] = r;
      inp.dividendYield[i] = q;
      inp.price[i] = price;
      kinds[i] = kind;
    }
    const out = allocGreekColumns(N);
    expect(() => ivAndGreeksBatch(inp, out)).not.toThrow();

    const counts = new Map<number, number>();
    let worstRoundTrip = 0;
    for (let i = 0; i < N; i++) {
      const st = out.status[i];
      counts.set(st, (counts.get(st) ?? 0) + 1);
      if (st > IvStatus.PRICE_TOO_SMALL) throw new Error(`row ${i}: status ${st}`);
      if (st !== IvStatus.OK) {
        if (!Number.isNaN(out.iv[i])) throw new Error(`row ${i}: status ${st} with iv ${out.iv[i]}`);
        continue;
      }
      const iv = out.iv[i];
      if (!(iv > 0 && iv < Infinity)) throw new Error(`row ${i}: ok with iv ${iv}`);
      for (const g of GREEK_NAMES) if (!Number.isFinite(out[g][i])) throw new Error(`row ${i}: ok with ${g} = ${out[g][i]}`);
      // Round trip. The solver guarantees σ to the attainable bound; re-pricing then errs by a few ε of the price,
      // plus the evaluation error of a tiny far-out-of-the-money value (relative (h² + t²)·ε, h = x/s, t = s/2).
      const isCall = inp.right[i] === 0;
      const p = inp.price[i];
      const back = bsmPrice(isCall, inp.spot[i], inp.strike[i], inp.t[i], inp.rate[i], inp.dividendYield[i], iv);
      const s = iv * Math.sqrt(inp.t[i]);
      const x = Math.log(inp.spot[i] / inp.strike[i]) + (inp.rate[i] - inp.dividendYield[i]) * inp.t[i];
      const h = x / s;
      const cond = 1 + 0.5 * (h * h + 0.25 * s * s);
      const err = Math.abs(back - p) / (EPS * p * cond);
      if (!(err <= 64)) throw new Error(`row ${i}: round trip ${back} vs ${p} (${err.toFixed(1)}·ε·cond) S=${inp.spot[i]} K=${inp.strike[i]} T=${inp.t[i]} r=${inp.rate[i]} q=${inp.dividendYield[i]} iv=${iv}`);
      worstRoundTrip = Math.max(worstRoundTrip, err);
    }
    // Every status occurs, and most ordinary rows invert.
    for (const st of [IvStatus.OK, IvStatus.BELOW_INTRINSIC, IvStatus.ABOVE_MAXIMUM, IvStatus.NO_PRICE, IvStatus.BAD_INPUT, IvStatus.PRICE_TOO_SMALL]) {
      expect(counts.get(st) ?? 0, `status ${st}`).toBeGreaterThan(0);
    }
    expect((counts.get(IvStatus.OK) ?? 0) / N).toBeGreaterThan(0.6);
    expect(worstRoundTrip).toBeLessThanOrEqual(64);
  });
});
