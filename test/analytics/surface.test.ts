import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeChainIv } from '../../src/analytics/chain-iv.js';
import { buildSlices } from '../../src/analytics/slices.js';
import { fitSurface, surfaceJson, type SurfaceFit } from '../../src/analytics/surface.js';
import { rawCalendarViolations, type RawSliceRef } from '../../src/quant/svi/calendar.js';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { checkRange } from '../../src/quant/svi/butterfly.js';
import { essviButterflyViolation, essviW } from '../../src/quant/svi/essvi.js';
import { sviG, sviMinW, sviW, type RawSvi } from '../../src/quant/svi/raw.js';
import { runCli, sharedRoot } from '../support/cli.js';

const chainsDir = join(sharedRoot, 'data', 'options', 'cboe_quotedata');
const allFiles = readdirSync(chainsDir).flatMap((u) =>
  readdirSync(join(chainsDir, u))
    .filter((f) => f.endsWith('.csv'))
    .map((f) => join(chainsDir, u, f)),
);
const quoted = allFiles.filter((f) => !f.includes('noquotes'));
const noQuotes = allFiles.filter((f) => f.includes('noquotes'));

/** Independent of the fitter's own grids: 6001 uniform points far past the quotes and 4001 around the vertex. */
function denseMinG(p: RawSvi, kMin: number, kMax: number): number {
  const [lo, hi] = checkRange(kMin, kMax);
  let m = Infinity;
  for (let i = 0; i <= 6000; i++) m = Math.min(m, sviG(p, lo + ((hi - lo) * i) / 6000));
  for (let i = -2000; i <= 2000; i++) m = Math.min(m, sviG(p, p.m + p.sigma * Math.sinh(i / 200)));
  return m;
}

async function fitFile(file: string): Promise<{ fit: SurfaceFit; ranges: Map<number, [number, number]> }> {
  const { chain } = await loadChainFile(file);
  const iv = computeChainIv(chain);
  const ranges = new Map<number, [number, number]>();
  for (const s of buildSlices(chain, iv)) if (s.quotes.k.length > 0) ranges.set(s.expiryIndex, [s.quotes.k[0], s.quotes.k[s.quotes.k.length - 1]]);
  return { fit: fitSurface(chain, iv), ranges };
}

describe('surface on every shared chain with quotes', () => {
  it('finds the shared chains', () => {
    expect(quoted.length).toBeGreaterThanOrEqual(40);
  });

  it.each(quoted.map((f) => [f.split('/').pop()!, f]))(
    '%s: every slice fits, butterfly-free far past the quotes; raw SVI slices and eSSVI calendar-free',
    async (_name, file) => {
      const { fit, ranges } = await fitFile(file);
      let fitted = 0;
      for (const s of fit.slices) {
        // A slice either fits or carries a clear input status; the fitter itself never fails.
        expect(['ok', 'expired', 'no_forward', 'degenerate_forward', 'no_bids', 'too_few_quotes']).toContain(s.status);
        if (s.status !== 'ok') {
          expect(s.svi).toBeNull();
          continue;
        }
        fitted++;
        const p = s.svi!;
        for (const v of [p.a, p.b, p.rho, p.m, p.sigma]) expect(Number.isFinite(v)).toBe(true);
        expect(sviMinW(p)).toBeGreaterThan(0);
        expect(p.b * (1 + Math.abs(p.rho))).toBeLessThan(2);
        expect(s.quality!.butterflyFree).toBe(true);
        const [kMin, kMax] = ranges.get(s.expiryIndex)!;
        expect(denseMinG(p, kMin, kMax)).toBeGreaterThanOrEqual(0);
        expect(s.quality!.rmseVol).toBeLessThan(5);
      }
      expect(fitted).toBeGreaterThan(0);
      // Raw SVI (the default model) calendar-free: the surface's own report, the module's dense check run here on
      // consecutive fitted slices by expiry time (tolerance 1e-12 relative), and a sweep independent of both.
      expect(fit.rawCalendarViolations).toEqual([]);
      expect(surfaceJson(fit, 'svi').calendar_free).toBe(true);
      const raw = fit.slices.filter((s) => s.svi).sort((a, b) => a.t - b.t);
      const refs: RawSliceRef[] = raw.map((s) => {
        const [kMin, kMax] = ranges.get(s.expiryIndex)!;
        return { label: s.key, t: s.t, params: s.svi!, kMin, kMax };
      });
      expect(rawCalendarViolations(refs)).toEqual([]);
      for (let i = 1; i < raw.length; i++) {
        const e = raw[i - 1].svi!;
        const l = raw[i].svi!;
        // An AM- and a PM-settled expiry on one date are two slices, the AM one earlier.
        if (raw[i].expiry === raw[i - 1].expiry && raw[i].settlement !== raw[i - 1].settlement) {
          expect(raw[i - 1].settlement).toBe('AM');
          expect(raw[i].t).toBeGreaterThan(raw[i - 1].t);
        }
        expect(l.b * (1 + l.rho)).toBeGreaterThanOrEqual(e.b * (1 + e.rho) * (1 - 1e-12));
        expect(l.b * (1 - l.rho)).toBeGreaterThanOrEqual(e.b * (1 - e.rho) * (1 - 1e-12));
        let worst = Infinity;
        for (let j = -4000; j <= 4000; j++) {
          const k = j / 1000;
          const we = sviW(e, k);
          worst = Math.min(worst, (sviW(l, k) - we) / we);
        }
        expect(worst).toBeGreaterThanOrEqual(-1e-12);
      }
      // eSSVI: one node per fitted slice, each within its butterfly bounds, monotone in T on a sweep.
      const nodes = fit.query.nodes;
      expect(nodes.length).toBe(fitted);
      expect(fit.essviArbitrageFree).toBe(true);
      for (let i = 0; i < nodes.length; i++) {
        expect(essviButterflyViolation(nodes[i])).toBe(0);
        if (i === 0) continue;
        for (let j = -300; j <= 300; j++) {
          const k = j / 100;
          expect(essviW(nodes[i], k) - essviW(nodes[i - 1], k)).toBeGreaterThanOrEqual(-1e-12);
        }
      }
    },
  );
});

describe('bad input', () => {
  it.each(noQuotes.map((f) => [f.split('/').pop()!, f]))('%s (quotes blanked): clear statuses, no parameters', async (_n, file) => {
    const { fit } = await fitFile(file);
    for (const s of fit.slices) {
      if (s.status === 'ok') continue; // a few rows keep a quote: a slice may still fit legitimately
      expect(s.svi).toBeNull();
      expect(s.quality).toBeNull();
    }
    const failed = fit.slices.filter((s) => s.status !== 'ok' && s.status !== 'expired');
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed) expect(s.message).toBeTruthy();
  });

  it('fewer than 5 usable quotes, all-zero bids and a degenerate forward each get their status and no parameters', async () => {
    const file = quoted.find((f) => f.includes('SPY_2023-05-19'))!;
    const { chain } = await loadChainFile(file);
    const iv = computeChainIv(chain);
    const base = fitSurface(chain, iv, { skipEssvi: true });
    const okIdx = base.slices.filter((s) => s.status === 'ok').map((s) => s.expiryIndex);
    const [eFew, eZero, eFwd] = okIdx;
    // Few quotes: keep only the 3 out-of-the-money bids nearest the forward.
    const fwd = iv.expiries[eFew].forward;
    const near = [...chain.expiries[eFew].rows]
      .filter((r) => iv.otm[r] && chain.bid[r] > 0)
      .sort((x, y) => Math.abs(chain.strike[x] - fwd) - Math.abs(chain.strike[y] - fwd))
      .slice(0, 3);
    for (const r of chain.expiries[eFew].rows) if (!near.includes(r)) chain.bid[r] = 0;
    for (const r of chain.expiries[eZero].rows) chain.bid[r] = 0;
    iv.expiries[eFwd] = { ...iv.expiries[eFwd], forward: -5 };
    const fit = fitSurface(chain, iv);
    const by = new Map(fit.slices.map((s) => [s.expiryIndex, s]));
    expect(by.get(eFew)!.status).toBe('too_few_quotes');
    expect(by.get(eZero)!.status).toBe('no_bids');
    expect(by.get(eFwd)!.status).toBe('degenerate_forward');
    for (const e of [eFew, eZero, eFwd]) {
      const s = by.get(e)!;
      expect(s.svi).toBeNull();
      expect(s.essvi).toBeNull();
      expect(s.message).toBeTruthy();
    }
    // The rest of the chain still fits.
    expect(fit.slices.filter((s) => s.status === 'ok').length).toBe(okIdx.length - 3);
    expect(fit.essviArbitrageFree).toBe(true);
  });
});

describe('live refit', () => {
  it('warm-started refits (previous fit per slice key) stay butterfly-free and as close to the quotes', async () => {
    const file = quoted.find((f) => f.includes('QQQ_2023-05-17'))!;
    const { chain } = await loadChainFile(file);
    const iv = computeChainIv(chain);
    const cold = fitSurface(chain, iv, { skipEssvi: true });
    const warm = fitSurface(chain, iv, { skipEssvi: true, warm: new Map(cold.slices.filter((s) => s.svi).map((s) => [s.key, s.svi!])) });
    for (let i = 0; i < cold.slices.length; i++) {
      const c = cold.slices[i];
      const w = warm.slices[i];
      expect(w.status).toBe(c.status);
      if (!c.quality) continue;
      expect(w.quality!.butterflyFree).toBe(true);
      // Same optimum up to the outer search's tolerance: a warm start never ends far from the cold fit.
      expect(w.quality!.rmseVol).toBeLessThan(c.quality.rmseVol * 1.2 + 0.02);
    }
  });
});

describe('manifold surface / bench surface', () => {
  const spx = quoted.find((f) => f.includes('SPX_2023-05-19'))!;

  it('--json prints the contract shape, numbers never NaN', async () => {
    const r = await runCli(['surface', spx, '--json'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['underlying', 'as_of', 'spot', 'slices', 'calendar_free']));
    expect(doc.underlying).toBe('SPX');
    expect(typeof doc.calendar_free).toBe('boolean');
    const ok = doc.slices.filter((s: { svi: unknown }) => s.svi !== null);
    expect(ok.length).toBeGreaterThan(40);
    for (const s of doc.slices) {
      for (const k of ['expiry', 'settlement', 't', 'forward', 'discount', 'quotes', 'svi', 'rmse_vol', 'in_band', 'max_abs_z', 'min_g', 'butterfly_free', 'atm_vol']) {
        expect(s).toHaveProperty(k);
      }
    }
    for (const s of ok) {
      expect(Object.keys(s.svi).sort()).toEqual(['a', 'b', 'm', 'rho', 'sigma']);
      expect(s.butterfly_free).toBe(true);
      expect(s.min_g).toBeGreaterThanOrEqual(0);
      // Vol points: SPX ATM vol is between 5 % and 60 %, not 0.05-0.6.
      expect(s.atm_vol).toBeGreaterThan(5);
      expect(s.atm_vol).toBeLessThan(60);
      expect(s.in_band).toBeGreaterThanOrEqual(0);
      expect(s.in_band).toBeLessThanOrEqual(1);
    }
    // The default model (raw SVI) is calendar-free too, with no violating pairs.
    expect(doc.calendar_free).toBe(true);
    expect(doc.calendar_violations).toEqual([]);
    const ss = await runCli(['surface', spx, '--json', '--model', 'ssvi'], { timeoutMs: 120_000 });
    expect(ss.code).toBe(0);
    expect(JSON.parse(ss.stdout).calendar_free).toBe(true);
  });

  it('rejects a bad model and a missing file with a one-line error', async () => {
    const bad = await runCli(['surface', spx, '--model', 'heston']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--model/);
    const missing = await runCli(['surface', '/nonexistent/chain.csv']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n').length).toBe(1);
  });

  it('bench surface prints one JSON line with the contract fields', async () => {
    const r = await runCli(['bench', 'surface', spx, '--runs', '1'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const doc = JSON.parse(lines[0]);
    for (const k of ['slices', 'quotes', 'ms_per_slice_median', 'ms_total']) expect(typeof doc[k]).toBe('number');
    expect(doc.slices).toBeGreaterThan(40);
  });
});
