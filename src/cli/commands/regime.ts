// `manifold regime fit|now|history|update|import|data`: the SPY/VIX Gaussian-HMM regime model (src/regime,
// src/quant/hmm). Heavy modules are imported inside the actions.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { printJson } from '../output.js';

type Cfg = Awaited<ReturnType<typeof loadCfg>>;

async function loadCfg() {
  const { loadConfig } = await import('../../config/index.js');
  try {
    return loadConfig();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/** Maps the regime modules' input errors to one-line user errors. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    const name = (e as Error)?.name;
    if (['HmmInputError', 'HistoryFormatError', 'FeatureInputError', 'MassiveRestError', 'RangeError'].includes(name)) {
      throw new UserError((e as Error).message);
    }
    throw e;
  }
}

function parseStates(raw: string | undefined, fallback: number | 'auto'): number | 'auto' {
  if (raw === undefined) return fallback;
  if (raw === 'auto') return 'auto';
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1 || k > 10) throw new UserError(`--states must be an integer 1..10 or 'auto', got '${raw}'`);
  return k;
}

function parseInt(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new UserError(`${name} must be an integer in [${min}, ${max}], got '${raw}'`);
  return v;
}

function parseDate(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(raw))) throw new UserError(`${name} must be a date YYYY-MM-DD, got '${raw}'`);
  return raw;
}

async function modelConfig(cfg: Cfg, over: { states?: number | 'auto'; restarts?: number; seed?: number; covariance?: string; refit?: string }) {
  const { resolveModelConfig } = await import('../../regime/model.js');
  const r = cfg.regime;
  const cov = over.covariance ?? r.covarianceType;
  if (cov !== 'full' && cov !== 'diag') throw new UserError(`--covariance must be full or diag, got '${cov}'`);
  const refit = over.refit ?? r.refit;
  if (refit !== 'monthly' && refit !== 'weekly' && refit !== 'daily') throw new UserError(`--refit must be monthly, weekly or daily, got '${refit}'`);
  try {
    return resolveModelConfig({
      trainDays: r.trainDays,
      minTrainDays: r.minTrainDays,
      states: over.states ?? r.states,
      restarts: over.restarts ?? r.restarts,
      seed: over.seed ?? r.seed,
      covarianceType: cov,
      refit,
      features: { features: r.features, realizedVolWindow: r.realizedVolWindow, vixChange: r.vixChange },
    });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

async function history(cfg: Cfg) {
  const { loadHistory } = await import('../../regime/history.js');
  return loadHistory({ dataDir: cfg.dataDir, start: cfg.regime.historyStart });
}

const round = (v: number, digits = 6): number => Number(v.toPrecision(digits));

function matrix(a: Float64Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from(a.subarray(i * cols, i * cols + cols)));
}

export function register(program: Command): void {
  const regime = program
    .command('regime')
    .description('market regimes from SPY/VIX history: Gaussian HMM fit, live (filtered) state, walk-forward history');

  regime
    .command('fit')
    .description('fit the Gaussian HMM (default: shipped SPY/VIX history, last trainDays rows, z-scored features)')
    .option('--input <features.csv>', 'fit these observations instead: every numeric column, as given (a date column is ignored)')
    .option('--states <K|auto>', "number of states, or 'auto' for BIC over 2..5 (default from config: 3)")
    .option('--restarts <N>', 'EM restarts from k-means++ starts (default 10)')
    .option('--seed <N>', 'PRNG seed (default 1)')
    .option('--covariance <full|diag>', 'covariance type (default full)')
    .option('--json', 'print {observations, dims, states, loglik, bic, restarts, fit_ms, state_names, means, covariances, transition}')
    .action(async (o: { input?: string; states?: string; restarts?: string; seed?: string; covariance?: string; json?: boolean }) =>
      guarded(async () => {
        const cfg = await loadCfg();
        const mc = await modelConfig(cfg, {
          states: parseStates(o.states, cfg.regime.states),
          restarts: parseInt('--restarts', o.restarts, 1, 1000),
          seed: parseInt('--seed', o.seed, -(2 ** 31), 2 ** 31 - 1),
          covariance: o.covariance,
        });
        const hmm = await import('../../quant/hmm/index.js');
        let obs: { n: number; d: number; data: Float64Array };
        let columns: string[];
        let order: import('../../quant/hmm/index.js').StateOrder = { by: 'trace' };
        let window: string;
        if (o.input) {
          const { readFile } = await import('node:fs/promises');
          const { parseObservationsCsv } = await import('../../regime/csv.js');
          let text: string;
          try {
            text = await readFile(o.input, 'utf8');
          } catch (e) {
            throw new UserError(`cannot read ${o.input}: ${(e as Error).message}`);
          }
          const parsed = parseObservationsCsv(text, o.input);
          obs = parsed;
          columns = parsed.columns;
          window = `${o.input} (${parsed.n} rows; columns ${parsed.columns.join(', ')}${parsed.ignored.length ? `; ignored ${parsed.ignored.join(', ')}` : ''})`;
        } else {
          const { computeRegimeFeatures, fitScaler, applyScaler } = await import('../../analytics/regime-features.js');
          const { stateOrderFor } = await import('../../regime/model.js');
          const { history: h } = await history(cfg);
          const f = computeRegimeFeatures(h, mc.features);
          const from = Math.max(0, f.n - mc.trainDays);
          const sc = fitScaler(f.data, f.d, from, f.n);
          obs = { n: f.n - from, d: f.d, data: applyScaler(f.data, f.d, from, f.n, sc) };
          columns = f.columns;
          order = stateOrderFor(mc.features);
          window = `shipped SPY/VIX history ${f.dates[from]} … ${f.dates[f.n - 1]} (${f.n - from} rows, features z-scored on this window)`;
        }
        const opts = { restarts: mc.restarts, seed: mc.seed, covarianceType: mc.covarianceType, order };
        const t0 = performance.now();
        const res = mc.states === 'auto' ? hmm.selectByBic(obs, opts) : { best: hmm.fitHmm(obs, { ...opts, states: mc.states }), candidates: [] };
        const fitMs = performance.now() - t0;
        const { model } = res.best;
        const out = {
          observations: obs.n,
          dims: obs.d,
          states: model.k,
          loglik: res.best.loglik,
          bic: res.best.bic,
          restarts: res.best.restarts,
          fit_ms: fitMs,
          state_names: [...model.stateNames],
          means: matrix(model.means, model.k, model.d),
          covariances: Array.from({ length: model.k }, (_, j) => matrix(model.covariances.subarray(j * model.d * model.d, (j + 1) * model.d * model.d), model.d, model.d)),
          transition: matrix(model.transition, model.k, model.k),
        };
        if (o.json) return printJson(out);
        const lines = [
          `data: ${window}`,
          `model: K=${model.k} ${mc.covarianceType} covariance, ${res.best.restarts} restarts (best #${res.best.bestRestart}, ${res.best.iterations} EM iterations, ${res.best.converged ? 'converged' : 'NOT converged'})`,
          `loglik ${res.best.loglik.toFixed(4)}  BIC ${res.best.bic.toFixed(2)}  fit ${fitMs.toFixed(1)} ms`,
        ];
        if (res.candidates.length) lines.push('BIC by K: ' + res.candidates.map((c) => `K=${c.model.k}: ${c.bic.toFixed(2)}`).join(', '));
        lines.push(`columns: ${columns.join(', ')}`);
        for (let j = 0; j < model.k; j++) {
          const sd = columns.map((_, m) => round(Math.sqrt(model.covariances[j * model.d * model.d + m * model.d + m]), 4));
          lines.push(
            `  ${model.stateNames[j].padEnd(10)} mean [${Array.from(model.means.subarray(j * model.d, (j + 1) * model.d), (v) => round(v, 4)).join(', ')}]  sd [${sd.join(', ')}]  stay ${round(model.transition[j * model.k + j], 4)}`,
          );
        }
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );

  regime
    .command('now')
    .description("the last date's filtered probabilities p(state | data up to that date) and state")
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      guarded(async () => {
        const cfg = await loadCfg();
        const mc = await modelConfig(cfg, {});
        const { regimeNow } = await import('../../regime/model.js');
        const { history: h } = await history(cfg);
        const now = regimeNow(h, mc);
        if (o.json) return printJson(now);
        const probs = Object.entries(now.probabilities)
          .map(([k, v]) => `${k} ${(100 * v).toFixed(1)}%`)
          .join(', ');
        process.stdout.write(
          `${now.date}: ${now.state} (${probs})\nmodel: trained ${now.model.trained_from} … ${now.model.trained_to} (${now.model.observations} days, K=${now.model.states}, fit ${now.model.fit_ms.toFixed(1)} ms)\n`,
        );
      }),
    );

  regime
    .command('history')
    .description('walk-forward history: date, filtered probabilities, state (each model fitted on data up to its refit date only)')
    .option('--csv', 'print CSV: date,p_<state>...,state,model_date')
    .option('--json', 'print JSON {states, rows: [{date, probabilities, state, model_date}]}')
    .option('--from <date>', 'print rows from this date (earlier refits are skipped; results are identical)')
    .option('--states <K>', 'number of states (fixed; default from config: 3)')
    .option('--refit <cadence>', 'monthly (default), weekly or daily')
    .action(async (o: { csv?: boolean; json?: boolean; from?: string; states?: string; refit?: string }) =>
      guarded(async () => {
        const cfg = await loadCfg();
        const states = parseStates(o.states, cfg.regime.states);
        if (states === 'auto') throw new UserError("regime history needs a fixed number of states: pass --states K (BIC 'auto' would change K between refits)");
        const mc = await modelConfig(cfg, { states, refit: o.refit });
        const from = parseDate('--from', o.from);
        const { walkForward } = await import('../../regime/model.js');
        const { history: h } = await history(cfg);
        const wf = walkForward(h, mc, undefined, from);
        const rows = from ? wf.rows.filter((r) => r.date >= from) : wf.rows;
        if (o.json) {
          return printJson({
            states: wf.names,
            refit: mc.refit,
            rows: rows.map((r) => ({ date: r.date, probabilities: Object.fromEntries(wf.names.map((n, j) => [n, r.probs[j]])), state: wf.names[r.state], model_date: r.modelDate })),
          });
        }
        const out: string[] = [];
        if (o.csv) {
          out.push(['date', ...wf.names.map((n) => `p_${n}`), 'state', 'model_date'].join(','));
          for (const r of rows) out.push([r.date, ...Array.from(r.probs, (v) => round(v, 6)), wf.names[r.state], r.modelDate].join(','));
        } else {
          out.push(['date      ', ...wf.names.map((n) => n.padStart(9)), '  state'].join(' '));
          for (const r of rows) out.push([r.date, ...Array.from(r.probs, (v) => v.toFixed(4).padStart(9)), ' ' + wf.names[r.state]].join(' '));
        }
        process.stdout.write(out.join('\n') + '\n');
      }),
    );

  regime
    .command('update')
    .description('extend the local history with Massive daily aggregates (SPY, I:VIX) over REST; reports gaps, splits, calendar mismatches')
    .option('--to <date>', 'last date to fetch (default today)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { to?: string; json?: boolean }) =>
      guarded(async () => {
        const cfg = await loadCfg();
        if (!cfg.massive.apiKey) throw new UserError('MASSIVE_API_KEY (or massive.apiKey in manifold.config.json) is required for regime update');
        const { updateFromMassive } = await import('../../regime/update.js');
        const report = await updateFromMassive({ dataDir: cfg.dataDir, baseUrl: cfg.massive.restUrl, apiKey: cfg.massive.apiKey, to: parseDate('--to', o.to) });
        printUpdate(report, o.json);
      }),
    );

  regime
    .command('import')
    .description('import a CSV of daily closes (date + adj_close/close column) for SPY or VIX into the local history')
    .argument('<file>', 'CSV file')
    .requiredOption('--symbol <SPY|VIX>', 'which series the file holds')
    .option('--column <name>', 'close column to use (default adj_close, else close, PX_LAST, price, value)')
    .option('--raw', 'the closes are unadjusted: detect splits and back-adjust them')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { symbol: string; column?: string; raw?: boolean; json?: boolean }) =>
      guarded(async () => {
        const symbol = o.symbol.toUpperCase();
        if (symbol !== 'SPY' && symbol !== 'VIX') throw new UserError(`--symbol must be SPY or VIX, got '${o.symbol}'`);
        const cfg = await loadCfg();
        const { importCsv } = await import('../../regime/update.js');
        printUpdate(await importCsv(file, { dataDir: cfg.dataDir, symbol, column: o.column, raw: o.raw }), o.json);
      }),
    );

  regime
    .command('data')
    .description('report on the history in use: rows, rejected rows, gaps, splits, SPY/VIX calendar mismatches')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      guarded(async () => {
        const cfg = await loadCfg();
        const { report } = await history(cfg);
        if (o.json) return printJson(report);
        const a = report.alignment;
        const lines = [
          `SPY: ${report.spy.accepted} rows ${report.spy.first} … ${report.spy.last} (${report.spy.rejected} rejected, ${report.spy.duplicates} duplicates)`,
          `VIX: ${report.vix.accepted} rows ${report.vix.first} … ${report.vix.last} (${report.vix.rejected} rejected, ${report.vix.duplicates} duplicates)`,
          ...report.updates.map((u) => `local update ${u.symbol}: +${u.appended} rows (${u.mode}${u.anchor ? ` from ${u.anchor}` : ''})`),
          `aligned from ${report.start}: ${a.common} common days ${a.first} … ${a.last}`,
          `SPY-only days: ${a.spyOnly.count} (${a.spyOnly.afterOtherEnds} after VIX ends, inside: ${a.spyOnly.inside.join(' ') || 'none'})`,
          `VIX-only days: ${a.vixOnly.count} (${a.vixOnly.afterOtherEnds} after SPY ends; inside: ${a.vixOnly.inside.join(' ') || 'none'})`,
          `gaps > 4 calendar days: ${a.gaps.map((g) => `${g.from}→${g.to}`).join(', ') || 'none'}`,
          `aligned dates vs the NYSE calendar: ${a.calendar.missingTradingDays.count} trading days missing${a.calendar.missingTradingDays.count ? ` (${a.calendar.missingTradingDays.sample.join(' ')})` : ''}, ${a.calendar.nonTradingDays.count} rows on closed days`,
          `splits in SPY raw close: ${report.spySplits.map((s) => `${s.date} ×${s.ratio}`).join(', ') || 'none'}`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );
}

function printUpdate(report: import('../../regime/update.js').UpdateReport, json?: boolean): void {
  if (json) return printJson(report);
  const lines = [`range ${report.from} … ${report.to}`];
  for (const s of report.series) {
    const src = s.fetched ? `fetched ${s.fetched.accepted} bars in ${s.fetched.requests} request(s), ${s.fetched.rejected} rejected` : `imported ${s.imported?.accepted} rows, ${s.imported?.rejected} rejected`;
    lines.push(
      `${s.symbol}: ${src}; +${s.merge.appended} new days (last ${s.last}); gaps: ${s.gaps.map((g) => `${g.from}→${g.to}`).join(', ') || 'none'}; splits: ${s.splits.map((x) => `${x.date} ×${x.ratio}${s.splitAdjusted ? ' (adjusted)' : ''}`).join(', ') || 'none'}`,
    );
  }
  for (const s of report.series) {
    const c = s.calendar;
    if (c.missingTradingDays.count || c.nonTradingDays.count) {
      lines.push(`${s.symbol} calendar: missing trading days ${c.missingTradingDays.sample.join(' ') || 'none'}; rows on closed days ${c.nonTradingDays.sample.join(' ') || 'none'}`);
    }
  }
  if (report.calendar) lines.push(`calendar: SPY-only ${report.calendar.spyOnly.inside.join(' ') || 'none'}; VIX-only ${report.calendar.vixOnly.inside.join(' ') || 'none'}`);
  lines.push(`last common SPY/VIX date: ${report.lastCommon}`);
  process.stdout.write(lines.join('\n') + '\n');
}
