// `manifold greeks`, `manifold iv`, `manifold bench greeks` as a user runs them.
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sharedRoot } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-greeks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const truthLines = readFileSync(join(sharedRoot, 'data/greeks/bsm-truth.csv'), 'utf8').trim().split('\n');

function parse(csv: string): Array<Record<string, string>> {
  const [h, ...rows] = csv.trim().split('\n');
  const header = h.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((c, i) => [header[i], c])));
}

describe('manifold greeks', () => {
  const input = join(dir, 'in.csv');
  // 20 truth rows, with an extra pass-through column and one bad row.
  writeFileSync(
    input,
    [truthLines[0].split(',').slice(0, 8).join(',') + ',book', ...truthLines.slice(1, 21).map((l, i) => l.split(',').slice(0, 8).join(',') + `,b${i}`), 'X,100,100,1,0,0,0.2,5,bad'].join('\n'),
  );
  it('--units raw reproduces the truth table (IV then Greeks at the solved IV) and passes extra columns through', async () => {
    const res = await runCli(['greeks', input, '--units', 'raw']);
    expect(res.code).toBe(0);
    const out = parse(res.stdout);
    expect(Object.keys(out[0])).toEqual(['right', 'spot', 'strike', 'expiry_years', 'rate', 'dividend_yield', 'sigma', 'price', 'book', 'iv', 'delta', 'gamma', 'vega', 'theta', 'rho', 'vanna', 'charm', 'vomma', 'speed', 'zomma', 'color', 'status']);
    const header = truthLines[0].split(',').map((s) => s.trim());
    for (let i = 0; i < 20; i++) {
      const truth = truthLines[i + 1].split(',');
      const row = out[i];
      expect(row.status).toBe('ok');
      expect(row.book).toBe(`b${i}`);
      expect(Math.abs(Number(row.iv) / Number(truth[header.indexOf('sigma')]) - 1)).toBeLessThan(1e-12);
      for (const g of ['delta', 'gamma', 'vega', 'theta', 'rho', 'vanna', 'charm', 'vomma', 'speed', 'zomma', 'color']) {
        expect(Math.abs(Number(row[g]) / Number(truth[header.indexOf(g)]) - 1), g).toBeLessThan(1e-10);
      }
    }
    expect(out[20].status).toBe('bad_input');
    expect(out[20].iv).toBe('');
  });
  it('default desk units and -o', async () => {
    const outFile = join(dir, 'out.csv');
    const res = await runCli(['greeks', input, '-o', outFile]);
    expect(res.code).toBe(0);
    const desk = parse(readFileSync(outFile, 'utf8'));
    const raw = parse((await runCli(['greeks', input, '--units', 'raw'])).stdout);
    expect(Number(desk[0].theta)).toBeCloseTo(Number(raw[0].theta) / 365, 12);
    expect(Number(desk[0].vega)).toBeCloseTo(Number(raw[0].vega) / 100, 12);
    expect(Number(desk[0].delta)).toBe(Number(raw[0].delta));
  });
  it('prices first when price is missing and sigma is given', async () => {
    const f = join(dir, 'sigma.csv');
    writeFileSync(f, 'right,spot,strike,expiry_years,rate,dividend_yield,sigma\nC,100,105,0.5,0.03,0.01,0.25\n');
    const res = await runCli(['greeks', f, '--units', 'raw']);
    expect(res.code).toBe(0);
    const row = parse(res.stdout)[0];
    expect(row.status).toBe('ok');
    expect(Number(row.iv)).toBe(0.25);
    expect(Number(row.delta)).toBeGreaterThan(0.4);
  });
  it('user errors: missing column, bad --units, unreadable file', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'right,spot,strike\nC,1,1\n');
    let res = await runCli(['greeks', f]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/missing column 'expiry_years'/);
    res = await runCli(['greeks', input, '--units', 'metric']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--units/);
    res = await runCli(['greeks', join(dir, 'nope.csv')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/cannot read/);
  });
});

describe('manifold iv', () => {
  it('--json: per-expiry forward/discount and per-contract bid/mid/ask IV and Greeks', async () => {
    const res = await runCli(['iv', join(sharedRoot, 'data/options/cboe_quotedata/SPY/SPY_2025-05-16_eod.csv'), '--json']);
    expect(res.code).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(j.underlying).toBe('SPY');
    expect(j.expiries.length).toBeGreaterThan(5);
    const e = j.expiries.find((x: { status: string }) => x.status === 'ok');
    // The header Last (589.25) is stale for this file; parity gives the true forward near the 594.20 close.
    expect(e.forward).toBeGreaterThan(593);
    expect(e.forward).toBeLessThan(596);
    expect(e.discount).toBeGreaterThan(0.99);
    const ok = j.contracts.filter((c: { status: string }) => c.status === 'ok');
    expect(ok.length).toBeGreaterThan(500);
    for (const c of ok.slice(0, 50)) {
      expect(c.mid_iv).toBeGreaterThan(0);
      expect(typeof c.delta).toBe('number');
    }
    expect(j.contracts.some((c: { status: string }) => c.status === 'not_otm')).toBe(true);
  });
  it('table output and a clear error for a missing file', async () => {
    const res = await runCli(['iv', join(sharedRoot, 'data/options/cboe_quotedata/QQQ/QQQ_2023-05-12_eod.csv')]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/forward/);
    const bad = await runCli(['iv', join(dir, 'none.csv')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/manifold:/);
  });
});

describe('manifold bench greeks', () => {
  it('prints one JSON line with the keys of greeks_numba.py', async () => {
    const f = join(dir, 'workload.csv');
    const lines = ['right,spot,strike,expiry_years,rate,dividend_yield,price,sigma'];
    const header = truthLines[0].split(',').map((s) => s.trim());
    for (const l of truthLines.slice(1, 201)) {
      const c = l.split(',');
      lines.push(['right', 'spot', 'strike', 'expiry_years', 'rate', 'dividend_yield', 'price', 'sigma'].map((k) => c[header.indexOf(k)]).join(','));
    }
    writeFileSync(f, lines.join('\n') + '\n');
    const res = await runCli(['bench', 'greeks', f, '--repeats', '2']);
    expect(res.code).toBe(0);
    const out = res.stdout.trim().split('\n');
    expect(out.length).toBe(1);
    const j = JSON.parse(out[0]);
    expect(Object.keys(j).slice(0, 4)).toEqual(['n', 'iv_and_greeks_per_sec', 'greeks_per_sec', 'max_abs_iv_error']);
    expect(j.n).toBe(200);
    expect(j.max_abs_iv_error).toBeLessThan(1e-12);
  });
});
