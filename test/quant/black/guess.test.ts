// The solver's cheap intermediate evaluation of b(x, s) (its final iterate always uses the accurate one).
import { describe, expect, it } from 'vitest';
import { normalisedBlackOtm, normalisedBlackOtmGuessWithVega, blackOfLast, vegaOfLastBlack, normalisedVega } from '../../../src/quant/black/normalised.js';
import { mulberry32 } from '../../support/random.js';


describe('normalisedBlackOtmGuessWithVega', () => {
  it('agrees with the accurate b to ~2e−11 (erfcx difference where the accurate code uses the small-t series)', () => {
    const rnd = mulberry32(11);
    let worst = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = -Math.exp(Math.log(1e-6) + rnd() * Math.log(1e7)); // −1e−6 … −10
      const s = Math.exp(Math.log(2e-4) + rnd() * Math.log(5e4)); // 2e−4 … 10 (t = s/2 spans the series region)
      const ref = normalisedBlackOtm(x, s);
      if (!(ref > 1e-300)) continue;
      normalisedBlackOtmGuessWithVega(x, s);
      const h = x / s;
      const t = s / 2;
      // The accurate evaluation itself carries ~(h² + t²)ε from e^{−(h²+t²)/2}; the guess adds its cancellation.
      const tol = 2e-11 + 16 * 2.220446049250313e-16 * (1 + 0.5 * (h * h + t * t));
      const err = Math.abs(blackOfLast() / ref - 1);
      worst = Math.max(worst, err / tol);
      expect(vegaOfLastBlack()).toBe(normalisedVega(x, s));
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(worst).toBeGreaterThan(1e-3); // the cancellation is real (the bound is not vacuous)
  });
});
