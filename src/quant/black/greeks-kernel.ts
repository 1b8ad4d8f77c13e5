/**
 * The Greeks loop: price and all 13 Greeks (raw units, see ./greeks.ts) for rows [from, to), written straight into
 * the output columns. One function with everything inline — no calls that take or return doubles (V8 boxes those,
 * one heap allocation each) — because it is the hot loop of every batch and of chain IV.
 *
 * Per row: one log (ln S/K), one exp (the density; e^{−d2²/2} = e^{−d1²/2}·F/K), two erfcx/erf rationals, the two
 * discount factors from a cache, and three reciprocals in place of a dozen divisions.
 */
import { erfcxInto, erfcxMid, erfSmallOverX } from '../special/erf.js';
import { fastExp } from '../special/exp.js';
import type { GreekColumns } from './columns.js';
import { writeNaNRow } from './columns.js';
import { cacheDq, cacheDr, discountSlot } from './discounts.js';
import { IvStatus } from './status.js';

const ONE_OVER_SQRT_TWO = 0.7071067811865476;
const ONE_OVER_SQRT_TWO_PI = 0.3989422804014327;
const LO = 1e-300;
const HI = 1e300;

/** Row inputs of the loop (a subset of BsmInput). */
export interface GreeksLoopInput {
  right: Uint8Array;
  spot: Float64Array;
  strike: Float64Array;
  t: Float64Array;
  rate: Float64Array;
  dividendYield: Float64Array;
}

// erfcx results of the two N(d) evaluations (a typed array, not return values: see the module comment).
const ex = new Float64Array(2);

/**
 * Greeks at volatility `sigma[i]`. With `onlyOk`, rows whose `out.status` is not OK are skipped (the IV pass has
 * already flagged them); otherwise every row is validated and gets a status (BAD_INPUT / NO_PRICE for a missing σ).
 * A row whose outputs are not all finite is set to BAD_INPUT with NaN outputs.
 */
export function greeksLoop(input: GreeksLoopInput, sigma: Float64Array, out: GreekColumns, from: number, to: number, onlyOk: boolean): void {
  const right = input.right;
  const Sa = input.spot;
  const Ka = input.strike;
  const Ta = input.t;
  const ra = input.rate;
  const qa = input.dividendYield;
  const status = out.status;
  const oIv = out.iv;
  const oP = out.price;
  const oD = out.delta;
  const oG = out.gamma;
  const oV = out.vega;
  const oT = out.theta;
  const oR = out.rho;
  const oVa = out.vanna;
  const oC = out.charm;
  const oVo = out.vomma;
  const oS = out.speed;
  const oZ = out.zomma;
  const oCo = out.color;
  const oDD = out.dualDelta;
  const oDG = out.dualGamma;
  for (let i = from; i < to; i++) {
    if (onlyOk && status[i] !== IvStatus.OK) continue;
    const rt = right[i];
    const S = Sa[i];
    const K = Ka[i];
    const T = Ta[i];
    const r = ra[i];
    const q = qa[i];
    const vol = sigma[i];
    if (!(rt <= 1 && S >= LO && S <= HI && K >= LO && K <= HI && T > 0 && T < Infinity && vol > 0 && vol < Infinity && r - r === 0 && q - q === 0)) {
      status[i] = vol !== vol ? IvStatus.NO_PRICE : IvStatus.BAD_INPUT;
      writeNaNRow(out, i);
      continue;
    }
    const isCall = rt === 0;
    const slot = discountSlot(T, r, q);
    const dq = cacheDq[slot];
    const dr = cacheDr[slot];
    const x = Math.log(S / K) + (r - q) * T;
    const sqrtT = Math.sqrt(T);
    const v = vol * sqrtT;
    // Three divisions per row (each ~4 cycles of throughput, ~15 of latency); the other reciprocals are products:
    // 1/σ = √T/v, 1/√T = σ/v, 1/T = (1/√T)².
    const iv = 1 / v;
    const iSig = sqrtT * iv;
    const iSqrtT = vol * iv;
    const iS = 1 / S;
    const iT = iSqrtT * iSqrtT;
    const d1 = x * iv + 0.5 * v;
    const d2 = d1 - v;
    const e1 = fastExp(-0.5 * d1 * d1);
    const phi1 = ONE_OVER_SQRT_TWO_PI * e1;
    const sDq = S * dq;
    const kDr = K * dr;
    const iKDr = 1 / kDr;
    const e2 = e1 * sDq * iKDr;
    // N(θd1), N(θd2) on the option's own side θ, so an out-of-the-money tail keeps relative precision:
    // ½ + ½·erf(d/√2) for |d/√2| ≤ 0.46875 (exp-free, no cancellation), ½·erfcx(|d|/√2)·e^{−d²/2} below,
    // 1 − ½·erfcx(d/√2)·e^{−d²/2} above.
    const a = isCall ? d1 : -d1;
    const b = isCall ? d2 : -d2;
    let n1: number;
    let n2: number;
    // |d|/√2 in (0.46875, 4] (|d| in (0.663, 5.66]) is the common case: the inlinable erfcxMid.
    const ya = (a < 0 ? -a : a) * ONE_OVER_SQRT_TWO;
    let ca: number;
    if (ya <= 0.46875) ca = NaN;
    else if (ya <= 4) ca = erfcxMid(ya);
    else {
      erfcxInto(ya, ex, 0);
      ca = ex[0];
    }
    if (ya <= 0.46875) n1 = 0.5 + 0.5 * a * ONE_OVER_SQRT_TWO * erfSmallOverX(a * ONE_OVER_SQRT_TWO);
    else n1 = a < 0 ? 0.5 * ca * e1 : 1 - 0.5 * ca * e1;
    const yb = (b < 0 ? -b : b) * ONE_OVER_SQRT_TWO;
    let cb: number;
    if (yb <= 0.46875) cb = NaN;
    else if (yb <= 4) cb = erfcxMid(yb);
    else {
      erfcxInto(yb, ex, 1);
      cb = ex[1];
    }
    if (yb <= 0.46875) n2 = 0.5 + 0.5 * b * ONE_OVER_SQRT_TWO * erfSmallOverX(b * ONE_OVER_SQRT_TWO);
    else n2 = b < 0 ? 0.5 * cb * e2 : 1 - 0.5 * cb * e2;
    const th = isCall ? 1 : -1;
    const dqPhi = dq * phi1;
    const vega = S * dqPhi * sqrtT;
    const gamma = dqPhi * iS * iv;
    // 2(r−q)T − d2·v written without forming d2·v: = 2(r−q)T − x + v²/2.
    const cterm = 2 * (r - q) * T - x + 0.5 * v * v;
    const price = th * (sDq * n1 - kDr * n2);
    const delta = th * dq * n1;
    const theta = -0.5 * S * dqPhi * vol * iSqrtT - th * r * kDr * n2 + th * q * sDq * n1;
    const rho = th * K * T * dr * n2;
    const vanna = -dqPhi * d2 * iSig;
    const charm = th * q * dq * n1 - 0.5 * dqPhi * cterm * iT * iv;
    const vomma = vega * d1 * d2 * iSig;
    const speed = -gamma * iS * (d1 * iv + 1);
    const zomma = gamma * (d1 * d2 - 1) * iSig;
    const color = 0.5 * dqPhi * iS * iT * iv * (2 * q * T + 1 + cterm * d1 * iv);
    const dualDelta = -th * dr * n2;
    const dualGamma = dr * dr * ONE_OVER_SQRT_TWO_PI * e2 * iv * iKDr; // dr/K = dr²/(K·dr)
    // x − x === 0 is false exactly for NaN and ±Infinity; one sum checks all outputs (an overflowing sum of
    // finite terms is flagged too, conservatively).
    const all = price + delta + gamma + vega + theta + rho + vanna + charm + vomma + speed + zomma + color + dualDelta + dualGamma;
    if (!(all - all === 0)) {
      status[i] = IvStatus.BAD_INPUT;
      writeNaNRow(out, i);
      continue;
    }
    status[i] = IvStatus.OK;
    oIv[i] = vol;
    oP[i] = price;
    oD[i] = delta;
    oG[i] = gamma;
    oV[i] = vega;
    oT[i] = theta;
    oR[i] = rho;
    oVa[i] = vanna;
    oC[i] = charm;
    oVo[i] = vomma;
    oS[i] = speed;
    oZ[i] = zomma;
    oCo[i] = color;
    oDD[i] = dualDelta;
    oDG[i] = dualGamma;
  }
}
