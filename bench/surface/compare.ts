/**
 * Manifold's arbitrage-free SVI calibration against scipy.optimize.least_squares (bench/surface/scipy_svi.py) on the
 * SAME slices (same filtered quotes, same weights, same objective), one core each, in one run.
 *
 *   npx tsx bench/surface/compare.ts [--min-delta 0.02] [--details] [chain files...]
 *
 * Without files: every shared Cboe chain with quotes (SPX, SPY, QQQ, VIX; the `noquotes` files are skipped).
 * Prints ONE JSON line: slice count, medians of RMSE (vol points), in-band share and ms per slice for both, the
 * speed ratio of the medians, butterfly-free counts, and scipy's non-converged count; for ours also the raw-slice
 * calendar violations and chains that are calendar-free, and `independent`: the same figures with every slice fitted
 * on its own (no calendar floor, the "before"). With --details, one line per slice goes to stderr; --no-scipy skips
 * the reference.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeChainIv } from '../../src/analytics/chain-iv.js';
import { buildSlices, DEFAULT_MIN_DELTA } from '../../src/analytics/slices.js';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { fitSlices } from '../../src/analytics/surface.js';
import type { SliceInput } from '../../src/analytics/slices.js';
import type { OptionChain } from '../../src/market/chain.js';
import type { SliceQuotes } from '../../src/quant/svi/calibrate.js';
import type { SliceQuality } from '../../src/quant/svi/quality.js';

const here = new URL('.', import.meta.url).pathname;
const shared = join(here, '..', '..', '..', 'shared', 'data', 'options', 'cboe_quotedata');

function median(a: number[]): number {
  const b = [...a].sort((x, y) => x - y);
  const n = b.length;
  return n === 0 ? NaN : n % 2 ? b[(n - 1) / 2] : (b[n / 2 - 1] + b[n / 2]) / 2;
}

const args = process.argv.slice(2);
let minDelta = DEFAULT_MIN_DELTA;
let details = false;
let noScipy = false;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--min-delta') minDelta = Number(args[++i]);
  else if (args[i] === '--details') details = true;
  else if (args[i] === '--no-scipy') noScipy = true;
  else files.push(args[i]);
}
if (files.length === 0) {
  for (const u of readdirSync(shared).sort()) {
    for (const f of readdirSync(join(shared, u)).sort()) if (f.endsWith('.csv') && !f.includes('noquotes')) files.push(join(shared, u, f));
  }
}

interface Item {
  label: string;
  q: SliceQuotes;
}
interface Ours {
  ms: number;
  status: string;
  qual: SliceQuality | null;
}
const items: Item[] = [];
const chains: Array<{ chain: OptionChain; spot: number; inputs: SliceInput[] }> = [];
for (const f of files) {
  const { chain } = await loadChainFile(f);
  const iv = computeChainIv(chain);
  const inputs = buildSlices(chain, iv, { minDelta });
  chains.push({ chain, spot: iv.spot, inputs });
  for (const s of inputs) {
    if (s.status !== 'ok') continue;
    items.push({ label: `${chain.underlying} ${chain.asOfDate} ${s.expiry} ${s.root} ${s.settlement}`, q: s.quotes });
  }
}

// Ours: the product path, chain by chain (fitSlices: slices in increasing T, each under the calendar floor of the
// previous one), one warm-up pass (JIT), then one timed pass; a slice's time is its own fit plus, when the floor
// binds, its constrained refit. `independent` = the same slices fitted on their own (no calendar floor): the
// "before" figures, whose raw slices may cross.
function runOurs(independentSlices: boolean): { per: Ours[]; violations: number; chainsWithViolations: number; outcomes: Record<string, number> } {
  for (const c of chains) fitSlices(c.chain, c.spot, c.inputs, { skipEssvi: true, independentSlices });
  const per: Ours[] = [];
  let violations = 0;
  let chainsWithViolations = 0;
  const outcomes: Record<string, number> = {};
  for (const c of chains) {
    const fit = fitSlices(c.chain, c.spot, c.inputs, { skipEssvi: true, independentSlices });
    violations += fit.rawCalendarViolations.length;
    if (fit.rawCalendarViolations.length > 0) chainsWithViolations++;
    fit.slices.forEach((s, i) => {
      if (c.inputs[i].status !== 'ok') return;
      per.push({ ms: s.fitMs, status: s.status, qual: s.quality });
      outcomes[s.calendar] = (outcomes[s.calendar] ?? 0) + 1;
    });
  }
  return { per, violations, chainsWithViolations, outcomes };
}
const indep = runOurs(true);
const main = runOurs(false);
const ours = main.per;
if (noScipy) {
  console.log(JSON.stringify({ chains: files.length, slices: items.length, min_delta: minDelta, ours: summary(main), independent: summary(indep) }));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'manifold-svi-'));
const input = join(dir, 'slices.json');
writeFileSync(
  input,
  JSON.stringify(
    items.map((it) => ({
      label: it.label,
      t: it.q.t,
      k: Array.from(it.q.k),
      mid: Array.from(it.q.mid),
      bid: Array.from(it.q.bid),
      ask: Array.from(it.q.ask),
      weight: Array.from(it.q.weight),
    })),
  ),
);
// Debian's Python (python3-scipy), as the brief asks of reference stacks; SCIPY_PYTHON overrides it.
const python = process.env.SCIPY_PYTHON ?? '/usr/bin/python3';
const out = execFileSync(python, [join(here, 'scipy_svi.py'), input], {
  encoding: 'utf8',
  maxBuffer: 1 << 28,
  env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
});
rmSync(dir, { recursive: true, force: true });
const ref = JSON.parse(out) as {
  scipy: string;
  slices: Array<{ label: string; ms: number; status: number; rmse_vol: number; in_band: number; min_g: number | null }>;
};

if (details) {
  items.forEach((it, i) => {
    const o = ours[i];
    const s = ref.slices[i];
    process.stderr.write(
      `${it.label} n=${it.q.k.length} ours ${o.qual?.rmseVol.toFixed(3)} ${o.qual?.inBand.toFixed(2)} ${o.ms.toFixed(2)}ms` +
        ` | scipy ${s.rmse_vol.toFixed(3)} ${s.in_band.toFixed(2)} ${s.ms.toFixed(1)}ms st=${s.status} g=${s.min_g}\n`,
    );
  });
}

function summary(r: ReturnType<typeof runOurs>): Record<string, unknown> {
  return {
    rmse_vol_median: median(r.per.map((o) => o.qual?.rmseVol ?? NaN)),
    in_band_median: median(r.per.map((o) => o.qual?.inBand ?? NaN)),
    ms_per_slice_median: median(r.per.map((o) => o.ms)),
    ms_total: r.per.reduce((a, o) => a + o.ms, 0),
    butterfly_free: r.per.filter((o) => o.qual?.butterflyFree).length,
    failed: r.per.filter((o) => o.status !== 'ok').length,
    calendar_violations: r.violations,
    chains_calendar_free: chains.length - r.chainsWithViolations,
    outcomes: r.outcomes,
  };
}
const oursMs = median(ours.map((o) => o.ms));
const refMs = median(ref.slices.map((s) => s.ms));
console.log(
  JSON.stringify({
    chains: files.length,
    slices: items.length,
    min_delta: minDelta,
    ours: summary(main),
    independent: summary(indep),
    scipy: {
      version: ref.scipy,
      rmse_vol_median: median(ref.slices.map((s) => s.rmse_vol)),
      in_band_median: median(ref.slices.map((s) => s.in_band)),
      ms_per_slice_median: refMs,
      ms_total: ref.slices.reduce((a, s) => a + s.ms, 0),
      butterfly_free: ref.slices.filter((s) => s.min_g !== null && s.min_g >= 0).length,
      not_converged: ref.slices.filter((s) => s.status === 0).length,
    },
    speedup_median: refMs / oursMs,
  }),
);
