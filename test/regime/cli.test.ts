import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { Rng, sampleHmm, logLikelihood, type GaussianHmm } from '../../src/quant/hmm/index.js';

const FIT_KEYS = ['observations', 'dims', 'states', 'loglik', 'bic', 'restarts', 'fit_ms', 'state_names', 'means', 'covariances', 'transition'];

describe('manifold regime', () => {
  it('fit --input uses the CSV columns as given and prints the contract keys', async () => {
    const truth: GaussianHmm = {
      k: 2,
      d: 2,
      covarianceType: 'full',
      startProb: Float64Array.from([0.5, 0.5]),
      transition: Float64Array.from([0.95, 0.05, 0.1, 0.9]),
      means: Float64Array.from([0.001, 12, -0.002, 25]),
      covariances: Float64Array.from([1e-4, 0, 0, 4, 9e-4, 0.01, 0.01, 25]),
      stateNames: ['calm', 'stressed'],
    };
    const { obs } = sampleHmm(truth, 500, new Rng(3));
    const dir = mkdtempSync(join(tmpdir(), 'regime-cli-'));
    try {
      const file = join(dir, 'features.csv');
      const lines = ['date,ret,vix'];
      for (let t = 0; t < obs.n; t++) lines.push(`2020-01-${String((t % 28) + 1).padStart(2, '0')},${obs.data[2 * t]},${obs.data[2 * t + 1]}`);
      writeFileSync(file, lines.join('\n') + '\n');
      const r = await runCli(['regime', 'fit', '--input', file, '--states', '2', '--restarts', '4', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out)).toEqual(FIT_KEYS);
      expect(out).toMatchObject({ observations: 500, dims: 2, states: 2, restarts: 4, state_names: ['calm', 'stressed'] });
      // natural log-likelihood of the data as given (not z-scored): at least that of the true parameters
      expect(out.loglik).toBeGreaterThanOrEqual(logLikelihood(truth, obs) - 1e-6);
      expect(out.means[1][1]).toBeGreaterThan(20); // unscaled units
      expect(out.bic).toBeCloseTo(-2 * out.loglik + (1 + 2 + 4 + 6) * Math.log(500), 6);
      expect(out.covariances).toHaveLength(2);
      expect(out.covariances[0]).toHaveLength(2);
      // auto: BIC over 2..5
      const a = await runCli(['regime', 'fit', '--input', file, '--states', 'auto', '--restarts', '2', '--json']);
      expect(a.code, a.stderr).toBe(0);
      expect(JSON.parse(a.stdout).states).toBeGreaterThanOrEqual(2);
      // a bad value is a one-line user error naming the line
      writeFileSync(file, 'date,ret\n2020-01-01,0.1\n2020-01-02,abc\n');
      const bad = await runCli(['regime', 'fit', '--input', file, '--json']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/features\.csv:3: column 'ret' value 'abc'/);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fit without --input uses the shipped history and default features', async () => {
    const r = await runCli(['regime', 'fit', '--json', '--restarts', '3']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ observations: 1260, dims: 4, states: 3, restarts: 3, state_names: ['calm', 'normal', 'stressed'] });
    // ordered calm → stressed by realised volatility (column 1, z-scored)
    expect(out.means[0][1]).toBeLessThan(out.means[1][1]);
    expect(out.means[1][1]).toBeLessThan(out.means[2][1]);
  });

  it('now and history --csv', async () => {
    const now = await runCli(['regime', 'now', '--json']);
    expect(now.code, now.stderr).toBe(0);
    const n = JSON.parse(now.stdout);
    expect(n.date).toBe('2026-03-19');
    expect(Object.keys(n.probabilities)).toEqual(['calm', 'normal', 'stressed']);
    const h = await runCli(['regime', 'history', '--csv', '--from', '2026-02-02']);
    expect(h.code, h.stderr).toBe(0);
    const lines = h.stdout.trim().split('\n');
    expect(lines[0]).toBe('date,p_calm,p_normal,p_stressed,state,model_date');
    expect(lines[1].startsWith('2026-02-02,')).toBe(true);
    expect(lines.at(-1)?.startsWith('2026-03-19,')).toBe(true);
    // the last walk-forward row uses the model refitted on 2026-03-02, so it may differ from `now`, but its
    // state probabilities must still sum to 1
    const last = lines.at(-1)!.split(',');
    expect(Number(last[1]) + Number(last[2]) + Number(last[3])).toBeCloseTo(1, 5);
    expect(last[5]).toBe('2026-03-02');
  });

  it('rejects bad flags with one-line errors', async () => {
    for (const args of [
      ['regime', 'fit', '--states', 'seven'],
      ['regime', 'fit', '--restarts', '0'],
      ['regime', 'history', '--states', 'auto'],
      ['regime', 'history', '--from', '2020-13-01'],
      ['regime', 'import', 'x.csv', '--symbol', 'QQQ'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const help = await runCli(['regime', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/fit/);
    expect(help.stdout).toMatch(/history/);
  });
});
