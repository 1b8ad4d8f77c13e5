import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption } from '../output.js';

/**
 * `manifold bench regime` → one JSON line {observations, states, restarts, ms_median, ...}.
 *
 * Times the default fit: the last `trainDays` (1,260) rows of the shipped SPY/VIX features, z-scored, K = 3,
 * full covariance, 10 restarts, one thread, after warm-up. Loading and feature computation are not timed.
 * `ms_median` is wall time; `cpu_ms_median` is this process's CPU time per fit (process.cpuUsage), which is what
 * one core spends even when the shared machine is oversubscribed (`load_avg_1m` is printed for context).
 * `--reference` also runs the numpy Baum-Welch reference (bench/regime/reference_em.py, Debian python3-numpy and
 * python3-sklearn) on the same observations with the same number of restarts and reports its best log-likelihood
 * and time, measured in the same run.
 */
export function register(bench: Command): void {
  bench
    .command('regime')
    .description('Gaussian HMM fit speed on the default regime window (one JSON line)')
    .option('--runs <n>', 'timed runs (median reported)', '21')
    .option('--states <K>', 'states', '3')
    .option('--restarts <N>', 'restarts', '10')
    .option('--reference', 'also run the numpy reference EM on the same observations (python3 from Debian)')
    .option('--python <path>', 'python interpreter for --reference', '/usr/bin/python3')
    .action(async (o: { runs: string; states: string; restarts: string; reference?: boolean; python: string }) => {
      const runs = parseNumberOption('--runs', o.runs, 1, 10_000);
      const states = parseNumberOption('--states', o.states, 1, 10);
      const restarts = parseNumberOption('--restarts', o.restarts, 1, 1000);
      const { loadConfig } = await import('../../config/index.js');
      const { loadHistory } = await import('../../regime/history.js');
      const { computeRegimeFeatures, fitScaler, applyScaler } = await import('../../analytics/regime-features.js');
      const { resolveModelConfig, stateOrderFor } = await import('../../regime/model.js');
      const { fitHmm } = await import('../../quant/hmm/index.js');
      const cfg = loadConfig();
      const mc = resolveModelConfig({ trainDays: cfg.regime.trainDays, minTrainDays: Math.min(cfg.regime.minTrainDays, cfg.regime.trainDays) });
      // The shipped files only: the benchmark must not depend on local updates.
      const { history } = await loadHistory({ start: cfg.regime.historyStart });
      const f = computeRegimeFeatures(history, mc.features);
      const from = Math.max(0, f.n - mc.trainDays);
      const sc = fitScaler(f.data, f.d, from, f.n);
      const obs = { n: f.n - from, d: f.d, data: applyScaler(f.data, f.d, from, f.n, sc) };
      const opts = { states, restarts, seed: 1, covarianceType: 'full' as const, order: stateOrderFor(mc.features) };

      for (let i = 0; i < Math.min(5, runs); i++) fitHmm(obs, opts); // JIT warm-up
      const ts: number[] = [];
      const cpu: number[] = [];
      let res = fitHmm(obs, opts);
      for (let i = 0; i < runs; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        res = fitHmm(obs, opts);
        ts.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      ts.sort((a, b) => a - b);
      cpu.sort((a, b) => a - b);
      const { loadavg } = await import('node:os');
      const out: Record<string, unknown> = {
        observations: obs.n,
        states,
        restarts,
        ms_median: Number(ts[ts.length >> 1].toFixed(3)),
        ms_min: Number(ts[0].toFixed(3)),
        // CPU time of this (single-threaded) process per fit: what one core spends, whatever else the machine runs
        cpu_ms_median: Number(cpu[cpu.length >> 1].toFixed(3)),
        load_avg_1m: Number(loadavg()[0].toFixed(2)),
        runs,
        dims: obs.d,
        window: `${f.dates[from]}..${f.dates[f.n - 1]}`,
        loglik: res.loglik,
        iterations: res.iterations,
        converged: res.converged,
      };
      if (o.reference) {
        const ref = await runReference(o.python, obs, states, restarts);
        out.reference_loglik = ref.loglik;
        out.reference_ms_median = ref.ms_median;
        out.reference_best_restart = ref.best_restart;
        out.loglik_minus_reference = res.loglik - ref.loglik;
      }
      process.stdout.write(JSON.stringify(out) + '\n');
    });
}

async function runReference(python: string, obs: { n: number; d: number; data: Float64Array }, k: number, restarts: number): Promise<{ loglik: number; ms_median: number; best_restart: number }> {
  const { spawn } = await import('node:child_process');
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join, dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { existsSync } = await import('node:fs');
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'bench', 'regime', 'reference_em.py')) && dirname(root) !== root) root = dirname(root);
  const script = join(root, 'bench', 'regime', 'reference_em.py');
  if (!existsSync(script)) throw new UserError('bench/regime/reference_em.py not found');
  const dir = await mkdtemp(join(tmpdir(), 'manifold-regime-'));
  try {
    const csv = join(dir, 'obs.csv');
    const rows: string[] = [];
    for (let t = 0; t < obs.n; t++) rows.push(Array.from(obs.data.subarray(t * obs.d, (t + 1) * obs.d), (v) => v.toPrecision(17)).join(','));
    await writeFile(csv, rows.join('\n') + '\n');
    const text = await new Promise<string>((resolve, reject) => {
      const child = spawn(python, [script, csv, '--states', String(k), '--restarts', String(restarts), '--runs', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let so = '';
      let se = '';
      child.stdout.on('data', (d) => (so += d));
      child.stderr.on('data', (d) => (se += d));
      child.on('error', (e) => reject(new UserError(`cannot run ${python}: ${e.message}`)));
      child.on('close', (code) => (code === 0 ? resolve(so) : reject(new UserError(`reference EM failed (${code}): ${se.trim().split('\n').pop()}`))));
    });
    return JSON.parse(text.trim().split('\n').pop() as string) as { loglik: number; ms_median: number; best_restart: number };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
