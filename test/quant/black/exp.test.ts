// fastExp (src/quant/special/exp.ts): faithfully rounded e^x, the same as Math.exp on every special case.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastExp } from '../../../src/quant/special/exp.js';
import { mulberry32 } from '../../support/random.js';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** Distance in units in the last place between two positive finite doubles. */
function ulps(a: number, b: number): number {
  f64[0] = a;
  const ia = i64[0];
  f64[0] = b;
  const d = ia - i64[0];
  return Number(d < 0n ? -d : d);
}


describe('fastExp', () => {
  it('is within 1 ulp of the correctly rounded e^x (60-digit fixtures), and mostly exact', () => {
    const rows: Array<[number, number]> = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'exp.json'), 'utf8'));
    expect(rows.length).toBeGreaterThan(4000);
    let worst = 0;
    let exact = 0;
    for (const [x, e] of rows) {
      const u = ulps(fastExp(x), e);
      worst = Math.max(worst, u);
      if (u === 0) exact++;
    }
    expect(worst).toBeLessThanOrEqual(1);
    // Correctly rounded on 95.5 % of these; the rest are the other neighbour (table and polynomial errors near a midpoint).
    expect(exact / rows.length).toBeGreaterThan(0.95);
  });

  it('differs from Math.exp by at most 1 ulp on 2,000,000 random arguments (both faithful)', () => {
    const rnd = mulberry32(7);
    let worst = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const wide = (rnd() * 2 - 1) * 708;
      const narrow = (rnd() * 2 - 1) * 3;
      worst = Math.max(worst, ulps(fastExp(wide), Math.exp(wide)), ulps(fastExp(narrow), Math.exp(narrow)));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('equals Math.exp exactly on special values, overflow, underflow and subnormal results', () => {
    // |x| ≥ 708 and NaN are Math.exp's own; just inside, results are normal numbers within 1 ulp.
    const specials = [NaN, Infinity, -Infinity, 708, -708, 708.0000001, -708.0000001];
    const outside: number[] = [];
    for (let x = 708; x < 712; x += 0.0625) outside.push(x);
    for (let x = -708; x > -750; x -= 0.0625) outside.push(x);
    for (const x of [...specials, ...outside]) expect(Object.is(fastExp(x), Math.exp(x)), `x = ${x}`).toBe(true);
    for (let x = 707; x < 708; x += 0.0625) {
      expect(ulps(fastExp(x), Math.exp(x))).toBeLessThanOrEqual(1);
      expect(ulps(fastExp(-x), Math.exp(-x))).toBeLessThanOrEqual(1);
    }
    for (const x of [0, -0, 5e-324, -5e-324, 1e-300, -1e-300, 1e-17, -1e-17]) expect(fastExp(x)).toBe(1);
    expect(fastExp(709.8)).toBe(Infinity);
    expect(fastExp(-746)).toBe(0);
    expect(fastExp(-745)).toBeGreaterThan(0); // subnormal, from Math.exp
  });

  it('is monotone across the table joints (steps of ln2/128)', () => {
    let prev = 0;
    for (let k = -8000; k <= 8000; k++) {
      const x = (k * Math.LN2) / 128;
      for (const d of [-2e-16, 0, 2e-16]) {
        const y = fastExp(x + d * Math.max(1, Math.abs(x)));
        expect(y >= prev, `x = ${x + d}`).toBe(true);
        prev = y;
      }
    }
  });
});
