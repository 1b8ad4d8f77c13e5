// GEX on every shared Cboe chain: computed from our own chain IV, it must succeed and be internally consistent
// (flip where the profile changes sign, walls where the by-strike table says, totals that add up). Plus the CLI.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { computeChainIv } from '../../src/analytics/chain-iv.js';
import { buildGexBook, computeGex, type GexResult } from '../../src/analytics/gex.js';
import { gexAt, planProfile } from '../../src/quant/gex/index.js';
import { runCli, sharedRoot } from '../support/cli.js';

const dir = join(sharedRoot, 'data/options/cboe_quotedata');
const files = readdirSync(dir).flatMap((u) => readdirSync(join(dir, u)).map((f) => join(dir, u, f)));

function checkConsistent(r: GexResult, label: string): void {
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-9 * r.coverage.open_interest_used + 1);
  // by strike and by expiry sum to the total
  const sStrike = r.by_strike.reduce((a, s) => a + s.net_gex, 0);
  const sExp = r.by_expiry.reduce((a, s) => a + s.gex, 0);
  const sBucket = Object.values(r.by_dte_bucket).reduce((a, v) => a + v, 0);
  expect(rel(sStrike, r.total_gex), `${label} strikes`).toBeLessThan(1e-9);
  expect(rel(sExp, r.total_gex), `${label} expiries`).toBeLessThan(1e-9);
  expect(rel(sBucket, r.total_gex), `${label} buckets`).toBeLessThan(1e-9);
  expect(rel(r.next_expiry.gex + r.next_expiry.ex_next_gex, r.total_gex)).toBeLessThan(1e-9);
  // profile at spot = total
  const mid = r.profile.find((p) => p.spot === r.spot)!;
  expect(mid, `${label}: spot on the profile grid`).toBeDefined();
  expect(rel(mid.gex, r.total_gex), `${label} profile at spot`).toBeLessThan(1e-9);
  expect(r.profile.length).toBeGreaterThanOrEqual(200);
  expect(r.profile[0].spot).toBeLessThanOrEqual(0.8 * r.spot * (1 + 1e-12));
  expect(r.profile[0].spot).toBeGreaterThan(0.79 * r.spot);
  expect(r.profile[r.profile.length - 1].spot).toBeGreaterThanOrEqual(1.2 * r.spot * (1 - 1e-12));
  expect(r.profile[r.profile.length - 1].spot).toBeLessThan(1.21 * r.spot);
  // walls and abs gamma strike are the argmax of the by-strike table
  if (r.by_strike.length > 0 && r.coverage.contracts_used > 0) {
    const arg = (f: (s: GexResult['by_strike'][number]) => number) => r.by_strike.reduce((a, s) => (f(s) > f(a) ? s : a)).strike;
    expect(r.call_wall, label).toBe(arg((s) => Math.abs(s.call_gex)));
    expect(r.put_wall, label).toBe(arg((s) => Math.abs(s.put_gex)));
    expect(r.abs_gamma_strike, label).toBe(arg((s) => Math.abs(s.call_gex) + Math.abs(s.put_gex)));
  }
  // the flip lies where the profile changes sign
  const signs = r.profile.map((p) => Math.sign(p.gex));
  const changes = signs.some((s, j) => j > 0 && s !== 0 && signs[j - 1] !== 0 && s !== signs[j - 1]);
  if (r.flip === null) {
    expect(changes, `${label}: profile changes sign but no flip`).toBe(false);
  } else {
    expect(changes, `${label}: flip without a sign change`).toBe(true);
    const j = r.profile.findIndex((p) => p.spot >= r.flip!);
    expect(j).toBeGreaterThan(0);
    const lo = r.profile[j - 1];
    const hi = r.profile[j];
    expect(lo.spot).toBeLessThanOrEqual(r.flip);
    expect(hi.spot).toBeGreaterThanOrEqual(r.flip);
    expect(Math.sign(lo.gex) * Math.sign(hi.gex), `${label}: no sign change around the flip`).toBeLessThanOrEqual(0);
    // and it is the crossing nearest to spot
    for (const c of r.crossings) expect(Math.abs(c.spot - r.spot)).toBeGreaterThanOrEqual(Math.abs(r.flip - r.spot) - 1e-9);
  }
  // coverage adds up
  const ex = Object.values(r.coverage.excluded);
  expect(ex.reduce((a, x) => a + x.contracts, 0) + r.coverage.contracts_used).toBe(r.coverage.contracts);
  expect(rel(ex.reduce((a, x) => a + x.open_interest, 0) + r.coverage.open_interest_used, r.coverage.open_interest)).toBeLessThan(1e-12);
}

describe('GEX on every shared chain', () => {
  for (const file of files) {
    it(file.split('/').pop()!, async () => {
      const { chain } = await loadChainFile(file);
      const iv = computeChainIv(chain);
      for (const kind of ['naive', 'all-short'] as const) {
        const r = computeGex(chain, iv, { model: { kind } });
        checkConsistent(r, `${file} ${kind}`);
        if (kind === 'all-short') {
          // every contract short: GEX negative everywhere, no flip
          if (r.coverage.contracts_used > 0) expect(r.total_gex).toBeLessThan(0);
          expect(r.flip).toBeNull();
        } else {
          {
            // the profile kernel (recurrence on the log grid) equals the direct sum to rounding of the gross gamma
            const b = buildGexBook(chain, iv);
            const plan = planProfile(b.book);
            const gross = planProfile({ ...b.book, position: b.book.position.map(Math.abs) });
            for (let j = 0; j < r.profile.length; j += 10) {
              const p = r.profile[j];
              const g = gexAt(gross, p.spot);
              if (g > 0) expect(Math.abs(p.gex - gexAt(plan, p.spot)) / g).toBeLessThan(1e-12);
            }
          }
          if (r.flip !== null) {
            // Brent converged: GEX at the flip is ~0 relative to the gross gamma around it
            const b = buildGexBook(chain, iv);
            const plan = planProfile(b.book);
            const scale = Math.abs(gexAt(plan, r.flip * 0.99)) + Math.abs(gexAt(plan, r.flip * 1.01));
            expect(Math.abs(gexAt(plan, r.flip))).toBeLessThan(1e-6 * scale);
          }
        }
      }
    });
  }
});

describe('manifold gex (CLI)', () => {
  const spx = join(dir, 'SPX/SPX_2023-04-14_eod.csv');
  it('--json prints the contract shape', async () => {
    const r = await runCli(['gex', spx, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as GexResult;
    expect(Object.keys(j).slice(0, 12)).toEqual([
      'underlying',
      'as_of',
      'spot',
      'model',
      'total_gex',
      'flip',
      'call_wall',
      'put_wall',
      'abs_gamma_strike',
      'by_expiry',
      'by_strike',
      'profile',
    ]);
    expect(Object.keys(j.by_expiry[0])).toEqual(expect.arrayContaining(['expiry', 'gex']));
    expect(Object.keys(j.by_strike[0])).toEqual(['strike', 'call_gex', 'put_gex', 'net_gex']);
    expect(Object.keys(j.profile[0])).toEqual(['spot', 'gex']);
    expect(j.model).toBe('naive');
    // the CLI fits a surface and uses it where quotes cannot give an IV
    expect(j.coverage.iv_source.surface).toBeGreaterThan(0);
    checkConsistent(j, 'cli');
  });

  it('manifold bench gex prints one JSON line with the contract fields (no timing asserted)', async () => {
    const r = await runCli(['bench', 'gex', spx, '--runs', '3', '--no-surface']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]) as { contracts: number; profile_points: number; ms_median: number };
    expect(j.contracts).toBeGreaterThan(10_000);
    expect(j.profile_points).toBe(201);
    expect(j.ms_median).toBeGreaterThan(0);
  });

  it('files without quotes or without the IV column: succeeds and says what it covers', async () => {
    const nq = await runCli(['gex', join(dir, 'SPX/SPX_2023-04-05_eod-noquotes.csv'), '--json']);
    expect(nq.code).toBe(0);
    const a = JSON.parse(nq.stdout) as GexResult;
    expect(a.coverage.open_interest_used_share).toBeLessThan(0.1);
    expect(a.coverage.excluded.no_forward.open_interest).toBeGreaterThan(0);
    expect(a.warnings.join(' ')).toMatch(/blank/);
    checkConsistent(a, 'noquotes');
    const c16 = await runCli(['gex', join(dir, 'SPX/SPX_2024-02-12_eod-16col.csv'), '--json', '--vol-shift', '-5,5']);
    expect(c16.code).toBe(0);
    const b = JSON.parse(c16.stdout) as GexResult;
    expect(b.coverage.open_interest_used_share_of_live).toBeGreaterThan(0.9);
    expect(b.vol_profiles.map((v) => v.vol_shift)).toEqual([-0.05, 0.05]);
    checkConsistent(b, '16col');
  });

  it('text summary with a bar chart; --model all-short; bad input is a one-line error', async () => {
    const r = await runCli(['gex', spx, '--model', 'all-short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/total GEX\s+−\$/);
    expect(r.stdout).toMatch(/all-short/);
    expect(r.stdout).toMatch(/█/);
    expect(r.stdout).toMatch(/spot 4137\.64/);
    const bad = await runCli(['gex', spx, '--model', 'bullish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--model/);
    const missing = await runCli(['gex', '/nonexistent/chain.csv']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no such file/);
    expect(missing.stderr).not.toMatch(/at .*\.ts/);
  });
});
